package payment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// appliedEvents records the events a Webhooks applies, failing with err when set.
type appliedEvents struct {
	ids []string
	at  []time.Time
	err error
}

func (a *appliedEvents) ApplyWebhook(_ context.Context, ev payment.WebhookEvent, now time.Time) (bool, error) {
	if a.err != nil {
		return false, a.err
	}
	a.ids, a.at = append(a.ids, ev.ID), append(a.at, now)
	return true, nil
}

func TestWebhooksReceive(t *testing.T) {
	body := []byte(succeededEvent)
	good := payment.SignWebhook(body, whSecret, whNow)
	tests := []struct {
		name      string
		body      []byte
		signature string
		storeErr  error
		kind      errs.Kind // of the error; Other with applied for none
		applied   []string
	}{
		{"OK", body, good, nil, errs.Other, []string{"evt_3QaSucc"}},
		{"ErrWrongSecret", body, payment.SignWebhook(body, "whsec_other", whNow), nil, errs.Unauthenticated, nil},
		{"ErrReplay", body, payment.SignWebhook(body, whSecret, whNow.Add(-time.Hour)), nil, errs.Unauthenticated, nil},
		{"ErrMalformed", []byte(`{"id":`), payment.SignWebhook([]byte(`{"id":`), whSecret, whNow), nil, errs.Invalid, nil},
		{"ErrStore", body, good, errors.New("connection reset"), errs.Other, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &appliedEvents{err: tt.storeErr}
			hooks := &payment.Webhooks{Secret: whSecret, Store: store, Now: func() time.Time { return whNow }}
			err := hooks.Receive(context.Background(), tt.body, tt.signature)
			if errs.KindOf(err) != tt.kind || (err == nil) != (tt.name == "OK") {
				t.Errorf("Receive = %v, want kind %v", err, tt.kind)
			}
			if diff := cmp.Diff(tt.applied, store.ids); diff != "" {
				t.Errorf("applied events mismatch (-want +got):\n%s", diff)
			}
			for _, at := range store.at {
				if !at.Equal(whNow) {
					t.Errorf("applied at %v, want now (%v)", at, whNow)
				}
			}
		})
	}
}
