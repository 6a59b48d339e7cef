package inventory

import (
	"context"
	"sync"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/watch"
	"github.com/marqueehq/marquee/regions"
)

// seatMapFeed is the Service's feed of seat maps to watchers, made at the first watch.
type seatMapFeed struct {
	once sync.Once
	feed *watch.Feed[SeatMap]
}

// WatchSeatMap sends the showtime's seat map at once, then again, with a greater version, whenever its seats
// change (a hold, a release, an expiry, a booking, a cancellation, seats added), as the region's events
// report, until ctx is done or the process shuts down (nil). Every watcher of a showtime in this process
// shares one read of the seat map per change. With no change for a heartbeat, the last map is sent again with
// the same version. The maps are shared among watchers: send must not modify them.
func (s *Service) WatchSeatMap(ctx context.Context, showtimeID string, send func(m SeatMap, version uint64) error) error {
	const op = "inventory.WatchSeatMap"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	f := s.seatMaps()
	if f == nil {
		return errs.Errorf(op, errs.Unavailable, "live seat maps are not available on this server")
	}
	if err := f.Watch(ctx, showtimeID, watch.Key{Region: r.Name, ID: showtimeID}, send); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// SeatMapWatchers says how many showtimes and watchers WatchSeatMap serves, and how many seat maps it read.
func (s *Service) SeatMapWatchers() watch.Stats {
	if f := s.seatMaps(); f != nil {
		return f.Stats()
	}
	return watch.Stats{}
}

// seatMaps returns the feed of seat maps, nil without Changes.
func (s *Service) seatMaps() *watch.Feed[SeatMap] {
	s.watched.once.Do(func() {
		if s.Changes != nil {
			// The feed loads on a change (or a first watcher): through the map cache, marked changed first, so
			// that GetSeatMap and the watchers of a showtime share one read per change.
			load := func(ctx context.Context, showtimeID string) (SeatMap, error) {
				if c := s.mapCache(); c != nil {
					c.changed(showtimeID)
				}
				return s.SeatMapAt(ctx, showtimeID, 0)
			}
			s.watched.feed = &watch.Feed[SeatMap]{Changes: s.Changes, Load: load, Heartbeat: s.Heartbeat}
		}
	})
	return s.watched.feed
}
