package rpc_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/jobs"
)

func (e *env) standbyClient() marqueev1connect.StandbyServiceClient {
	return marqueev1connect.NewStandbyServiceClient(http.DefaultClient, e.url)
}

// jobs are the background jobs of holds and standby in the fixture's region, in the order a round of the old
// worker ran them.
func (e *env) jobs() []jobs.Job {
	r := e.fix.Showtime.Region
	return append([]jobs.Job{e.svcs.Inventory.ExpireHoldsJob(r, 0)}, e.svcs.Standby.Jobs(r, 0)...)
}

// mustOnce runs one round of those jobs.
func (e *env) mustOnce(t *testing.T) {
	t.Helper()
	for _, j := range e.jobs() {
		if err := j.Run(context.Background()); err != nil {
			t.Fatalf("%s: %v", j.Name, err)
		}
	}
}

func (e *env) mustEntry(t *testing.T, u user, id string) *marqueev1.StandbyEntry {
	t.Helper()
	res, err := e.standbyClient().GetStandby(context.Background(), as(u, &marqueev1.GetStandbyRequest{EntryId: id}))
	if err != nil {
		t.Fatalf("GetStandby: %v", err)
	}
	return res.Msg.Entry
}

// sellOut books every seat of the fixture's show in twos, each row for a new person (a row of 10 is as many
// seats of one show as one person may have), and returns the bookings and who owns each.
func (e *env) sellOut(t *testing.T) ([]*marqueev1.Booking, map[string]user) {
	t.Helper()
	var bs []*marqueev1.Booking
	owners := map[string]user{}
	rows := []string{"A", "B", "C", "D", "E", "F"}
	for _, r := range rows {
		u := e.mustRegister(t)
		for n := 1; n <= 10; n += 2 {
			a, b := r+strconv.Itoa(n), r+strconv.Itoa(n+1)
			bk := e.mustBook(t, u, e.mustHold(t, u, a, b).Id, "sellout-"+a)
			bs, owners[bk.Id] = append(bs, bk), u
		}
	}
	return bs, owners
}

