package webtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// city is where the tests browse: New York, served by us-east1 (prices in USD).
const city = "new-york"

// chain runs the theatre the tests add for their own showtimes.
const chain = "chain-marquee"

// httpClient is the Go clients': HTTP/1.1 to the edge, with a bound on each call.
var httpClient = &http.Client{Timeout: 20 * time.Second}

// client holds the Connect clients of the edge.
type client struct {
	accounts marqueev1connect.AccountServiceClient
	catalog  marqueev1connect.CatalogServiceClient
	seats    marqueev1connect.SeatServiceClient
	bookings marqueev1connect.BookingServiceClient
	standby  marqueev1connect.StandbyServiceClient
	admin    marqueev1connect.AdminServiceClient
}

func (s *stack) api() *client {
	return &client{
		accounts: marqueev1connect.NewAccountServiceClient(httpClient, s.url),
		catalog:  marqueev1connect.NewCatalogServiceClient(httpClient, s.url),
		seats:    marqueev1connect.NewSeatServiceClient(httpClient, s.url),
		bookings: marqueev1connect.NewBookingServiceClient(httpClient, s.url),
		standby:  marqueev1connect.NewStandbyServiceClient(httpClient, s.url),
		admin:    marqueev1connect.NewAdminServiceClient(httpClient, s.url),
	}
}

// as makes a request signed in with token.
func as[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	return req
}

// must fails the test if a call failed and otherwise returns its message: must(t, "Call")(c.Call(ctx, req)).
func must[T any](t testing.TB, what string) func(*connect.Response[T], error) *T {
	return func(res *connect.Response[T], err error) *T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res.Msg
	}
}

// newEmail is a fresh address for an account.
func newEmail(who string) string {
	return fmt.Sprintf("%s-%s@example.test", who, strings.ToLower(rand.Text()[:10]))
}

// register makes an account through the API and returns its token.
func register(t testing.TB, c *client, email string) string {
	t.Helper()
	res := must[marqueev1.RegisterResponse](t, "Register "+email)(c.accounts.Register(context.Background(),
		connect.NewRequest(&marqueev1.RegisterRequest{Email: email, Password: "correct horse", DisplayName: "Test"})))
	return res.Token
}

var (
	adminOnce  sync.Once
	adminToken string
	theatreID  string
	movieID    string
	adminErr   error
)

// admin returns a platform admin's token, and the theatre and movie the tests schedule their showtimes with.
func (s *stack) admin(t testing.TB) (token, theatre, movie string) {
	t.Helper()
	adminOnce.Do(func() { adminErr = s.setUpAdmin() })
	if adminErr != nil {
		t.Fatal(adminErr)
	}
	return adminToken, theatreID, movieID
}

func (s *stack) setUpAdmin() error {
	ctx := context.Background()
	c := s.api()
	res, err := c.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{Email: adminEmail,
		Password: "correct horse", DisplayName: "Admin"}))
	if err != nil {
		return fmt.Errorf("register %s: %w", adminEmail, err)
	}
	adminToken = res.Msg.Token
	if _, err := c.accounts.ClaimAdmin(ctx, as(adminToken, &marqueev1.ClaimAdminRequest{Code: s.adminCode})); err != nil {
		return fmt.Errorf("claim admin with the first-run code %q: %w", s.adminCode, err)
	}
	th, err := c.admin.UpsertTheatre(ctx, as(adminToken, &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{
		Name: "Marquee Test Lab", City: city, Chain: chain, Address: "1 Test Plaza, New York, NY 10001",
		Latitude: 40.7505, Longitude: -73.9934}, TimeZone: "America/New_York", Currency: "USD"}))
	if err != nil {
		return fmt.Errorf("UpsertTheatre: %w", err)
	}
	theatreID = th.Msg.Theatre.Id
	mv, err := c.admin.UpsertMovie(ctx, as(adminToken, &marqueev1.UpsertMovieRequest{Movie: &marqueev1.Movie{
		Title: "The Test Pattern", RuntimeMinutes: 90, Language: "en", Genres: []string{"drama"}, Rating: "PG",
		Synopsis: "A broadcast engineer keeps a station's test card running through one long night.",
		Cast:     []string{"Ada Tester"}}}))
	if err != nil {
		return fmt.Errorf("UpsertMovie: %w", err)
	}
	movieID = mv.Msg.Movie.Id
	return nil
}

