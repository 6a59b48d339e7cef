// Package consume turns events into domain calls: each handler decodes an event's payload and calls the domain
// service that acts on it. Handlers switch on the event's kind (events.Parse), never on subject strings. A
// payload that does not decode is acknowledged and skipped: redelivering it would not make it decode.
package consume

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/standby"
)

// Standby is the durable consumer that serves a show's standby line as soon as its seats are freed: by a
// cancellation (whole or partial) or released seats (an expired, released or declined hold). Serving is
// idempotent, so a redelivered event only finds nothing left to offer.
func Standby(svc *standby.Service, stream relay.Stream, log *slog.Logger) *relay.Consumer {
	return &relay.Consumer{Stream: stream, Durable: "standby", Log: log,
		Handle: func(ctx context.Context, m relay.Msg) error {
			var showtimeID string
			switch kind(m) {
			case events.BookingCancelledKind:
				var ev marqueev1.BookingCancelled
				if proto.Unmarshal(m.Data, &ev) != nil {
					return nil
				}
				showtimeID = ev.ShowtimeId
			case events.SeatsReleasedKind:
				var ev marqueev1.SeatsReleased
				if proto.Unmarshal(m.Data, &ev) != nil {
					return nil
				}
				showtimeID = ev.ShowtimeId
			default:
				return nil
			}
			_, err := svc.Serve(ctx, showtimeID)
			return err
		}}
}

// Notify is the durable consumer that has n tell people about their bookings and standby places.
func Notify(n *notify.Notifier, stream relay.Stream, log *slog.Logger) *relay.Consumer {
	return &relay.Consumer{Stream: stream, Durable: "notify", Log: log,
		Handle: func(ctx context.Context, m relay.Msg) error { return notice(ctx, n, m) }}
}

func notice(ctx context.Context, n *notify.Notifier, m relay.Msg) error {
	region, k, _ := events.Parse(m.Subject)
	switch k {
	case events.BookingConfirmedKind:
		var ev marqueev1.BookingConfirmed
		if proto.Unmarshal(m.Data, &ev) == nil {
			return n.Confirmed(ctx, region, ev.BookingId, ev.ConfirmedAt.AsTime(), ev.SeatIds)
		}
	case events.BookingModifiedKind:
		var ev marqueev1.BookingModified
		if proto.Unmarshal(m.Data, &ev) == nil {
			return n.Modified(ctx, region, ev.BookingId, m.ID, ev.ModifiedAt.AsTime())
		}
	case events.BookingCancelledKind:
		var ev marqueev1.BookingCancelled
		if proto.Unmarshal(m.Data, &ev) == nil {
			return n.Cancellation(ctx, region, m.ID, notify.Cancelled{BookingID: ev.BookingId, SeatIDs: ev.SeatIds,
				Partial: ev.Partial, Refund: notify.Money{AmountMinor: ev.Refund.GetAmountMinor(),
					Currency: ev.Refund.GetCurrencyCode()}})
		}
	case events.StandbyClosedKind:
		var ev marqueev1.StandbyClosed
		if proto.Unmarshal(m.Data, &ev) == nil {
			return n.LineClosed(ctx, region, ev.EntryId, ev.UserId, ev.ShowtimeId)
		}
	case events.StandbyOfferedKind:
		var ev marqueev1.StandbyOffered
		if proto.Unmarshal(m.Data, &ev) == nil {
			return n.Offer(ctx, region, notify.Offered{OfferID: ev.OfferId, UserID: ev.UserId,
				ShowtimeID: ev.ShowtimeId, SeatIDs: ev.SeatIds, ExpiresAt: ev.ExpiresAt.AsTime()})
		}
	}
	return nil
}

// Search is a consumer that keeps this process's search index fresh from the catalog changes of one stream.
// Each process keeps its own index, so each has its own consumers (named with id). They start at the events
// stored from startAt (just before the index is built from the database), so no change falls between the two,
// and the server deletes them an hour after the process is gone.
func Search(k *search.Keeper, stream relay.Stream, id string, startAt time.Time, log *slog.Logger) *relay.Consumer {
	return &relay.Consumer{Stream: stream, Durable: "search-" + id, Filter: events.Filter(events.CatalogChangedKind), Log: log,
		StartAt: startAt, InactiveThreshold: time.Hour,
		Handle: func(ctx context.Context, m relay.Msg) error {
			region, kind, _ := events.Parse(m.Subject)
			var ev marqueev1.CatalogChanged
			if kind != events.CatalogChangedKind || proto.Unmarshal(m.Data, &ev) != nil {
				return nil
			}
			return k.Changed(ctx, region, ev.Kind, ev.Id)
		}}
}

func kind(m relay.Msg) events.Kind {
	_, k, _ := events.Parse(m.Subject)
	return k
}
