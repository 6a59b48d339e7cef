package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

// HistoryOptions say what History loads.
type HistoryOptions struct {
	Now      time.Time // the present: every show of the history ended at least two days before it
	Months   int       // how many months back the history goes (18 for `marquee dev`); at least 1
	Bookings int       // how many bookings to make (50,000 for `marquee dev`); 0 loads shows and customers only
	Seed     int64     // the random seed: the same seed, options and demo catalog load the same history
	Regions  []string  // the regions whose demo theatres get a history; empty means every region of regions/
}

// HistorySummary counts what History loaded.
type HistorySummary struct {
	Customers, Showtimes, Promotions, GiftCards int
	Bookings, Seats, Payments                   int
	// Kinds of booking, which overlap: a standby booking may be promoted and later cancelled.
	Cancelled, PartlyCancelled, Promoted, PaidByGiftCard, PaidByStoreCredit, Standby int
	From, To                                                                         time.Time // the first show's start and the last show's end
	// AlreadySeeded is set when the database already had a history, so History loaded nothing.
	AlreadySeeded bool
}

// HistoryPasswordHash is the password hash of every history customer. It is no bcrypt hash, so nobody can log
// in as one, and no account the application creates has it: its presence is how History knows it ran.
const HistoryPasswordHash = "!history"

// historyChunk is how many bookings are generated and copied at a time: memory stays bounded whatever
// Bookings is, and the next chunk is generated while the database takes the last.
const historyChunk = 10_000

// History loads a past for the demo catalog (which must be loaded first, see Demo) in one transaction:
// customers, a schedule of past showtimes for every demo screen of the chosen regions over opts.Months months
// ending at least two days before opts.Now (no showtime_seats rows: a past show has no live seat map), history
// promotions per chain and opts.Bookings bookings of those shows, with their holds, payments, refunds, store
// credit, gift cards, promotion redemptions and standby fulfilments written as the application writes them.
// Every constraint of the schema holds. When the database already has a history it loads nothing and returns
// HistorySummary{AlreadySeeded: true}; when it fails, nothing is left behind. Rows are streamed with COPY, so
// memory stays bounded for a million bookings. It is for development databases on PostgreSQL: on CockroachDB
// one transaction of this size is too large.
func History(ctx context.Context, db *store.DB, opts HistoryOptions) (sum HistorySummary, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("seed.History: %w", err)
		}
	}()
	if err := opts.check(); err != nil {
		return HistorySummary{}, err
	}
	if done, err := historyLoaded(ctx, db.Pool); err != nil || done {
		return HistorySummary{AlreadySeeded: done}, err
	}
	cat, err := readCatalog(ctx, db.Pool, opts.Regions)
	if err != nil {
		return HistorySummary{}, err
	}
	err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		done, err := historyLoaded(ctx, tx)
		if err != nil || done {
			sum.AlreadySeeded = done
			return err
		}
		sum, err = loadHistory(ctx, tx, newHistory(cat, opts))
		return err
	})
	if err != nil || sum.AlreadySeeded {
		return sum, err
	}
	return sum, analyzeHistory(ctx, db.Pool)
}

// historyTables are the tables History loads.
var historyTables = []string{"users", "showtimes", "promotions", "gift_cards", "holds", "bookings", "booking_seats",
	"promotion_redemptions", "store_credit_entries", "store_credit_balances", "payments", "standby_entries",
	"standby_offers"}

// analyzeHistory refreshes the planner's statistics of the tables History filled, as one should after a bulk
// load: plans made while they still looked empty (a statement prepared before autovacuum's next pass) read the
// loaded tables by nested scans, and one archive query ran for minutes that way. One table per statement, which
// CockroachDB accepts too.
func analyzeHistory(ctx context.Context, pool *pgxpool.Pool) error {
	for _, t := range historyTables {
		if _, err := pool.Exec(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}

func (o HistoryOptions) check() error {
	switch {
	case o.Now.IsZero():
		return errors.New("options: Now is not set")
	case o.Months <= 0:
		return fmt.Errorf("options: Months must be positive, got %d", o.Months)
	case o.Bookings < 0:
		return fmt.Errorf("options: Bookings must not be negative, got %d", o.Bookings)
	}
	for _, r := range o.Regions {
		if _, ok := regions.ByName(r); !ok {
			return fmt.Errorf("options: %q is not a region of regions/", r)
		}
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// historyLoaded reports whether History has committed in this database: its customers are there.
func historyLoaded(ctx context.Context, q querier) (bool, error) {
	var done bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE password_hash = $1)`, HistoryPasswordHash).Scan(&done)
	if err != nil {
		return false, fmt.Errorf("look for a history: %w", err)
	}
	return done, nil
}

// loadHistory copies what h generates into tx: the schedule, customers and promotions first, then the
// bookings chunk by chunk (generated in a goroutine while the database takes the rows before), then the store credit
// balances and promotion redemption counts the bookings added up to.
func loadHistory(ctx context.Context, tx pgx.Tx, h *history) (HistorySummary, error) {
	h.schedule()
	h.customers()
	h.makePromotions()
	chunks := make(chan *chunk, 1)
	stop := make(chan struct{})
	genErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		for h.sum.Bookings < h.opts.Bookings {
			c, err := h.nextChunk(min(historyChunk, h.opts.Bookings-h.sum.Bookings))
			if err != nil {
				genErr <- err
				return
			}
			select {
			case chunks <- c:
			case <-stop:
				return
			}
		}
	}()
	defer close(stop)
	if err := h.copyCatalog(ctx, tx); err != nil {
		return HistorySummary{}, err
	}
	for c := range chunks {
		if err := c.copy(ctx, tx); err != nil {
			return HistorySummary{}, err
		}
	}
	select {
	case err := <-genErr:
		return HistorySummary{}, err
	default:
	}
	if err := h.copyTotals(ctx, tx); err != nil {
		return HistorySummary{}, err
	}
	return h.sum, nil
}
