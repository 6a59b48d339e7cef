package rpc_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

func (e *env) makeRole(t *testing.T, u user, role, chain string) {
	t.Helper()
	var c any
	if chain != "" {
		c = chain
	}
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE users SET role = $2, chain_id = $3 WHERE id = $1`, u.id, role, c); err != nil {
		t.Fatal(err)
	}
}

func row(label string, n int, gapAfter int) *marqueev1.LayoutRow {
	r := &marqueev1.LayoutRow{Label: label}
	x := 0
	for i := 1; i <= n; i++ {
		r.Seats = append(r.Seats, &marqueev1.LayoutSeat{Number: int32(i), Type: marqueev1.SeatType_SEAT_TYPE_STANDARD, X: int32(x)})
		x++
		if i == gapAfter {
			x++
		}
	}
	return r
}

// TestCatalogManagement walks an operator through a new theatre, screen and showtimes, and a cancelled show.
func TestCatalogManagement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	adm := marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
	boss, op, fan := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	e.makeRole(t, boss, "admin", "")
	e.makeRole(t, op, "operator", e.fix.Chain.ID)
	mv, err := adm.UpsertMovie(ctx, as(boss, &marqueev1.UpsertMovieRequest{Movie: &marqueev1.Movie{Title: "Night Train", RuntimeMinutes: 100, Language: "en", Genres: []string{"thriller"}}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = adm.UpsertMovie(ctx, as(op, &marqueev1.UpsertMovieRequest{Movie: &marqueev1.Movie{Title: "X", RuntimeMinutes: 90, Language: "en"}}))
	wantCode(t, err, connect.CodePermissionDenied)
	th, err := adm.UpsertTheatre(ctx, as(op, &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "Harbor Lights", City: e.fix.City.ID,
		Chain: e.fix.Chain.ID, Address: "2 Pier St", Latitude: 40.71, Longitude: -74.01}, TimeZone: "America/New_York", Currency: "USD"}))
	if err != nil {
		t.Fatal(err)
	}
	if th.Msg.Theatre.Region != "us-east1" || th.Msg.Theatre.Id[:5] != "use1_" {
		t.Fatalf("theatre = %v", th.Msg.Theatre)
	}
	t.Run("ErrBadTimeZone", func(t *testing.T) {
		_, err := adm.UpsertTheatre(ctx, as(op, &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "Y", City: e.fix.City.ID,
			Chain: e.fix.Chain.ID, Address: "1 A St"}, TimeZone: "Mars/Olympus", Currency: "USD"}))
		wantCode(t, err, connect.CodeInvalidArgument)
	})
	sc, err := adm.UpsertScreen(ctx, as(op, &marqueev1.UpsertScreenRequest{TheatreId: th.Msg.Theatre.Id, Name: "One", Rows: []*marqueev1.LayoutRow{row("A", 8, 4), row("B", 8, 4)}}))
	if err != nil || sc.Msg.Seats != 16 {
		t.Fatalf("UpsertScreen = %v, %v", sc, err)
	}
	t.Run("ErrBadLayouts", func(t *testing.T) {
		dup := row("A", 4, 0)
		dup.Seats[1].Number = 1
		backwards := row("A", 4, 0)
		backwards.Seats[2].X = 0
		lonely := row("A", 4, 0)
		lonely.Seats[3].Type = marqueev1.SeatType_SEAT_TYPE_COMPANION
		for name, r := range map[string]*marqueev1.LayoutRow{"DuplicateSeat": dup, "Backwards": backwards, "CompanionAlone": lonely} {
			_, err := adm.UpsertScreen(ctx, as(op, &marqueev1.UpsertScreenRequest{TheatreId: th.Msg.Theatre.Id, Name: name, Rows: []*marqueev1.LayoutRow{r}}))
			if ce := wantCode(t, err, connect.CodeInvalidArgument); ce == nil {
				t.Fatal(name)
			}
		}
	})
	start := t0.Add(48 * time.Hour)
	schedule := func(at time.Time) (*marqueev1.Showtime, error) {
		res, err := adm.ScheduleShowtime(ctx, as(op, &marqueev1.ScheduleShowtimeRequest{ScreenId: sc.Msg.ScreenId, MovieId: mv.Msg.Movie.Id,
			StartsAt: timestamppb.New(at), Format: "2D", Language: "en",
			BasePrice: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 1000}, PremiumPrice: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 1500}}))
		if err != nil {
			return nil, err
		}
		return res.Msg.Showtime, nil
	}
	show, err := schedule(start)
	if err != nil {
		t.Fatal(err)
	}
	if got := show.EndsAt.AsTime().Sub(show.StartsAt.AsTime()); got != 120*time.Minute {
		t.Fatalf("show lasts %v, want 2h (20 min trailers + 100 min)", got)
	}
	t.Run("ErrOverlapIncludingCleaning", func(t *testing.T) {
		_, err := schedule(start.Add(125 * time.Minute)) // 5 minutes after the end: inside the 15-minute clean
		wantCode(t, err, connect.CodeAlreadyExists)
	})
	if _, err := schedule(start.Add(135 * time.Minute)); err != nil {
		t.Fatalf("a show after the clean: %v", err)
	}
	// A fan books; the operator cancels the show: the booking is refunded in full and its seats freed.
	h, err := e.seats.HoldSeats(ctx, as(fan, &marqueev1.HoldSeatsRequest{ShowtimeId: show.Id, SeatIds: []string{"A1", "A2"}}))
	if err != nil {
		t.Fatal(err)
	}
	b := e.mustBook(t, fan, h.Msg.Hold.Id, "catalog-book-1")
	res, err := adm.CancelShowtime(ctx, as(op, &marqueev1.CancelShowtimeRequest{ShowtimeId: show.Id}))
	if err != nil || res.Msg.CancelledBookings != 1 {
		t.Fatalf("CancelShowtime = %v, %v", res, err)
	}
	got, err := e.bookings.GetBooking(ctx, as(fan, &marqueev1.GetBookingRequest{BookingId: b.Id}))
	if err != nil || got.Msg.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED || got.Msg.Booking.Refund.AmountMinor != b.Total.AmountMinor {
		t.Fatalf("booking after the show was cancelled = %v, %v", got, err)
	}
	_, err = e.seats.HoldSeats(ctx, as(fan, &marqueev1.HoldSeatsRequest{ShowtimeId: show.Id, SeatIds: []string{"A3"}}))
	wantCode(t, err, connect.CodeFailedPrecondition)
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject LIKE 'marquee.%.catalog.changed'`); n < 5 {
		t.Fatalf("catalog events = %d, want one per change", n)
	}
	t.Run("ErrOtherChain", func(t *testing.T) {
		other := e.mustRegister(t)
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO chains (id, name) VALUES ('chain-rival', 'Rival')`); err != nil {
			t.Fatal(err)
		}
		e.makeRole(t, other, "operator", "chain-rival")
		_, err := adm.CancelShowtime(ctx, as(other, &marqueev1.CancelShowtimeRequest{ShowtimeId: e.fix.Showtime.ID}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
}
