package standby

import (
	"context"
	"slices"
	"sync"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/watch"
	"github.com/marqueehq/marquee/regions"
)

// entryFeed is the Service's feed of entries to watchers, made at the first watch.
type entryFeed struct {
	once sync.Once
	feed *watch.Feed[Entry]
}

// Watch sends userID's entry at once, then again whenever its position, status or offer changes, as the events
// of its showtime report (offers, lapsed offers, closed lines, people joining and leaving, seats freed and
// taken), until ctx is done or the process shuts down (nil). Someone else's entry is NotFound, as in Get. With
// no change for a heartbeat, the entry is sent again.
func (s *Service) Watch(ctx context.Context, userID, entryID string, send func(Entry) error) error {
	const op = "standby.Watch"
	e, err := s.Get(ctx, userID, entryID)
	if err != nil {
		return errs.E(op, err)
	}
	f := s.entries()
	if f == nil {
		return errs.Errorf(op, errs.Unavailable, "live updates of standby places are not available on this server")
	}
	err = f.Watch(ctx, e.ID, watch.Key{Region: e.Region, ID: e.ShowtimeID}, func(e Entry, _ uint64) error { return send(e) })
	if err != nil {
		return errs.E(op, err)
	}
	return nil
}

// entries returns the feed of entries, nil without Changes.
func (s *Service) entries() *watch.Feed[Entry] {
	s.watched.once.Do(func() {
		if s.Changes != nil {
			s.watched.feed = &watch.Feed[Entry]{Changes: s.Changes, Load: s.load, Same: sameEntry, Heartbeat: s.Heartbeat}
		}
	})
	return s.watched.feed
}

// load reads an entry as its owner sees it now.
func (s *Service) load(ctx context.Context, entryID string) (Entry, error) {
	r, ok := regions.OfID(entryID)
	if !ok {
		return Entry{}, errs.Errorf("standby.load", errs.NotFound, "standby entry not found")
	}
	return s.Store.Entry(ctx, r.Name, entryID, s.Now())
}

// sameEntry reports whether an entry's owner would see no difference: the same status, position and offer.
func sameEntry(a, b Entry) bool {
	if a.Status != b.Status || a.Position != b.Position || (a.Offer == nil) != (b.Offer == nil) {
		return false
	}
	return a.Offer == nil || a.Offer.ID == b.Offer.ID && a.Offer.ExpiresAt.Equal(b.Offer.ExpiresAt) &&
		slices.Equal(a.Offer.SeatIDs, b.Offer.SeatIDs)
}
