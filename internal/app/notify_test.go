package app_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// mailTo waits until the SMTP server has received a message to rcpt whose subject contains want.
func mailTo(t *testing.T, srv *smtptest.Server, rcpt, want string) smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == rcpt {
				msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
				if err == nil && strings.Contains(strings.ToLower(decodeSubject(msg.Header.Get("Subject"))), strings.ToLower(want)) {
					return m
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no email to %s about %q within 15s (got %d messages)", rcpt, want, len(srv.Messages()))
	return smtptest.Message{}
}

func decodeSubject(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// TestStandbyEmailsEndToEnd runs the real wiring against a real SMTP server: a sold-out show, three people in
// line; a cancellation emails the first their offer; when it runs out the second is emailed and accepts; the
// seats are booked and the confirmation (with its QR ticket and calendar file) arrives.
func TestStandbyEmailsEndToEnd(t *testing.T) {
	smtp := smtptest.NewServer(t)
	clock := platform.NewManualClock(time.Now())
	sms := make(chan string, 10)
	smsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature([]byte("sms-secret"), r.Header.Get("X-Marquee-Signature"), body, clock.Now(), time.Hour); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		sms <- string(body)
	}))
	t.Cleanup(smsSrv.Close)
	m := newDev(dataDir(t))
	m.Now = clock.Now
	m.Config.SMTPAddr = smtp.Addr()
	m.Config.SMSURL, m.Config.NotifySecret = smsSrv.URL, "sms-secret"
	m.Config.WorkerInterval = 50 * time.Millisecond
	m.Config.AccessTokenTTL = time.Hour // the clock moves 16 minutes on; the line keeps its access tokens
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r, seed.Layout{Rows: 1, SeatsPerRow: 4},
		clock.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr()
	register := func(email string) *client {
		c := &client{t: t, base: base}
		c.token = c.call("AccountService/Register", map[string]any{"email": email, "password": "password-1", "displayName": strings.Split(email, "@")[0]}, 200)["token"].(string)
		return c
	}
	seller := register("seller@example.com")
	var last string
	for _, pair := range [][]string{{"A1", "A2"}, {"A3", "A4"}} {
		h := seller.call("SeatService/HoldSeats", map[string]any{"showtimeId": fix.Showtime.ID, "seatIds": pair}, 200)["hold"].(map[string]any)
		last = seller.call("BookingService/CreateBooking", map[string]any{"holdId": h["id"], "paymentToken": "tok_visa", "idempotencyKey": "sell-seats-" + pair[0]}, 200)["booking"].(map[string]any)["id"].(string)
	}
	mailTo(t, smtp, "seller@example.com", "confirmed")
	var line []*client
	var entries []string
	for _, email := range []string{"first@example.com", "second@example.com", "third@example.com"} {
		c := register(email)
		line = append(line, c)
		e := c.call("StandbyService/JoinStandby", map[string]any{"showtimeId": fix.Showtime.ID, "seatCount": 2, "together": true}, 200)["entry"].(map[string]any)
		entries = append(entries, e["id"].(string))
	}
	line[0].call("AccountService/UpdateNotificationSettings", map[string]any{"settings": map[string]any{"phone": "+14155550123",
		"preferences": []any{map[string]any{"kind": "standby_offer", "channels": []string{"NOTIFICATION_CHANNEL_EMAIL", "NOTIFICATION_CHANNEL_SMS"}}}}}, 200)
	seller.call("BookingService/CancelBooking", map[string]any{"bookingId": last, "idempotencyKey": "cancel-for-line"}, 200)
	mailTo(t, smtp, "first@example.com", "seats")
	select {
	case body := <-sms:
		if !strings.Contains(body, `"to":"+14155550123"`) {
			t.Fatalf("SMS = %s", body)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no signed SMS for the first person's offer")
	}
	clock.Advance(16 * time.Minute) // the first offer (15 minutes two days ahead) runs out
	mailTo(t, smtp, "second@example.com", "seats")
	e := line[1].call("StandbyService/GetStandby", map[string]any{"entryId": entries[1]}, 200)["entry"].(map[string]any)
	offer := e["offer"].(map[string]any)
	line[1].call("StandbyService/AcceptOffer", map[string]any{"offerId": offer["id"], "paymentToken": "tok_visa", "idempotencyKey": "accept-the-offer"}, 200)
	seats := seller.call("SeatService/GetSeatMap", map[string]any{"showtimeId": fix.Showtime.ID}, 200)["seats"].([]any)
	for _, s := range seats {
		if st := s.(map[string]any)["status"]; st != "SEAT_STATUS_BOOKED" {
			t.Fatalf("seat %v is %v after the offer was accepted", s.(map[string]any)["id"], st)
		}
	}
	conf := mailTo(t, smtp, "second@example.com", "confirmed")
	body := string(conf.Data)
	if !strings.Contains(body, "Content-ID: <ticket>") || !strings.Contains(body, "text/calendar") {
		t.Fatalf("confirmation lacks the QR ticket or the calendar file:\n%.2000s", body)
	}
	for _, m := range smtp.Messages() {
		if m.To[0] == "third@example.com" {
			t.Fatalf("the third person was emailed although no seats reached them")
		}
	}
	clock.Advance(49 * time.Hour) // the show starts with the third person still in line: they are told
	mailTo(t, smtp, "third@example.com", "standby closed")
}
