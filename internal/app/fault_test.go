package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// TestNoEventLostWhileNATSOrSMTPIsDown books while NATS is stopped and while the SMTP server is down: the
// bookings succeed, and once each comes back every confirmation is delivered, exactly once.
func TestNoEventLostWhileNATSOrSMTPIsDown(t *testing.T) {
	smtp := smtptest.NewServer(t)
	clock := platform.NewManualClock(time.Now())
	m := newDev(dataDir(t))
	m.Now = clock.Now
	m.Config.SMTPAddr = smtp.Addr()
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r, seed.Layout{Rows: 1, SeatsPerRow: 8},
		clock.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: "http://" + m.Addr()}
	c.token = c.call("AccountService/Register", map[string]any{"email": "fan@example.com", "password": "password-1", "displayName": "Fan"}, 200)["token"].(string)
	book := func(seats ...string) {
		h := c.call("SeatService/HoldSeats", map[string]any{"showtimeId": fix.Showtime.ID, "seatIds": seats}, 200)["hold"].(map[string]any)
		c.call("BookingService/CreateBooking", map[string]any{"holdId": h["id"], "paymentToken": "tok_visa", "idempotencyKey": "fault-" + seats[0]}, 200)
	}
	m.NATS().Shutdown()
	book("A1", "A2")
	book("A3", "A4")
	if err := m.NATS().Restart(); err != nil {
		t.Fatal(err)
	}
	waitForMails(t, smtp, 2)
	if err := smtp.Stop(); err != nil {
		t.Fatal(err)
	}
	book("A5", "A6")
	waitFor(t, "the first attempt to fail against the stopped server", func() bool {
		return count(t, m, `SELECT count(*) FROM deliveries WHERE status = 'failed' AND attempts = 1`) == 1
	})
	if err := smtp.Start(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute) // past the first retry's backoff
	waitForMails(t, smtp, 3)
	waitQuiet(t, m)
	if n := len(smtp.Messages()); n != 3 {
		t.Fatalf("%d confirmation emails, want exactly 3", n)
	}
	var sent int
	if err := m.DB().Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE status = 'sent'`).Scan(&sent); err != nil || sent != 3 {
		t.Fatalf("sent deliveries = %d (%v), want 3", sent, err)
	}
	var retried int
	if err := m.DB().Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE attempts >= 2`).Scan(&retried); err != nil || retried != 1 {
		t.Fatalf("deliveries that needed a retry = %d (%v), want 1 (the one sent while SMTP was down)", retried, err)
	}
}

// waitQuiet waits until nothing more can be sent: every outbox row published, the notify consumer with no
// event left to deliver or acknowledge, and no delivery pending or awaiting a retry.
func waitQuiet(t *testing.T, m *app.Main) {
	t.Helper()
	nc, err := nats.Connect(m.NATS().URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	drained := func(region string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, relay.Stream{Region: region}.Name(), "notify")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}
	waitFor(t, "the event path to go quiet", func() bool {
		for _, r := range regions.All() {
			if !drained(r.Name) {
				return false
			}
		}
		return count(t, m, `SELECT count(*) FROM outbox WHERE published_at IS NULL`) == 0 &&
			count(t, m, `SELECT count(*) FROM deliveries WHERE status IN ('pending', 'failed')`) == 0
	})
}

// waitFor fails the test unless cond holds within 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, m *app.Main, sql string) int {
	t.Helper()
	var n int
	if err := m.DB().Pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitForMails(t *testing.T, srv *smtptest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.Messages()) < n {
		if time.Now().After(deadline) {
			var subjects []string
			for _, m := range srv.Messages() {
				subjects = append(subjects, strings.Join(m.To, ","))
			}
			t.Fatalf("%d of %d emails after 20s: %v", len(srv.Messages()), n, subjects)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
