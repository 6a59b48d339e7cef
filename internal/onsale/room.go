package onsale

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// estimateWindow is how far back the admission rate behind an estimate is measured.
const estimateWindow = time.Minute

// Room returns the showtime's on-sale and userID's place in it; the Room's OnSale is zero (empty ID) when the
// showtime has no on-sale on, and its Place nil when they have no place in it.
func (s *Service) Room(ctx context.Context, userID, showtimeID string) (Room, error) {
	const op = "onsale.Room"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return Room{}, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	o, err := s.Store.For(ctx, r.Name, showtimeID)
	if errs.Is(err, errs.NotFound) {
		return Room{}, nil
	}
	if err != nil {
		return Room{}, errs.E(op, err)
	}
	p, err := s.Store.Place(ctx, r.Name, showtimeID, userID)
	if errs.Is(err, errs.NotFound) || (err == nil && p.OnSaleID != o.ID) {
		return Room{OnSale: o}, nil
	}
	if err != nil {
		return Room{}, errs.E(op, err)
	}
	return s.view(ctx, o, p)
}

// Join gives userID a place in the showtime's waiting room, or returns the one they have; a place they gave
// up, or that ended, is taken again at the back of the line. Precondition when the showtime has no on-sale.
func (s *Service) Join(ctx context.Context, userID, showtimeID string) (Room, error) {
	const op = "onsale.Join"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return Room{}, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	o, err := s.Store.For(ctx, r.Name, showtimeID)
	if errs.Is(err, errs.NotFound) {
		return Room{}, errs.Errorf(op, errs.Precondition, "this show has no waiting room: hold seats directly")
	}
	if err != nil {
		return Room{}, errs.E(op, err)
	}
	now := s.Now()
	p, err := s.Store.Join(ctx, r.Name, showtimeID, userID, func(old *Place) (Place, bool) {
		return s.arrive(o, old, r.Name, showtimeID, userID, now)
	})
	if err != nil {
		return Room{}, errs.E(op, err)
	}
	return s.view(ctx, o, p)
}

// arrive is the place a person arriving at now gets: the one they have while it is waiting or admitted;
// otherwise a new one, ranked at random before opening, and in arrival order after opening or when they come
// back to an on-sale they had a place in (so leaving and coming back cannot draw a better rank).
func (s *Service) arrive(o OnSale, old *Place, region, showtimeID, userID string, now time.Time) (Place, bool) {
	if old != nil && old.OnSaleID == o.ID && (old.Status == Waiting || old.Status == Admitted) {
		return *old, false
	}
	p := Place{Region: region, ShowtimeID: showtimeID, UserID: userID, OnSaleID: o.ID, Status: Waiting,
		JoinedAt: now, Rank: lateRank(now)}
	if now.Before(o.OpensAt) && (old == nil || old.OnSaleID != o.ID) {
		p.Rank = s.earlyRank()
	}
	return p, true
}

// Leave gives userID's place up, and an unused pass with it.
func (s *Service) Leave(ctx context.Context, userID, showtimeID string) error {
	const op = "onsale.Leave"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	if err := s.Store.Leave(ctx, r.Name, showtimeID, userID, s.Now()); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// view adds to p its position, the estimate and the shopping count, or its pass.
func (s *Service) view(ctx context.Context, o OnSale, p Place) (Room, error) {
	now := s.Now()
	room := Room{OnSale: o, Place: &p}
	ahead, shopping, recent, err := s.Store.Standing(ctx, p, now.Add(-estimateWindow))
	if err != nil {
		return Room{}, errs.E("onsale.view", err)
	}
	room.Shopping = shopping
	switch {
	case p.Status == Admitted:
		room.Pass = s.sign(passClaims{ShowtimeID: p.ShowtimeID, UserID: p.UserID, AdmittedAt: p.AdmittedAt,
			ExpiresAt: p.PassExpiresAt})
	case p.Status == Waiting && !now.Before(o.OpensAt):
		room.Position = ahead + 1
		room.Estimate = estimate(room.Position, recent, now.Sub(o.OpensAt))
	}
	return room, nil
}

// estimate is how long position people take to be admitted at the rate of the recent admissions (recent of
// them in the last estimateWindow, or since opening when that is shorter); 0 when none were admitted.
func estimate(position, recent int, open time.Duration) time.Duration {
	if recent == 0 {
		return 0
	}
	window := min(max(open, time.Second), estimateWindow)
	return time.Duration(float64(window) * float64(position) / float64(recent)).Round(time.Second)
}
