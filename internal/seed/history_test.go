package seed_test

import (
	"context"
	"flag"
	"reflect"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/errs"

	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

// devHistory is what `marquee dev` loads.
var devHistory = seed.HistoryOptions{Now: demoNow, Months: 18, Bookings: 50_000, Seed: 1}

// demoDB returns a fresh database with the demo catalog.
func demoDB(t testing.TB) *store.DB {
	t.Helper()
	db := storetest.NewDB(t, nil)
	if _, err := seed.Demo(context.Background(), db.Catalog(), db.IDs, demoNow); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	db := demoDB(t)
	began := time.Now()
	sum, err := seed.History(ctx, db, devHistory)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("History took %v: %+v", time.Since(began).Round(time.Millisecond), sum)

	t.Run("Counts", func(t *testing.T) { checkHistoryCounts(t, db, sum) })
	t.Run("Variety", func(t *testing.T) { checkVariety(t, db) })
	t.Run("Customers", func(t *testing.T) { checkCustomers(t, db) })
	t.Run("Invariants", func(t *testing.T) { checkInvariants(t, db) })
	t.Run("PastShowHasNoSeatMap", func(t *testing.T) {
		var region, id string
		if err := db.Pool.QueryRow(ctx, `SELECT region, showtime_id FROM bookings LIMIT 1`).Scan(&region, &id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Inventory().SeatMap(ctx, region, id, time.Now()); !errs.Is(err, errs.NotFound) {
			t.Errorf("seat map of past show %s: %v, want not found", id, err)
		}
	})
	t.Run("AlreadySeeded", func(t *testing.T) {
		before := historyCounts(t, db)
		again, err := seed.History(ctx, db, devHistory)
		if err != nil {
			t.Fatal(err)
		}
		if want := (seed.HistorySummary{AlreadySeeded: true}); again != want {
			t.Errorf("second History = %+v, want %+v", again, want)
		}
		if after := historyCounts(t, db); !reflect.DeepEqual(before, after) {
			t.Errorf("row counts changed: before %v, after %v", before, after)
		}
	})
}

func checkHistoryCounts(t *testing.T, db *store.DB, sum seed.HistorySummary) {
	if got := count(t, db, `SELECT count(*) FROM bookings`); got != 50_000 || sum.Bookings != got {
		t.Errorf("bookings = %d (summary %d), want 50000", got, sum.Bookings)
	}
	for _, r := range regions.All() {
		if got := count(t, db, `SELECT count(*) FROM bookings WHERE region = $1`, r.Name); got < 5_000 {
			t.Errorf("%s has %d bookings, want at least 5000", r.Name, got)
		}
	}
	months := count(t, db, `SELECT count(DISTINCT date_trunc('month', s.starts_at)) FROM bookings b
		JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id`)
	if months < 18 {
		t.Errorf("bookings fall in %d calendar months, want 18 or more", months)
	}
	earliest := demoNow.AddDate(0, -18, 1)
	if got := count(t, db, `SELECT count(*) FROM showtimes WHERE starts_at < $1`, earliest); got == 0 {
		t.Errorf("no showtime starts before %v: the history is shorter than 18 months", earliest)
	}
	if got, want := count(t, db, `SELECT count(*) FROM showtimes WHERE ends_at < $1`, demoNow), sum.Showtimes; got != want {
		t.Errorf("past showtimes = %d, summary says %d", got, want)
	}
	if got := count(t, db, `SELECT count(*) FROM showtime_seats ss JOIN showtimes s
		ON s.region = ss.region AND s.id = ss.showtime_id WHERE s.ends_at < $1`, demoNow); got != 0 {
		t.Errorf("%d inventory rows for past shows, want none", got)
	}
}

// checkVariety checks that every kind of booking a real history has is there in about its share.
func checkVariety(t *testing.T, db *store.DB) {
	kinds := []struct {
		name     string
		query    string
		min, max int // per thousand bookings
	}{
		{"Cancelled", `SELECT count(*) FROM bookings WHERE status = 'cancelled'`, 60, 100},
		{"PartlyCancelled", `SELECT count(*) FROM bookings WHERE status = 'confirmed' AND refund_minor > 0`, 30, 70},
		{"Untouched", `SELECT count(*) FROM bookings WHERE status = 'confirmed' AND refund_minor = 0`, 800, 900},
		{"Promoted", `SELECT count(*) FROM bookings WHERE promo_code IS NOT NULL`, 70, 130},
		{"WithFees", `SELECT count(*) FROM bookings WHERE fees_minor > 0`, 100, 600},
		{"Standby", `SELECT count(*) FROM standby_offers WHERE status = 'accepted'`, 20, 40},
		{"GiftCard", `SELECT count(DISTINCT booking_id) FROM payments WHERE method = 'gift_card' AND kind = 'charge'`, 20, 60},
		{"StoreCredit", `SELECT count(DISTINCT booking_id) FROM payments WHERE method = 'store_credit' AND kind = 'charge'`, 2, 100},
		{"CardRefund", `SELECT count(DISTINCT booking_id) FROM payments WHERE method = 'card' AND kind = 'refund'`, 50, 120},
		{"CreditRefund", `SELECT count(DISTINCT booking_id) FROM payments WHERE method = 'store_credit' AND kind = 'refund'
			AND refund_of IS NULL`, 20, 60},
		{"GiftCardRefund", `SELECT count(DISTINCT booking_id) FROM payments WHERE method = 'gift_card' AND kind = 'refund'`, 1, 20},
		{"SixSeats", `SELECT count(*) FROM (SELECT booking_id FROM booking_seats GROUP BY booking_id HAVING count(*) = 6) x`, 30, 100},
		{"WeekendShows", `SELECT count(*) FROM bookings b JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
			JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
			WHERE extract(isodow FROM s.starts_at AT TIME ZONE t.time_zone) IN (5, 6, 7)`, 500, 750},
		{"EveningShows", `SELECT count(*) FROM bookings b JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
			JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
			WHERE extract(hour FROM s.starts_at AT TIME ZONE t.time_zone) >= 17`, 500, 900},
	}
	total := count(t, db, `SELECT count(*) FROM bookings`)
	for _, k := range kinds {
		got := count(t, db, k.query)
		if perMille := got * 1000 / total; perMille < k.min || perMille > k.max {
			t.Errorf("%s: %d of %d bookings (%d‰), want %d-%d‰", k.name, got, total, perMille, k.min, k.max)
		}
	}
}

func checkCustomers(t *testing.T, db *store.DB) {
	if got := count(t, db, `SELECT count(*) FROM users WHERE password_hash = $1`, seed.HistoryPasswordHash); got < 3_000 || got > 5_000 {
		t.Errorf("%d history customers, want 3000-5000", got)
	}
	bad := count(t, db, `SELECT count(*) FROM users WHERE password_hash = $1 AND (role <> 'customer'
		OR email !~ '^[a-z]+\.[a-z]+\.[0-9]+@example\.com$' OR phone !~ '^\+[1-9][0-9]{9,13}$' OR display_name = '')`,
		seed.HistoryPasswordHash)
	if bad != 0 {
		t.Errorf("%d history customers with a bad role, email, phone or name", bad)
	}
	travellers := count(t, db, `SELECT count(*) FROM (SELECT user_id FROM bookings GROUP BY user_id
		HAVING count(DISTINCT region) > 1) x`)
	if travellers < 100 {
		t.Errorf("%d customers booked in several regions, want 100 or more", travellers)
	}
	// Most customers book mostly in their home region.
	homeMost := count(t, db, `SELECT count(*) FROM users u WHERE u.password_hash = $1 AND u.home_region = (
		SELECT b.region FROM bookings b WHERE b.user_id = u.id GROUP BY b.region ORDER BY count(*) DESC, b.region LIMIT 1)`,
		seed.HistoryPasswordHash)
	if all := count(t, db, `SELECT count(DISTINCT user_id) FROM bookings`); homeMost*10 < all*9 {
		t.Errorf("%d of %d customers book mostly in their home region, want 90%%", homeMost, all)
	}
}

// invariants are queries that count rows breaking a rule the application keeps.
var invariants = map[string]string{
	"TotalIsSeatsNetOfDiscountPlusFees": `SELECT count(*) FROM bookings b JOIN (SELECT region, booking_id,
			sum(price_minor - discount_minor + fee_minor) AS total, sum(discount_minor) AS discount,
			sum(fee_minor) AS fees, sum(coalesce(refund_minor, 0)) AS refund FROM booking_seats
			GROUP BY region, booking_id) s ON s.region = b.region AND s.booking_id = b.id
		WHERE b.total_minor <> s.total OR b.discount_minor <> s.discount OR b.fees_minor <> s.fees
			OR b.refund_minor <> s.refund`,
	"EveryBookingHasSeats": `SELECT count(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM booking_seats s
		WHERE s.region = b.region AND s.booking_id = b.id)`,
	"RefundWithinTotal": `SELECT count(*) FROM bookings WHERE refund_minor > total_minor`,
	"CancelledSeatsRefunded": `SELECT count(*) FROM booking_seats WHERE (status = 'cancelled') <> (refund_minor IS NOT NULL)
		OR refund_minor > price_minor - discount_minor + fee_minor`,
	"CancelledBookingsHaveNoLiveSeat": `SELECT count(*) FROM bookings b WHERE b.status = 'cancelled' AND EXISTS (
		SELECT 1 FROM booking_seats s WHERE s.region = b.region AND s.booking_id = b.id AND s.status = 'confirmed')`,
	"PartialCancellationsKeepASeat": `SELECT count(*) FROM bookings b WHERE b.status = 'confirmed' AND NOT EXISTS (
		SELECT 1 FROM booking_seats s WHERE s.region = b.region AND s.booking_id = b.id AND s.status = 'confirmed')`,
	"SeatSoldOnce": `SELECT count(*) FROM (SELECT 1 FROM booking_seats WHERE status = 'confirmed'
		GROUP BY region, showtime_id, seat_id HAVING count(*) > 1) x`,
	"SeatsOfTheScreen": `SELECT count(*) FROM booking_seats bs JOIN showtimes s ON s.region = bs.region
		AND s.id = bs.showtime_id WHERE NOT EXISTS (SELECT 1 FROM seats se WHERE se.region = s.region
		AND se.screen_id = s.screen_id AND se.id = bs.seat_id)`,
	"ShowEndedTwoDaysAgo": `SELECT count(*) FROM bookings b JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
		WHERE s.ends_at > $1::timestamptz - interval '2 days' OR b.created_at >= s.starts_at
			OR b.cancelled_at >= s.starts_at - interval '2 hours' OR b.cancelled_at <= b.created_at`,
	"ChargesPayTheTotal": `SELECT count(*) FROM bookings b LEFT JOIN (SELECT region, booking_id, sum(amount_minor) AS paid
		FROM payments WHERE kind = 'charge' AND status = 'succeeded' GROUP BY region, booking_id) p
		ON p.region = b.region AND p.booking_id = b.id WHERE b.total_minor <> coalesce(p.paid, 0)`,
	"RefundsPayTheRefund": `SELECT count(*) FROM bookings b LEFT JOIN (SELECT region, booking_id, sum(amount_minor) AS paid
		FROM payments WHERE kind = 'refund' AND status = 'succeeded' GROUP BY region, booking_id) p
		ON p.region = b.region AND p.booking_id = b.id WHERE b.refund_minor <> coalesce(p.paid, 0)`,
	"RefundNamesAChargeOfItsMethod": `SELECT count(*) FROM payments r WHERE r.kind = 'refund' AND (r.refund_of IS NULL
		AND r.method <> 'store_credit' OR r.refund_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments c
		WHERE c.region = r.region AND c.id = r.refund_of AND c.kind = 'charge' AND c.booking_id = r.booking_id
		AND c.method = r.method AND c.amount_minor >= r.amount_minor))`,
	"CardPaymentsHaveProviderRefs": `SELECT count(*) FROM payments WHERE (method = 'card') <> (provider = 'sandbox'
		AND provider_ref IS NOT NULL) OR (method = 'gift_card') <> (gift_card_id IS NOT NULL) OR attempt_id IS NULL
		OR idempotency_key <> 'mq_' || kind || '_' || id`,
	"GiftCardBalances": `SELECT count(*) FROM gift_cards g LEFT JOIN (SELECT gift_card_id,
			sum(CASE WHEN kind = 'charge' THEN -amount_minor ELSE amount_minor END) AS moved
		FROM payments WHERE gift_card_id IS NOT NULL GROUP BY gift_card_id) p ON p.gift_card_id = g.id
		WHERE g.balance_minor <> g.initial_minor + coalesce(p.moved, 0)`,
	"StoreCreditBalances": `SELECT count(*) FROM (SELECT user_id, currency, sum(amount_minor) AS sum FROM store_credit_entries
		GROUP BY user_id, currency) e FULL JOIN store_credit_balances b ON b.user_id = e.user_id AND b.currency = e.currency
		WHERE b.balance_minor IS DISTINCT FROM e.sum`,
	"StoreCreditNeverNegative": `SELECT count(*) FROM (SELECT sum(amount_minor) OVER (PARTITION BY user_id, currency
		ORDER BY created_at, amount_minor DESC) AS running FROM store_credit_entries) x WHERE running < 0`,
	"StoreCreditChargesHaveEntries": `SELECT count(*) FROM payments p WHERE p.method = 'store_credit' AND NOT EXISTS (
		SELECT 1 FROM store_credit_entries e WHERE e.user_id = p.user_id AND e.created_at = p.created_at
		AND e.amount_minor = CASE WHEN p.kind = 'charge' THEN -p.amount_minor ELSE p.amount_minor END)`,
	"PromotionRedemptions": `SELECT count(*) FROM promotions p WHERE p.redemptions <> (SELECT count(*)
		FROM promotion_redemptions r WHERE r.promotion_id = p.id)`,
	"PromoCodeIsTheRedeemedOne": `SELECT count(*) FROM bookings b WHERE (b.promo_code IS NULL) <> NOT EXISTS (
		SELECT 1 FROM promotion_redemptions r JOIN promotions p ON p.id = r.promotion_id WHERE r.region = b.region
		AND r.booking_id = b.id AND r.user_id = b.user_id AND p.code = b.promo_code AND r.created_at >= p.valid_from
		AND r.created_at < p.valid_until) OR (b.promo_code IS NULL) <> (b.discount_minor = 0)`,
	"HoldOfEachBooking": `SELECT count(*) FROM bookings b LEFT JOIN holds h ON h.region = b.region AND h.id = b.hold_id
		WHERE h.id IS NULL OR h.status <> 'booked' OR h.user_id <> b.user_id OR h.showtime_id <> b.showtime_id
		OR NOT (h.created_at < b.created_at AND b.created_at < h.expires_at) OR cardinality(h.seat_ids) <> (
			SELECT count(*) FROM booking_seats s WHERE s.region = b.region AND s.booking_id = b.id)`,
	"StandbyOffersBooked": `SELECT count(*) FROM standby_offers o JOIN standby_entries e ON e.region = o.region
		AND e.id = o.entry_id LEFT JOIN bookings b ON b.region = o.region AND b.hold_id = o.hold_id
		WHERE o.status <> 'accepted' OR e.status <> 'booked' OR b.id IS NULL OR b.user_id <> e.user_id
		OR e.joined_at >= o.created_at OR cardinality(o.seat_ids) <> e.seat_count`,
}

func checkInvariants(t *testing.T, db *store.DB) {
	for name, q := range invariants {
		t.Run(name, func(t *testing.T) {
			var n int
			var args []any
			if name == "ShowEndedTwoDaysAgo" {
				args = append(args, demoNow)
			}
			if err := db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			if n != 0 {
				t.Errorf("%d rows break it:\n%s", n, q)
			}
		})
	}
}

// historyTables are the tables History writes to.
var historyTables = []string{"users", "showtimes", "showtime_seats", "holds", "bookings", "booking_seats",
	"payments", "promotions", "promotion_redemptions", "gift_cards", "store_credit_entries",
	"store_credit_balances", "standby_entries", "standby_offers"}

func historyCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, table := range historyTables {
		got[table] = count(t, db, "SELECT count(*) FROM "+table)
	}
	return got
}

func TestHistoryBadOptions(t *testing.T) {
	db := demoDB(t)
	before := historyCounts(t, db)
	for name, o := range map[string]seed.HistoryOptions{
		"ErrNegativeBookings": {Now: demoNow, Months: 18, Bookings: -1},
		"ErrZeroMonths":       {Now: demoNow, Months: 0, Bookings: 10},
		"ErrNegativeMonths":   {Now: demoNow, Months: -2, Bookings: 10},
		"ErrNoNow":            {Months: 18, Bookings: 10},
		"ErrUnknownRegion":    {Now: demoNow, Months: 18, Bookings: 10, Regions: []string{"mars-north1"}},
	} {
		t.Run(name, func(t *testing.T) {
			if sum, err := seed.History(context.Background(), db, o); err == nil {
				t.Errorf("History(%+v) = %+v, want an error", o, sum)
			}
			if after := historyCounts(t, db); !reflect.DeepEqual(before, after) {
				t.Errorf("row counts changed: before %v, after %v", before, after)
			}
		})
	}
}

func TestHistoryNeedsTheDemo(t *testing.T) {
	db := storetest.NewDB(t, nil)
	if _, err := seed.History(context.Background(), db, devHistory); err == nil {
		t.Fatal("History without the demo catalog succeeded, want an error")
	}
	if n := count(t, db, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users written, want none", n)
	}
}

// TestHistoryDeterministic loads a small history of one region twice, in two databases, and compares them
// (catalog IDs, which the demo draws at random, aside).
func TestHistoryDeterministic(t *testing.T) {
	o := seed.HistoryOptions{Now: demoNow, Months: 2, Bookings: 2_000, Seed: 7, Regions: []string{"asia-south1"}}
	var prints [2]string
	var sums [2]seed.HistorySummary
	for i := range prints {
		db := demoDB(t)
		var err error
		if sums[i], err = seed.History(context.Background(), db, o); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT count(*) FROM bookings WHERE region <> 'asia-south1'`); n != 0 {
			t.Errorf("%d bookings outside asia-south1", n)
		}
		err = db.Pool.QueryRow(context.Background(), `SELECT md5(string_agg(concat_ws('|', b.id, b.confirmation_code,
			b.user_id, b.status, b.total_minor, b.refund_minor, b.created_at, b.cancelled_at, b.promo_code,
			(SELECT string_agg(s.seat_id || s.status, ',' ORDER BY s.seat_id) FROM booking_seats s
				WHERE s.region = b.region AND s.booking_id = b.id),
			(SELECT string_agg(p.id || p.method || p.amount_minor, ',' ORDER BY p.id) FROM payments p
				WHERE p.region = b.region AND p.booking_id = b.id)), ';' ORDER BY b.id)) FROM bookings b`).Scan(&prints[i])
		if err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] || prints[0] != prints[1] {
		t.Errorf("two loads differ: %+v %s and %+v %s", sums[0], prints[0], sums[1], prints[1])
	}
}

var benchBookings = flag.Int("history-bookings", devHistory.Bookings, "how many bookings BenchmarkHistory loads")

// BenchmarkHistory loads the history `marquee dev` loads (or -history-bookings bookings) into a database with
// the demo catalog and reports bookings per second.
func BenchmarkHistory(b *testing.B) {
	o := devHistory
	o.Bookings = *benchBookings
	for range b.N {
		b.StopTimer()
		db := demoDB(b)
		b.StartTimer()
		began := time.Now()
		sum, err := seed.History(context.Background(), db, o)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Bookings)/time.Since(began).Seconds(), "bookings/s")
	}
}
