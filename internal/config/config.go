// Package config is what flags and the environment set for a Marquee process, with the defaults of
// `marquee dev`.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/standby"
	"github.com/marqueehq/marquee/regions"
)

// Config is what flags and the environment set.
type Config struct {
	Addr    string // listen address; port 0 picks one
	DataDir string // holds the private PostgreSQL cluster and the dev token secret
	// Region makes the process one region's deployment: it runs that region's background jobs (while it holds
	// the region's lease) and indexes that region's theatres. Empty runs every region in this one process.
	Region      string
	DatabaseURL string        // an existing database; empty starts a private cluster under DataDir
	HoldTTL     time.Duration // how long a seat hold lasts
	// AllowShortHolds lets HoldTTL go down to MinShortHoldTTL, for tests and demos only: real holds last 5 to
	// 10 minutes.
	AllowShortHolds  bool
	RefundFullBefore time.Duration // full refund until this long before the show, none after
	Seed             bool          // load the demo catalog into an empty database
	// History, with Seed, loads 18 months of past bookings of the demo catalog (seed.DevHistory) into a database
	// without them. Off by default: `marquee dev` turns it on.
	History     bool
	BcryptCost  int
	TokenSecret string // HMAC key for bearer tokens; generated and kept in DataDir when empty
	MaxConns    int    // database pool size
	// StripeSecretKey selects the Stripe provider (else the sandbox); StripeAPIBase points it elsewhere than
	// Stripe's API (stripe-mock); StripeWebhookSecret enables POST /webhooks/stripe.
	StripeSecretKey, StripeAPIBase, StripeWebhookSecret string
	// SandboxURL, without a Stripe key, selects a sandbox served by another process (payment.SandboxHandler;
	// `marquee dev` runs one for all its regions) instead of one in this process.
	SandboxURL string
	// AccessTokenTTL is how long an access token is accepted (account.DefaultAccessTTL); clients renew it with
	// their refresh token.
	AccessTokenTTL time.Duration
	// WorkerInterval is how often the hold-expiry, standby and on-sale admission jobs look for work.
	WorkerInterval time.Duration
	// JobLease is how long a region's job lease lasts without renewal (jobs.Regional.Lease): when every process
	// of a region has been gone this long, the nearest live region adopts its jobs.
	JobLease time.Duration
	// NATSURL is a NATS server with JetStream; empty starts an embedded one under DataDir/nats.
	NATSURL string
	// SMTPAddr is the mail submission server; empty writes emails as .eml files under DataDir/mail.
	SMTPAddr, MailFrom string
	// TicketKey is the Ed25519 key (PKCS#8 PEM) that signs QR tickets; created under DataDir/keys when empty.
	TicketKey string
	// OfferWindowMin and OfferWindowMax bound a standby offer's window, which is the time left before the show
	// divided by 96 (15 minutes a day ahead) within those bounds.
	OfferWindowMin, OfferWindowMax time.Duration
	// SMSURL and PushURL are the SMS and push providers' endpoints; requests are signed with NotifySecret.
	SMSURL, PushURL, NotifySecret string
	// S3Endpoint is the S3 server (host:port) holding each region's archive bucket, reached with S3AccessKey
	// and S3SecretKey, over HTTPS when S3Secure is set; empty starts a private versitygw under DataDir/s3.
	S3Endpoint, S3AccessKey, S3SecretKey string
	S3Secure                             bool
	// RateLimits limit logins, registrations, holds, bookings, promotion checks and standby joins per client
	// IP and per user (rpc.DefaultRateLimits unless overridden with --rate-limit).
	RateLimits rpc.RateLimits
	// GRPCReflection serves gRPC server reflection, which lists the whole API to anyone: off unless asked for.
	GRPCReflection bool
	// Archive configures the compliance archive.
	Archive Archive
	// Telemetry configures logs and traces.
	Telemetry Telemetry
}

// Default is the configuration of `marquee dev` before flags.
func Default() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: ".marquee", DatabaseURL: os.Getenv("DATABASE_URL"),
		HoldTTL: inventory.DefaultHoldTTL, RefundFullBefore: 2 * time.Hour, Seed: true, BcryptCost: 10,
		TokenSecret: os.Getenv("MARQUEE_TOKEN_SECRET"), MaxConns: 32, StripeSecretKey: os.Getenv("STRIPE_SECRET_KEY"),
		StripeWebhookSecret: os.Getenv("STRIPE_WEBHOOK_SECRET"), AccessTokenTTL: account.DefaultAccessTTL,
		WorkerInterval: standby.DefaultJobInterval, JobLease: jobs.DefaultLease, OfferWindowMin: standby.DefaultWindow.Min, OfferWindowMax: standby.DefaultWindow.Max, NATSURL: os.Getenv("NATS_URL"), SMTPAddr: os.Getenv("SMTP_ADDR"),
		MailFrom: "Marquee <tickets@marquee.local>", TicketKey: os.Getenv("MARQUEE_TICKET_KEY"),
		SMSURL: os.Getenv("SMS_URL"), PushURL: os.Getenv("PUSH_URL"), NotifySecret: os.Getenv("NOTIFY_SIGNING_SECRET"),
		S3Endpoint: os.Getenv("MARQUEE_S3_ENDPOINT"), S3AccessKey: os.Getenv("MARQUEE_S3_ACCESS_KEY"),
		S3SecretKey: os.Getenv("MARQUEE_S3_SECRET_KEY"),
		Archive:     defaultArchive(archive.DefaultAfter, archive.DefaultJobEvery), RateLimits: rpc.DefaultRateLimits()}
}

