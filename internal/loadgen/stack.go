package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// Stack is a running private Marquee (its own PostgreSQL cluster under a temporary directory) with the two
// test showtimes and one registered user per client.
type Stack struct {
	App  *app.Main
	Hot  catalog.Showtime // phase 1: holds and releases
	Sale catalog.Showtime // phase 2: the on-sale race

	opts     Options
	dir      string
	seats    []catalog.Seat // the screen's seats, the same for both showtimes
	pairs    [][2]string    // every two seats side by side in a row
	httpc    *http.Client
	accounts marqueev1connect.AccountServiceClient
	seatSvc  marqueev1connect.SeatServiceClient
	bookings marqueev1connect.BookingServiceClient
	tokens   []string // bearer token of each client's user
	runID    string   // distinguishes this run's emails and idempotency keys
}

// Start checks opts, starts the stack, creates the showtimes and registers Options.Clients users (then runs
// ANALYZE when Options.Analyze is set). Close stops it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "marquee-loadgen-")
	if err != nil {
		return nil, err
	}
	s := &Stack{opts: opts, dir: dir, runID: rand.Text()[:10]}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	// The cluster runs as the postgres user when we are root; it must be able to enter dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.startApp(ctx); err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	if err := s.createShowtimes(ctx); err != nil {
		return nil, fmt.Errorf("create showtimes: %w", err)
	}
	s.connect()
	if err := s.registerUsers(ctx); err != nil {
		return nil, fmt.Errorf("register users: %w", err)
	}
	if opts.Analyze {
		if _, err := s.App.DB().Pool.Exec(ctx, "ANALYZE"); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
	}
	return s, nil
}

func (s *Stack) startApp(ctx context.Context) error {
	m := app.NewMain()
	m.Config.DataDir = s.dir
	m.Config.DatabaseURL = ""
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Seed = false
	m.Config.BcryptCost = 4
	// Each simulated client is one account holding and releasing many times a second, far beyond what the
	// per-user limits let a person do, so the load generator turns rate limits off (see the README).
	m.Config.RateLimits = rpc.RateLimits{}
	m.Config.MaxConns = s.opts.MaxConns
	m.Log = s.opts.logger()
	s.App = m
	return m.Run(ctx)
}

// createShowtimes makes the hot showtime with seed.NewFixture and the on-sale one on the same screen.
func (s *Stack) createShowtimes(ctx context.Context) error {
	db := s.App.DB()
	layout := seed.Layout{Rows: s.opts.Rows, SeatsPerRow: s.opts.SeatsPerRow}
	startsAt := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	f, err := seed.NewFixture(ctx, db.Catalog(), db.IDs, regions.All()[0], layout, startsAt)
	if err != nil {
		return err
	}
	s.Hot, s.seats, s.pairs = f.Showtime, f.Screen.Seats, adjacentPairs(f.Screen.Seats)
	// The default policy has the orphan-seat rule on, as users get it; --orphan-rule=false measures the variant
	// without it.
	policy := catalog.DefaultChainPolicy(f.Chain.ID, 2*time.Hour)
	policy.OrphanSeatRule = s.opts.OrphanRule
	if err := db.Catalog().SetChainPolicy(ctx, policy); err != nil {
		return err
	}
	s.Sale, err = f.AddShowtime(ctx, db.Catalog(), db.IDs, startsAt.Add(4*time.Hour))
	return err
}

// adjacentPairs returns every two seats side by side in a row.
func adjacentPairs(seats []catalog.Seat) [][2]string {
	var out [][2]string
	for _, a := range seats {
		for _, b := range seats {
			if a.Row == b.Row && b.X == a.X+1 {
				out = append(out, [2]string{a.ID, b.ID})
			}
		}
	}
	return out
}

// retries returns the hold and release transactions the server has run again so far.
func (s *Stack) retries() (hold, release int) {
	r := s.App.Telemetry.Retries
	return r.Count("store.(*InventoryStore).CreateHold"), r.Count("store.(*InventoryStore).ReleaseHold")
}

// connect builds the generated clients over one shared HTTP/1.1 client with an idle connection per client.
func (s *Stack) connect() {
	n := s.opts.Clients + 8
	s.httpc = &http.Client{Transport: &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n,
		IdleConnTimeout: 2 * time.Minute}}
	base := "http://" + s.App.Addr()
	// The clients share the server's machine, so they ask for answers uncompressed, as a client on a fast
	// link would: compressing on loopback only moves CPU from one side of the benchmark to the other.
	plain := connect.WithAcceptCompression("gzip", nil, nil)
	s.accounts = marqueev1connect.NewAccountServiceClient(s.httpc, base, plain)
	s.seatSvc = marqueev1connect.NewSeatServiceClient(s.httpc, base, plain)
	s.bookings = marqueev1connect.NewBookingServiceClient(s.httpc, base, plain)
}

// registerUsers registers one user per client, concurrently, and keeps their tokens.
func (s *Stack) registerUsers(ctx context.Context) error {
	s.tokens = make([]string, s.opts.Clients)
	errList := make([]error, s.opts.Clients)
	var wg sync.WaitGroup
	for i := range s.tokens {
		wg.Go(func() {
			res, err := s.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
				Email:       fmt.Sprintf("loadgen-%s-%d@example.com", s.runID, i),
				Password:    "loadgen-password",
				DisplayName: fmt.Sprintf("Load Client %d", i),
			}))
			if err != nil {
				errList[i] = fmt.Errorf("client %d: %w", i, err)
				return
			}
			s.tokens[i] = res.Msg.Token
		})
	}
	wg.Wait()
	return errors.Join(errList...)
}

// authed wraps msg in a request carrying a user's bearer token.
func authed[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+token)
	return req
}

// Close stops the stack and removes its temporary directory.
func (s *Stack) Close() error {
	var err error
	if s.httpc != nil {
		s.httpc.CloseIdleConnections()
	}
	if s.App != nil {
		err = s.App.Close()
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}
