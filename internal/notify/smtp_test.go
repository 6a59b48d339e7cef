package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
)

const from = "Marquee <tickets@marquee.example>"

var sentAt = time.Date(2026, 3, 10, 16, 5, 10, 0, time.UTC)

// newSMTP returns an email channel to addr, changed by each f.
func newSMTP(t *testing.T, addr string, fs ...func(*notify.SMTPConfig)) notify.Channel {
	t.Helper()
	cfg := notify.SMTPConfig{Addr: addr, From: from, Timeout: 5 * time.Second, Now: func() time.Time { return sentAt }}
	for _, f := range fs {
		f(&cfg)
	}
	ch, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return ch
}

// confirmationEmail returns the sample confirmation email to ana@example.com.
func confirmationEmail(t *testing.T) notify.Message {
	t.Helper()
	m, err := notify.ConfirmationEmail("Ana Lima <ana@example.com>", notify.Confirmation{Booking: booking(),
		Total: notify.Money{AmountMinor: 3100, Currency: "USD"}, Ticket: "MQT1.payload.signature", ConfirmedAt: confirmedAt})
	if err != nil {
		t.Fatalf("ConfirmationEmail: %v", err)
	}
	return m
}

// leaf is a non-multipart part of a parsed email, with the path of multipart types that leads to it.
type leaf struct {
	Path, ContentType, Disposition, ContentID string
	Body                                      []byte
}

// parseMIME parses a whole email into its headers and leaf parts, decoding transfer encodings.
func parseMIME(t *testing.T, raw []byte) (mail.Header, []leaf) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	var leaves []leaf
	walkPart(t, "", msg.Header.Get("Content-Type"), "", "", "", msg.Body, &leaves)
	return msg.Header, leaves
}

func walkPart(t *testing.T, path, contentType, disposition, contentID, encoding string, body io.Reader, out *[]leaf) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("NextPart in %s: %v", mediaType, err)
			}
			walkPart(t, path+mediaType+">", p.Header.Get("Content-Type"), p.Header.Get("Content-Disposition"),
				p.Header.Get("Content-ID"), p.Header.Get("Content-Transfer-Encoding"), p, out)
		}
	}
	if encoding == "base64" {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("reading %s: %v", mediaType, err)
	}
	*out = append(*out, leaf{Path: path, ContentType: contentType, Disposition: disposition, ContentID: contentID, Body: data})
}

func TestSMTPChannel(t *testing.T) {
	srv := smtptest.NewServer(t)
	m := confirmationEmail(t)
	m.Subject = "Booking confirmed: Amélie, Sat 14 Mar at 20:00" // a non-ASCII subject must be encoded
	ctx := notify.WithDeliveryID(context.Background(), "booking_confirmed/use1_01JD8X3V4Q/email")
	if err := newSMTP(t, srv.Addr()).Send(ctx, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if diff := cmp.Diff([]string{"ana@example.com"}, got[0].To); got[0].From != "tickets@marquee.example" || diff != "" {
		t.Errorf("envelope from %q to %v, want tickets@marquee.example to ana@example.com", got[0].From, got[0].To)
	}
	h, leaves := parseMIME(t, got[0].Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, m.Subject)
	}
	wantHeaders := map[string]string{
		"From": `"Marquee" <tickets@marquee.example>`, "To": `"Ana Lima" <ana@example.com>`,
		"Date": "Tue, 10 Mar 2026 16:05:10 +0000", "MIME-Version": "1.0",
		"Message-Id": "<booking_confirmed/use1_01JD8X3V4Q/email@marquee.example>",
	}
	for k, want := range wantHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed;") {
		t.Errorf("Content-Type = %q, want multipart/mixed", ct)
	}
	checkConfirmationParts(t, m, leaves)
}

