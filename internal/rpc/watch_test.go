package rpc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/events/hub"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/natsserver"
)

// withEvents gives e the event path of a region process: an embedded NATS, the outbox relay of the fixture's
// region, and the hub that live watchers follow. Watches then hear what the database commits.
func (e *env) withEvents(t *testing.T) *hub.Hub {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := relay.Connect(srv.URL(), "rpc-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r, err := relay.New(e.db.Outbox(), nc, relay.Options{Stream: relay.Stream{Region: e.fix.Showtime.Region},
		Idle: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	h := hub.New(nc, nil)
	t.Cleanup(h.Close)
	e.svcs.Inventory.Changes, e.svcs.Standby.Changes = h, h
	e.nc = nc
	return h
}

// natsConn is the NATS connection withEvents made.
func (e *env) natsConn(t *testing.T) *nats.Conn {
	t.Helper()
	if e.nc == nil {
		t.Fatal("withEvents first")
	}
	return e.nc
}

// stream is a server stream read in the background: its messages, then its end.
type stream[T any] struct {
	msgs   chan *T
	done   chan error
	cancel context.CancelFunc
}

// open starts a server stream with call and reads it until it ends or the test does.
func open[T any](t *testing.T, call func(ctx context.Context) (*connect.ServerStreamForClient[T], error)) *stream[T] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream[T]{msgs: make(chan *T, 100), done: make(chan error, 1), cancel: cancel}
	c, err := call(ctx)
	if err != nil {
		cancel()
		t.Fatalf("opening the stream: %v", err)
	}
	go func() {
		for c.Receive() {
			s.msgs <- c.Msg()
		}
		s.done <- c.Err()
		close(s.msgs)
	}()
	t.Cleanup(func() {
		cancel()
		_ = c.Close()
	})
	return s
}

// next returns the stream's next message, failing after 10s.
func (s *stream[T]) next(t *testing.T) *T {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			t.Fatalf("the stream ended: %v", <-s.done)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return nil
	}
}

// until reads messages until one satisfies cond and returns it.
func (s *stream[T]) until(t *testing.T, what string, cond func(*T) bool) *T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("the stream ended before %s: %v", what, <-s.done)
			}
			if cond(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no message with %s within 10s", what)
		}
	}
}

// ended waits for the stream's end and returns its error.
func (s *stream[T]) ended(t *testing.T) error {
	t.Helper()
	for {
		select {
		case _, ok := <-s.msgs:
			if !ok {
				return <-s.done
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the stream did not end within 10s")
		}
	}
}

func (e *env) watchSeatMap(t *testing.T, showtimeID string) *stream[marqueev1.WatchSeatMapResponse] {
	t.Helper()
	return open(t, func(ctx context.Context) (*connect.ServerStreamForClient[marqueev1.WatchSeatMapResponse], error) {
		return e.seats.WatchSeatMap(ctx, connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: showtimeID}))
	})
}

// statuses are the seats of a watched map that are not available.
func statuses(m *marqueev1.WatchSeatMapResponse) map[string]marqueev1.SeatStatus {
	out := map[string]marqueev1.SeatStatus{}
	for _, s := range m.Seats {
		if s.Status != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			out[s.Id] = s.Status
		}
	}
	return out
}

// versioned checks that m's version is greater than *last and records it.
func versioned(t *testing.T, m *marqueev1.WatchSeatMapResponse, last *uint32) {
	t.Helper()
	if m.Version <= *last {
		t.Fatalf("version %d after %d: a new seat map must have a greater version", m.Version, *last)
	}
	*last = m.Version
}

const (
	held   = marqueev1.SeatStatus_SEAT_STATUS_HELD
	booked = marqueev1.SeatStatus_SEAT_STATUS_BOOKED
)

