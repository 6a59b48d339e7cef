package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SMTPConfig configures the email channel.
type SMTPConfig struct {
	Addr string // host:port of the submission server
	From string // the sender, for example "Marquee <tickets@marquee.example>"

	// Username and Password, when Username is set, authenticate with SASL PLAIN. PLAIN sends the password in
	// the clear, so it needs TLS unless AllowInsecureAuth is set (for a relay on the same host).
	Username, Password string
	AllowInsecureAuth  bool

	// TLS, when set, makes the channel insist on STARTTLS, or with ImplicitTLS connect with TLS from the first
	// byte (port 465). Its ServerName defaults to Addr's host.
	TLS         *tls.Config
	ImplicitTLS bool

	Timeout time.Duration    // the longest one message may take, connecting included; default 30s
	Now     func() time.Time // for the Date header; default time.Now
}

type smtpChannel struct {
	cfg  SMTPConfig
	from *mail.Address
}

var _ Channel = (*smtpChannel)(nil)

// NewSMTP returns the email channel cfg describes. It opens one connection per message: notification volume
// does not warrant a pool, and a fresh connection cannot be a stale one. Send classifies SMTP 4xx replies,
// timeouts and network failures as retryable, SMTP 5xx replies and unusable addresses as permanent.
func NewSMTP(cfg SMTPConfig) (Channel, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("notify: SMTP address %q: %w", cfg.Addr, err)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP from address %q: %w", cfg.From, err)
	}
	if cfg.Username != "" && cfg.TLS == nil && !cfg.AllowInsecureAuth {
		return nil, errors.New("notify: SMTP authentication without TLS needs AllowInsecureAuth")
	}
	if cfg.ImplicitTLS && cfg.TLS == nil {
		return nil, errors.New("notify: SMTP ImplicitTLS needs a TLS config")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TLS != nil && cfg.TLS.ServerName == "" {
		cfg.TLS = cfg.TLS.Clone()
		cfg.TLS.ServerName, _, _ = net.SplitHostPort(cfg.Addr)
	}
	return &smtpChannel{cfg: cfg, from: from}, nil
}

// Send delivers m to the single address m.To.
func (c *smtpChannel) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return permanent(ChannelEmail, "recipient is not an email address", fmt.Errorf("recipient %q: %w", m.To, err))
	}
	data, err := MIME(c.from.String(), m, c.cfg.Now(), messageID(DeliveryIDFrom(ctx), c.from.Address))
	if err != nil {
		return permanent(ChannelEmail, "message could not be built", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	err = c.deliver(ctx, to.Address, data)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return retryable(ChannelEmail, "SMTP server timed out", fmt.Errorf("%w (%v)", ctx.Err(), err))
	}
	var reply *gosmtp.SMTPError
	if !errors.As(err, &reply) {
		return retryable(ChannelEmail, smtpFailure(err), err)
	}
	if reply.Code >= 500 {
		return permanent(ChannelEmail, replySummary(reply), err)
	}
	return retryable(ChannelEmail, replySummary(reply), err)
}

// replySummary describes an SMTP server's refusal by its reply code and enhanced status code, "SMTP 550
// (5.1.1)", leaving out the reply text (which often quotes the recipient).
func replySummary(r *gosmtp.SMTPError) string {
	s := fmt.Sprintf("SMTP %03d", r.Code)
	if e := r.EnhancedCode; e != gosmtp.NoEnhancedCode && e != gosmtp.EnhancedCodeNotSet {
		s += fmt.Sprintf(" (%d.%d.%d)", e[0], e[1], e[2])
	}
	return s
}

// smtpFailure describes a session that failed without an SMTP reply.
func smtpFailure(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "SMTP server unreachable"
	}
	return "SMTP session failed"
}

// deliver runs one SMTP transaction on a new connection, abandoning it when ctx ends.
func (c *smtpChannel) deliver(ctx context.Context, to string, data []byte) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var client *gosmtp.Client
	if c.cfg.TLS != nil && !c.cfg.ImplicitTLS {
		// The greeting and EHLO before STARTTLS run under go-smtp's default timeouts; ctx still bounds them.
		if client, err = gosmtp.NewClientStartTLS(conn, c.cfg.TLS); err != nil {
			return err // NewClientStartTLS closed conn
		}
	} else {
		client = gosmtp.NewClient(conn)
	}
	defer client.Close()
	client.CommandTimeout, client.SubmissionTimeout = c.cfg.Timeout, c.cfg.Timeout
	if c.cfg.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", c.cfg.Username, c.cfg.Password)); err != nil {
			return err
		}
	}
	if err := client.SendMail(c.from.Address, []string{to}, bytes.NewReader(data)); err != nil {
		return err
	}
	_ = client.Quit() // the message is accepted; a failed QUIT loses nothing
	return nil
}

func (c *smtpChannel) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if c.cfg.ImplicitTLS {
		return (&tls.Dialer{NetDialer: d, Config: c.cfg.TLS}).DialContext(ctx, "tcp", c.cfg.Addr)
	}
	return d.DialContext(ctx, "tcp", c.cfg.Addr)
}

// messageID returns a Message-ID for a message from the address from: derived from the delivery ID when
// there is one, so every retry of a delivery carries the same Message-ID; random otherwise.
func messageID(deliveryID, from string) string {
	domain := "marquee.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	local := strings.Map(func(r rune) rune {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)) {
			return r
		}
		return '-'
	}, deliveryID)
	local = strings.Trim(local, ".")
	if local == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		local = hex.EncodeToString(b[:])
	}
	return local + "@" + domain
}
