package onsale

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// DefaultPoll is how often a waiting person's place is read again for their stream.
const DefaultPoll = time.Second

// DefaultHeartbeat is how long a stream goes without news before the place is sent again.
const DefaultHeartbeat = 15 * time.Second

// Wait takes a place for userID in the showtime's waiting room (or keeps theirs) and sends it at once, then
// again whenever their status, position or estimate changes (or a heartbeat passes), read from the database
// so it works whichever process admits them (every Poll near the front of the line, every 3 Poll further back). It returns once the place is no longer waiting (after sending
// it: admitted with its pass, or ended), or when ctx is done (nil).
func (s *Service) Wait(ctx context.Context, userID, showtimeID string, send func(Room) error) error {
	const op = "onsale.Wait"
	room, err := s.Join(ctx, userID, showtimeID)
	if err != nil {
		return errs.E(op, err)
	}
	beat := s.heartbeat()
	var last Room
	sent, quiet := false, time.Duration(0)
	for {
		if !sent || !sameRoom(last, room) || quiet >= beat {
			if err := send(room); err != nil {
				return err
			}
			last, sent, quiet = room, true, 0
		}
		if room.Place == nil || room.Place.Status != Waiting {
			return nil
		}
		poll := s.pollFor(room)
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
			quiet += poll
		}
		if room, err = s.Room(ctx, userID, showtimeID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return errs.E(op, err)
		}
	}
}

// sameRoom reports whether a waiting person would see no difference.
func sameRoom(a, b Room) bool {
	if (a.Place == nil) != (b.Place == nil) || a.OnSale.ID != b.OnSale.ID {
		return false
	}
	return a.Place == nil || a.Place.Status == b.Place.Status && a.Position == b.Position &&
		a.Estimate == b.Estimate && a.Pass == b.Pass && a.Shopping == b.Shopping
}

// pollFor is how long to wait before reading a waiting place again: Poll for those who may be admitted soon
// (within two rounds of capacity), three times as long for the rest of the line and before opening, so a long
// line does not read the database once a second per person.
func (s *Service) pollFor(r Room) time.Duration {
	if r.Position > 0 && r.Position <= 2*r.OnSale.Capacity {
		return s.poll()
	}
	return 3 * s.poll()
}

func (s *Service) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return DefaultPoll
}

func (s *Service) heartbeat() time.Duration {
	if s.Heartbeat > 0 {
		return s.Heartbeat
	}
	return DefaultHeartbeat
}