// TestWatchSeatMap watches a showtime while others hold, release, book, cancel, add seats and let a hold
// expire: each change arrives as a new whole seat map, the versions grow, and nobody polls.
func TestWatchSeatMap(t *testing.T) {
	e := newEnv(t)
	e.withEvents(t)
	ctx := context.Background()
	bob, carol := e.mustRegister(t), e.mustRegister(t)
	w := e.watchSeatMap(t, e.fix.Showtime.ID)
	first := w.next(t)
	if first.Version != 1 || first.ShowtimeId != e.fix.Showtime.ID || len(first.Seats) != 60 || len(statuses(first)) != 0 {
		t.Fatalf("first message: version %d, showtime %s, %d seats, taken %v", first.Version, first.ShowtimeId,
			len(first.Seats), statuses(first))
	}
	if st := first.Showtime; st.GetMovieTitle() != e.fix.Movie.Title || st.TheatreName != e.fix.Theatre.Name ||
		st.ScreenName != e.fix.Screen.Name || !st.StartsAt.AsTime().Equal(e.fix.Showtime.StartsAt) {
		t.Errorf("first message's showtime = %v, want the fixture's", st)
	}
	last := first.Version
	step := func(what string, want map[string]marqueev1.SeatStatus) {
		t.Helper()
		m := w.until(t, what, func(m *marqueev1.WatchSeatMapResponse) bool {
			return len(statuses(m)) == len(want) &&
				mapsEqual(statuses(m), want)
		})
		versioned(t, m, &last)
	}
	h := e.mustHold(t, bob, "C3", "C4")
	step("bob's hold", map[string]marqueev1.SeatStatus{"C3": held, "C4": held})
	if _, err := e.seats.ReleaseHold(ctx, as(bob, &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); err != nil {
		t.Fatal(err)
	}
	step("bob's release", map[string]marqueev1.SeatStatus{})
	b := e.mustBook(t, carol, e.mustHold(t, carol, "D1", "D2").Id, "watch-book-1")
	step("carol's booking", map[string]marqueev1.SeatStatus{"D1": booked, "D2": booked})
	if _, err := e.addSeats(carol, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"D3"}, PaymentToken: "tok_visa",
		IdempotencyKey: "watch-add-1"}); err != nil {
		t.Fatal(err)
	}
	step("carol's added seat", map[string]marqueev1.SeatStatus{"D1": booked, "D2": booked, "D3": booked})
	if _, err := e.bookings.CancelBooking(ctx, as(carol, &marqueev1.CancelBookingRequest{BookingId: b.Id,
		IdempotencyKey: "watch-cancel-1"})); err != nil {
		t.Fatal(err)
	}
	step("carol's cancellation", map[string]marqueev1.SeatStatus{})
	e.mustHold(t, bob, "F1", "F2")
	step("bob's second hold", map[string]marqueev1.SeatStatus{"F1": held, "F2": held})
	e.clock.Advance(8*time.Minute + time.Second)
	if n, err := e.svcs.Inventory.Sweep(ctx, e.fix.Showtime.Region); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want bob's hold expired", n, err)
	}
	step("bob's hold expired", map[string]marqueev1.SeatStatus{})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestWatchSeatMapSharesOneRead: twenty watchers of a showtime cost one listener (plus the seat map cache's
// own) and one seat map read per change, and each gets every change.
func TestWatchSeatMapSharesOneRead(t *testing.T) {
	e := newEnv(t)
	h := e.withEvents(t)
	var ws []*stream[marqueev1.WatchSeatMapResponse]
	for range 20 {
		w := e.watchSeatMap(t, e.fix.Showtime.ID)
		if m := w.next(t); m.Version != 1 {
			t.Fatalf("first message version %d, want 1", m.Version)
		}
		ws = append(ws, w)
	}
	if l, subs := h.Listening(); l != 2 || subs != 1 {
		t.Errorf("hub: %d listeners, %d subscriptions; want one subscription and two listeners (the watchers' "+
			"feed and the seat map cache) for 20 watchers of one showtime", l, subs)
	}
	e.mustHold(t, e.mustRegister(t), "B5", "B6")
	for _, w := range ws {
		if m := w.next(t); m.Version != 2 || len(statuses(m)) != 2 {
			t.Fatalf("after the hold: version %d, taken %v", m.Version, statuses(m))
		}
	}
	if s := e.svcs.Inventory.SeatMapWatchers(); s.Loads != 2 || s.Watchers != 20 || s.Topics != 1 {
		t.Errorf("feed %+v; want 20 watchers of one showtime and 2 seat map reads (the first and one change)", s)
	}
}

// TestWatchSeatMapEnds: a client that goes away leaves nothing behind but the seat map cache's listener
// (kept while the showtime's map is in use), and closing the hub (as a process does when it shuts down) ends
// open streams cleanly.
func TestWatchSeatMapEnds(t *testing.T) {
	e := newEnv(t)
	h := e.withEvents(t)
	w := e.watchSeatMap(t, e.fix.Showtime.ID)
	w.next(t)
	w.cancel()
	waitFor(t, "the watcher gone", func() bool {
		l, _ := h.Listening()
		return e.svcs.Inventory.SeatMapWatchers().Watchers == 0 && l == 1
	})
	if n, _ := e.svcs.Inventory.SeatMapReads(); n != 1 {
		t.Errorf("the map cache keeps %d showtimes, want the watched one", n)
	}
	w = e.watchSeatMap(t, e.fix.Showtime.ID)
	w.next(t)
	h.Close()
	if err := w.ended(t); err != nil {
		t.Errorf("stream at shutdown ended with %v, want a clean end", err)
	}
	_, err := e.seats.WatchSeatMap(context.Background(), connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: e.fix.Showtime.ID}))
	if err == nil {
		s := e.watchSeatMap(t, e.fix.Showtime.ID)
		err = s.ended(t)
	}
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("watching after shutdown: %v, want unavailable", err)
	}
}

// TestWatchSeatMapHeartbeat: with nothing changing, the last map comes again with the same version.
func TestWatchSeatMapHeartbeat(t *testing.T) {
	e := newEnv(t)
	e.withEvents(t)
	e.svcs.Inventory.Heartbeat = 50 * time.Millisecond
	w := e.watchSeatMap(t, e.fix.Showtime.ID)
	for range 3 {
		if m := w.next(t); m.Version != 1 || len(m.Seats) != 60 {
			t.Fatalf("heartbeat: version %d with %d seats, want the first map again", m.Version, len(m.Seats))
		}
	}
}

