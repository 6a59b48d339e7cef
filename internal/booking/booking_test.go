package booking_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// world is the booking and inventory services on a fresh database with one showtime a day away.
type world struct {
	db      *store.DB
	fix     seed.Fixture
	inv     *inventory.Service
	book    *booking.Service
	sandbox *payment.Sandbox
}

func newWorld(t *testing.T, layout seed.Layout) *world {
	t.Helper()
	db := storetest.NewDB(t, nil)
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), db.Catalog(), db.IDs, r, layout, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sb := payment.NewSandbox()
	cfg := app.DefaultConfig()
	svcs := app.Services(db, sb, platform.SystemClock, []byte("0123456789abcdef0123456789abcdef"), cfg)
	// Random picks would often leave lone seats; these tests are about contention, not that rule.
	if err := db.Catalog().SetChainPolicy(context.Background(), catalog.ChainPolicy{ChainID: fix.Chain.ID,
		RefundTiers: []catalog.RefundTier{{Before: 2 * time.Hour, Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	return &world{db: db, fix: fix, sandbox: sb, inv: svcs.Inventory, book: svcs.Bookings}
}

func (w *world) mustUsers(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = w.db.IDs.New()
		u := account.User{ID: ids[i], Email: fmt.Sprintf("u%d-%s@example.com", i, ids[i]), DisplayName: "U", CreatedAt: time.Now()}
		if err := w.db.Accounts().CreateUser(context.Background(), u, "not-a-real-hash"); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func (w *world) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// expected reports whether err is an outcome a contended client may legitimately see.
func expected(err error) bool {
	k := errs.KindOf(err)
	return err == nil || k == errs.Precondition || k == errs.Exhausted
}

// TestContention has 200 users hold overlapping seats of one 60-seat showtime, book, cancel and hold again at
// random. Whatever they were told, the committed database must show no seat held or sold twice and every
// confirmed booking's seats BOOKED by that booking.
func TestContention(t *testing.T) {
	w := newWorld(t, seed.Layout{Rows: 6, SeatsPerRow: 10})
	users := w.mustUsers(t, 200)
	seats := w.fix.Screen.Seats
	var mu sync.Mutex
	live := map[string]bool{} // bookings the clients were told are confirmed and did not cancel
	var wg sync.WaitGroup
	for i, uid := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for op := 0; op < 6; op++ {
				pick := make([]string, 1+rng.IntN(3))
				for j := range pick {
					pick[j] = seats[rng.IntN(len(seats))].ID
				}
				h, err := w.inv.Hold(context.Background(), uid, w.fix.Showtime.ID, dedupe(pick))
				if !expected(err) {
					t.Errorf("Hold: %v", err)
				}
				if err != nil {
					continue
				}
				switch rng.IntN(3) {
				case 0:
					if err := w.inv.Release(context.Background(), uid, h.ID); err != nil {
						t.Errorf("Release: %v", err)
					}
				default:
					b, err := w.book.Create(context.Background(), booking.Request{UserID: uid, HoldID: h.ID, PaymentToken: "tok_visa", Key: fmt.Sprintf("k-%s-%d", uid, op)})
					if err != nil {
						t.Errorf("Create: %v", err)
						continue
					}
					if rng.IntN(2) == 0 {
						if _, err := w.book.Cancel(context.Background(), booking.CancelRequest{UserID: uid, BookingID: b.ID, Key: "c-" + b.ID}); err != nil {
							t.Errorf("Cancel: %v", err)
						}
						continue
					}
					mu.Lock()
					live[b.ID] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	w.checkInvariants(t, time.Now())
	if n := w.count(t, `SELECT count(*) FROM bookings WHERE status = 'confirmed'`); n != len(live) {
		t.Fatalf("confirmed bookings in the database = %d, clients hold %d", n, len(live))
	}
	for id := range live {
		if n := w.count(t, `SELECT count(*) FROM bookings WHERE id = $1 AND status = 'confirmed'`, id); n != 1 {
			t.Fatalf("booking %s the client was told is confirmed is not", id)
		}
	}
	if len(live) == 0 {
		t.Fatal("no booking succeeded: the test exercised nothing")
	}
	t.Logf("%d bookings live at the end", len(live))
}

// checkInvariants checks the committed state of the database.
func (w *world) checkInvariants(t *testing.T, now time.Time) {
	t.Helper()
	checks := map[string]string{
		"seat in two live holds": `SELECT count(*) FROM (SELECT h.showtime_id, s FROM holds h, unnest(h.seat_ids) s
			WHERE h.status = 'active' AND h.expires_at > $1 GROUP BY h.showtime_id, s HAVING count(*) > 1) x`,
		"seat in two confirmed bookings": `SELECT count(*) FROM (SELECT showtime_id, seat_id FROM booking_seats
			WHERE status = 'confirmed' GROUP BY showtime_id, seat_id HAVING count(*) > 1) x`,
		"confirmed seat not BOOKED by its booking": `SELECT count(*) FROM booking_seats bs WHERE bs.status = 'confirmed'
			AND NOT EXISTS (SELECT 1 FROM showtime_seats i WHERE i.region = bs.region AND i.showtime_id = bs.showtime_id
			AND i.seat_id = bs.seat_id AND i.status = 'booked' AND i.booking_id = bs.booking_id)`,
		"BOOKED seat without a confirmed booking": `SELECT count(*) FROM showtime_seats i WHERE i.status = 'booked'
			AND NOT EXISTS (SELECT 1 FROM booking_seats bs WHERE bs.region = i.region AND bs.booking_id = i.booking_id
			AND bs.seat_id = i.seat_id AND bs.status = 'confirmed')`,
		"HELD seat without its active hold": `SELECT count(*) FROM showtime_seats i WHERE i.status = 'held'
			AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.region = i.region AND h.id = i.hold_id AND h.status = 'active'
			AND i.seat_id = ANY(h.seat_ids) AND h.user_id = i.held_by)`,
		"confirmed booking without one succeeded charge": `SELECT count(*) FROM bookings b WHERE (SELECT count(*)
			FROM payments p WHERE p.booking_id = b.id AND p.kind = 'charge' AND p.status = 'succeeded') <> 1`,
		"booking total not the sum of its seats": `SELECT count(*) FROM bookings b WHERE b.total_minor <>
			(SELECT sum(price_minor) FROM booking_seats bs WHERE bs.region = b.region AND bs.booking_id = b.id)`,
	}
	for name, sql := range checks {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, now)
		}
		if n := w.count(t, sql, args...); n != 0 {
			t.Errorf("%s: %d violations", name, n)
		}
	}
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// TestConcurrentRetriesChargeOnce sends the same CreateBooking 20 times at once, then the same CancelBooking
// 20 times at once: one booking, one charge, one refund, and every caller sees the same result.
func TestConcurrentRetriesChargeOnce(t *testing.T) {
	w := newWorld(t, seed.Layout{Rows: 2, SeatsPerRow: 10})
	uid := w.mustUsers(t, 1)[0]
	ctx := context.Background()
	h, err := w.inv.Hold(ctx, uid, w.fix.Showtime.ID, []string{"A1", "A2"})
	if err != nil {
		t.Fatal(err)
	}
	ids := runConcurrently(t, 20, func() (string, error) {
		b, err := w.book.Create(ctx, booking.Request{UserID: uid, HoldID: h.ID, PaymentToken: "tok_visa", Key: "same-key-123"})
		return b.ID, err
	})
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("retries returned different bookings: %v", ids)
		}
	}
	refunds := runConcurrently(t, 20, func() (string, error) {
		c, err := w.book.Cancel(ctx, booking.CancelRequest{UserID: uid, BookingID: ids[0], Key: "same-cancel-123"})
		return fmt.Sprintf("%s/%s/%d", c.Booking.ID, c.Booking.Status, c.RefundMinor), err
	})
	for _, r := range refunds {
		if r != fmt.Sprintf("%s/cancelled/2400", ids[0]) {
			t.Fatalf("cancel retries returned %v", refunds)
		}
	}
	if charges, refunds := w.sandbox.Counts(); charges != 1 || refunds != 1 {
		t.Fatalf("provider saw %d charges and %d refunds, want 1 and 1", charges, refunds)
	}
	if n := w.count(t, `SELECT count(*) FROM payments WHERE status = 'succeeded'`); n != 2 {
		t.Fatalf("succeeded payments = %d, want 2 (one charge, one refund)", n)
	}
	if n := w.count(t, `SELECT count(*) FROM bookings`); n != 1 {
		t.Fatalf("bookings = %d, want 1", n)
	}
	w.checkInvariants(t, time.Now())
}

func runConcurrently(t *testing.T, n int, fn func() (string, error)) []string {
	t.Helper()
	out := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if out[i], err = fn(); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}
