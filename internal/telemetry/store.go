package telemetry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Retries counts the store's transactions run again, by cause, and by transaction and reason; its Observe is
// store.DB.OnRetry.
type Retries struct{ c, byTx *prometheus.CounterVec }

// NewRetries registers marquee_tx_retries_total and marquee_tx_retries_by_transaction_total on reg.
func NewRetries(reg prometheus.Registerer) *Retries {
	r := &Retries{c: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "marquee_tx_retries_total",
		Help: "Transactions run again after losing a race, by cause (serialization, deadlock)."}, []string{"cause"}),
		byTx: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "marquee_tx_retries_by_transaction_total",
			Help: "Transactions run again, by the store function that ran them and the reason (write_conflict: " +
				"a row it meant to change was changed since its snapshot; rw_dependency: serializable " +
				"read-write dependencies; deadlock)."}, []string{"tx", "reason"})}
	reg.MustRegister(r.c, r.byTx)
	for _, cause := range []string{"serialization", "deadlock"} {
		r.c.WithLabelValues(cause) // present at zero, so dashboards and alerts see the series from the start
	}
	return r
}

// Observe counts one retry of the transaction tx (the store function that ran it) that failed with err.
func (r *Retries) Observe(tx string, err error) {
	r.c.WithLabelValues(Cause(err)).Inc()
	r.byTx.WithLabelValues(tx, Reason(err)).Inc()
}

// Count returns the retries of transaction tx counted so far, whatever the reason.
func (r *Retries) Count(tx string) int {
	n := 0
	for _, reason := range []string{"write_conflict", "rw_dependency", "deadlock", "other"} {
		m := &dto.Metric{}
		if err := r.byTx.WithLabelValues(tx, reason).Write(m); err == nil {
			n += int(m.GetCounter().GetValue())
		}
	}
	return n
}

// ByTransaction returns the retries counted so far, by "transaction reason".
func (r *Retries) ByTransaction() map[string]int {
	ch := make(chan prometheus.Metric, 64)
	go func() { r.byTx.Collect(ch); close(ch) }()
	out := map[string]int{}
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil {
			continue
		}
		var tx, reason string
		for _, l := range d.GetLabel() {
			switch l.GetName() {
			case "tx":
				tx = l.GetValue()
			case "reason":
				reason = l.GetValue()
			}
		}
		if n := int(d.GetCounter().GetValue()); n > 0 {
			out[tx+" "+reason] = n
		}
	}
	return out
}

// Reason tells apart PostgreSQL's two serialization failures (and CockroachDB's restarts) and deadlocks:
// "write_conflict" (a row to update was changed by a transaction that committed after the snapshot),
// "rw_dependency" (SSI found a dangerous structure of read-write dependencies; CockroachDB's restarts count
// here too), "deadlock", or "other".
func Reason(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case !errors.As(err, &pgErr):
		return "other"
	case pgErr.Code == "40P01":
		return "deadlock"
	case pgErr.Code != "40001":
		return "other"
	case strings.Contains(pgErr.Message, "concurrent update") || strings.Contains(pgErr.Message, "concurrent delete"):
		return "write_conflict"
	default:
		return "rw_dependency"
	}
}

// Cause names why a transaction failed: "serialization" (SQLSTATE 40001), "deadlock" (40P01), else the SQLSTATE,
// or "other" for an error that is not PostgreSQL's.
func Cause(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case !errors.As(err, &pgErr):
		return "other"
	case pgErr.Code == "40001":
		return "serialization"
	case pgErr.Code == "40P01":
		return "deadlock"
	default:
		return pgErr.Code
	}
}

// poolCollector reports a pgx pool's Stat at each scrape.
type poolCollector struct {
	pool                                  *pgxpool.Pool
	acquired, idle, total, max, construct *prometheus.Desc
	acquires, empty, canceled, waited     *prometheus.Desc
}

// NewPoolCollector returns a collector of pool's statistics (marquee_db_pool_*).
func NewPoolCollector(pool *pgxpool.Pool) prometheus.Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("marquee_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{pool: pool,
		acquired:  d("acquired_conns", "Connections in use."),
		idle:      d("idle_conns", "Idle connections."),
		total:     d("total_conns", "Open connections."),
		max:       d("max_conns", "The pool's size limit."),
		construct: d("constructing_conns", "Connections being opened."),
		acquires:  d("acquires_total", "Connections acquired."),
		empty:     d("empty_acquires_total", "Acquires that waited because no connection was idle."),
		canceled:  d("canceled_acquires_total", "Acquires abandoned by their context."),
		waited:    d("acquire_wait_seconds_total", "Time spent waiting for a connection."),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.construct, c.acquires, c.empty,
		c.canceled, c.waited} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.acquired, float64(s.AcquiredConns()))
	g(c.idle, float64(s.IdleConns()))
	g(c.total, float64(s.TotalConns()))
	g(c.max, float64(s.MaxConns()))
	g(c.construct, float64(s.ConstructingConns()))
	n(c.acquires, float64(s.AcquireCount()))
	n(c.empty, float64(s.EmptyAcquireCount()))
	n(c.canceled, float64(s.CanceledAcquireCount()))
	n(c.waited, s.AcquireDuration().Seconds())
}

// OutboxLag is one region's unpublished outbox rows: how many, and since when the oldest waits.
type OutboxLag struct {
	Region string
	Count  int
	Oldest time.Time
}

// outboxCollector reports the outbox's backlog at each scrape, read with a short timeout.
type outboxCollector struct {
	lag        func(context.Context) ([]OutboxLag, error)
	regions    []string
	now        func() time.Time
	count, age *prometheus.Desc
}

// NewOutboxCollector returns a collector of the outbox backlog that lag reads (store.Outbox.Lag), by region;
// regions without a backlog report 0.
func NewOutboxCollector(lag func(context.Context) ([]OutboxLag, error), now func() time.Time, regions []string) prometheus.Collector {
	return &outboxCollector{lag: lag, now: now, regions: regions,
		count: prometheus.NewDesc("marquee_outbox_unpublished_events", "Outbox events not yet relayed to NATS.",
			[]string{"region"}, nil),
		age: prometheus.NewDesc("marquee_outbox_oldest_unpublished_age_seconds",
			"Age of the oldest outbox event not yet relayed (0 when none waits).", []string{"region"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.count; ch <- c.age }

// Collect implements prometheus.Collector; a failed read reports nothing (the scrape shows the gap).
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lags, err := c.lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.count, err)
		return
	}
	for _, r := range c.regions {
		if !slices.ContainsFunc(lags, func(l OutboxLag) bool { return l.Region == r }) {
			lags = append(lags, OutboxLag{Region: r})
		}
	}
	for _, l := range lags {
		age := 0.0
		if l.Count > 0 {
			age = max(c.now().Sub(l.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(l.Count), l.Region)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age, l.Region)
	}
}