// TestWatchSeatMapBadInput: a showtime that does not exist, a malformed ID and a server without events are
// refused before any message.
func TestWatchSeatMapBadInput(t *testing.T) {
	e, noEvents := newEnv(t), newEnv(t)
	first := func(e *env, id string) error {
		c, err := e.seats.WatchSeatMap(context.Background(), connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: id}))
		if err != nil {
			return err
		}
		defer c.Close()
		if c.Receive() {
			return errors.New("got a message")
		}
		return c.Err()
	}
	if code := connect.CodeOf(first(noEvents, noEvents.fix.Showtime.ID)); code != connect.CodeUnavailable {
		t.Errorf("without events: %v, want unavailable", code)
	}
	e.withEvents(t)
	for name, tc := range map[string]struct {
		id   string
		want connect.Code
	}{
		"ErrUnknownShowtime": {"use1_01KT1GW6G04QMPWGYPR8KADH95", connect.CodeNotFound},
		"ErrUnknownRegion":   {"zzz9_01KT1GW6G04QMPWGYPR8KADH95", connect.CodeNotFound},
		"ErrEmpty":           {"", connect.CodeInvalidArgument},
	} {
		t.Run(name, func(t *testing.T) {
			if code := connect.CodeOf(first(e, tc.id)); code != tc.want {
				t.Errorf("code %v, want %v", code, tc.want)
			}
		})
	}
}

// waitFor fails the test unless cond holds within 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGetSeatMapNamesTheShowtime: the seat page needs one call: the map carries its showtime, priced from its
// cheapest available seat.
func TestGetSeatMapNamesTheShowtime(t *testing.T) {
	e := newEnv(t)
	res, err := e.seats.GetSeatMap(context.Background(), connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: e.fix.Showtime.ID}))
	if err != nil {
		t.Fatal(err)
	}
	st := e.fix.Showtime
	want := &marqueev1.Showtime{Id: st.ID, MovieId: st.MovieID, MovieTitle: e.fix.Movie.Title, TheatreId: st.TheatreID,
		TheatreName: e.fix.Theatre.Name, City: e.fix.City.ID, Region: st.Region, ScreenName: e.fix.Screen.Name,
		StartsAt: timestamppb.New(st.StartsAt), EndsAt: timestamppb.New(st.EndsAt), Format: st.Format, Language: st.Language,
		FromPrice: usd(1200)}
	if diff := cmp.Diff(want, res.Msg.Showtime, protocmp.Transform()); diff != "" {
		t.Errorf("showtime mismatch (-want +got):\n%s", diff)
	}
}

// TestGetSeatMapFromMemory: with the region's events followed, fifty readers of an unchanged map cost one
// read of the database; a hold made by this process shows at once, a release by the next event; the version
// grows with each change, and a reader who saw a version gets nothing older.
func TestGetSeatMapFromMemory(t *testing.T) {
	e := newEnv(t)
	e.withEvents(t)
	ctx := context.Background()
	get := func(min uint64) *marqueev1.GetSeatMapResponse {
		t.Helper()
		res, err := e.seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{
			ShowtimeId: e.fix.Showtime.ID, MinVersion: min}))
		if err != nil {
			t.Fatal(err)
		}
		return res.Msg
	}
	first := get(0)
	for range 49 {
		if m := get(0); m.Version != first.Version {
			t.Fatalf("an unchanged map: version %d, then %d", first.Version, m.Version)
		}
	}
	if _, reads := e.svcs.Inventory.SeatMapReads(); reads != 1 {
		t.Errorf("50 reads of an unchanged map: %d database reads, want 1", reads)
	}
	u := e.mustRegister(t)
	h := e.mustHold(t, u, "B5", "B6")
	held := get(0)
	if held.Version <= first.Version || countStatus(held, marqueev1.SeatStatus_SEAT_STATUS_HELD) != 2 {
		t.Fatalf("right after this process's hold: version %d (was %d), %d seats held; want a newer map with 2",
			held.Version, first.Version, countStatus(held, marqueev1.SeatStatus_SEAT_STATUS_HELD))
	}
	if _, err := e.seats.ReleaseHold(ctx, as(u, &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the release on the seat map", func() bool {
		return countStatus(get(0), marqueev1.SeatStatus_SEAT_STATUS_HELD) == 0
	})
	if m := get(held.Version + 1); m.Version <= held.Version {
		t.Errorf("asked for a map newer than %d, got %d", held.Version, m.Version)
	}
}

// countStatus counts the seats of m with status st.
func countStatus(m *marqueev1.GetSeatMapResponse, st marqueev1.SeatStatus) int {
	n := 0
	for _, s := range m.Seats {
		if s.Status == st {
			n++
		}
	}
	return n
}
