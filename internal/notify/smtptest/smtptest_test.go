package smtptest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/notify/smtptest"
)

// sendPlain sends body without STARTTLS (smtp.SendMail insists on it).
func sendPlain(addr, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail("from@example.com", []string{"to@example.com"}, strings.NewReader(body)); err != nil {
		return err
	}
	return c.Quit()
}

func TestStopStart(t *testing.T) {
	s := smtptest.NewServer(t)
	addr := s.Addr()
	body := "Subject: hi\r\n\r\n.leading dot\r\n"
	if err := sendPlain(addr, body); err != nil {
		t.Fatalf("send while up: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := sendPlain(addr, body); err == nil {
		t.Fatal("send while down succeeded")
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	if s.Addr() != addr {
		t.Errorf("address after restart = %s, want %s", s.Addr(), addr)
	}
	if err := sendPlain(addr, body); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	want := smtptest.Message{From: "from@example.com", To: []string{"to@example.com"}, Data: []byte(body)}
	if diff := cmp.Diff([]smtptest.Message{want, want}, s.Messages()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestReject(t *testing.T) {
	s := smtptest.NewServer(t)
	s.Reject(451, "try later")
	var reply *smtp.SMTPError
	if err := sendPlain(s.Addr(), "x\r\n"); !errors.As(err, &reply) || reply.Code != 451 {
		t.Fatalf("send error = %v, want SMTP 451", err)
	}
	s.Reject(0, "")
	if err := sendPlain(s.Addr(), "x\r\n"); err != nil {
		t.Fatalf("send after Reject(0): %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want 1 (the rejected one is not)", n)
	}
}

func TestTLSAndAuth(t *testing.T) {
	s := smtptest.NewServer(t)
	clientTLS, err := s.EnableTLS()
	if err != nil {
		t.Fatal(err)
	}
	s.RequireAuth("marquee", "secret")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := sendPlain(s.Addr(), "x\r\n"); err == nil {
		t.Fatal("unauthenticated send succeeded")
	}
	c, err := smtp.DialStartTLS(s.Addr(), clientTLS)
	if err != nil {
		t.Fatalf("DialStartTLS: %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "marquee", "secret")); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	if err := c.SendMail("from@example.com", []string{"to@example.com"}, strings.NewReader("x\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if got := s.Messages(); len(got) != 1 || got[0].Auth != "marquee" {
		t.Errorf("Messages = %+v, want one sent by user marquee", got)
	}
}