// TestStandbyLine walks a sold-out show: three people join, a cancellation offers the seats to the first; their
// offer runs out and goes to the second, who accepts; the third declines a later offer.
func TestStandbyLine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb := e.standbyClient()
	b1, b2, b3 := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	join := func(u user) (*marqueev1.StandbyEntry, error) {
		res, err := sb.JoinStandby(ctx, as(u, &marqueev1.JoinStandbyRequest{ShowtimeId: e.fix.Showtime.ID, SeatCount: 2, Together: true}))
		if err != nil {
			return nil, err
		}
		return res.Msg.Entry, nil
	}
	t.Run("ErrSeatsAvailable", func(t *testing.T) {
		_, err := join(b1)
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	bookings, owner := e.sellOut(t)
	var entries []*marqueev1.StandbyEntry
	for _, u := range []user{b1, b2, b3} {
		en, err := join(u)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, en)
	}
	if entries[2].Position != 3 || entries[0].Status != marqueev1.StandbyStatus_STANDBY_STATUS_WAITING {
		t.Fatalf("third entry = %v, first = %v", entries[2], entries[0])
	}
	t.Run("ErrJoinTwice", func(t *testing.T) {
		_, err := join(b1)
		wantCode(t, err, connect.CodeAlreadyExists)
	})
	// A cancellation frees C1,C2: the first in line is offered them.
	cancelled := bookings[10]
	if _, err := e.bookings.CancelBooking(ctx, as(owner[cancelled.Id], &marqueev1.CancelBookingRequest{BookingId: cancelled.Id, IdempotencyKey: "standby-cancel-1"})); err != nil {
		t.Fatal(err)
	}
	e.mustOnce(t)
	first := e.mustEntry(t, b1, entries[0].Id)
	if first.Status != marqueev1.StandbyStatus_STANDBY_STATUS_OFFERED || first.Offer == nil ||
		strings.Join(first.Offer.SeatIds, ",") != strings.Join(cancelled.SeatIds, ",") {
		t.Fatalf("first entry after the cancellation = %v", first)
	}
	// 24 h before the show the offer lasts the maximum window.
	if got := first.Offer.ExpiresAt.AsTime().Sub(e.clock.Now()); got != 15*time.Minute {
		t.Fatalf("offer window = %v, want 15m", got)
	}
	if pos := e.mustEntry(t, b2, entries[1].Id).Position; pos != 1 {
		t.Fatalf("second entry's position = %d, want 1", pos)
	}
	t.Run("ErrAcceptOthersOffer", func(t *testing.T) {
		_, err := sb.AcceptOffer(ctx, as(b2, &marqueev1.AcceptOfferRequest{OfferId: first.Offer.Id, PaymentToken: "tok_visa", IdempotencyKey: "steal-offer-1"}))
		wantCode(t, err, connect.CodeNotFound)
	})
	// The offer runs out: the seats go to the second in line.
	e.clock.Advance(15*time.Minute + time.Second)
	e.mustOnce(t)
	if st := e.mustEntry(t, b1, entries[0].Id).Status; st != marqueev1.StandbyStatus_STANDBY_STATUS_MISSED {
		t.Fatalf("first entry after its offer lapsed = %v, want MISSED", st)
	}
	t.Run("ErrAcceptLapsedOffer", func(t *testing.T) {
		_, err := sb.AcceptOffer(ctx, as(b1, &marqueev1.AcceptOfferRequest{OfferId: first.Offer.Id, PaymentToken: "tok_visa", IdempotencyKey: "late-accept-1"}))
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	second := e.mustEntry(t, b2, entries[1].Id)
	if second.Offer == nil {
		t.Fatalf("second entry = %v, want an offer", second)
	}
	res, err := sb.AcceptOffer(ctx, as(b2, &marqueev1.AcceptOfferRequest{OfferId: second.Offer.Id, PaymentToken: "tok_visa", IdempotencyKey: "accept-offer-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Msg.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED {
		t.Fatalf("accepted booking = %v", res.Msg.Booking)
	}
	if st := e.seatStatus(t); st["C1"] != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
		t.Fatalf("C1 after acceptance = %v", st["C1"])
	}
	if st := e.mustEntry(t, b2, entries[1].Id).Status; st != marqueev1.StandbyStatus_STANDBY_STATUS_BOOKED {
		t.Fatalf("second entry = %v, want BOOKED", st)
	}
	// Seats booked from an offer count against the per-show limit like any others.
	if n := e.count(t, `SELECT coalesce(sum(booked), 0) FROM hold_quotas WHERE user_id = $1 AND showtime_id = $2`,
		b2.id, e.fix.Showtime.ID); n != 2 {
		t.Fatalf("second in line's booked seats in hold_quotas = %d, want 2", n)
	}
	// Another cancellation goes to the third, who declines: the seats are free again (nobody else waits).
	if _, err := e.bookings.CancelBooking(ctx, as(owner[bookings[20].Id], &marqueev1.CancelBookingRequest{BookingId: bookings[20].Id, IdempotencyKey: "standby-cancel-2"})); err != nil {
		t.Fatal(err)
	}
	e.mustOnce(t)
	third := e.mustEntry(t, b3, entries[2].Id)
	if third.Offer == nil {
		t.Fatalf("third entry = %v, want an offer", third)
	}
	if _, err := sb.DeclineOffer(ctx, as(b3, &marqueev1.DeclineOfferRequest{OfferId: third.Offer.Id})); err != nil {
		t.Fatal(err)
	}
	if st := e.seatStatus(t); st[third.Offer.SeatIds[0]] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("declined seat = %v, want available", st[third.Offer.SeatIds[0]])
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.standby.offered'`); n != 3 {
		t.Fatalf("StandbyOffered events = %d, want 3", n)
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.seats.released'`); n != 2 {
		t.Fatalf("SeatsReleased events = %d, want 2 (one expiry, one decline)", n)
	}
	// 30 holds sold the show out, three more were the offers.
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.seats.held'`); n != 33 {
		t.Fatalf("SeatsHeld events = %d, want 33", n)
	}
	var changes []string
	rows, err := e.db.Pool.Query(ctx, `SELECT aggregate_id, payload FROM outbox
		WHERE subject = 'marquee.us-east1.standby.changed'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var entry string
		var ev marqueev1.StandbyChanged
		var payload []byte
		if err := rows.Scan(&entry, &payload); err != nil || proto.Unmarshal(payload, &ev) != nil || ev.EntryId != entry {
			t.Fatalf("StandbyChanged row: %v %v", err, &ev)
		}
		changes = append(changes, entry+" "+ev.Status)
	}
	want := []string{entries[0].Id + " waiting", entries[1].Id + " waiting", entries[2].Id + " waiting",
		entries[1].Id + " booked", entries[2].Id + " left"}
	slices.Sort(want)
	slices.Sort(changes)
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("StandbyChanged events mismatch (-want +got):\n%s", diff)
	}
}

func TestStandbyBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb := e.standbyClient()
	u := e.mustRegister(t)
	for name, tc := range map[string]struct {
		req  *marqueev1.JoinStandbyRequest
		code connect.Code
	}{
		"ErrZeroSeats":       {&marqueev1.JoinStandbyRequest{ShowtimeId: e.fix.Showtime.ID}, connect.CodeInvalidArgument},
		"ErrTooManySeats":    {&marqueev1.JoinStandbyRequest{ShowtimeId: e.fix.Showtime.ID, SeatCount: 11}, connect.CodeInvalidArgument},
		"ErrUnknownShowtime": {&marqueev1.JoinStandbyRequest{ShowtimeId: "use1_01KT1GW6G04QMPWGYPR8KADH95", SeatCount: 2}, connect.CodeNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sb.JoinStandby(ctx, as(u, tc.req))
			wantCode(t, err, tc.code)
		})
	}
	_, err := sb.GetStandby(ctx, as(u, &marqueev1.GetStandbyRequest{EntryId: "use1_01KT1GW6G04QMPWGYPR8KADH95"}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = sb.DeclineOffer(ctx, as(u, &marqueev1.DeclineOfferRequest{OfferId: "nope"}))
	wantCode(t, err, connect.CodeNotFound)
	if n := e.count(t, `SELECT count(*) FROM standby_entries`); n != 0 {
		t.Fatalf("entries = %d, want 0", n)
	}
}

// TestStandbyConcurrentServeNeverOffersASeatTwice frees seats and serves the line from several goroutines at
// once: every offered seat is in exactly one open offer and one live hold.
func TestStandbyConcurrentServeNeverOffersASeatTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bookings, owner := e.sellOut(t)
	for i := 0; i < 8; i++ {
		u := e.mustRegister(t)
		if _, err := e.standbyClient().JoinStandby(ctx, as(u, &marqueev1.JoinStandbyRequest{ShowtimeId: e.fix.Showtime.ID, SeatCount: 1})); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.bookings.CancelBooking(ctx, as(owner[bookings[i].Id], &marqueev1.CancelBookingRequest{BookingId: bookings[i].Id, IdempotencyKey: "race-cancel-" + strconv.Itoa(i)})); err != nil {
				t.Error(err)
			}
			if _, err := e.svcs.Standby.Serve(ctx, e.fix.Showtime.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.count(t, `SELECT count(*) FROM standby_offers WHERE status = 'open'`); n != 8 {
		t.Fatalf("open offers = %d, want 8 (4 cancellations x 2 seats, one seat each)", n)
	}
	if n := e.count(t, `SELECT count(*) FROM (SELECT s FROM standby_offers, unnest(seat_ids) s WHERE status = 'open' GROUP BY s HAVING count(*) > 1) x`); n != 0 {
		t.Fatalf("%d seats are in two open offers", n)
	}
	if n := e.count(t, `SELECT count(*) FROM standby_offers o JOIN holds h ON h.region = o.region AND h.id = o.hold_id WHERE o.status = 'open' AND h.status <> 'active'`); n != 0 {
		t.Fatalf("%d open offers without a live hold", n)
	}
}
