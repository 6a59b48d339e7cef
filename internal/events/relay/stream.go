// Package relay carries Marquee's events from the database to NATS JetStream and from JetStream to consumers.
//
// The database is the source of truth: a change and its outbox row commit in one transaction. A Relay reads
// unpublished outbox rows of one region in (created_at, id) order, publishes each to that region's stream (see
// Stream) with the header Nats-Msg-Id set to the row's id, waits for JetStream's acknowledgements and only then
// marks the rows published.
// A row is therefore published at least once, never lost: if NATS is down the rows stay unpublished and the relay
// retries with backoff.
//
// Several relays may run against the same rows (one per process, no locks). Two of them may publish the same row,
// and a relay that dies between publishing and marking publishes the row again when it comes back; JetStream
// drops the second copy because it has the same Nats-Msg-Id within the stream's duplicate window (DupWindow).
// A copy published after the window has passed (a relay stalled for longer than DupWindow between publishing
// and marking) would reach consumers twice, so consumers are idempotent anyway: their effects are keyed on the
// outbox id or on what the event names.
package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/regions"
)

// StreamPrefix starts the name of every region's event stream: MARQUEE_US_EAST1, MARQUEE_GLOBAL, ...
const StreamPrefix = "MARQUEE_"

// DupWindow is how long JetStream remembers a Nats-Msg-Id to drop a re-published copy.
const DupWindow = 2 * time.Minute

// MaxAge is how long a stream keeps an event; the outbox remains the record.
const MaxAge = 7 * 24 * time.Hour

// Headers set on every published event besides jetstream.MsgIDHeader (the outbox id).
const (
	TypeHeader      = "Marquee-Event-Type"   // the protobuf message's full name
	AggregateHeader = "Marquee-Aggregate-Id" // the ID of the thing the event is about
)

// Stream is one region's event stream: the events of rows homed in Region ("global" for global rows such as
// movies), kept in the NATS cluster of that region when NATS is clustered, so that a region's outage does not
// stop the others publishing or consuming.
type Stream struct {
	Region  string // the subject's region token
	Cluster string // the NATS cluster to place the stream in; "" when NATS is a single server
}

// Name is the stream's name, "MARQUEE_" and the region in capitals with "-" as "_".
func (s Stream) Name() string {
	return StreamPrefix + strings.ToUpper(strings.ReplaceAll(s.Region, "-", "_"))
}

// Config returns the stream's configuration: subjects "marquee.<region>.>", file storage, placement in its
// cluster and the duplicate window the relay's at-least-once publishing relies on.
func (s Stream) Config() jetstream.StreamConfig {
	c := jetstream.StreamConfig{
		Name:       s.Name(),
		Subjects:   []string{events.RegionSubjects(s.Region)},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     MaxAge,
		Duplicates: DupWindow,
	}
	if s.Cluster != "" {
		c.Placement = &jetstream.Placement{Cluster: s.Cluster}
	}
	return c
}

// Ensure creates the stream, or updates it when its configuration differs from Config. It is idempotent and
// safe to call from many processes; an existing stream that already matches is left untouched (a needless
// update racing a consumer creation trips a data race in nats-server v2.15.2).
func (s Stream) Ensure(ctx context.Context, js jetstream.JetStream) error {
	want := s.Config()
	st, err := js.Stream(ctx, want.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		err = CreateStream(ctx, js, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return s.Ensure(ctx, js) // another process created it first, perhaps differently
		}
		if overlaps(err) && dropLegacy(ctx, js) {
			err = CreateStream(ctx, js, want)
		}
	case err == nil && !matches(st.CachedInfo().Config, want):
		_, err = js.UpdateStream(ctx, want)
	}
	if err != nil {
		return fmt.Errorf("relay.Stream(%s).Ensure: %w", s.Region, err)
	}
	return nil
}

// CreateStream creates a stream of cfg. Right after another stream of the account was deleted, nats-server
// v2.15.2 may still be removing the account's stream directory and answer "error creating store for stream"
// (its log: "could not create storage directory ... no such file or directory"); that answer is tried again
// a few times, 50 ms apart.
func CreateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	for attempt := 1; ; attempt++ {
		_, err := js.CreateStream(ctx, cfg)
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.ErrorCode(10049) || attempt == 10 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// LegacyStream is the one stream of every region's events that data directories made before streams were
// per region still have; its subjects overlap every region's stream.
const LegacyStream = "MARQUEE"

// overlaps reports whether err is JetStream refusing a stream whose subjects overlap another's.
func overlaps(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.ErrorCode(10065) // JSStreamSubjectOverlapErr
}

// dropLegacy deletes LegacyStream, reporting whether it did. Nothing is lost: every event it held is in the
// outbox, and consumers, being idempotent, may see an event again.
func dropLegacy(ctx context.Context, js jetstream.JetStream) bool {
	return js.DeleteStream(ctx, LegacyStream) == nil
}

// matches reports whether the stream configuration has the settings StreamConfig sets.
func matches(got, want jetstream.StreamConfig) bool {
	return slices.Equal(got.Subjects, want.Subjects) && got.Storage == want.Storage &&
		got.Retention == want.Retention && got.MaxAge == want.MaxAge && got.Duplicates == want.Duplicates
}

// Connect connects to the NATS server at url for the relay and consumers. The connection reconnects forever and
// does not buffer publishes while disconnected, so a publish during an outage fails at once and the relay keeps
// the rows for its next attempt instead of guessing what a buffer will do.
func Connect(url, name string, opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1),
		nats.RetryOnFailedConnect(true),
	}
	nc, err := nats.Connect(url, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("relay.Connect: %w", err)
	}
	return nc, nil
}

// Streams are the event streams of every region of regions/ and of global rows. When clustered (NATS is a
// supercluster) each is placed in its region's NATS cluster, global rows' in the primary region's.
func Streams(clustered bool) []Stream {
	cluster := func(r regions.Region) string {
		if !clustered {
			return ""
		}
		return r.NATSCluster
	}
	var out []Stream
	for _, r := range regions.All() {
		out = append(out, Stream{Region: r.Name, Cluster: cluster(r)})
	}
	return append(out, Stream{Region: events.GlobalRegion, Cluster: cluster(regions.Primary())})
}

// StreamOf returns the stream of region among streams (the zero Stream when it is not there).
func StreamOf(streams []Stream, region string) Stream {
	for _, s := range streams {
		if s.Region == region {
			return s
		}
	}
	return Stream{}
}
