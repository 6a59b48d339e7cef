package rpc_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// passTTL is the pass time of the tests' on-sales.
const passTTL = 2 * time.Minute

// mustOnSale puts the fixture's showtime (or show, when given) on sale through the API as an operator of its
// chain, opening at opens with capacity people shopping at once.
func (e *env) mustOnSale(t *testing.T, opens time.Time, capacity int, show ...string) *marqueev1.OnSale {
	t.Helper()
	id := e.fix.Showtime.ID
	if len(show) > 0 {
		id = show[0]
	}
	res, err := e.adminSvc().SetOnSale(context.Background(), as(e.mustOperator(t, e.fix.Chain.ID), &marqueev1.SetOnSaleRequest{
		Region: e.fix.Showtime.Region, Target: &marqueev1.SetOnSaleRequest_ShowtimeId{ShowtimeId: id},
		OpensAt: timestamppb.New(opens), Capacity: int32(capacity), PassTtl: durationpb.New(passTTL)}))
	if err != nil {
		t.Fatalf("SetOnSale: %v", err)
	}
	return res.Msg.OnSale
}

// join takes u's place in the waiting room of the fixture's showtime (or show) through WaitForAdmission and
// returns the first place the stream sends.
func (e *env) join(t *testing.T, u user, show ...string) *marqueev1.WaitingPlace {
	t.Helper()
	id := e.fix.Showtime.ID
	if len(show) > 0 {
		id = show[0]
	}
	s := open(t, func(ctx context.Context) (*connect.ServerStreamForClient[marqueev1.WaitForAdmissionResponse], error) {
		return e.seats.WaitForAdmission(ctx, as(u, &marqueev1.WaitForAdmissionRequest{ShowtimeId: id}))
	})
	p := s.next(t).Place
	s.cancel()
	return p
}

// room returns u's place as GetWaitingRoom shows it (nil when none).
func (e *env) room(t *testing.T, u user, show ...string) *marqueev1.WaitingPlace {
	t.Helper()
	id := e.fix.Showtime.ID
	if len(show) > 0 {
		id = show[0]
	}
	res, err := e.seats.GetWaitingRoom(context.Background(), as(u, &marqueev1.GetWaitingRoomRequest{ShowtimeId: id}))
	if err != nil {
		t.Fatalf("GetWaitingRoom: %v", err)
	}
	return res.Msg.Place
}

// admit runs one admission of the fixture's showtime (or show), as the region's onsale.admit job does.
func (e *env) admit(t *testing.T, show ...string) []string {
	t.Helper()
	id := e.fix.Showtime.ID
	if len(show) > 0 {
		id = show[0]
	}
	got, err := e.svcs.OnSale.Admit(context.Background(), id)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	return got
}

func (e *env) holdWithPass(u user, pass string, seats ...string) (*marqueev1.Hold, error) {
	res, err := e.seats.HoldSeats(context.Background(), as(u, &marqueev1.HoldSeatsRequest{
		ShowtimeId: e.fix.Showtime.ID, SeatIds: seats, AdmissionPass: pass}))
	if err != nil {
		return nil, err
	}
	return res.Msg.Hold, nil
}