// checkConfirmationParts checks the structure of a confirmation email: text and HTML alternatives with the
// QR code inline beside them, and the calendar entry attached.
func checkConfirmationParts(t *testing.T, m notify.Message, leaves []leaf) {
	t.Helper()
	type shape struct{ Path, ContentType, Disposition, ContentID string }
	var got []shape
	for _, l := range leaves {
		got = append(got, shape{l.Path, l.ContentType, l.Disposition, l.ContentID})
	}
	want := []shape{
		{"multipart/mixed>multipart/related>multipart/alternative>", "text/plain; charset=utf-8", "", ""},
		{"multipart/mixed>multipart/related>multipart/alternative>", "text/html; charset=utf-8", "", ""},
		{"multipart/mixed>multipart/related>", "image/png; name=ticket.png", "inline; filename=ticket.png", "<ticket>"},
		{"multipart/mixed>", "text/calendar; charset=utf-8; method=PUBLISH; name=ticket.ics",
			"attachment; filename=ticket.ics", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("MIME structure mismatch (-want +got):\n%s", diff)
	}
	if text := strings.ReplaceAll(string(leaves[0].Body), "\r\n", "\n"); text != m.Text {
		t.Errorf("text part differs from the message text:\n%s", cmp.Diff(m.Text, text))
	}
	if html := strings.ReplaceAll(string(leaves[1].Body), "\r\n", "\n"); html != m.HTML || !strings.Contains(html, `src="cid:ticket"`) {
		t.Errorf("HTML part differs from the message HTML or lacks cid:ticket")
	}
	if _, err := png.Decode(bytes.NewReader(leaves[2].Body)); err != nil {
		t.Errorf("inline image does not decode as PNG: %v", err)
	}
	if !bytes.Equal(leaves[3].Body, m.Attachments[1].Data) || !bytes.HasPrefix(leaves[3].Body, []byte("BEGIN:VCALENDAR\r\n")) {
		t.Errorf("calendar attachment = %q, want the ICS unchanged", leaves[3].Body)
	}
}

func TestSMTPChannelTLSAndAuth(t *testing.T) {
	srv := smtptest.NewServer(t)
	clientTLS, err := srv.EnableTLS()
	if err != nil {
		t.Fatal(err)
	}
	srv.RequireAuth("marquee", "s3cret")
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ch := newSMTP(t, srv.Addr(), func(c *notify.SMTPConfig) {
		c.TLS, c.Username, c.Password = clientTLS, "marquee", "s3cret"
	})
	if err := ch.Send(context.Background(), notify.Message{To: "ana@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].Auth != "marquee" {
		t.Errorf("Messages = %+v, want one sent by user marquee", got)
	}
}

func TestSMTPChannelErrors(t *testing.T) {
	srv := smtptest.NewServer(t)
	down := smtptest.NewServer(t)
	downAddr := down.Addr()
	if err := down.Stop(); err != nil {
		t.Fatal(err)
	}
	ok := notify.Message{To: "ana@example.com", Subject: "s", Text: "t"}
	tests := []struct {
		name      string
		addr      string
		reject    int
		msg       notify.Message
		retryable bool
	}{
		{"ErrServerDown", downAddr, 0, ok, true},
		{"ErrTemporaryReply", srv.Addr(), 451, ok, true},
		{"ErrPermanentReply", srv.Addr(), 550, ok, false},
		{"ErrBadRecipient", srv.Addr(), 0, notify.Message{To: "not an address", Text: "t"}, false},
		{"ErrBadContentID", srv.Addr(), 0, notify.Message{To: "ana@example.com", Text: "t",
			Attachments: []notify.Attachment{{Filename: "a.png", ContentType: "image/png", ContentID: "a>\r\nBcc: x"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reject(tt.reject, "no")
			t.Cleanup(func() { srv.Reject(0, "") })
			err := newSMTP(t, tt.addr).Send(context.Background(), tt.msg)
			var se *notify.SendError
			if !errors.As(err, &se) || notify.IsRetryable(err) != tt.retryable {
				t.Errorf("Send error = %v, want a SendError with retryable %v", err, tt.retryable)
			}
		})
	}
}

func TestNewSMTPRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  notify.SMTPConfig
	}{
		{"ErrAddr", notify.SMTPConfig{Addr: "localhost", From: from}},
		{"ErrFrom", notify.SMTPConfig{Addr: "localhost:25", From: "nobody"}},
		{"ErrAuthWithoutTLS", notify.SMTPConfig{Addr: "localhost:25", From: from, Username: "u"}},
		{"ErrImplicitTLSWithoutConfig", notify.SMTPConfig{Addr: "localhost:465", From: from, ImplicitTLS: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := notify.NewSMTP(tt.cfg); err == nil {
				t.Error("NewSMTP succeeded, want an error")
			}
		})
	}
}

func TestMIMEHeaders(t *testing.T) {
	tests := []struct {
		name, subject, want string
	}{
		{"OKLongASCII", strings.Repeat("word ", 40) + "end", strings.Repeat("word ", 40) + "end"},
		{"OKLongUTF8", strings.Repeat("Amélie ", 30) + "end", strings.Repeat("Amélie ", 30) + "end"},
		{"OKNoHeaderInjection", "Hi\r\nBcc: evil@example.com", "Hi Bcc: evil@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := notify.MIME(from, notify.Message{To: "ana@example.com", Subject: tt.subject, Text: "t"},
				sentAt, "id@marquee.example")
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
			for _, line := range strings.Split(head, "\r\n") {
				if len(line) > 78 {
					t.Errorf("header line of %d characters: %q", len(line), line)
				}
				if strings.HasPrefix(line, "Bcc:") {
					t.Errorf("subject injected a header: %q", line)
				}
			}
			h, _ := parseMIME(t, raw)
			got, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || got != tt.want {
				t.Errorf("decoded Subject = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}
