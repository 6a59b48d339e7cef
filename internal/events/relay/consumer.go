package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/telemetry"
)

// Msg is an event as a consumer receives it.
type Msg struct {
	ID          string // the outbox id (Nats-Msg-Id): what an idempotent handler keys its effect on
	Subject     string // "marquee.<region>.<aggregate>.<event>"
	Type        string // the payload's protobuf message name
	AggregateID string
	Data        []byte // the protobuf payload
	Header      nats.Header
	Delivered   uint64 // 1 on the first delivery, more on redeliveries
}

// Handler applies one event. Returning nil acknowledges it; an error has it delivered again after a backoff.
// The same event may be delivered more than once, so a handler's effect must be idempotent (keyed on Msg.ID or
// on what the event names).
type Handler func(ctx context.Context, m Msg) error

// Consumer is a durable pull consumer of the MARQUEE stream: explicit acknowledgement, at most MaxDeliver
// deliveries of an event, failed deliveries retried after BackOff. Every process running a Consumer with the
// same Durable shares its work. Zero values of the tuning fields take the defaults.
type Consumer struct {
	Stream     Stream          // the region stream it reads; required
	Durable    string          // the consumer's durable name, unique within its stream
	Filter     string          // subject filter, for example "marquee.*.booking.cancelled"; "" for all events
	Handle     Handler         // required
	MaxDeliver int             // default 10; after that the event is logged and dropped
	BackOff    []time.Duration // wait before the n-th redelivery after an error; default 100ms, 1s, 5s, 30s
	AckWait    time.Duration   // how long a handler may take before the event is redelivered; default 30s
	Log        *slog.Logger    // default discards
	// OnlyNew starts a new consumer at the next event instead of the start of the stream, for per-process state
	// rebuilt from the database (a search index); InactiveThreshold then lets the server delete the consumer
	// once its process is gone.
	OnlyNew           bool
	InactiveThreshold time.Duration
	// StartAt, when set, starts a new consumer at the events stored from that time on: state rebuilt from the
	// database after StartAt then misses nothing published in between.
	StartAt time.Time
}

// defaultBackOff is the redelivery schedule after handler errors; its last value repeats.
var defaultBackOff = []time.Duration{100 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second}

// Run ensures the stream and the durable consumer (retrying while NATS is unreachable), then hands events to
// Handle one at a time until ctx is done, and returns nil once the handler in progress has finished.
func (c *Consumer) Run(ctx context.Context, js jetstream.JetStream) error {
	if c.Durable == "" || c.Handle == nil || c.Stream.Region == "" {
		return errors.New("relay.Consumer: Stream, Durable and Handle are required")
	}
	c.defaults()
	cons, err := c.create(ctx, js)
	if err != nil {
		return nil // ctx is done
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { c.deliver(ctx, m) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			c.Log.Debug("relay: consumer", "durable", c.Durable, "err", err)
		}))
	if err != nil {
		return fmt.Errorf("relay.Consumer %s: %w", c.Durable, err)
	}
	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	return nil
}

func (c *Consumer) defaults() {
	c.MaxDeliver = cmp.Or(c.MaxDeliver, 10)
	c.AckWait = cmp.Or(c.AckWait, 30*time.Second)
	if len(c.BackOff) == 0 {
		c.BackOff = defaultBackOff
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// create makes or updates the stream and the durable consumer, retrying with backoff until it succeeds; it
// fails only when ctx is done.
func (c *Consumer) create(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{Durable: c.Durable, FilterSubject: c.Filter,
		AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver: c.MaxDeliver, AckWait: c.AckWait, InactiveThreshold: c.InactiveThreshold}
	if c.OnlyNew {
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	if !c.StartAt.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &c.StartAt
	}
	wait := 100 * time.Millisecond
	for {
		err := c.Stream.Ensure(ctx, js)
		if err == nil {
			cons, cerr := js.CreateOrUpdateConsumer(ctx, c.Stream.Name(), cfg)
			if cerr == nil {
				return cons, nil
			}
			err = cerr
		}
		c.Log.Warn("relay: creating consumer failed, retrying", "durable", c.Durable, "err", err, "in", wait)
		if !jobs.Sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// deliver hands m to the handler and acknowledges it, or asks for a later redelivery, or gives up on it.
func (c *Consumer) deliver(ctx context.Context, jm jetstream.Msg) {
	m := toMsg(jm)
	ctx, span := telemetry.StartSpan(telemetry.ExtractNATS(ctx, m.Header), "consume "+c.Durable, trace.SpanKindConsumer)
	defer span.End()
	err := c.Handle(ctx, m)
	switch {
	case err == nil:
		err = jm.Ack()
	case m.Delivered >= uint64(c.MaxDeliver):
		c.Log.Error("relay: event failed too often, dropped", "durable", c.Durable, "id", m.ID,
			"subject", m.Subject, "deliveries", m.Delivered, "err", err)
		err = jm.Term()
	default:
		c.Log.Warn("relay: event failed, will be redelivered", "durable", c.Durable, "id", m.ID, "err", err)
		err = jm.NakWithDelay(c.BackOff[min(int(m.Delivered), len(c.BackOff))-1])
	}
	if err != nil {
		c.Log.Debug("relay: acknowledging event", "durable", c.Durable, "id", m.ID, "err", err)
	}
}

func toMsg(jm jetstream.Msg) Msg {
	h := jm.Headers()
	m := Msg{ID: h.Get(jetstream.MsgIDHeader), Subject: jm.Subject(), Type: h.Get(TypeHeader),
		AggregateID: h.Get(AggregateHeader), Data: jm.Data(), Header: h, Delivered: 1}
	if md, err := jm.Metadata(); err == nil {
		m.Delivered = md.NumDelivered
	}
	return m
}

// Job runs the consumer on js as a background job named after its durable (and its stream's region when that
// is global).
func (c *Consumer) Job(js jetstream.JetStream) jobs.Job {
	name := "events.consume." + c.Durable
	if c.Stream.Region == events.GlobalRegion {
		name += ".global"
	}
	return jobs.Job{Name: name, Run: func(ctx context.Context) error { return c.Run(ctx, js) }}
}
