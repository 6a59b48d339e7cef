// Package loadgen drives a full Marquee stack over HTTP with concurrent clients: a hold/release phase on one hot
// showtime, an on-sale race that sells out a second showtime, a check on the database that no seat was sold
// twice, and a pgbench baseline against the same PostgreSQL cluster. Run returns the numbers; Print formats
// them as a Markdown table.
package loadgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/marqueehq/marquee/internal/inventory"
)

// Options configures a load run.
type Options struct {
	Clients       int           // concurrent clients, each its own registered user
	Duration      time.Duration // length of the hold phase and of the pgbench run
	OnSaleTimeout time.Duration // the on-sale phase stops after this even if seats remain
	MaxConns      int           // the server's database pool size
	Rows          int           // rows of the screen both showtimes use
	SeatsPerRow   int           // seats per row of that screen
	Pgbench       bool          // run the pgbench -N baseline
	PgbenchScale  int           // pgbench -i scale factor
	CPUProfile    string        // when set, a CPU profile of the hold phase is written here
	MapCPUProfile string        // when set, a CPU profile of the seat map phase is written here
	OrphanRule    bool          // the test chain's orphan-seat rule (on by default, as users get it)
	// Analyze runs ANALYZE once the showtimes and users exist, as autovacuum would have done in a database that
	// has been up for a minute. Without statistics the planner misjudges the fresh tables (see the README notes).
	Analyze bool
	Log     io.Writer // server warnings and errors; os.Stderr when nil
	// Room is the waiting-room phase (skipped when Room.People is 0).
	Room RoomOptions
}

// DefaultOptions are the options of `marquee loadgen` before flags.
func DefaultOptions() Options {
	return Options{Clients: 64, Duration: 15 * time.Second, OnSaleTimeout: 120 * time.Second, MaxConns: 32,
		Rows: 12, SeatsPerRow: 25, Pgbench: true, PgbenchScale: 10, Analyze: true, OrphanRule: true,
		Room: DefaultRoomOptions}
}

// Seats returns the number of seats of each showtime.
func (o Options) Seats() int { return o.Rows * o.SeatsPerRow }

// Main runs the load generator with command-line args and writes the results table to out. It returns an error
// when the run fails or when the oversell check finds a violation (after printing the table).
func Main(ctx context.Context, args []string, out io.Writer) error {
	opts, err := ParseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	res, err := Run(ctx, opts)
	if err != nil {
		return err
	}
	Print(out, res)
	return res.Check.Err()
}

// ParseFlags reads the `marquee loadgen` flags into a copy of DefaultOptions.
func ParseFlags(args []string) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("marquee loadgen", flag.ContinueOnError)
	fs.IntVar(&o.Clients, "clients", o.Clients, "concurrent clients (one user each)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "length of the hold phase and of the pgbench run")
	fs.DurationVar(&o.OnSaleTimeout, "onsale-timeout", o.OnSaleTimeout, "stop the on-sale phase after this long")
	fs.IntVar(&o.MaxConns, "max-conns", o.MaxConns, "server database connection pool size")
	fs.IntVar(&o.Rows, "rows", o.Rows, "rows of the test screen")
	fs.IntVar(&o.SeatsPerRow, "seats-per-row", o.SeatsPerRow, "seats per row of the test screen")
	fs.BoolVar(&o.Pgbench, "pgbench", o.Pgbench, "run the pgbench -N baseline on the same cluster")
	fs.IntVar(&o.PgbenchScale, "pgbench-scale", o.PgbenchScale, "pgbench -i scale factor")
	fs.BoolVar(&o.OrphanRule, "orphan-rule", o.OrphanRule, "the test chain's orphan-seat rule (false: the variant without it)")
	fs.BoolVar(&o.Analyze, "analyze", o.Analyze, "ANALYZE the database before the phases, as autovacuum would")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write a CPU profile of the hold phase to this file")
	fs.StringVar(&o.MapCPUProfile, "map-cpuprofile", o.MapCPUProfile, "write a CPU profile of the seat map phase to this file")
	fs.IntVar(&o.Room.People, "room-people", o.Room.People, "people arriving in the waiting-room phase (0 skips it)")
	fs.IntVar(&o.Room.Shopping, "room-shopping", o.Room.Shopping, "people the waiting room lets shop at once")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o Options) validate() error {
	switch {
	case o.Clients < 1:
		return errors.New("--clients must be at least 1")
	case o.Duration < time.Second:
		return errors.New("--duration must be at least 1s")
	case o.OnSaleTimeout <= 0:
		return errors.New("--onsale-timeout must be positive")
	case o.MaxConns < 1:
		return errors.New("--max-conns must be at least 1")
	case o.Rows < 1 || o.Rows > 100 || o.SeatsPerRow < 2 || o.SeatsPerRow > 999:
		return errors.New("--rows must be 1 to 100 and --seats-per-row 2 to 999")
	case o.Clients*inventory.DefaultMaxSeatsPerUser < o.Seats():
		return fmt.Errorf("--clients: %d clients of at most %d seats each cannot sell out %d seats",
			o.Clients, inventory.DefaultMaxSeatsPerUser, o.Seats())
	case o.PgbenchScale < 1:
		return errors.New("--pgbench-scale must be at least 1")
	}
	return nil
}

