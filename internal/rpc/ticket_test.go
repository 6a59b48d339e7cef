package rpc_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// TestBookingCarriesShowtimeAndTicket: a confirmed booking comes to its owner with its showtime and a ticket
// signed with the region's key for its live seats, from CreateBooking, GetBooking, ListMyBookings, AddSeats and a
// partial cancellation; a cancelled booking keeps its showtime and has no ticket.
func TestBookingCarriesShowtimeAndTicket(t *testing.T) {
	e := newEnv(t)
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.svcs.Bookings.TicketKey = key
	ctx := context.Background()
	alice := e.mustRegister(t)
	st := e.fix.Showtime
	wantShow := &marqueev1.Showtime{Id: st.ID, MovieId: st.MovieID, MovieTitle: e.fix.Movie.Title, TheatreId: st.TheatreID,
		TheatreName: e.fix.Theatre.Name, City: e.fix.City.ID, Region: st.Region, ScreenName: e.fix.Screen.Name,
		StartsAt: timestamppb.New(st.StartsAt), EndsAt: timestamppb.New(st.EndsAt), Format: st.Format, Language: st.Language}
	check := func(what string, b *marqueev1.Booking, seats ...string) {
		t.Helper()
		if diff := cmp.Diff(wantShow, b.Showtime, protocmp.Transform()); diff != "" {
			t.Errorf("%s: showtime mismatch (-want +got):\n%s", what, diff)
		}
		got, err := ticket.Verify(pub, b.Ticket)
		if err != nil {
			t.Fatalf("%s: ticket %q: %v", what, b.Ticket, err)
		}
		want := ticket.Ticket{BookingID: b.Id, ConfirmationCode: b.ConfirmationCode, ShowtimeID: st.ID,
			TheatreName: e.fix.Theatre.Name, MovieTitle: e.fix.Movie.Title, StartsAt: st.StartsAt.UTC(), SeatIDs: seats,
			IssuedAt: e.clock.Now().UTC().Truncate(1e9)}
		if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("%s: ticket mismatch (-want +got):\n%s", what, diff)
		}
	}
	b := e.mustBook(t, alice, e.mustHold(t, alice, "A1", "A2").Id, "ticket-book-1")
	check("CreateBooking", b, "A1", "A2")
	got, err := e.bookings.GetBooking(ctx, as(alice, &marqueev1.GetBookingRequest{BookingId: b.Id}))
	if err != nil {
		t.Fatal(err)
	}
	check("GetBooking", got.Msg.Booking, "A1", "A2")
	added, err := e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"A3"}, PaymentToken: "tok_visa",
		IdempotencyKey: "ticket-add-1"})
	if err != nil {
		t.Fatal(err)
	}
	check("AddSeats", added.Booking, "A1", "A2", "A3")
	mine, err := e.bookings.ListMyBookings(ctx, as(alice, &marqueev1.ListMyBookingsRequest{}))
	if err != nil || len(mine.Msg.Bookings) != 1 {
		t.Fatalf("ListMyBookings: %v %v", mine, err)
	}
	check("ListMyBookings", mine.Msg.Bookings[0], "A1", "A2", "A3")
	partial := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, SeatIds: []string{"A1"},
		IdempotencyKey: "ticket-cancel-1"})
	check("a partial cancellation", partial.Booking, "A2", "A3")
	all := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "ticket-cancel-2"})
	got, err = e.bookings.GetBooking(ctx, as(alice, &marqueev1.GetBookingRequest{BookingId: b.Id}))
	if err != nil {
		t.Fatal(err)
	}
	for what, c := range map[string]*marqueev1.Booking{"CancelBooking": all.Booking, "GetBooking after it": got.Msg.Booking} {
		if c.Ticket != "" || c.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED {
			t.Errorf("%s: status %v with ticket %q, want cancelled without one", what, c.Status, c.Ticket)
		}
		if diff := cmp.Diff(wantShow, c.Showtime, protocmp.Transform()); diff != "" {
			t.Errorf("%s: showtime mismatch (-want +got):\n%s", what, diff)
		}
	}
}
