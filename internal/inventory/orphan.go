package inventory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/marqueehq/marquee/internal/errs"
)

// CheckOrphans reports whether taking the seats chosen among seats (every seat of a screen with its status)
// would strand a single empty seat: a lone gap, as BestAvailable defines it, that was not one before. It returns
// an errs.Precondition error naming the new lone gaps in each row where a run of as many adjacent available
// seats, of the types chosen in that row, would leave none; it returns nil when there are none, and also when
// every such placement in the row would leave one. No seats, a seat listed twice or an unknown seat give an
// errs.Invalid error; seats not available give an errs.Precondition error wrapping a *SeatsUnavailableError.
func CheckOrphans(seats []SeatState, chosen []string) error {
	const op = "inventory.CheckOrphans"
	if err := checkIDs(op, chosen); err != nil {
		return err
	}
	h := newHall(seats)
	picks, err := h.pick(op, chosen)
	if err != nil {
		return err
	}
	gaps := h.refused(nil, picks)
	if len(gaps) == 0 {
		return nil
	}
	slices.Sort(gaps)
	return LoneSeatsError(h.ids(gaps), h.together(picks))
}

// LoneSeatError names the seats a selection would leave empty on their own.
type LoneSeatError struct{ SeatIDs []string }

// Error names the seats.
func (e *LoneSeatError) Error() string { return "lone seats: " + strings.Join(e.SeatIDs, ", ") }

// LoneSeatsError builds the Precondition error of a selection that would leave seatIDs empty on their own,
// with advice: shift the seats when they are together, else choose seats together.
func LoneSeatsError(seatIDs []string, together bool) error {
	advice := "shift your seats by one so that no single seat is left"
	if !together {
		advice = "choose seats next to each other that leave no single seat"
	}
	msg := fmt.Sprintf("Seat %s would be left empty on its own; add it to your selection, or %s", seatIDs[0], advice)
	if len(seatIDs) > 1 {
		msg = fmt.Sprintf("Seats %s would each be left empty on their own; add them to your selection, or %s",
			joinAnd(seatIDs), advice)
	}
	return errs.E("inventory.CheckOrphans", errs.Precondition, msg, &LoneSeatError{SeatIDs: seatIDs})
}

func checkIDs(op string, chosen []string) error {
	if len(chosen) == 0 {
		return errs.Errorf(op, errs.Invalid, "choose at least one seat")
	}
	for i, id := range chosen {
		if slices.Contains(chosen[:i], id) {
			return errs.Errorf(op, errs.Invalid, "seat %s is listed twice", id)
		}
	}
	return nil
}

// pick marks the chosen seats picked and returns their positions in order, or an error when one is unknown or
// not available.
func (h *hall) pick(op string, chosen []string) ([]int, error) {
	picks := make([]int, 0, len(chosen))
	for p := range h.cells {
		if slices.Contains(chosen, h.id(p)) {
			picks = append(picks, p)
		}
	}
	if len(picks) < len(chosen) {
		var unknown []string
		for _, id := range chosen {
			if !slices.ContainsFunc(picks, func(p int) bool { return h.id(p) == id }) {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) == 1 {
			return nil, errs.Errorf(op, errs.Invalid, "there is no seat %s", unknown[0])
		}
		return nil, errs.Errorf(op, errs.Invalid, "there are no seats %s", joinAnd(unknown))
	}
	var taken []string
	for _, p := range picks {
		if !h.cells[p].free {
			taken = append(taken, h.id(p))
		}
		h.cells[p].picked = true
	}
	if len(taken) > 0 {
		return nil, errs.E(op, UnavailableError(taken))
	}
	return picks, nil
}

// refused appends to dst the new lone gaps that the picked seats (at positions picks, sorted) leave in each row
// where a run of as many adjacent available seats of the picked types would leave none.
func (h *hall) refused(dst, picks []int) []int {
	for len(picks) > 0 {
		lo, hi := h.row(picks[0])
		n := 1
		for n < len(picks) && picks[n] < hi {
			n++
		}
		before := len(dst)
		dst = h.newGaps(dst, picks[:n])
		if len(dst) > before {
			if _, clean, _ := h.bestRun(lo, hi, n, h.maskOf(picks[:n])); !clean {
				dst = dst[:before]
			}
		}
		picks = picks[n:]
	}
	return dst
}

// newGaps appends to dst the lone gaps beside the picked seats at positions picks that were not lone gaps
// before they were picked.
func (h *hall) newGaps(dst, picks []int) []int {
	for _, p := range picks {
		for _, d := range [2]int{-1, 1} {
			if q := p + d; h.adj(p, d) && h.lone(q, true) && !h.lone(q, false) && !slices.Contains(dst, q) {
				dst = append(dst, q)
			}
		}
	}
	return dst
}

// windowGaps counts the new lone gaps that taking the k seats from position p would leave. With picks, seats
// already picked count as taken.
func (h *hall) windowGaps(p, k int, picks bool) int {
	n := 0
	if h.open(p, -1, picks) && !h.open(p-1, -1, picks) {
		n++
	}
	if h.open(p+k-1, 1, picks) && !h.open(p+k, 1, picks) {
		n++
	}
	return n
}

// lone reports whether the seat at p is a lone gap: free, with each neighbour a wall or a taken seat, at least
// one being a seat. With picks, seats picked count as taken.
func (h *hall) lone(p int, picks bool) bool {
	return h.vacant(p, picks) && !h.open(p, -1, picks) && !h.open(p, 1, picks) && (h.adj(p, -1) || h.adj(p, 1))
}

// open reports whether the seat at p has a vacant neighbour on side d (-1 left, +1 right).
func (h *hall) open(p, d int, picks bool) bool { return h.adj(p, d) && h.vacant(p+d, picks) }

func (h *hall) vacant(p int, picks bool) bool {
	c := &h.cells[p]
	return c.free && !(picks && c.picked)
}

// adj reports whether position p+d holds the seat adjacent to p's on side d: same row, next column.
func (h *hall) adj(p, d int) bool {
	q := p + d
	return q >= 0 && q < len(h.cells) && h.cells[q].y == h.cells[p].y && h.cells[q].x == h.cells[p].x+d
}

// row returns the positions [lo, hi) of the row of position p.
func (h *hall) row(p int) (lo, hi int) {
	y := h.cells[p].y
	lo, hi = p, p+1
	for lo > 0 && h.cells[lo-1].y == y {
		lo--
	}
	for hi < len(h.cells) && h.cells[hi].y == y {
		hi++
	}
	return lo, hi
}

func (h *hall) maskOf(ps []int) uint8 {
	var m uint8
	for _, p := range ps {
		m |= h.cells[p].bit
	}
	return m
}

// together reports whether the seats at positions picks (sorted) are adjacent within each row.
func (h *hall) together(picks []int) bool {
	for i := 1; i < len(picks); i++ {
		p, q := picks[i-1], picks[i]
		if h.cells[p].y == h.cells[q].y && (q != p+1 || !h.adj(p, 1)) {
			return false
		}
	}
	return true
}

// joinAnd joins names as "A1, A3 and A5".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
