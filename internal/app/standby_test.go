package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// TestStandbyOfferArrivesThroughEvents runs the dev wiring with the background loop slowed to once an hour,
// so only the event path (outbox -> relay -> NATS -> standby consumer) can make the offer: a cancellation of a
// sold-out show must reach the first person in line within seconds.
func TestStandbyOfferArrivesThroughEvents(t *testing.T) {
	dir := dataDir(t)
	m := newDev(dir)
	m.Config.WorkerInterval = time.Hour
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r, seed.Layout{Rows: 1, SeatsPerRow: 4},
		time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	seller := &client{t: t, base: "http://" + m.Addr()}
	seller.token = seller.call("AccountService/Register", map[string]any{"email": "seller@example.com", "password": "seller-pass", "displayName": "S"}, 200)["token"].(string)
	var bookingID string
	for _, pair := range [][]string{{"A1", "A2"}, {"A3", "A4"}} {
		h := seller.call("SeatService/HoldSeats", map[string]any{"showtimeId": fix.Showtime.ID, "seatIds": pair}, 200)["hold"].(map[string]any)
		b := seller.call("BookingService/CreateBooking", map[string]any{"holdId": h["id"], "paymentToken": "tok_visa", "idempotencyKey": "sell-seats-" + pair[0]}, 200)
		bookingID = b["booking"].(map[string]any)["id"].(string)
	}
	waiter := &client{t: t, base: seller.base}
	waiter.token = waiter.call("AccountService/Register", map[string]any{"email": "waiter@example.com", "password": "waiter-pass", "displayName": "W"}, 200)["token"].(string)
	entry := waiter.call("StandbyService/JoinStandby", map[string]any{"showtimeId": fix.Showtime.ID, "seatCount": 2, "together": true}, 200)["entry"].(map[string]any)
	start := time.Now()
	seller.call("BookingService/CancelBooking", map[string]any{"bookingId": bookingID, "idempotencyKey": "cancel-for-standby"}, 200)
	for {
		e := waiter.call("StandbyService/GetStandby", map[string]any{"entryId": entry["id"]}, 200)["entry"].(map[string]any)
		if e["status"] == "STANDBY_STATUS_OFFERED" {
			if got := fmt.Sprint(e["offer"].(map[string]any)["seatIds"]); got != "[A3 A4]" {
				t.Fatalf("offered seats = %s, want [A3 A4]", got)
			}
			t.Logf("offer made %v after the cancellation", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no offer 10s after the cancellation: entry %v", e)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