func (e *env) holdCount(t *testing.T) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM holds WHERE showtime_id = $1`, e.fix.Showtime.ID)
}

// TestWaitingRoomOrder: 50 people arrive before opening and 5 after; one shops at a time and each leaves
// once admitted. The 50 are admitted first, not in arrival order (the chance that a fair shuffle of 50 keeps
// it is 1 in 50!), then the 5 in arrival order. Before opening nobody has a position; after it the 50
// positions are 1 to 50.
func TestWaitingRoomOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	opens := t0.Add(time.Hour)
	e.mustOnSale(t, opens, 1)
	var early, late []user
	for range 50 {
		u := e.mustRegister(t)
		if p := e.join(t, u); p.Status != marqueev1.WaitingStatus_WAITING_STATUS_WAITING || p.Position != 0 {
			t.Fatalf("before opening: %v position %d, want waiting with no position", p.Status, p.Position)
		}
		early = append(early, u)
		e.clock.Advance(time.Second)
	}
	e.clock.Advance(time.Hour)
	var positions []int
	for _, u := range early {
		positions = append(positions, int(e.room(t, u).Position))
	}
	slices.Sort(positions)
	for i, p := range positions {
		if p != i+1 {
			t.Fatalf("positions after opening = %v, want 1 to 50", positions)
		}
	}
	for range 5 {
		u := e.mustRegister(t)
		e.join(t, u)
		late = append(late, u)
		e.clock.Advance(time.Second)
	}
	var order []string
	for range 55 {
		got := e.admit(t)
		if len(got) != 1 {
			t.Fatalf("admitted %v, want one person (capacity 1)", got)
		}
		order = append(order, got[0])
		if _, err := e.seats.LeaveWaitingRoom(ctx, as(userByID(append(early, late...), got[0]), &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID})); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(us []user) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.id)
		}
		return out
	}
	first := slices.Clone(order[:50])
	if slices.Equal(first, ids(early)) {
		t.Errorf("the 50 early arrivals were admitted in arrival order")
	}
	slices.Sort(first)
	want := ids(early)
	slices.Sort(want)
	if !slices.Equal(first, want) {
		t.Errorf("the first 50 admitted are not the 50 who arrived before opening")
	}
	if !slices.Equal(order[50:], ids(late)) {
		t.Errorf("after opening, admitted %v, want arrival order %v", order[50:], ids(late))
	}
	if got := e.admit(t); len(got) != 0 {
		t.Errorf("with nobody waiting, admitted %v", got)
	}
}

func userByID(us []user, id string) user {
	for _, u := range us {
		if u.id == id {
			return u
		}
	}
	panic("no user " + id)
}

// TestWaitingRoomOnePlace: joining again returns the same place, by the stream and by GetWaitingRoom; one row
// per account.
func TestWaitingRoomOnePlace(t *testing.T) {
	e := newEnv(t)
	e.mustOnSale(t, t0.Add(time.Hour), 1)
	u := e.mustRegister(t)
	first := e.join(t, u)
	e.clock.Advance(10 * time.Minute)
	again := e.join(t, u)
	if !first.JoinedAt.AsTime().Equal(again.JoinedAt.AsTime()) {
		t.Errorf("joining again: joined at %v, want the first place's %v", again.JoinedAt.AsTime(), first.JoinedAt.AsTime())
	}
	var rank1, rank2 int64
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT rank FROM onsale_places WHERE user_id = $1`, u.id).Scan(&rank1); err != nil {
		t.Fatal(err)
	}
	e.join(t, u)
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT rank FROM onsale_places WHERE user_id = $1`, u.id).Scan(&rank2); err != nil {
		t.Fatal(err)
	}
	if rank1 != rank2 {
		t.Errorf("joining again drew a new rank")
	}
	if n := e.count(t, `SELECT count(*) FROM onsale_places WHERE user_id = $1`, u.id); n != 1 {
		t.Errorf("%d places for one account, want 1", n)
	}
}

// TestHoldNeedsPass: while the showtime is on sale, a hold without a pass, with a forged one, someone else's,
// another showtime's or an expired one is refused and nothing is held; the person's own pass holds.
func TestHoldNeedsPass(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	show2, err := e.fix.AddShowtime(ctx, e.db.Catalog(), e.db.IDs, t0.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.mustOnSale(t, t0, 5)
	e.mustOnSale(t, t0, 5, show2.ID)
	alice, bob, carol := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	e.join(t, alice)
	e.join(t, carol)
	e.join(t, bob, show2.ID)
	e.admit(t)
	e.admit(t, show2.ID)
	pass := e.room(t, alice).AdmissionPass
	otherShow := e.room(t, bob, show2.ID).AdmissionPass
	if pass == "" || otherShow == "" {
		t.Fatalf("admitted without a pass")
	}
	forged := pass[:len(pass)-2] + "AA"
	if strings.HasSuffix(pass, "AA") {
		forged = pass[:len(pass)-2] + "BB"
	}
	for _, tc := range []struct {
		name string
		u    user
		pass string
		want connect.Code
		msg  string
	}{
		{"ErrNoPass", alice, "", connect.CodePermissionDenied, "waiting room"},
		{"ErrForged", alice, forged, connect.CodePermissionDenied, "not valid"},
		{"ErrGarbage", alice, "mqp1.bm9wZQ.bm9wZQ", connect.CodePermissionDenied, "not valid"},
		{"ErrSomeoneElses", bob, pass, connect.CodePermissionDenied, "someone else's"},
		{"ErrOtherShowtime", bob, otherShow, connect.CodePermissionDenied, "another showtime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.holdWithPass(tc.u, tc.pass, "C5", "C6")
			if ce := wantCode(t, err, tc.want); !strings.Contains(ce.Message(), tc.msg) {
				t.Errorf("message %q, want it to say %q", ce.Message(), tc.msg)
			}
			_, err = e.seats.HoldBestAvailable(ctx, as(tc.u, &marqueev1.HoldBestAvailableRequest{
				ShowtimeId: e.fix.Showtime.ID, Count: 2, AdmissionPass: tc.pass}))
			wantCode(t, err, tc.want)
			if n := e.holdCount(t); n != 0 {
				t.Fatalf("%d holds after a refusal, want 0", n)
			}
		})
	}
	t.Run("ErrExpired", func(t *testing.T) {
		carolPass := e.room(t, carol).AdmissionPass
		e.clock.Advance(passTTL)
		_, err := e.holdWithPass(carol, carolPass, "C5", "C6")
		if ce := wantCode(t, err, connect.CodeFailedPrecondition); !strings.Contains(ce.Message(), "expired") {
			t.Errorf("message %q, want it to say the pass expired", ce.Message())
		}
		if n := e.holdCount(t); n != 0 {
			t.Fatalf("%d holds after a refusal, want 0", n)
		}
		e.clock.Advance(-passTTL)
	})
	t.Run("OK", func(t *testing.T) {
		if _, err := e.holdWithPass(alice, pass, "C5", "C6"); err != nil {
			t.Fatalf("HoldSeats with the pass: %v", err)
		}
		res, err := e.seats.HoldBestAvailable(ctx, as(alice, &marqueev1.HoldBestAvailableRequest{
			ShowtimeId: e.fix.Showtime.ID, Count: 2, AdmissionPass: pass}))
		if err != nil {
			t.Fatalf("HoldBestAvailable with the pass: %v", err)
		}
		if n := e.holdCount(t); n != 2 || len(res.Msg.Hold.SeatIds) != 2 {
			t.Fatalf("%d holds, want 2", n)
		}
	})
	t.Run("OKEnded", func(t *testing.T) {
		list, err := e.adminSvc().ListOnSales(ctx, as(e.mustOperator(t, e.fix.Chain.ID), &marqueev1.ListOnSalesRequest{
			Region: e.fix.Showtime.Region, ChainId: e.fix.Chain.ID}))
		if err != nil || len(list.Msg.OnSales) != 2 {
			t.Fatalf("ListOnSales = %v, %v; want both on-sales", list, err)
		}
		for _, o := range list.Msg.OnSales {
			if o.ShowtimeId == e.fix.Showtime.ID {
				if _, err := e.adminSvc().EndOnSale(ctx, as(e.mustOperator(t, e.fix.Chain.ID), &marqueev1.EndOnSaleRequest{OnSaleId: o.Id})); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := e.holdWithPass(bob, "", "F1"); err != nil {
			t.Fatalf("a hold without a pass after the on-sale ended: %v", err)
		}
	})
}

// TestAdmissionKeepsCapacity: with 3 shopping at once and 7 waiting, 3 are admitted; each who finishes (books,
// releases their hold, leaves, or lets the pass lapse) lets exactly one more in.
func TestAdmissionKeepsCapacity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustOnSale(t, t0, 3)
	var us []user
	for range 7 {
		u := e.mustRegister(t)
		e.join(t, u)
		us = append(us, u)
		e.clock.Advance(time.Second)
	}
	shopping := func() []string {
		var ids []string
		rows, err := e.db.Pool.Query(ctx, `SELECT user_id FROM onsale_places WHERE status = 'admitted' ORDER BY user_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	step := func(name string, want int) {
		t.Helper()
		if got := e.admit(t); len(got) != want {
			t.Fatalf("%s: admitted %d, want %d", name, len(got), want)
		}
		if n := len(shopping()); n != 3 {
			t.Fatalf("%s: %d shopping, want 3", name, n)
		}
	}
	step("opening", 3)
	step("nobody finished", 0)
	pass := func(u user) string { return e.room(t, u).AdmissionPass }
	// us[0], us[1], us[2] arrived first, after opening: they are the ones admitted.
	h, err := e.holdWithPass(us[0], pass(us[0]), "A1", "A2")
	if err != nil {
		t.Fatal(err)
	}
	step("holding", 0)
	e.mustBook(t, us[0], h.Id, "onsale-book")
	step("one booked", 1)
	if p := e.room(t, us[0]); p.Status != marqueev1.WaitingStatus_WAITING_STATUS_DONE {
		t.Errorf("the one who booked is %v, want done", p.Status)
	}
	p1 := pass(us[1])
	h, err = e.holdWithPass(us[1], p1, "B1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.seats.ReleaseHold(ctx, as(us[1], &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); err != nil {
		t.Fatal(err)
	}
	step("one released their hold", 1)
	if _, err := e.holdWithPass(us[1], p1, "B2"); err == nil {
		t.Errorf("a pass whose hold was released held again")
	}
	if _, err := e.seats.LeaveWaitingRoom(ctx, as(us[2], &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID})); err != nil {
		t.Fatal(err)
	}
	step("one left", 1)
	// us[3], us[4], us[5] shop now; us[3] holds seats, the others let their passes lapse.
	if _, err := e.holdWithPass(us[3], pass(us[3]), "C1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(passTTL)
	if got := e.admit(t); len(got) != 1 || got[0] != us[6].id {
		t.Fatalf("after two passes lapsed, admitted %v, want only the last one waiting", got)
	}
	if p := e.room(t, us[4]); p.Status != marqueev1.WaitingStatus_WAITING_STATUS_LAPSED {
		t.Errorf("an unused pass past its time is %v, want lapsed", p.Status)
	}
	if p := e.room(t, us[3]); p.Status != marqueev1.WaitingStatus_WAITING_STATUS_ADMITTED {
		t.Errorf("someone holding seats past their pass's time is %v, want still admitted (shopping)", p.Status)
	}
	if n := e.count(t, `SELECT count(*) FROM onsale_places WHERE status = 'admitted'`); n != 2 {
		t.Errorf("%d shopping, want 2 (nobody is left to admit)", n)
	}
}

