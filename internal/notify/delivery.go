package notify

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses. A delivery starts pending; an attempt leaves it sent, failed (to be retried at
// NextAttemptAt) or dead (given up: a permanent error, or the last allowed attempt failed).
const (
	StatusPending Status = "pending"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
	StatusDead    Status = "dead"
)

// Delivery is the record of sending one message over one channel. ID is chosen by whoever asks for the
// delivery and identifies it for good: see Sender.Send.
type Delivery struct {
	ID, Channel, To, Kind string
	Region                string // whose jobs send it: the region of what it is about
	Attempts              int
	Status                Status
	LastError             string
	NextAttemptAt         time.Time // when the next attempt is due, or (while one runs) its lease expires
}

// Queued is a delivery with the message it sends.
type Queued struct {
	Delivery Delivery
	Message  Message
}

// DeliveryLog stores deliveries and their messages durably, so retries survive a restart. It must be safe
// for concurrent use, by several processes when several run Senders. notifytest.MemoryLog is an in-memory
// implementation for tests, and notifytest.TestDeliveryLog checks any implementation against this contract.
type DeliveryLog interface {
	// Create stores d with m. It reports an errs.Conflict error when a delivery with d.ID exists.
	Create(ctx context.Context, d Delivery, m Message) error
	// Claim returns at most limit of region's deliveries whose status is pending or failed and whose
	// NextAttemptAt is at or before now, earliest first, and in the same atomic step sets their NextAttemptAt
	// to leaseUntil, so no other Claim returns them before then.
	Claim(ctx context.Context, region string, now, leaseUntil time.Time, limit int) ([]Queued, error)
	// Record stores the outcome of an attempt: d's Attempts, Status, LastError and NextAttemptAt.
	Record(ctx context.Context, d Delivery) error
}

// Backoff spaces the attempts of a delivery: after failed attempt n the next waits Base*2^(n-1), at most Max,
// less a random fraction of up to Jitter of that wait, so deliveries that failed together do not retry
// together. After MaxAttempts attempts a delivery is dead.
type Backoff struct {
	Base, Max   time.Duration
	Jitter      float64 // between 0 and 1
	MaxAttempts int
}

// DefaultBackoff retries after about 30s, 1m, 2m, 4m... up to 1h between attempts, 10 attempts in all: about
// three hours before a delivery is declared dead.
var DefaultBackoff = Backoff{Base: 30 * time.Second, Max: time.Hour, Jitter: 0.2, MaxAttempts: 10}

// Delay returns the wait after failed attempt number attempt (from 1), given r drawn uniformly from [0, 1).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d - time.Duration(float64(d)*b.Jitter*r)
}

// ErrDuplicate is what Send reports for a delivery ID already in the log: the delivery was asked for before
// (an event delivered twice) and needs nothing more. It is an errs.Conflict.
var ErrDuplicate = &errs.Error{Op: "notify.Send", Kind: errs.Conflict, Msg: "delivery already exists"}

// Sender sends messages over its channels, recording every attempt in Log and retrying failed ones with
// backoff. Send makes the first attempt at once; Job (RunDue, called periodically) makes the retries.
// Fields may be changed after NewSender and before first use.
type Sender struct {
	Region   string // the region whose deliveries it records and sends ("" in tests)
	Log      DeliveryLog
	Channels map[string]Channel
	Backoff  Backoff
	Now      func() time.Time
	Rand     func() float64 // uniform in [0, 1), for jitter
	// Lease is how long an attempt may take before another worker may try the same delivery again. It must
	// be longer than any channel's timeout.
	Lease  time.Duration
	Batch  int // the most deliveries one RunDue claims
	Logger *slog.Logger
	// Outcome, when set, is told each recorded attempt's channel and resulting status (for metrics).
	Outcome func(channel, status string)
}

// NewSender returns a Sender with DefaultBackoff, a 2-minute lease and batches of 50. A nil now means
// time.Now.
func NewSender(log DeliveryLog, channels map[string]Channel, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	return &Sender{Log: log, Channels: channels, Backoff: DefaultBackoff, Now: now, Rand: rand.Float64,
		Lease: 2 * time.Minute, Batch: 50, Logger: slog.Default()}
}