// layoutRows returns rows of perRow standard seats each, lettered from A, with an aisle after aisleAfter (none
// when 0).
func layoutRows(rows, perRow, aisleAfter int) []*marqueev1.LayoutRow {
	out := make([]*marqueev1.LayoutRow, 0, rows)
	for r := 0; r < rows; r++ {
		row := &marqueev1.LayoutRow{Label: string(rune('A' + r))}
		x := 0
		for n := 1; n <= perRow; n++ {
			row.Seats = append(row.Seats, &marqueev1.LayoutSeat{Number: int32(n), Type: marqueev1.SeatType_SEAT_TYPE_STANDARD, X: int32(x)})
			x++
			if n == aisleAfter {
				x++
			}
		}
		out = append(out, row)
	}
	return out
}

// showtime schedules a showtime of the test movie on a new screen of the test theatre with the given rows, a
// day after now (so its standby offers and refunds are those of a show well ahead).
func (s *stack) showtime(t testing.TB, name string, rows []*marqueev1.LayoutRow) *marqueev1.Showtime {
	t.Helper()
	token, theatre, movie := s.admin(t)
	c := s.api()
	ctx := context.Background()
	sc := must[marqueev1.UpsertScreenResponse](t, "UpsertScreen")(c.admin.UpsertScreen(ctx, as(token,
		&marqueev1.UpsertScreenRequest{TheatreId: theatre, Name: name, Rows: rows})))
	st := must[marqueev1.ScheduleShowtimeResponse](t, "ScheduleShowtime")(c.admin.ScheduleShowtime(ctx, as(token,
		&marqueev1.ScheduleShowtimeRequest{ScreenId: sc.ScreenId, MovieId: movie,
			StartsAt: timestamppb.New(time.Now().Add(26 * time.Hour).Truncate(time.Minute)), Format: "2D", Language: "en",
			BasePrice:    &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 1200},
			PremiumPrice: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 1600}})))
	return st.Showtime
}

// seatMap returns each seat of a showtime by its ID.
func seatMap(t testing.TB, c *client, showtime string) map[string]*marqueev1.Seat {
	t.Helper()
	res := must[marqueev1.GetSeatMapResponse](t, "GetSeatMap")(c.seats.GetSeatMap(context.Background(),
		connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: showtime})))
	out := map[string]*marqueev1.Seat{}
	for _, s := range res.Seats {
		out[s.Id] = s
	}
	return out
}

// waitSeats waits until every seat has status want in GetSeatMap (which may be cached at the edge for a second).
func waitSeats(t testing.TB, c *client, showtime string, want marqueev1.SeatStatus, seats ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := seatMap(t, c, showtime)
		var wrong []string
		for _, id := range seats {
			if m[id].GetStatus() != want {
				wrong = append(wrong, fmt.Sprintf("%s=%v", id, m[id].GetStatus()))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("seats of %s not %v: %s", showtime, want, strings.Join(wrong, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// booking reads a booking back as its owner.
func booking(t testing.TB, c *client, token, id string) *marqueev1.Booking {
	t.Helper()
	return must[marqueev1.GetBookingResponse](t, "GetBooking "+id)(c.bookings.GetBooking(context.Background(),
		as(token, &marqueev1.GetBookingRequest{BookingId: id}))).Booking
}

// liveSeats are a booking's seats that are not cancelled, sorted.
func liveSeats(b *marqueev1.Booking) []string {
	var out []string
	for _, s := range b.SeatIds {
		if !slices.Contains(b.CancelledSeatIds, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// bookAs holds seats and books them through the API with a card that pays.
func bookAs(t testing.TB, c *client, token, showtime string, seats ...string) *marqueev1.Booking {
	t.Helper()
	ctx := context.Background()
	h := must[marqueev1.HoldSeatsResponse](t, "HoldSeats")(c.seats.HoldSeats(ctx, as(token,
		&marqueev1.HoldSeatsRequest{ShowtimeId: showtime, SeatIds: seats})))
	b := must[marqueev1.CreateBookingResponse](t, "CreateBooking")(c.bookings.CreateBooking(ctx, as(token,
		&marqueev1.CreateBookingRequest{HoldId: h.Hold.Id, PaymentToken: "tok_visa", IdempotencyKey: "webtest-" + rand.Text()})))
	return b.Booking
}

// usd formats minor units of USD as the app does in an en-US browser.
func usd(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s$%d.%02d", sign, minor/100, minor%100)
}
