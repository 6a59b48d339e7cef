package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/telemetry"
)

// Outbox is where the relay finds committed events and records that JetStream stored them; store.Outbox
// implements it.
type Outbox interface {
	// Unpublished returns up to limit unpublished records of region, oldest first.
	Unpublished(ctx context.Context, region string, limit int) ([]events.Record, error)
	// MarkPublished stamps the records published.
	MarkPublished(ctx context.Context, recs []events.Record) error
}

// Options tune a Relay. Zero values take the defaults.
type Options struct {
	Stream     Stream        // the region whose rows the relay publishes, and its stream; required
	BatchSize  int           // rows read and published per round; default 500
	Idle       time.Duration // wait after a round that was not full; default 50ms (a full round goes again at once)
	MaxBackoff time.Duration // longest wait between failed rounds; default 5s (the first waits 100ms)
	AckTimeout time.Duration // how long JetStream may take to acknowledge a publish; default 5s
	Log        *slog.Logger  // default discards
	// Relayed, when set, is told of every row JetStream stored for the first time (not of copies it already
	// had), once that is known: the place committed events are counted (see telemetry.Business).
	Relayed func(events.Record)
}

// Relay publishes outbox rows to JetStream and marks them published once JetStream has stored them. It is safe
// to run several relays (in one or many processes) on the same database; see the package comment.
type Relay struct {
	outbox Outbox
	js     jetstream.JetStream
	opts   Options

	published  atomic.Int64
	duplicates atomic.Int64
	failures   atomic.Int64
}

// Stats counts what a relay has done since it was made.
type Stats struct {
	Published  int64 // rows acknowledged by JetStream and marked published
	Duplicates int64 // of those, copies JetStream recognised by their Nats-Msg-Id and did not store again
	Failures   int64 // rounds that failed (NATS or the database unreachable) and were retried
}

// New returns a relay from outbox to the JetStream of nc (see Connect for suitable connection options).
func New(outbox Outbox, nc *nats.Conn, opts Options) (*Relay, error) {
	if opts.Stream.Region == "" {
		return nil, errors.New("relay.New: a region is required")
	}
	opts.BatchSize = cmp.Or(opts.BatchSize, 500)
	opts.Idle = cmp.Or(opts.Idle, 50*time.Millisecond)
	opts.MaxBackoff = cmp.Or(opts.MaxBackoff, 5*time.Second)
	opts.AckTimeout = cmp.Or(opts.AckTimeout, 5*time.Second)
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(opts.AckTimeout),
		jetstream.WithPublishAsyncMaxPending(2*opts.BatchSize))
	if err != nil {
		return nil, fmt.Errorf("relay.New: %w", err)
	}
	return &Relay{outbox: outbox, js: js, opts: opts}, nil
}

// Stats returns the relay's counters.
func (r *Relay) Stats() Stats {
	return Stats{Published: r.published.Load(), Duplicates: r.duplicates.Load(), Failures: r.failures.Load()}
}

// Run ensures the stream and relays rows until ctx is done, then returns nil. Failures (NATS or the database
// down) are logged and retried with a jittered exponential backoff; unpublished rows stay in the outbox meanwhile.
func (r *Relay) Run(ctx context.Context) error {
	ensured, failures := false, 0
	for {
		n, err := r.round(ctx, &ensured)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.opts.Idle
		switch {
		case err != nil:
			failures++
			r.failures.Add(1)
			ensured = false
			wait = r.backoff(failures)
			r.opts.Log.Warn("relay: publishing events failed, retrying", "err", err, "published", n, "in", wait)
		case n >= r.opts.BatchSize:
			failures, wait = 0, 0
		default:
			failures = 0
		}
		if !jobs.Sleep(ctx, wait) {
			return nil
		}
	}
}

// round ensures the stream when it has not been (or a failure may have lost it), then relays one batch.
func (r *Relay) round(ctx context.Context, ensured *bool) (int, error) {
	if !*ensured {
		ctx, cancel := context.WithTimeout(ctx, r.opts.AckTimeout)
		err := r.opts.Stream.Ensure(ctx, r.js)
		cancel()
		if err != nil {
			return 0, err
		}
		*ensured = true
	}
	// A batch within a bound: a database or NATS connection that stopped answering fails the round (and is
	// dropped) instead of holding the relay forever.
	ctx, cancel := context.WithTimeout(ctx, 6*r.opts.AckTimeout)
	defer cancel()
	return r.RelayOnce(ctx)
}

// backoff returns the wait after the given number of consecutive failures: 100ms doubling up to MaxBackoff,
// with jitter so relays that failed together do not retry together.
func (r *Relay) backoff(failures int) time.Duration {
	d := r.opts.MaxBackoff
	if failures < 16 {
		d = min(100*time.Millisecond<<(failures-1), d)
	}
	return d/2 + rand.N(d/2+1)
}

// RelayOnce publishes one batch of the oldest unpublished rows and marks the acknowledged ones published. It
// returns how many rows it marked, with the first error met; rows not acknowledged stay unpublished for the next
// round. It does not create the stream (see EnsureStream).
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	rows, err := r.outbox.Unpublished(ctx, r.opts.Stream.Region, r.opts.BatchSize)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	pubCtx, span := telemetry.StartSpan(ctx, "relay.publish "+r.opts.Stream.Region, trace.SpanKindProducer)
	acked, pubErr := r.publish(pubCtx, rows)
	span.End()
	if err := r.outbox.MarkPublished(ctx, acked); err != nil {
		return 0, err
	}
	r.published.Add(int64(len(acked)))
	return len(acked), pubErr
}

// publish sends rows asynchronously, in order, and returns those JetStream acknowledged (stored now or already
// stored under the same Nats-Msg-Id). It stops sending at the first failed send, such as while disconnected.
func (r *Relay) publish(ctx context.Context, rows []events.Record) ([]events.Record, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	var err error
	for _, o := range rows {
		msg := message(o)
		telemetry.InjectNATS(ctx, msg.Header) // consumers' spans join the relay's trace
		f, sendErr := r.js.PublishMsgAsync(msg)
		if sendErr != nil {
			err = fmt.Errorf("relay.publish %s: %w", o.Subject, sendErr)
			break
		}
		futures = append(futures, f)
	}
	acked := make([]events.Record, 0, len(futures))
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			acked = append(acked, rows[i])
			if ack.Duplicate {
				r.duplicates.Add(1)
			} else if r.opts.Relayed != nil {
				r.opts.Relayed(rows[i])
			}
		case ackErr := <-f.Err():
			err = cmp.Or(err, fmt.Errorf("relay.publish %s: %w", rows[i].Subject, ackErr))
		case <-ctx.Done():
			return acked, ctx.Err()
		}
	}
	return acked, err
}

// message is the NATS message of an outbox row; Nats-Msg-Id is the row's id, which JetStream dedupes on.
func message(o events.Record) *nats.Msg {
	m := nats.NewMsg(o.Subject)
	m.Data = o.Payload
	m.Header.Set(jetstream.MsgIDHeader, o.ID)
	m.Header.Set(TypeHeader, o.Type)
	m.Header.Set(AggregateHeader, o.AggregateID)
	return m
}

// Job runs the relay as a background job, "events.relay" for a region's rows ("events.relay.global" for
// global rows).
func (r *Relay) Job() jobs.Job {
	name := "events.relay"
	if r.opts.Stream.Region == events.GlobalRegion {
		name += ".global"
	}
	return jobs.Job{Name: name, Run: r.Run}
}
