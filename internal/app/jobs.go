package app

import (
	"context"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/consume"
	"github.com/marqueehq/marquee/internal/events/hub"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/regions"
)

// startJobs connects to NATS (an embedded server under DataDir/nats unless --nats-url), starts the hub of live
// watchers on it, builds the search index and starts the background jobs: this process's own (its index's
// consumers and pruning, the lease keeper) and, through the lease keeper, each region's it holds (see
// regionJobs).
func (m *Main) startJobs(ctx context.Context, s rpc.Services, keeper *search.Keeper) error {
	if err := m.connectNATS(); err != nil {
		return err
	}
	m.hub = hub.New(m.nc, m.Log)
	s.Inventory.Changes, s.Standby.Changes = m.hub, m.hub
	js, err := jetstream.New(m.nc)
	if err != nil {
		return err
	}
	n, err := notify.New(notify.Config{TicketKeyPath: m.Config.TicketKeyPath(), Source: m.db,
		Settings: m.db.Accounts(), Deliveries: m.db.Deliveries(), Log: m.Log, Channels: m.Config.Channels(m.Now)})
	if err != nil {
		return err
	}
	s.Bookings.TicketKey = n.Key // bookings' tickets are signed as the emails' are
	n.Sender.Outcome = m.Telemetry.Business.Delivered
	m.Telemetry.WatchNATS(js)
	streams := relay.Streams(m.nc.ConnectedClusterName() != "")
	id, startAt := m.db.IDs.New(), time.Now().Add(-time.Second)
	for _, r := range append(m.Config.Regions(), events.GlobalRegion) {
		m.jobs.Start(consume.Search(keeper, relay.StreamOf(streams, r), id, startAt, m.Log).Job(js))
	}
	start := time.Now()
	if err := keeper.Reindex(ctx, nil); err != nil {
		return err
	}
	m.Log.Info("built search index", "took", time.Since(start).Round(time.Millisecond))
	m.regional = &jobs.Regional{Runner: &m.jobs, Leases: m.db.Leases(), Process: id, Home: m.Config.Regions(),
		All: regions.All(), Lease: m.Config.JobLease, Jobs: func(region string) []jobs.Job { return m.regionJobs(region, s, n, js, streams) }}
	m.jobs.Start(keeper.PruneJob(time.Hour), m.regional.Job())
	return nil
}

// regionJobs are the jobs of one region, run by the process holding its lease: its outbox relay and consumers,
// hold expiry, standby lines, on-sale admissions, deliveries, reminders, the archive, the payment reconciler and refund retries; the primary region's also relay the
// global rows and prune bookkeeping rows.
func (m *Main) regionJobs(region string, s rpc.Services, n *notify.Notifier, js jetstream.JetStream,
	streams []relay.Stream) []jobs.Job {
	st := relay.StreamOf(streams, region)
	out := []jobs.Job{m.relayJob(st), consume.Standby(s.Standby, st, m.Log).Job(js),
		consume.Notify(n, st, m.Log).Job(js), s.Inventory.ExpireHoldsJob(region, m.Config.WorkerInterval),
		s.Compliance.Job(region, m.Config.Archive.Every), s.Bookings.ReconcileJob(region, booking.ReconcileEvery)}
	out = append(out, s.Standby.Jobs(region, m.Config.WorkerInterval)...)
	out = append(out, s.OnSale.Job(region, m.Config.WorkerInterval))
	out = append(out, n.Jobs(region, 250*time.Millisecond)...)
	if region == regions.Primary().Name {
		out = append(out, m.relayJob(relay.StreamOf(streams, events.GlobalRegion)), m.db.PruneJob(time.Hour),
			s.Bookings.RetryRefundsJob(time.Minute))
	}
	return out
}

func (m *Main) relayJob(st relay.Stream) jobs.Job {
	r, err := relay.New(m.db.Outbox(), m.nc, relay.Options{Stream: st, Log: m.Log, Relayed: m.Telemetry.Business.Relayed})
	if err != nil {
		panic(err) // st always names a region
	}
	return r.Job()
}

// connectNATS connects to --nats-url, or to an embedded server it starts under DataDir/nats.
func (m *Main) connectNATS() error {
	srv, url, err := natsserver.Ensure(m.Config.NATSURL, filepath.Join(m.Config.DataDir, "nats"))
	if err != nil {
		return err
	}
	m.natsSrv = srv
	m.nc, err = relay.Connect(url, "marquee",
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { m.Log.Warn("nats: disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { m.Log.Info("nats: reconnected", "url", c.ConnectedUrlRedacted()) }),
	)
	return err
}
