package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/notifytest"
	"github.com/marqueehq/marquee/internal/store/storetest"
)

func TestDeliveryLogContract(t *testing.T) {
	notifytest.TestDeliveryLog(t, func(t *testing.T) notify.DeliveryLog { return storetest.NewDB(t, nil).Deliveries() })
}

func TestRetryDeadDelivery(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	d := notify.Delivery{ID: "confirmation/x/email", Channel: "email", To: "a@example.com", Kind: "booking_confirmed",
		Attempts: 5, Status: notify.StatusDead, LastError: "550 no such user", NextAttemptAt: now}
	if err := db.Deliveries().Create(ctx, d, notify.Message{To: "a@example.com", Subject: "hi"}); err != nil {
		t.Fatal(err)
	}
	dead, err := db.Deliveries().DeadDeliveries(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].LastError != "550 no such user" {
		t.Fatalf("DeadDeliveries = %v, %v", dead, err)
	}
	if err := db.Deliveries().RetryDelivery(ctx, d.ID, now); err != nil {
		t.Fatal(err)
	}
	q, err := db.Deliveries().Claim(ctx, "", now, now.Add(time.Minute), 10)
	if err != nil || len(q) != 1 || q[0].Message.Subject != "hi" || q[0].Delivery.Attempts != 0 {
		t.Fatalf("Claim after retry = %v, %v", q, err)
	}
	if err := db.Deliveries().RetryDelivery(ctx, "nope", now); err == nil {
		t.Fatal("retrying an unknown delivery should fail")
	}
}