// Send records a delivery of m over channel and makes its first attempt, returning the delivery as the attempt
// left it. id must identify the delivery for good: derive it from the event that asked for it (for example
// "booking_confirmed/<booking id>/email") so that an event handled twice sends once; then the second Send
// returns ErrDuplicate. A failed attempt is not an error: the delivery is failed or dead and Run retries it.
// Errors are an unknown channel or no id (Invalid), ErrDuplicate, and the log's.
func (s *Sender) Send(ctx context.Context, id, channel, kind string, m Message) (Delivery, error) {
	// The creator holds the first lease: a worker's Claim cannot pick the delivery up while Send attempts it.
	d, err := s.create(ctx, id, channel, kind, m, s.Now().Add(s.Lease))
	if err != nil {
		return Delivery{}, err
	}
	return s.attempt(ctx, d, m)
}

// Enqueue records a delivery as Send does but leaves every attempt to Run, which makes the first within one
// poll. It suits event handlers, which should not wait on a mail server.
func (s *Sender) Enqueue(ctx context.Context, id, channel, kind string, m Message) (Delivery, error) {
	return s.create(ctx, id, channel, kind, m, s.Now())
}

// create checks and records a pending delivery due at next.
func (s *Sender) create(ctx context.Context, id, channel, kind string, m Message, next time.Time) (Delivery, error) {
	const op = "notify.Send"
	if _, ok := s.Channels[channel]; !ok {
		return Delivery{}, errs.Errorf(op, errs.Invalid, "no %q channel", channel)
	}
	if id == "" {
		return Delivery{}, errs.Errorf(op, errs.Invalid, "no delivery ID")
	}
	d := Delivery{ID: id, Channel: channel, To: m.To, Kind: kind, Region: s.Region, Status: StatusPending,
		NextAttemptAt: next}
	if err := s.Log.Create(ctx, d, m); err != nil {
		if errs.Is(err, errs.Conflict) {
			return Delivery{}, fmt.Errorf("%w: %s", ErrDuplicate, id)
		}
		return Delivery{}, errs.E(op, err)
	}
	return d, nil
}

// RunDue claims the deliveries due now and attempts each once, returning how many it attempted.
func (s *Sender) RunDue(ctx context.Context) (int, error) {
	now := s.Now()
	due, err := s.Log.Claim(ctx, s.Region, now, now.Add(s.Lease), s.Batch)
	if err != nil {
		return 0, errs.E("notify.RunDue", err)
	}
	for i, q := range due {
		if _, err := s.attempt(ctx, q.Delivery, q.Message); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

// ForRegion returns a Sender like s whose deliveries belong to region: those it records, and those its Job
// sends.
func (s *Sender) ForRegion(region string) *Sender {
	c := *s
	c.Region = region
	return &c
}

// Job attempts the due deliveries every poll: a full batch is followed by the next at once.
func (s *Sender) Job(poll time.Duration) jobs.Job {
	return jobs.Job{Name: "notify.deliveries", Every: poll, Run: func(ctx context.Context) error {
		for {
			n, err := s.RunDue(ctx)
			if err != nil || n < s.Batch {
				return err
			}
		}
	}}
}

// attempt sends m once and records the outcome in d. It returns an error only when the outcome could not be
// recorded, or ctx ended: the lease then lapses and a later Claim retries the delivery.
func (s *Sender) attempt(ctx context.Context, d Delivery, m Message) (Delivery, error) {
	err := s.Channels[d.Channel].Send(WithDeliveryID(ctx, d.ID), m)
	if err != nil && ctx.Err() != nil {
		return d, ctx.Err()
	}
	d.Attempts++
	d.LastError, d.NextAttemptAt = "", time.Time{}
	switch {
	case err == nil:
		d.Status = StatusSent
	case !IsRetryable(err) || d.Attempts >= s.Backoff.MaxAttempts:
		d.Status, d.LastError = StatusDead, lastError(err)
	default:
		wait := max(s.Backoff.Delay(d.Attempts, s.Rand()), retryAfter(err))
		d.Status, d.LastError, d.NextAttemptAt = StatusFailed, lastError(err), s.Now().Add(wait)
	}
	if err != nil {
		// The full cause, a provider's answer included, is for the log only; the delivery keeps the summary.
		s.Logger.WarnContext(ctx, "notify: attempt failed", "delivery", d.ID, "channel", d.Channel,
			"attempt", d.Attempts, "status", d.Status, "err", err)
	}
	if err := s.Log.Record(ctx, d); err != nil {
		return d, errs.E("notify.attempt", err)
	}
	if s.Outcome != nil {
		s.Outcome(d.Channel, string(d.Status))
	}
	return d, nil
}

// truncate keeps an error message to a size a log row can hold, as valid UTF-8.
func truncate(s string) string {
	const limit = 1000
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
