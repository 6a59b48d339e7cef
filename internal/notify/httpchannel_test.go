package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/notify"
)

var secret = []byte("whsec_test")

// provider is a fake SMS or push provider that checks signatures and answers with status.
type provider struct {
	mu       sync.Mutex
	status   int
	header   http.Header
	requests []map[string]string
	sigErrs  []error
	delay    time.Duration
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.sigErrs = append(p.sigErrs, notify.VerifySignature(secret, r.Header.Get(notify.SignatureHeader), body, sentAt, 5*time.Minute))
	var req map[string]string
	_ = json.Unmarshal(body, &req)
	req["Idempotency-Key"], req["Content-Type"] = r.Header.Get("Idempotency-Key"), r.Header.Get("Content-Type")
	p.requests = append(p.requests, req)
	status, delay := p.status, p.delay
	for k, v := range p.header {
		w.Header()[k] = v
	}
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":"provider says no"}`)
}

func newProvider(t *testing.T, status int) (*provider, *httptest.Server) {
	t.Helper()
	p := &provider{status: status}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func httpConfig(url string) notify.HTTPConfig {
	return notify.HTTPConfig{Endpoint: url, Secret: secret, Timeout: 2 * time.Second, Now: func() time.Time { return sentAt }}
}

func TestHTTPChannelsSend(t *testing.T) {
	ctx := notify.WithDeliveryID(context.Background(), "d1")
	tests := []struct {
		name string
		new  func(notify.HTTPConfig) (notify.Channel, error)
		msg  notify.Message
		want map[string]string
	}{
		{"OKSMS", notify.NewSMS, notify.Message{To: "+15551234567", Subject: "ignored", Text: "Booking K7Q2MP is confirmed."},
			map[string]string{"id": "d1", "to": "+15551234567", "text": "Booking K7Q2MP is confirmed."}},
		{"OKPush", notify.NewPush, notify.Message{To: "device-token-1", Subject: "Booking confirmed", Text: "Dune, Sat 19:30"},
			map[string]string{"id": "d1", "token": "device-token-1", "title": "Booking confirmed", "body": "Dune, Sat 19:30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv := newProvider(t, http.StatusAccepted)
			ch, err := tt.new(httpConfig(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Send(ctx, tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			tt.want["Idempotency-Key"], tt.want["Content-Type"] = "d1", "application/json"
			if diff := cmp.Diff([]map[string]string{tt.want}, p.requests); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if p.sigErrs[0] != nil {
				t.Errorf("signature does not verify: %v", p.sigErrs[0])
			}
		})
	}
}

func TestHTTPChannelErrors(t *testing.T) {
	sms := notify.Message{To: "+15551234567", Text: "hi"}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		delay      time.Duration
		msg        notify.Message
		retryable  bool
		retryAfter time.Duration
	}{
		{"Err500Retryable", 500, nil, 0, sms, true, 0},
		{"Err503RetryAfter", 503, http.Header{"Retry-After": {"120"}}, 0, sms, true, 2 * time.Minute},
		{"Err429Retryable", 429, nil, 0, sms, true, 0},
		{"Err408Retryable", 408, nil, 0, sms, true, 0},
		{"Err400Permanent", 400, nil, 0, sms, false, 0},
		{"Err401Permanent", 401, nil, 0, sms, false, 0},
		{"ErrTimeoutRetryable", 200, nil, time.Second, sms, true, 0},
		{"ErrBadPhonePermanent", 200, nil, 0, notify.Message{To: "555-1234", Text: "hi"}, false, 0},
		{"ErrEmptyTextPermanent", 200, nil, 0, notify.Message{To: "+15551234567"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv := newProvider(t, tt.status)
			p.header, p.delay = tt.header, tt.delay
			cfg := httpConfig(srv.URL)
			cfg.Timeout = 200 * time.Millisecond
			ch, err := notify.NewSMS(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), tt.msg)
			var se *notify.SendError
			if !errors.As(err, &se) || se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter {
				t.Fatalf("Send error = %#v, want a SendError retryable=%v retryAfter=%v", err, tt.retryable, tt.retryAfter)
			}
			if notify.IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", !tt.retryable, tt.retryable)
			}
			if tt.status >= 400 && !strings.Contains(err.Error(), "provider says no") {
				t.Errorf("error %q does not quote the provider's answer", err)
			}
		})
	}
}

func TestHTTPChannelDown(t *testing.T) {
	_, srv := newProvider(t, 200)
	url := srv.URL
	srv.Close()
	ch, err := notify.NewPush(httpConfig(url))
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), notify.Message{To: "tok", Text: "hi"}); !notify.IsRetryable(err) {
		t.Errorf("Send to a closed server: %v, want a retryable error", err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"to":"+15551234567"}`)
	good := notify.Sign(secret, sentAt, body)
	tests := []struct {
		name, header string
		body         []byte
		now          time.Time
		wantErr      bool
	}{
		{"OK", good, body, sentAt, false},
		{"OKSecondSignature", good + ",v1=00", body, sentAt.Add(4 * time.Minute), false},
		{"ErrBodyChanged", good, []byte(`{"to":"+15550000000"}`), sentAt, true},
		{"ErrOtherSecret", notify.Sign([]byte("other"), sentAt, body), body, sentAt, true},
		{"ErrTooOld", good, body, sentAt.Add(6 * time.Minute), true},
		{"ErrTimestampChanged", strings.Replace(good, "t=", "t=1", 1), body, sentAt, true},
		{"ErrMissing", "", body, sentAt, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.VerifySignature(secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if (err != nil) != tt.wantErr {
				t.Errorf("VerifySignature error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if !strings.HasPrefix(good, "t=1773158710,v1=") || len(good) != len("t=1773158710,v1=")+64 {
		t.Errorf("Sign = %q, want t=<unix>,v1=<64 hex digits>", good)
	}
}

func TestNewHTTPChannelRejects(t *testing.T) {
	for name, cfg := range map[string]notify.HTTPConfig{
		"ErrNoSecret": {Endpoint: "https://sms.example/send"},
		"ErrScheme":   {Endpoint: "ftp://sms.example/send", Secret: secret},
		"ErrNoHost":   {Endpoint: "https:///send", Secret: secret},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := notify.NewSMS(cfg); err == nil {
				t.Error("NewSMS succeeded, want an error")
			}
		})
	}
}
