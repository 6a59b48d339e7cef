package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// BenchmarkCancellationToOfferEmail measures, on the real wiring (PostgreSQL, outbox relay, embedded NATS,
// standby consumer, delivery sender, SMTP), the time from a cancellation's commit (its response) to the first
// person in line's offer email being accepted by the SMTP server. The background loop is slowed to once an
// hour, so the event path alone makes the offer. Reports p50 and p99 in milliseconds.
func BenchmarkCancellationToOfferEmail(b *testing.B) {
	smtp := smtptest.NewServer(b)
	dir, err := os.MkdirTemp("", "marquee-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755)
	m := app.NewMain()
	m.Config.Addr, m.Config.DataDir, m.Config.DatabaseURL, m.Config.NATSURL = "127.0.0.1:0", dir, "", ""
	m.Config.BcryptCost, m.Config.Seed, m.Config.SMTPAddr, m.Config.WorkerInterval = 4, false, smtp.Addr(), time.Hour
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	r, _ := regions.ByName("us-east1")
	seller := &client{t: nil, base: "http://" + m.Addr()}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r, seed.Layout{Rows: 1, SeatsPerRow: 2},
			time.Now().Add(48*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		bookingID, waiter := soldOutWithLine(b, seller, fix.Showtime.ID, i)
		before := len(smtp.Messages())
		b.StartTimer()
		start := time.Now()
		post(b, seller.base, "BookingService/CancelBooking", seller.token, map[string]any{"bookingId": bookingID, "idempotencyKey": fmt.Sprintf("bench-cancel-%06d", i)})
		for !hasMailTo(smtp, before, waiter) {
			if time.Since(start) > 10*time.Second {
				b.Fatalf("no offer email after 10s")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}

func hasMailTo(srv *smtptest.Server, from int, rcpt string) bool {
	msgs := srv.Messages()
	for _, m := range msgs[min(from, len(msgs)):] {
		if len(m.To) == 1 && m.To[0] == rcpt {
			return true
		}
	}
	return false
}

// soldOutWithLine books both seats of a two-seat show and puts a fresh person in its line; it returns the
// booking to cancel and the waiting person's email.
func soldOutWithLine(b *testing.B, seller *client, showtimeID string, i int) (string, string) {
	if seller.token == "" {
		seller.token = post(b, seller.base, "AccountService/Register", "", map[string]any{"email": "bench-seller@example.com", "password": "password-1", "displayName": "S"})["token"].(string)
	}
	h := post(b, seller.base, "SeatService/HoldSeats", seller.token, map[string]any{"showtimeId": showtimeID, "seatIds": []string{"A1", "A2"}})["hold"].(map[string]any)
	bk := post(b, seller.base, "BookingService/CreateBooking", seller.token, map[string]any{"holdId": h["id"], "paymentToken": "tok_visa", "idempotencyKey": fmt.Sprintf("bench-book-%06d", i)})
	email := fmt.Sprintf("waiter-%d@example.com", i)
	tok := post(b, seller.base, "AccountService/Register", "", map[string]any{"email": email, "password": "password-1", "displayName": "W"})["token"].(string)
	post(b, seller.base, "StandbyService/JoinStandby", tok, map[string]any{"showtimeId": showtimeID, "seatCount": 1})
	return bk["booking"].(map[string]any)["id"].(string), email
}

func post(b *testing.B, base, procedure, token string, body any) map[string]any {
	c := &client{t: nil, base: base, token: token}
	out, status, err := c.do(procedure, body)
	if err != nil || status != http.StatusOK {
		b.Fatalf("%s: %d %v %v", procedure, status, out, err)
	}
	return out
}

// BenchmarkCatalogChangeToSearchable measures, on the real wiring, the time from an operator's UpsertMovie
// response to the movie being found by SearchMovies (outbox -> relay -> NATS -> this process's index).
func BenchmarkCatalogChangeToSearchable(b *testing.B) {
	dir, err := os.MkdirTemp("", "marquee-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755)
	m := app.NewMain()
	m.Config.Addr, m.Config.DataDir, m.Config.DatabaseURL, m.Config.NATSURL = "127.0.0.1:0", dir, "", ""
	m.Config.BcryptCost, m.Config.Seed = 4, false
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	base := "http://" + m.Addr()
	token := post(b, base, "AccountService/Register", "", map[string]any{"email": "bench-admin@example.com", "password": "password-1", "displayName": "A"})["token"].(string)
	post(b, base, "AccountService/ClaimAdmin", token, map[string]any{"code": m.FirstRunAdminCode()})
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		word := fmt.Sprintf("Quillmark%06d", i)
		start := time.Now()
		post(b, base, "AdminService/UpsertMovie", token, map[string]any{"movie": map[string]any{"title": word + " Rising", "runtimeMinutes": 90, "language": "en"}})
		for len(list(post(b, base, "SearchService/SearchMovies", "", map[string]any{"query": word}), "hits")) == 0 {
			if time.Since(start) > 10*time.Second {
				b.Fatal("not searchable after 10s")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}