// Parse reads command-line flags of the command name into c and checks them.
func (c *Config) Parse(name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return c.Check()
}

// Flags defines the flags of a process on fs, each setting a field of c.
func (c *Config) Flags(fs *flag.FlagSet) {
	c.Archive.flags(fs)
	c.Telemetry.flags(fs)
	c.limitFlags(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (HTTP/1.1 and h2c)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the private PostgreSQL cluster and secrets")
	fs.StringVar(&c.Region, "region", c.Region, "the region this process serves (a name in regions/); empty serves all")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL/CockroachDB URL (default $DATABASE_URL; empty starts a private cluster)")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", c.HoldTTL, "how long seats stay held (5m to 10m; down to 5s with --allow-short-holds)")
	fs.BoolVar(&c.AllowShortHolds, "allow-short-holds", c.AllowShortHolds, "for tests and demos only: let --hold-ttl go down to 5s")
	fs.DurationVar(&c.RefundFullBefore, "refund-full-before", c.RefundFullBefore, "full refund until this long before the show, none after")
	fs.BoolVar(&c.Seed, "seed", c.Seed, "load the demo catalog into an empty database")
	fs.BoolVar(&c.History, "history", c.History, "with --seed, load 18 months of past bookings of the demo catalog into a database without them")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", c.BcryptCost, "bcrypt cost of password hashes (4 to 31)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "database connection pool size")
	fs.StringVar(&c.StripeAPIBase, "stripe-api-base", c.StripeAPIBase, "Stripe API base URL (default Stripe's; for stripe-mock)")
	fs.StringVar(&c.SandboxURL, "sandbox-url", c.SandboxURL, "without $STRIPE_SECRET_KEY, use the payment sandbox served at this URL (shared by several processes) instead of one in this process")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "NATS server URL (default $NATS_URL; empty starts an embedded server under --data-dir)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", c.SMTPAddr, "SMTP server host:port (default $SMTP_ADDR; empty writes .eml files under --data-dir/mail)")
	fs.DurationVar(&c.OfferWindowMin, "offer-window-min", c.OfferWindowMin, "shortest standby offer window (close to the show)")
	fs.DurationVar(&c.OfferWindowMax, "offer-window-max", c.OfferWindowMax, "longest standby offer window (a day or more ahead)")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender of notification emails")
	fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL, "SMS provider endpoint (default $SMS_URL; requests signed with $NOTIFY_SIGNING_SECRET)")
	fs.StringVar(&c.PushURL, "push-url", c.PushURL, "push provider endpoint (default $PUSH_URL)")
	fs.StringVar(&c.TicketKey, "ticket-key", c.TicketKey, "Ed25519 PEM key signing QR tickets (default $MARQUEE_TICKET_KEY; created under --data-dir/keys)")
	fs.DurationVar(&c.JobLease, "job-lease", c.JobLease, "how long a region's job lease lasts: a region gone this long has its jobs adopted (1s to 5m)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", c.S3Endpoint, "S3 server host:port for the archive buckets (default $MARQUEE_S3_ENDPOINT; empty starts versitygw under --data-dir/s3)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", c.S3AccessKey, "S3 access key (default $MARQUEE_S3_ACCESS_KEY)")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", c.S3SecretKey, "S3 secret key (default $MARQUEE_S3_SECRET_KEY)")
	fs.BoolVar(&c.S3Secure, "s3-secure", c.S3Secure, "reach --s3-endpoint over HTTPS")
	fs.BoolVar(&c.GRPCReflection, "grpc-reflection", c.GRPCReflection, "serve gRPC server reflection (for buf curl --list-methods, grpcurl); it lists the whole API to anyone")
	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", c.AccessTokenTTL, "how long an access token is accepted before the client refreshes it (1m to 24h)")
}

