package inventory

import (
	"context"
	"slices"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// Best returns the best available seats of a showtime for r.
func (s *Service) Best(ctx context.Context, showtimeID string, r SeatRequest) ([]string, error) {
	const op = "inventory.Best"
	m, err := s.SeatMap(ctx, showtimeID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	ids, err := BestAvailable(m.Seats, r)
	if err != nil {
		return nil, errs.E(op, err)
	}
	return ids, nil
}

// HoldBest picks the best available seats for r and holds them for userID. If someone takes one of them
// between the pick and the hold, it picks again, a few times.
func (s *Service) HoldBest(ctx context.Context, userID, showtimeID string, r SeatRequest) (Hold, error) {
	return s.HoldBestWithPass(ctx, userID, showtimeID, r, "")
}

// HoldBestWithPass is HoldBest with an admission pass for the Gate, checked before any seat is picked.
func (s *Service) HoldBestWithPass(ctx context.Context, userID, showtimeID string, r SeatRequest, pass string) (Hold, error) {
	const op = "inventory.HoldBest"
	if s.Gate != nil {
		if err := s.Gate.CheckPass(ctx, userID, showtimeID, pass); err != nil {
			return Hold{}, errs.E(op, err)
		}
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var ids []string
		if ids, err = s.Best(ctx, showtimeID, r); err != nil {
			return Hold{}, errs.E(op, err)
		}
		var h Hold
		if h, err = s.hold(ctx, userID, showtimeID, ids, s.ttl(), true); err == nil || !errs.Is(err, errs.Precondition) {
			return h, err
		}
	}
	return Hold{}, errs.E(op, err)
}

// NextTo returns count available seats of a showtime as close as possible to the anchor seats: first a run of
// adjacent seats touching an anchor seat in its row, then the run nearest to them, then the nearest seats.
func (s *Service) NextTo(ctx context.Context, showtimeID string, anchors []string, count int) ([]string, error) {
	const op = "inventory.NextTo"
	if _, ok := regions.OfID(showtimeID); !ok {
		return nil, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	m, err := s.SeatMap(ctx, showtimeID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	ids, err := NearestTo(m.Seats, anchors, count)
	if err != nil {
		return nil, errs.E(op, err)
	}
	return ids, nil
}

// NearestTo picks count available standard or premium seats closest to the anchor seats, preferring an
// adjacent run in an anchor's row. Distance is in columns, a row counting RowWeight columns.
func NearestTo(seats []SeatState, anchors []string, count int) ([]string, error) {
	const op = "inventory.NearestTo"
	if count < 1 || count > MaxRequestSeats {
		return nil, errs.Errorf(op, errs.Invalid, "ask for between 1 and %d seats", MaxRequestSeats)
	}
	var anchor []SeatState
	for _, s := range seats {
		if slices.Contains(anchors, s.ID) {
			anchor = append(anchor, s)
		}
	}
	if len(anchor) == 0 {
		return nil, errs.Errorf(op, errs.Invalid, "the booking has no seats to sit next to")
	}
	if run := bestRunNear(seats, anchor, count); run != nil {
		return run, nil
	}
	return nearestSeats(seats, anchor, count)
}

func distance(a, b SeatState) float64 {
	dx, dy := float64(a.X-b.X), float64(a.Y-b.Y)
	if dx < 0 {
		dx = -dx
	}
	if dy < 0 {
		dy = -dy
	}
	return dx + RowWeight*dy
}

func nearestTo(s SeatState, anchor []SeatState) float64 {
	best := -1.0
	for _, a := range anchor {
		if d := distance(s, a); best < 0 || d < best {
			best = d
		}
	}
	return best
}

func pickable(s SeatState) bool {
	return s.Status == Available && (s.Type == "standard" || s.Type == "premium")
}

// bestRunNear returns the run of count adjacent available seats whose nearest seat is closest to an anchor.
func bestRunNear(seats []SeatState, anchor []SeatState, count int) []string {
	byPos := map[[2]int]SeatState{}
	for _, s := range seats {
		byPos[[2]int{s.X, s.Y}] = s
	}
	var best []string
	bestD := -1.0
	for _, start := range seats {
		run, d := []string{}, -1.0
		for i := 0; i < count; i++ {
			s, ok := byPos[[2]int{start.X + i, start.Y}]
			if !ok || !pickable(s) {
				run = nil
				break
			}
			run = append(run, s.ID)
			if nd := nearestTo(s, anchor); d < 0 || nd < d {
				d = nd
			}
		}
		if run != nil && (bestD < 0 || d < bestD) {
			best, bestD = run, d
		}
	}
	return best
}

func nearestSeats(seats []SeatState, anchor []SeatState, count int) ([]string, error) {
	var free []SeatState
	for _, s := range seats {
		if pickable(s) {
			free = append(free, s)
		}
	}
	if len(free) < count {
		return nil, errs.Errorf("inventory.NearestTo", errs.Precondition, "not enough seats available: %d requested, %d left", count, len(free))
	}
	slices.SortStableFunc(free, func(a, b SeatState) int {
		da, db := nearestTo(a, anchor), nearestTo(b, anchor)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	ids := make([]string, count)
	for i := range ids {
		ids[i] = free[i].ID
	}
	slices.Sort(ids)
	return ids, nil
}