// Results is everything one run measured.
type Results struct {
	Options    Options
	Holds      HoldResults
	Maps       MapResults
	OnSale     SaleResults
	Room       *RoomResults // nil when the waiting-room phase was skipped
	PgbenchTPS float64      // pgbench -N; 0 when pgbench was skipped
	// PgbenchReadTPS is pgbench -S (select-only) on the same cluster, the seat map phase's baseline.
	PgbenchReadTPS float64
	Check          Verification
}

// Run starts a private stack, runs both phases, verifies the database, runs the pgbench baseline when asked,
// and stops the stack. An error means the run itself failed; oversell violations are in Results.Check.
func Run(ctx context.Context, opts Options) (Results, error) {
	s, err := Start(ctx, opts)
	if err != nil {
		return Results{}, err
	}
	res, err := s.Run(ctx)
	return res, errors.Join(err, s.Close())
}

// Run runs the hold phase, the on-sale phase, the oversell check and, when enabled, pgbench.
func (s *Stack) Run(ctx context.Context) (Results, error) {
	res := Results{Options: s.opts}
	var err error
	if res.Holds, err = s.profiled(func() (HoldResults, error) { return s.RunHolds(ctx) }); err != nil {
		return res, fmt.Errorf("hold phase: %w", err)
	}
	if res.Maps, err = profiledPhase(s.opts.MapCPUProfile, func() (MapResults, error) { return s.RunSeatMaps(ctx) }); err != nil {
		return res, fmt.Errorf("seat map phase: %w", err)
	}
	if res.OnSale, err = s.RunOnSale(ctx); err != nil {
		return res, fmt.Errorf("on-sale phase: %w", err)
	}
	if s.opts.Room.People > 0 {
		room, err := s.RunWaitingRoom(ctx, s.opts.Room)
		if err != nil {
			return res, fmt.Errorf("waiting-room phase: %w", err)
		}
		res.Room = &room
	}
	if res.Check, err = s.Verify(ctx); err != nil {
		return res, fmt.Errorf("oversell check: %w", err)
	}
	if s.opts.Pgbench {
		if res.PgbenchTPS, res.PgbenchReadTPS, err = s.Pgbench(ctx); err != nil {
			return res, fmt.Errorf("pgbench: %w", err)
		}
	}
	return res, nil
}

// profiled runs phase under a CPU profile when Options.CPUProfile is set.
func (s *Stack) profiled(phase func() (HoldResults, error)) (HoldResults, error) {
	return profiledPhase(s.opts.CPUProfile, phase)
}

// profiledPhase runs phase under a CPU profile written to path, or without one when path is "".
func profiledPhase[R any](path string, phase func() (R, error)) (R, error) {
	if path == "" {
		return phase()
	}
	f, err := os.Create(path)
	if err != nil {
		var zero R
		return zero, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		var zero R
		return zero, err
	}
	defer pprof.StopCPUProfile()
	return phase()
}

func (o Options) logger() *slog.Logger {
	w := o.Log
	if w == nil {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
