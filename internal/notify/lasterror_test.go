package notify_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/notifytest"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
)

// leak is text a provider puts in its answer that must reach the log only, never a delivery's LastError.
const leak = "account AC81f2 over quota, message to +15551234567 dropped"

// answering serves every request with status and body.
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func smsTo(t *testing.T, url string) notify.Channel {
	t.Helper()
	ch, err := notify.NewSMS(httpConfig(url))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestDeliveryLastErrorIsSummary checks that a failed delivery records a short summary of the provider's
// answer (status and error code) while the log keeps the provider's full text.
func TestDeliveryLastErrorIsSummary(t *testing.T) {
	sms := notify.Message{To: "+15551234567", Text: "Dune, Sat 19:30"}
	tests := []struct {
		name    string
		via     string
		channel func(t *testing.T) notify.Channel
		msg     notify.Message
		want    string // LastError
		logged  string // in the log, not in LastError
	}{
		{"ErrNestedCode", notify.ChannelSMS, func(t *testing.T) notify.Channel {
			return smsTo(t, answering(t, 502, `{"error": {"code": "rate_limited", "message": "`+leak+`"}}`))
		}, sms, "sms: retryable: HTTP 502 (code rate_limited)", leak},
		{"ErrNumericCode", notify.ChannelSMS, func(t *testing.T) notify.Channel {
			return smsTo(t, answering(t, 400, `{"code": 21211, "message": "`+leak+`"}`))
		}, sms, "sms: permanent: HTTP 400 (code 21211)", leak},
		{"ErrProseIsNoCode", notify.ChannelSMS, func(t *testing.T) notify.Channel {
			return smsTo(t, answering(t, 422, `{"error": "`+leak+`"}`))
		}, sms, "sms: permanent: HTTP 422", leak},
		{"ErrHTMLBody", notify.ChannelSMS, func(t *testing.T) notify.Channel {
			return smsTo(t, answering(t, 503, `<html><body>`+leak+`</body></html>`))
		}, sms, "sms: retryable: HTTP 503", leak},
		{"ErrUnreachable", notify.ChannelSMS, func(t *testing.T) notify.Channel {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return smsTo(t, srv.URL+"/send?api_key=sk_live_123")
		}, sms, "sms: retryable: provider unreachable", "sk_live_123"},
		{"ErrSMTPRejected", notify.ChannelEmail, func(t *testing.T) notify.Channel {
			srv := smtptest.NewServer(t)
			srv.Reject(550, "mailbox ana@example.com unavailable")
			return newSMTP(t, srv.Addr())
		}, confirmationEmail(t), "email: permanent: SMTP 550 (5.0.0)", "mailbox ana@example.com unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := notifytest.NewMemoryLog()
			s := notify.NewSender(log, map[string]notify.Channel{tt.via: tt.channel(t)}, func() time.Time { return t0 })
			s.Logger = slog.New(slog.NewTextHandler(&logged, nil))
			d, err := s.Send(context.Background(), "d1", tt.via, notify.KindConfirmation, tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(tt.want, d.LastError); diff != "" {
				t.Errorf("LastError mismatch (-want +got):\n%s", diff)
			}
			if got, _ := log.Get("d1"); got.LastError != tt.want {
				t.Errorf("recorded LastError = %q, want %q", got.LastError, tt.want)
			}
			if !strings.Contains(logged.String(), tt.logged) {
				t.Errorf("log = %q, want the provider's full answer (%q)", logged.String(), tt.logged)
			}
		})
	}
}