// TestWaitingRoomLeave: a waiting person who leaves gives their place up: those behind move up, and coming back
// puts them at the back.
func TestWaitingRoomLeave(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustOnSale(t, t0, 1)
	a, b, c := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	for _, u := range []user{a, b, c} {
		e.join(t, u)
		e.clock.Advance(time.Second)
	}
	e.admit(t) // a shops
	if p := e.room(t, c); p.Position != 2 {
		t.Fatalf("c is at %d, want 2", p.Position)
	}
	if _, err := e.seats.LeaveWaitingRoom(ctx, as(b, &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID})); err != nil {
		t.Fatal(err)
	}
	if p := e.room(t, c); p.Position != 1 {
		t.Errorf("after b left, c is at %d, want 1", p.Position)
	}
	if p := e.room(t, b); p.Status != marqueev1.WaitingStatus_WAITING_STATUS_LEFT {
		t.Errorf("b is %v, want left", p.Status)
	}
	_, err := e.seats.LeaveWaitingRoom(ctx, as(b, &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID}))
	wantCode(t, err, connect.CodeNotFound)
	if p := e.join(t, b); p.Position != 2 {
		t.Errorf("b came back at %d, want 2 (behind c)", p.Position)
	}
}

// TestWaitForAdmissionStream: the stream shows the place moving up with an estimate, then the pass, and ends.
func TestWaitForAdmissionStream(t *testing.T) {
	e := newEnv(t)
	e.svcs.OnSale.Poll = 20 * time.Millisecond
	e.mustOnSale(t, t0, 1)
	a, b := e.mustRegister(t), e.mustRegister(t)
	e.join(t, a)
	e.clock.Advance(time.Second)
	s := open(t, func(ctx context.Context) (*connect.ServerStreamForClient[marqueev1.WaitForAdmissionResponse], error) {
		return e.seats.WaitForAdmission(ctx, as(b, &marqueev1.WaitForAdmissionRequest{ShowtimeId: e.fix.Showtime.ID}))
	})
	if p := s.next(t).Place; p.Position != 2 || p.EstimatedWait != nil {
		t.Fatalf("first message: position %d, estimate %v; want 2 and none (nobody admitted yet)", p.Position, p.EstimatedWait)
	}
	e.clock.Advance(9 * time.Second)
	e.admit(t)
	p := s.next(t).Place
	if p.Position != 1 || p.EstimatedWait == nil {
		t.Fatalf("after one admission: position %d, estimate %v; want 1 and an estimate", p.Position, p.EstimatedWait)
	}
	if got := p.EstimatedWait.AsDuration(); got != 10*time.Second {
		t.Errorf("estimate %v, want 10s (one admitted in the 10 s since opening)", got)
	}
	if _, err := e.seats.LeaveWaitingRoom(context.Background(), as(a, &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID})); err != nil {
		t.Fatal(err)
	}
	e.admit(t)
	for {
		p = s.next(t).Place
		if p.Status != marqueev1.WaitingStatus_WAITING_STATUS_WAITING {
			break
		}
	}
	if p.Status != marqueev1.WaitingStatus_WAITING_STATUS_ADMITTED || p.AdmissionPass == "" || p.PassExpiresAt == nil {
		t.Fatalf("admitted place %v, want admitted with a pass", p)
	}
	if err := <-s.done; err != nil {
		t.Errorf("the stream ended with %v, want nil once admitted", err)
	}
}

