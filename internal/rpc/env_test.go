package rpc_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is when every test starts; the fixture's showtime is a day later.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// env is a Marquee API served over HTTP on a fresh database, with a manual clock and the sandbox provider.
type env struct {
	db       *store.DB
	clock    *platform.ManualClock
	sandbox  *payment.Sandbox
	fix      seed.Fixture
	accounts marqueev1connect.AccountServiceClient
	catalog  marqueev1connect.CatalogServiceClient
	seats    marqueev1connect.SeatServiceClient
	bookings marqueev1connect.BookingServiceClient
	url      string
	svcs     rpc.Services
	nc       *nats.Conn // set by withEvents
}

// newEnv serves the API on a fresh database, with app.DefaultConfig changed by configure (if any).
func newEnv(t *testing.T, configure ...func(*app.Config)) *env {
	t.Helper()
	e := &env{clock: platform.NewManualClock(t0), sandbox: payment.NewSandbox()}
	e.db = storetest.NewDB(t, e.clock.Now)
	fix, err := seed.NewFixture(context.Background(), e.db.Catalog(), e.db.IDs, usEast,
		seed.Layout{Rows: 6, SeatsPerRow: 10, AisleAfter: []int{5}, PremiumRows: 2, WheelchairPairs: 1},
		t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.fix = fix
	e.setPolicy(t, simplePolicy)
	e.svcs = e.services(configure...)
	srv := httptest.NewServer(rpc.NewMux(e.svcs, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.accounts = marqueev1connect.NewAccountServiceClient(srv.Client(), srv.URL)
	e.catalog = marqueev1connect.NewCatalogServiceClient(srv.Client(), srv.URL)
	e.seats = marqueev1connect.NewSeatServiceClient(srv.Client(), srv.URL)
	e.bookings = marqueev1connect.NewBookingServiceClient(srv.Client(), srv.URL)
	return e
}

func (e *env) services(configure ...func(*app.Config)) rpc.Services {
	cfg := app.DefaultConfig()
	cfg.BcryptCost, cfg.StripeWebhookSecret = 4, webhookSecret
	// A test user books and holds far more often than a person may (see ratelimit_test.go for the limits).
	cfg.RateLimits = rpc.RateLimits{Classes: map[rpc.LimitClass]rpc.Limit{}}
	for _, f := range configure {
		f(&cfg)
	}
	svcs := app.Services(e.db, e.sandbox, e.clock.Now, []byte("0123456789abcdef0123456789abcdef"), cfg)
	svcs.Accounts.AccessTTL = 72 * time.Hour // the tests move the clock by days
	return svcs
}

// webhookSecret signs test webhooks.
const webhookSecret = "whsec_test_secret"

// setPolicy sets the fixture chain's policy.
func (e *env) setPolicy(t *testing.T, p catalog.ChainPolicy) {
	t.Helper()
	p.ChainID = e.fix.Chain.ID
	if err := e.db.Catalog().SetChainPolicy(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// simplePolicy refunds in full until 2 hours before the show, with no fees and no orphan-seat rule, so tests
// can pick seats freely.
var simplePolicy = catalog.ChainPolicy{RefundTiers: []catalog.RefundTier{{Before: 2 * time.Hour, Percent: 100}}}

// user is a registered test user.
type user struct {
	id, token string
}

var userSeq int

func (e *env) mustRegister(t *testing.T) user {
	t.Helper()
	userSeq++
	res, err := e.accounts.Register(context.Background(), connect.NewRequest(&marqueev1.RegisterRequest{
		Email: "user" + strconv.Itoa(userSeq) + "@example.com", Password: "s3cret-pass", DisplayName: "User"}))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return user{id: res.Msg.User.Id, token: res.Msg.Token}
}

// as returns a request carrying u's bearer token.
func as[T any](u user, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+u.token)
	return req
}

func (e *env) mustHold(t *testing.T, u user, seats ...string) *marqueev1.Hold {
	t.Helper()
	res, err := e.seats.HoldSeats(context.Background(), as(u, &marqueev1.HoldSeatsRequest{
		ShowtimeId: e.fix.Showtime.ID, SeatIds: seats}))
	if err != nil {
		t.Fatalf("HoldSeats(%v): %v", seats, err)
	}
	return res.Msg.Hold
}

func (e *env) mustBook(t *testing.T, u user, holdID, key string) *marqueev1.Booking {
	t.Helper()
	res, err := e.bookings.CreateBooking(context.Background(), as(u, &marqueev1.CreateBookingRequest{
		HoldId: holdID, PaymentToken: "tok_visa", IdempotencyKey: key}))
	if err != nil {
		t.Fatalf("CreateBooking: %v", err)
	}
	return res.Msg.Booking
}

// seatStatus returns each seat's status as GetSeatMap shows it.
func (e *env) seatStatus(t *testing.T) map[string]marqueev1.SeatStatus {
	t.Helper()
	res, err := e.seats.GetSeatMap(context.Background(), connect.NewRequest(&marqueev1.GetSeatMapRequest{
		ShowtimeId: e.fix.Showtime.ID}))
	if err != nil {
		t.Fatalf("GetSeatMap: %v", err)
	}
	m := map[string]marqueev1.SeatStatus{}
	for _, s := range res.Msg.Seats {
		m[s.Id] = s.Status
	}
	return m
}

// count runs a count(*) query.
func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// wantCode fails unless err is a Connect error with code want.
func wantCode(t *testing.T, err error, want connect.Code) *connect.Error {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want code %v", err, want)
	}
	if ce.Code() != want {
		t.Fatalf("code = %v (%s), want %v", ce.Code(), ce.Message(), want)
	}
	return ce
}

var usEast, _ = regions.ByName("us-east1")