// Check reports the first value out of its range.
func (c Config) Check() error {
	if _, ok := regions.ByName(c.Region); c.Region != "" && !ok {
		return fmt.Errorf("--region %q is not a region of regions/", c.Region)
	}
	if err := c.Archive.check(); err != nil {
		return err
	}
	if err := c.checkHoldTTL(); err != nil {
		return err
	}
	if c.JobLease < time.Second || c.JobLease > 5*time.Minute {
		return fmt.Errorf("--job-lease must be between 1s and 5m, got %v", c.JobLease)
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		return fmt.Errorf("--access-token-ttl must be between 1m and 24h, got %v", c.AccessTokenTTL)
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return fmt.Errorf("--bcrypt-cost must be between 4 and 31")
	}
	if c.S3Endpoint != "" && (c.S3AccessKey == "" || c.S3SecretKey == "") {
		return fmt.Errorf("--s3-endpoint needs --s3-access-key and --s3-secret-key")
	}
	return nil
}

// Hold times: a hold lasts MinHoldTTL to MaxHoldTTL, or from MinShortHoldTTL with AllowShortHolds.
const (
	MinHoldTTL      = 5 * time.Minute
	MaxHoldTTL      = 10 * time.Minute
	MinShortHoldTTL = 5 * time.Second
)

// checkHoldTTL keeps holds between 5 and 10 minutes, as the design says, unless short holds are allowed for a
// test or a demo.
func (c Config) checkHoldTTL() error {
	if c.AllowShortHolds {
		if c.HoldTTL < MinShortHoldTTL || c.HoldTTL > MaxHoldTTL {
			return fmt.Errorf("--hold-ttl must be between 5s and 10m with --allow-short-holds, got %v", c.HoldTTL)
		}
		return nil
	}
	if c.HoldTTL < MinHoldTTL || c.HoldTTL > MaxHoldTTL {
		return fmt.Errorf("--hold-ttl must be between 5m and 10m (shorter only with --allow-short-holds, for tests and demos), got %v", c.HoldTTL)
	}
	return nil
}

// OfferWindow is the standby offer window the configuration sets (the defaults where unset); its maximum is
// never below its minimum.
func (c Config) OfferWindow() standby.Window {
	w := standby.DefaultWindow
	if c.OfferWindowMin > 0 {
		w.Min = c.OfferWindowMin
	}
	if c.OfferWindowMax >= w.Min {
		w.Max = c.OfferWindowMax
	}
	w.Max = max(w.Max, w.Min) // a minimum above the default maximum raises it
	return w
}

// Provider is the payment provider the configuration selects: Stripe with a secret key, else the sandbox at
// SandboxURL, else a sandbox of this process's own.
func (c Config) Provider() payment.Provider {
	switch {
	case c.StripeSecretKey != "":
		return payment.NewStripe(c.StripeSecretKey, c.StripeAPIBase)
	case c.SandboxURL != "":
		return &payment.RemoteSandbox{URL: c.SandboxURL}
	}
	return payment.NewSandbox()
}

// Webhooks receives Stripe's webhooks into s when a signing secret is configured (nil otherwise).
func (c Config) Webhooks(s payment.WebhookStore, now func() time.Time) *payment.Webhooks {
	if c.StripeWebhookSecret == "" {
		return nil
	}
	return &payment.Webhooks{Secret: c.StripeWebhookSecret, Store: s, Now: now}
}

// Regions are the regions the process serves: Region, or every region when it is empty.
func (c Config) Regions() []string {
	if c.Region != "" {
		return []string{c.Region}
	}
	var out []string
	for _, r := range regions.All() {
		out = append(out, r.Name)
	}
	return out
}

// S3 is how to reach the configured S3 server (an empty Endpoint when none is configured).
func (c Config) S3() objstore.Config {
	return objstore.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey, Secure: c.S3Secure}
}

// Buckets are the archive buckets of the regions the process serves, as Regions lists them.
func (c Config) Buckets() []string {
	var out []string
	for _, name := range c.Regions() {
		r, _ := regions.ByName(name)
		out = append(out, r.S3Bucket)
	}
	return out
}

// TicketKeyPath is where the QR tickets' signing key is: --ticket-key, or keys/ under the data dir.
func (c Config) TicketKeyPath() string {
	if c.TicketKey != "" {
		return c.TicketKey
	}
	return filepath.Join(c.DataDir, "keys", "ticket-ed25519.pem")
}

// Channels is how the process reaches its notification providers (email to .eml files under the data dir
// without --smtp-addr).
func (c Config) Channels(now func() time.Time) notify.ChannelsConfig {
	return notify.ChannelsConfig{SMTPAddr: c.SMTPAddr, MailFrom: c.MailFrom, MailDir: filepath.Join(c.DataDir, "mail"),
		SMSURL: c.SMSURL, PushURL: c.PushURL, Secret: []byte(c.NotifySecret), Now: now}
}

// ServingRegion is the region this process answers for, where accounts registered without a location are
// homed: Region, or the primary region when the process serves every region. Check refuses an unknown Region;
// one set otherwise gives the zero Region, on which registration fails rather than guessing.
func (c Config) ServingRegion() regions.Region {
	if c.Region == "" {
		return regions.Primary()
	}
	r, _ := regions.ByName(c.Region)
	return r
}
