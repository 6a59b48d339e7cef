package rpc_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/events/consume"
	"github.com/marqueehq/marquee/internal/events/relay"
)

// withStandbyConsumer runs the region's standby consumer on nc, as a region process does: freed seats are
// offered to the line as their events arrive.
func (e *env) withStandbyConsumer(t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c := consume.Standby(e.svcs.Standby, relay.Stream{Region: e.fix.Showtime.Region}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx, js)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (e *env) watchStandby(t *testing.T, u user, entryID string) *stream[marqueev1.WatchStandbyResponse] {
	t.Helper()
	return open(t, func(ctx context.Context) (*connect.ServerStreamForClient[marqueev1.WatchStandbyResponse], error) {
		return e.standbyClient().WatchStandby(ctx, as(u, &marqueev1.WatchStandbyRequest{EntryId: entryID}))
	})
}

// TestWatchStandby: the second person in line watches their place: it moves up when the first leaves, an
// offer arrives on the stream when a cancellation frees seats (served by the standby consumer from the
// cancellation's event, nobody asking), and the place shows missed once the offer lapses.
func TestWatchStandby(t *testing.T) {
	e := newEnv(t)
	e.withEvents(t)
	e.withStandbyConsumer(t, e.natsConn(t))
	ctx := context.Background()
	sb := e.standbyClient()
	first, second := e.mustRegister(t), e.mustRegister(t)
	bookings, owner := e.sellOut(t)
	join := func(u user) *marqueev1.StandbyEntry {
		res, err := sb.JoinStandby(ctx, as(u, &marqueev1.JoinStandbyRequest{ShowtimeId: e.fix.Showtime.ID, SeatCount: 2}))
		if err != nil {
			t.Fatal(err)
		}
		return res.Msg.Entry
	}
	ahead, mine := join(first), join(second)
	w := e.watchStandby(t, second, mine.Id)
	if m := w.next(t).Entry; m.Id != mine.Id || m.Position != 2 || m.Status != marqueev1.StandbyStatus_STANDBY_STATUS_WAITING {
		t.Fatalf("first message %v, want waiting second in line", m)
	}
	if _, err := sb.LeaveStandby(ctx, as(first, &marqueev1.LeaveStandbyRequest{EntryId: ahead.Id})); err != nil {
		t.Fatal(err)
	}
	if m := w.next(t).Entry; m.Position != 1 || m.Status != marqueev1.StandbyStatus_STANDBY_STATUS_WAITING {
		t.Fatalf("after the first left: %v, want first in line", m)
	}
	cancelled := bookings[7]
	if _, err := e.bookings.CancelBooking(ctx, as(owner[cancelled.Id], &marqueev1.CancelBookingRequest{BookingId: cancelled.Id,
		IdempotencyKey: "watch-standby-cancel"})); err != nil {
		t.Fatal(err)
	}
	offered := w.until(t, "an offer", func(m *marqueev1.WatchStandbyResponse) bool {
		return m.Entry.Status == marqueev1.StandbyStatus_STANDBY_STATUS_OFFERED
	}).Entry
	if offered.Offer == nil || !mapsEqual(setOf(offered.Offer.SeatIds), setOf(cancelled.SeatIds)) || offered.Position != 0 {
		t.Fatalf("offered entry %v, want an offer of %v", offered, cancelled.SeatIds)
	}
	if n := e.count(t, `SELECT count(*) FROM standby_offers WHERE entry_id = $1 AND status = 'open' AND hold_id = $2`,
		mine.Id, offered.Offer.HoldId); n != 1 {
		t.Fatalf("open offers of the entry with the streamed hold: %d, want 1", n)
	}
	e.clock.Advance(offered.Offer.ExpiresAt.AsTime().Sub(e.clock.Now()) + time.Second)
	if _, err := e.svcs.Inventory.Sweep(ctx, e.fix.Showtime.Region); err != nil {
		t.Fatal(err)
	}
	if m := w.until(t, "the lapsed offer", func(m *marqueev1.WatchStandbyResponse) bool {
		return m.Entry.Status != marqueev1.StandbyStatus_STANDBY_STATUS_OFFERED
	}).Entry; m.Status != marqueev1.StandbyStatus_STANDBY_STATUS_MISSED || m.Offer != nil {
		t.Fatalf("after the offer lapsed: %v, want missed without an offer", m)
	}
}

// TestWatchStandbyIsTheOwnersOnly: another person's entry, or none, is not_found; signed out is
// unauthenticated; nothing is sent.
func TestWatchStandbyIsTheOwnersOnly(t *testing.T) {
	e := newEnv(t)
	e.withEvents(t)
	owner, other := e.mustRegister(t), e.mustRegister(t)
	e.sellOut(t)
	res, err := e.standbyClient().JoinStandby(context.Background(), as(owner, &marqueev1.JoinStandbyRequest{
		ShowtimeId: e.fix.Showtime.ID, SeatCount: 1}))
	if err != nil {
		t.Fatal(err)
	}
	first := func(req *connect.Request[marqueev1.WatchStandbyRequest]) error {
		c, err := e.standbyClient().WatchStandby(context.Background(), req)
		if err != nil {
			return err
		}
		defer c.Close()
		if c.Receive() {
			t.Errorf("got %v", c.Msg())
		}
		return c.Err()
	}
	for name, tc := range map[string]struct {
		req  *connect.Request[marqueev1.WatchStandbyRequest]
		want connect.Code
	}{
		"ErrSomeoneElses": {as(other, &marqueev1.WatchStandbyRequest{EntryId: res.Msg.Entry.Id}), connect.CodeNotFound},
		"ErrUnknown":      {as(owner, &marqueev1.WatchStandbyRequest{EntryId: "use1_01KT1GW6G04QMPWGYPR8KADH95"}), connect.CodeNotFound},
		"ErrEmpty":        {as(owner, &marqueev1.WatchStandbyRequest{}), connect.CodeInvalidArgument},
		"ErrSignedOut":    {connect.NewRequest(&marqueev1.WatchStandbyRequest{EntryId: res.Msg.Entry.Id}), connect.CodeUnauthenticated},
	} {
		t.Run(name, func(t *testing.T) {
			if code := connect.CodeOf(first(tc.req)); code != tc.want {
				t.Errorf("code %v, want %v", code, tc.want)
			}
		})
	}
}

func setOf(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}