// TestAdmitConcurrently: four admission runs at once (as two processes of a region whose lease changed hands
// might) never admit past capacity.
func TestAdmitConcurrently(t *testing.T) {
	e := newEnv(t)
	e.mustOnSale(t, t0, 5)
	for range 20 {
		e.join(t, e.mustRegister(t))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := e.svcs.OnSale.Admit(context.Background(), e.fix.Showtime.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.count(t, `SELECT count(*) FROM onsale_places WHERE status = 'admitted'`); n != 5 {
		t.Errorf("%d admitted, want 5 (the capacity)", n)
	}
}

// TestMovieOnSale: an on-sale of a movie covers its showtimes at the chain's theatres in the region; it names
// its chain, which the caller must operate; a showtime's on-sale names the region it is homed in.
func TestMovieOnSale(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	op := e.mustOperator(t, e.fix.Chain.ID)
	e.mustAddOtherChain(t)
	set := func(u user, req *marqueev1.SetOnSaleRequest) error {
		req.OpensAt, req.Capacity = timestamppb.New(t0), 2
		_, err := e.adminSvc().SetOnSale(ctx, as(u, req))
		return err
	}
	movie := &marqueev1.SetOnSaleRequest_MovieId{MovieId: e.fix.Movie.ID}
	t.Run("ErrNoChain", func(t *testing.T) {
		wantCode(t, set(op, &marqueev1.SetOnSaleRequest{Region: "us-east1", Target: movie}), connect.CodeInvalidArgument)
	})
	t.Run("ErrOtherChain", func(t *testing.T) {
		err := set(e.mustOperator(t, otherChain), &marqueev1.SetOnSaleRequest{Region: "us-east1", Target: movie, ChainId: e.fix.Chain.ID})
		wantCode(t, err, connect.CodePermissionDenied)
	})
	t.Run("ErrWrongRegion", func(t *testing.T) {
		err := set(op, &marqueev1.SetOnSaleRequest{Region: "europe-west1",
			Target: &marqueev1.SetOnSaleRequest_ShowtimeId{ShowtimeId: e.fix.Showtime.ID}})
		wantCode(t, err, connect.CodeInvalidArgument)
	})
	t.Run("OK", func(t *testing.T) {
		if err := set(op, &marqueev1.SetOnSaleRequest{Region: "us-east1", Target: movie, ChainId: e.fix.Chain.ID}); err != nil {
			t.Fatal(err)
		}
		u := e.mustRegister(t)
		res, err := e.seats.GetWaitingRoom(ctx, as(u, &marqueev1.GetWaitingRoomRequest{ShowtimeId: e.fix.Showtime.ID}))
		if err != nil || res.Msg.OnSale.GetMovieId() != e.fix.Movie.ID {
			t.Fatalf("GetWaitingRoom = %v, %v; want the movie's on-sale", res, err)
		}
		_, err = e.holdWithPass(u, "", "A1")
		wantCode(t, err, connect.CodePermissionDenied)
		e.join(t, u)
		e.admit(t)
		if _, err := e.holdWithPass(u, e.room(t, u).AdmissionPass, "A1"); err != nil {
			t.Fatalf("hold with the pass of the movie's on-sale: %v", err)
		}
	})
}

// TestAddSeatsNeedsPass: adding seats to a booking of a showtime on sale takes a pass too; with it the seats
// are added.
func TestAddSeatsNeedsPass(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustRegister(t)
	b := e.mustBook(t, u, e.mustHold(t, u, "A1").Id, "onsale-first")
	e.clock.Advance(time.Minute) // the booking was before the on-sale
	e.mustOnSale(t, t0, 2)
	add := func(pass, key string) error {
		_, err := e.bookings.AddSeats(ctx, as(u, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"A2"},
			PaymentToken: "tok_visa", IdempotencyKey: key, AdmissionPass: pass}))
		return err
	}
	wantCode(t, add("", "onsale-add-1"), connect.CodePermissionDenied)
	if n := e.count(t, `SELECT count(*) FROM holds WHERE showtime_id = $1 AND status = 'active'`, e.fix.Showtime.ID); n != 0 {
		t.Fatalf("%d live holds after a refusal, want 0", n)
	}
	e.join(t, u)
	e.admit(t)
	if err := add(e.room(t, u).AdmissionPass, "onsale-add-2"); err != nil {
		t.Fatalf("AddSeats with the pass: %v", err)
	}
}
