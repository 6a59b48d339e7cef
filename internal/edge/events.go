package edge

import (
	"github.com/nats-io/nats.go"

	"github.com/marqueehq/marquee/internal/events"
)

// Invalidator drops cached catalog answers: an *Edge or its *Cache.
type Invalidator interface{ InvalidateCatalog() }

// SubscribeCatalog invalidates c on every CatalogChanged event, from any region, published on nc, until the
// subscription is unsubscribed or nc closed. It is a plain NATS subscription, not a durable consumer: every
// edge must see every event, none needs the ones published while it was away (it starts with an empty
// cache), and a missed event only keeps answers until their TTL, which is short.
func SubscribeCatalog(nc *nats.Conn, c Invalidator) (*nats.Subscription, error) {
	return nc.Subscribe(events.Filter(events.CatalogChangedKind), func(*nats.Msg) { c.InvalidateCatalog() })
}
