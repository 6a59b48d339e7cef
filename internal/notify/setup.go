package notify

import (
	"crypto/ed25519"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// ChannelsConfig says how a process reaches its notification providers.
type ChannelsConfig struct {
	SMTPAddr string // mail submission server; empty writes .eml files to MailDir (a Mailbox)
	MailFrom string
	MailDir  string
	// SMSURL and PushURL are the providers' endpoints (each channel only when set); requests are signed with
	// Secret.
	SMSURL, PushURL string
	Secret          []byte
	Now             func() time.Time
}

// NewChannels returns the channels c configures: email always (SMTP, or a Mailbox), SMS and push when their
// endpoints are set.
func NewChannels(c ChannelsConfig) (map[string]Channel, error) {
	var email Channel = Mailbox{Dir: c.MailDir, From: c.MailFrom, Now: c.Now}
	if c.SMTPAddr != "" {
		var err error
		if email, err = NewSMTP(SMTPConfig{Addr: c.SMTPAddr, From: c.MailFrom}); err != nil {
			return nil, err
		}
	}
	channels := map[string]Channel{ChannelEmail: email}
	cfg := HTTPConfig{Secret: c.Secret, Timeout: 10 * time.Second, Now: c.Now}
	for _, p := range []struct {
		name, url string
		open      func(HTTPConfig) (Channel, error)
	}{{ChannelSMS, c.SMSURL, NewSMS}, {ChannelPush, c.PushURL, NewPush}} {
		if p.url == "" {
			continue
		}
		cfg.Endpoint = p.url
		ch, err := p.open(cfg)
		if err != nil {
			return nil, err
		}
		channels[p.name] = ch
	}
	return channels, nil
}

// TicketKey loads the Ed25519 key that signs QR tickets from path, creating it when missing, and writes its
// public key beside it (path without ".pem" plus ".pub.pem"), which it returns, for `marquee ticket verify`.
func TicketKey(path string) (ed25519.PrivateKey, string, error) {
	key, err := ticket.LoadOrCreateKey(path)
	if err != nil {
		return nil, "", err
	}
	pub, err := ticket.PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", err
	}
	pubPath := strings.TrimSuffix(path, ".pem") + ".pub.pem"
	return key, pubPath, os.WriteFile(pubPath, pub, 0o644)
}

// Config is how a process notifies: where its ticket key is, how it reaches providers, where it reads what it
// shows and records deliveries.
type Config struct {
	TicketKeyPath string
	Channels      ChannelsConfig
	Source        Source
	Settings      Settings
	Deliveries    DeliveryLog
	Log           *slog.Logger
}

// New builds a process's Notifier: the ticket key (created when missing), the channels and the sender.
func New(c Config) (*Notifier, error) {
	key, pubPath, err := TicketKey(c.TicketKeyPath)
	if err != nil {
		return nil, err
	}
	c.Log.Info("tickets are signed", "public_key", pubPath)
	channels, err := NewChannels(c.Channels)
	if err != nil {
		return nil, err
	}
	sender := NewSender(c.Deliveries, channels, c.Channels.Now)
	sender.Logger = c.Log
	return &Notifier{Source: c.Source, Settings: c.Settings, Sender: sender, Key: key, Now: c.Channels.Now,
		Log: c.Log}, nil
}
