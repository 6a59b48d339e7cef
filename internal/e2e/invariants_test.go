package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/marqueehq/marquee/internal/notify"
)

// checkSoldOnce checks the committed inventory: no seat of a showtime in two confirmed bookings, every booked
// seat held by a confirmed booking of that seat and every confirmed booking seat booked by its booking, and no
// confirmed booking without seats.
func checkSoldOnce(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	for what, sql := range map[string]string{
		"seats in two confirmed bookings": `SELECT count(*) FROM (SELECT 1 FROM booking_seats WHERE status = 'confirmed'
			GROUP BY region, showtime_id, seat_id HAVING count(*) > 1) twice`,
		"booked seats without their confirmed booking": `SELECT count(*) FROM showtime_seats ss WHERE ss.status = 'booked'
			AND NOT EXISTS (SELECT 1 FROM booking_seats bs WHERE bs.region = ss.region AND bs.showtime_id = ss.showtime_id
			AND bs.seat_id = ss.seat_id AND bs.booking_id = ss.booking_id AND bs.status = 'confirmed')`,
		"confirmed booking seats not booked by their booking": `SELECT count(*) FROM booking_seats bs WHERE bs.status = 'confirmed'
			AND NOT EXISTS (SELECT 1 FROM showtime_seats ss WHERE ss.region = bs.region AND ss.showtime_id = bs.showtime_id
			AND ss.seat_id = bs.seat_id AND ss.status = 'booked' AND ss.booking_id = bs.booking_id)`,
		"confirmed bookings without confirmed seats": `SELECT count(*) FROM bookings b WHERE b.status = 'confirmed'
			AND NOT EXISTS (SELECT 1 FROM booking_seats bs WHERE bs.region = b.region AND bs.booking_id = b.id AND bs.status = 'confirmed')`,
	} {
		if n := count(t, db, sql); n != 0 {
			t.Errorf("%s: %d, want 0", what, n)
		}
	}
}

// checkCharges checks the committed payments: every booking has exactly one succeeded card charge; a charge
// whose booking is not confirmed (or that has no booking) has been refunded what its booking's refund says (all
// of it when there is no booking); nothing is left pending.
func checkCharges(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM bookings b WHERE (SELECT count(*) FROM payments c WHERE c.region = b.region
		AND c.booking_id = b.id AND c.kind = 'charge' AND c.method = 'card' AND c.status = 'succeeded') <> 1`); n != 0 {
		t.Errorf("bookings without exactly one succeeded charge: %d", n)
	}
	rows, err := db.Query(context.Background(), `SELECT c.id, coalesce(b.status, 'no booking'), c.amount_minor,
		coalesce(b.refund_minor, c.amount_minor), coalesce((SELECT sum(r.amount_minor) FROM payments r WHERE r.region = c.region
		AND r.kind = 'refund' AND r.refund_of = c.id AND r.status = 'succeeded'), 0)
		FROM payments c LEFT JOIN bookings b ON b.region = c.region AND b.id = c.booking_id
		WHERE c.kind = 'charge' AND c.status = 'succeeded' AND b.status IS DISTINCT FROM 'confirmed'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var charged, owed, refunded int64
		if err := rows.Scan(&id, &status, &charged, &owed, &refunded); err != nil {
			t.Fatal(err)
		}
		if owed == 0 || refunded != owed {
			t.Errorf("charge %s of %d (booking %s) refunded %d, want %d (and more than nothing)", id, charged, status, refunded, owed)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE status = 'pending'`); n != 0 {
		t.Errorf("payments still pending: %d", n)
	}
}

// waitConfirmations waits for every booking's confirmation (waitDeliveries) and checks that the dev mailbox
// has one .eml file each.
func waitConfirmations(t *testing.T, db *pgxpool.Pool, mailDir string) {
	t.Helper()
	bookings := waitDeliveries(t, db)
	files, _ := filepath.Glob(filepath.Join(mailDir, "booking_confirmed_*.eml"))
	var want []string
	for _, id := range bookings {
		want = append(want, filepath.Join(mailDir, "booking_confirmed_"+id+"_email.eml"))
	}
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("confirmation emails in the mailbox: %d files for %d bookings, want one each", len(files), len(bookings))
	}
	for _, f := range want {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("confirmation email %s: %v", f, err)
		}
	}
}

// waitDeliveries waits until every booking's confirmation is sent, exactly one delivery each (kind
// booking_confirmed, by email, status sent), and returns the bookings, sorted. Events a killed process had
// received but not acknowledged come back after JetStream's AckWait (30s), and a delivery it had claimed
// after the delivery lease (2 minutes): the wait allows for those, and says so.
func waitDeliveries(t *testing.T, db *pgxpool.Pool) []string {
	t.Helper()
	start := time.Now()
	deadline, lease, told := start.Add(45*time.Second), notify.NewSender(nil, nil, nil).Lease, false
	for {
		missing := strings1(t, db, `SELECT b.id FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM deliveries d
			WHERE d.id = 'booking_confirmed/' || b.id || '/email' AND d.kind = 'booking_confirmed' AND d.status = 'sent')`)
		if len(missing) == 0 {
			break
		}
		// A claim taken more than a few seconds ago and not yet recorded is a dead process's.
		var lapses *time.Time
		_ = db.QueryRow(context.Background(), `SELECT max(next_attempt_at) FROM deliveries WHERE kind = 'booking_confirmed'
			AND status = 'pending' AND next_attempt_at BETWEEN now() AND now() + $1::interval`,
			(lease - 5*time.Second).String()).Scan(&lapses)
		if lapses != nil && !told {
			t.Logf("a confirmation was claimed by the killed process; it is sent once the claim lapses, at %v",
				lapses.Format(time.TimeOnly))
			deadline, told = lapses.Add(10*time.Second), true
		}
		if time.Now().After(deadline) {
			t.Fatalf("confirmations not sent %v after the clients stopped: %v", time.Since(start).Round(time.Second), missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("every confirmation sent %v after the clients stopped", time.Since(start).Round(time.Millisecond))
	bookings := strings1(t, db, `SELECT id FROM bookings ORDER BY id`)
	if n := count(t, db, `SELECT count(*) FROM deliveries WHERE kind = 'booking_confirmed'`); n != len(bookings) {
		t.Errorf("confirmation deliveries: %d for %d bookings, want one each", n, len(bookings))
	}
	return bookings
}
