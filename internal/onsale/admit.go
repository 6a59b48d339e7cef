package onsale

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/regions"
)

// DefaultAdmitInterval is how often the admission job of a region runs.
const DefaultAdmitInterval = 500 * time.Millisecond

// Job is the admission of region's waiting rooms, run by the process holding the region's lease.
func (s *Service) Job(region string, every time.Duration) jobs.Job {
	return jobs.Job{Name: "onsale.admit", Every: every, Run: func(ctx context.Context) error { return s.AdmitRegion(ctx, region) }}
}

// AdmitRegion admits people to every open waiting room of region (see Admit).
func (s *Service) AdmitRegion(ctx context.Context, region string) error {
	const op = "onsale.AdmitRegion"
	ids, err := s.Store.Rooms(ctx, region)
	if err != nil {
		return errs.E(op, err)
	}
	for _, id := range ids {
		if _, err := s.Admit(ctx, id); err != nil {
			return errs.E(op, err)
		}
	}
	return nil
}

// Admit settles who of a showtime's admitted people finished shopping and admits the next people in line in
// their place, so that the number shopping stays at the on-sale's capacity; it returns who was admitted.
// Nothing happens before opening or when the showtime has no on-sale on. It is safe to run in several
// processes at once: the store admits in one SERIALIZABLE transaction.
func (s *Service) Admit(ctx context.Context, showtimeID string) ([]string, error) {
	const op = "onsale.Admit"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return nil, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	o, err := s.Store.For(ctx, r.Name, showtimeID)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.E(op, err)
	}
	now := s.Now()
	if now.Before(o.OpensAt) {
		return nil, nil
	}
	shoppers, err := s.Store.Shoppers(ctx, r.Name, showtimeID, now)
	if err != nil {
		return nil, errs.E(op, err)
	}
	finished := map[string]Status{}
	for _, sh := range shoppers {
		if st, ok := Finished(sh, now); ok {
			finished[sh.UserID] = st
		}
	}
	admitted, err := s.Store.Admit(ctx, r.Name, showtimeID, finished, o.Capacity, now, now.Add(o.PassTTL))
	if err != nil {
		return nil, errs.E(op, err)
	}
	return admitted, nil
}

// Finished says whether an admitted person has finished shopping at now, and how: a booking, or a hold that
// ended with none live, is Done; a pass that expired before any hold is Lapsed. Someone holding seats is
// still shopping, however old their pass.
func Finished(sh Shopper, now time.Time) (Status, bool) {
	switch {
	case sh.LiveHold:
		return "", false
	case sh.Booked || sh.HoldEnded:
		return Done, true
	case !now.Before(sh.PassExpiresAt):
		return Lapsed, true
	}
	return "", false
}
