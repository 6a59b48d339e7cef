package notifytest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify"
)

// TestDeliveryLog checks that the logs newLog returns keep the DeliveryLog contract. Each subtest gets a fresh,
// empty log. Times are compared to the microsecond, the precision PostgreSQL keeps.
func TestDeliveryLog(t *testing.T, newLog func(t *testing.T) notify.DeliveryLog) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	msg := notify.Message{To: "ana@example.com", Subject: "Subject", Text: "text", HTML: "<p>html</p>",
		Attachments: []notify.Attachment{{Filename: "ticket.png", ContentType: "image/png", ContentID: "ticket",
			Data: []byte{0x89, 'P', 'N', 'G', 0}}}}
	pending := func(id string, at time.Time) notify.Delivery {
		return notify.Delivery{ID: id, Channel: notify.ChannelEmail, To: msg.To, Kind: notify.KindConfirmation,
			Status: notify.StatusPending, NextAttemptAt: at}
	}
	ctx := context.Background()
	create := func(t *testing.T, l notify.DeliveryLog, d notify.Delivery) {
		t.Helper()
		if err := l.Create(ctx, d, msg); err != nil {
			t.Fatalf("Create(%s): %v", d.ID, err)
		}
	}
	claimIn := func(t *testing.T, l notify.DeliveryLog, region string, now time.Time, limit int) []notify.Queued {
		t.Helper()
		got, err := l.Claim(ctx, region, now, now.Add(time.Minute), limit)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		return got
	}
	claim := func(t *testing.T, l notify.DeliveryLog, now time.Time, limit int) []notify.Queued {
		t.Helper()
		return claimIn(t, l, "", now, limit)
	}
	ids := func(qs []notify.Queued) []string {
		var out []string
		for _, q := range qs {
			out = append(out, q.Delivery.ID)
		}
		return out
	}

	t.Run("ClaimReturnsMessageAndLeases", func(t *testing.T) {
		l := newLog(t)
		create(t, l, pending("d1", t0))
		got := claim(t, l, t0, 10)
		want := []notify.Queued{{Delivery: pending("d1", t0.Add(time.Minute)), Message: msg}}
		if diff := cmp.Diff(want, got, cmp.Comparer(sameInstant)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
		if again := claim(t, l, t0.Add(59*time.Second), 10); len(again) != 0 {
			t.Errorf("Claim within the lease returned %v, want nothing", ids(again))
		}
		if after := claim(t, l, t0.Add(time.Minute), 10); len(after) != 1 {
			t.Errorf("Claim after the lease returned %v, want d1 again", ids(after))
		}
	})
	t.Run("ClaimOnlyItsRegion", func(t *testing.T) {
		l := newLog(t)
		eu := pending("eu", t0)
		eu.Region = "europe-west1"
		create(t, l, eu)
		create(t, l, pending("none", t0))
		if diff := cmp.Diff([]string{"none"}, ids(claim(t, l, t0, 10))); diff != "" {
			t.Errorf("claim without a region mismatch (-want +got):\n%s", diff)
		}
		got := claimIn(t, l, "europe-west1", t0, 10)
		if len(got) != 1 || got[0].Delivery.ID != "eu" || got[0].Delivery.Region != "europe-west1" {
			t.Errorf("claim in europe-west1 = %+v, want eu with its region", got)
		}
	})
	t.Run("ErrDuplicateIsConflict", func(t *testing.T) {
		l := newLog(t)
		create(t, l, pending("d1", t0))
		if err := l.Create(ctx, pending("d1", t0), msg); !errs.Is(err, errs.Conflict) {
			t.Errorf("second Create error = %v, want a Conflict", err)
		}
	})
	t.Run("ClaimOrderLimitAndDueness", func(t *testing.T) {
		l := newLog(t)
		create(t, l, pending("late", t0.Add(2*time.Second)))
		create(t, l, pending("early", t0))
		create(t, l, pending("middle", t0.Add(time.Second)))
		create(t, l, pending("future", t0.Add(time.Hour)))
		if diff := cmp.Diff([]string{"early", "middle"}, ids(claim(t, l, t0.Add(5*time.Second), 2))); diff != "" {
			t.Errorf("first claim mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"late"}, ids(claim(t, l, t0.Add(5*time.Second), 2))); diff != "" {
			t.Errorf("second claim mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("RecordOutcomes", func(t *testing.T) {
		l := newLog(t)
		for _, id := range []string{"sent", "failed", "dead"} {
			create(t, l, pending(id, t0))
		}
		record := func(id string, status notify.Status, next time.Time) {
			d := pending(id, next)
			d.Attempts, d.Status, d.LastError = 3, status, "boom"
			if err := l.Record(ctx, d); err != nil {
				t.Fatalf("Record(%s): %v", id, err)
			}
		}
		record("sent", notify.StatusSent, time.Time{})
		record("dead", notify.StatusDead, time.Time{})
		record("failed", notify.StatusFailed, t0.Add(time.Hour))
		if got := claim(t, l, t0.Add(time.Minute), 10); len(got) != 0 {
			t.Errorf("Claim returned %v; sent and dead are final, failed is not yet due", ids(got))
		}
		got := claim(t, l, t0.Add(time.Hour), 10)
		want := pending("failed", t0.Add(time.Hour+time.Minute))
		want.Attempts, want.Status, want.LastError = 3, notify.StatusFailed, "boom"
		if len(got) != 1 {
			t.Fatalf("Claim returned %v, want the failed delivery", ids(got))
		}
		if diff := cmp.Diff(want, got[0].Delivery, cmp.Comparer(sameInstant)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

// sameInstant compares times as instants to the microsecond, whatever their location.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
