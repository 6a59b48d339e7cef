package telemetry

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/events"
)

// Business counts what committed, as the outbox relay publishes it: every event is in the outbox only if its
// transaction committed, and a relay counts each event it stored in JetStream once (copies JetStream already had
// are not counted again). So holds, bookings, revenue and refunds are counted exactly where they are announced.
type Business struct {
	events, holds, bookings, refunds *prometheus.CounterVec
	revenue, refunded                *prometheus.CounterVec
	deliveries                       *prometheus.CounterVec
}

// NewBusiness registers the business and delivery counters on reg.
func NewBusiness(reg prometheus.Registerer) *Business {
	c := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	b := &Business{
		events:     c("marquee_events_relayed_total", "Outbox events relayed to NATS, by region and kind.", "region", "kind"),
		holds:      c("marquee_holds_total", "Seat holds placed (moviegoers' and standby offers'), by region.", "region"),
		bookings:   c("marquee_bookings_total", "Bookings confirmed, by region.", "region"),
		refunds:    c("marquee_refunds_total", "Cancellations (full or partial), by region.", "region"),
		revenue:    c("marquee_revenue_minor_total", "Money charged for bookings and added seats, in minor units, by region and currency.", "region", "currency"),
		refunded:   c("marquee_refunded_minor_total", "Money refunded on cancellations, in minor units, by region and currency.", "region", "currency"),
		deliveries: c("marquee_notify_deliveries_total", "Notification delivery attempts, by channel and result (sent, failed: to be retried, dead).", "channel", "result"),
	}
	reg.MustRegister(b.events, b.holds, b.bookings, b.refunds, b.revenue, b.refunded, b.deliveries)
	return b
}

// Relayed counts one event the relay stored in JetStream; it is relay.Options.Relayed.
func (b *Business) Relayed(r events.Record) {
	region, kind, ok := events.Parse(r.Subject)
	if !ok {
		return
	}
	b.events.WithLabelValues(region, string(kind)).Inc()
	switch kind {
	case events.SeatsHeldKind:
		b.holds.WithLabelValues(region).Inc()
	case events.BookingConfirmedKind:
		var m marqueev1.BookingConfirmed
		if proto.Unmarshal(r.Payload, &m) == nil {
			b.bookings.WithLabelValues(region).Inc()
			b.money(b.revenue, region, m.GetTotal())
		}
	case events.BookingModifiedKind:
		var m marqueev1.BookingModified
		if proto.Unmarshal(r.Payload, &m) == nil {
			b.money(b.revenue, region, m.GetCharged())
		}
	case events.BookingCancelledKind:
		var m marqueev1.BookingCancelled
		if proto.Unmarshal(r.Payload, &m) == nil {
			b.refunds.WithLabelValues(region).Inc()
			b.money(b.refunded, region, m.GetRefund())
		}
	}
}

func (b *Business) money(c *prometheus.CounterVec, region string, m *marqueev1.Money) {
	if m.GetAmountMinor() > 0 && len(m.GetCurrencyCode()) == 3 {
		c.WithLabelValues(region, m.GetCurrencyCode()).Add(float64(m.GetAmountMinor()))
	}
}

// Delivered counts one delivery attempt's outcome; it is notify.Sender.Outcome.
func (b *Business) Delivered(channel, result string) {
	b.deliveries.WithLabelValues(channel, result).Inc()
}

// natsCollector reports, at each scrape, the messages each durable consumer of Marquee's streams has yet to
// handle.
type natsCollector struct {
	js      jetstream.JetStream
	pending *prometheus.Desc
}

// NewNATSCollector returns a collector of marquee_nats_consumer_pending_messages{stream,consumer}. A process's
// own search consumers ("search-<process id>") are summed under "search", so the label set stays bounded.
func NewNATSCollector(js jetstream.JetStream) prometheus.Collector {
	return &natsCollector{js: js, pending: prometheus.NewDesc("marquee_nats_consumer_pending_messages",
		"Messages a durable consumer has not yet received, plus those delivered but not acknowledged.",
		[]string{"stream", "consumer"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *natsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.pending }

// Collect implements prometheus.Collector.
func (c *natsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	type key struct{ stream, consumer string }
	sums := map[key]float64{}
	names := c.js.StreamNames(ctx)
	for stream := range names.Name() {
		s, err := c.js.Stream(ctx, stream)
		if err != nil {
			continue
		}
		infos := s.ListConsumers(ctx)
		for info := range infos.Info() {
			name := info.Name
			if strings.HasPrefix(name, "search-") {
				name = "search"
			}
			sums[key{stream, name}] += float64(info.NumPending + uint64(info.NumAckPending))
		}
	}
	for k, v := range sums {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, v, k.stream, k.consumer)
	}
}

// Init makes region's series present at zero, in currency, and each channel's delivery results, so dashboards
// and alerts see them before the first event.
func (b *Business) Init(region, currency string, channels ...string) {
	for _, c := range []*prometheus.CounterVec{b.holds, b.bookings, b.refunds} {
		c.WithLabelValues(region)
	}
	b.revenue.WithLabelValues(region, currency)
	for _, k := range []events.Kind{events.SeatsHeldKind, events.BookingConfirmedKind, events.BookingModifiedKind,
		events.BookingCancelledKind} {
		b.events.WithLabelValues(region, string(k))
	}
	b.refunded.WithLabelValues(region, currency)
	for _, ch := range channels {
		for _, result := range []string{"sent", "failed", "dead"} {
			b.deliveries.WithLabelValues(ch, result)
		}
	}
}
