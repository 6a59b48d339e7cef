package inventory

import (
	"cmp"
	"math"
	"slices"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// MaxRequestSeats is the most seats one best-available request returns.
const MaxRequestSeats = 10

// PreferredRow is where the best rows are, as a fraction of the way from the front row (0) to the back row (1).
var PreferredRow = 0.65

// RowWeight is how many columns of sideways distance one row of distance is worth: from the preferred row when
// scoring a seat, and between seats when pass 3 keeps a group close.
var RowWeight = 1.5

const (
	// gapPenalty is what each new lone gap adds to a pass-3 group's cost, in the units of a seat's score.
	gapPenalty = 4.0
	// maxAnchors bounds how many seats pass 3 grows a group from, and so its running time.
	maxAnchors = 32
)

// SeatRequest asks for the best seats.
type SeatRequest struct {
	// Count is how many seats to pick, 1 to MaxRequestSeats; with Accessible, how many wheelchair spaces, 1 to
	// MaxRequestSeats/2.
	Count int
	// Type restricts the seats to one type. "" means standard or premium seats, never wheelchair spaces or
	// companion seats.
	Type catalog.SeatType
	// Accessible asks for Count wheelchair spaces, each with the companion seat beside it: the answer has
	// 2·Count seats. Type must be "".
	Accessible bool
}

// BestAvailable picks the best available seats for r among seats, every seat of a screen with its status at one
// instant. It returns the seat IDs ordered by row, then column: Count of them, or 2·Count with Accessible. A bad
// request gives an errs.Invalid error and too few seats fitting r an errs.Precondition error. It reads nothing
// but its arguments and gives the same answer for the same input.
//
// Seats are adjacent when in the same row (Y) with columns (X) one apart, so an aisle breaks adjacency. A lone
// gap is an available seat whose neighbours are each a wall (row end or aisle) or a seat that is not available,
// at least one being a seat. The search stops at the first pass that finds seats:
//  1. the best Count adjacent seats in one row whose taking leaves no new lone gap;
//  2. the best Count adjacent seats in one row;
//  3. Count seats, not necessarily together: from each of the 32 best seats a group is grown by adding, one at a
//     time, the seat nearest those already picked (distance |Δx| + RowWeight·|Δy|, plus 4 for each lone gap it
//     would leave). The group kept is one CheckOrphans accepts when there is one, then the one of lowest cost:
//     the sum of its scores and of those distances, plus 4 for each new lone gap it leaves.
//
// A seat scores |x − cx| + RowWeight·|y − py|, lower is better, where cx = (min X + max X)/2 is the screen's
// centre line and py = min Y + PreferredRow·(max Y − min Y) the preferred row, both over all seats. A group
// scores the sum over its seats; ties go to the group starting nearer the front, then further left (in pass 3,
// to the group grown from the better seat).
//
// With Accessible, each wheelchair space is paired with an adjacent available companion seat, pairing left to
// right within a row, and the Count best pairs are taken: those leaving no new lone gap first, then by score.
func BestAvailable(seats []SeatState, r SeatRequest) ([]string, error) {
	const op = "inventory.BestAvailable"
	if err := r.validate(op); err != nil {
		return nil, err
	}
	h := newHall(seats)
	if r.Accessible {
		return h.bestPairs(op, r.Count)
	}
	mask := r.mask()
	if p, _, ok := h.bestRun(0, len(h.cells), r.Count, mask); ok {
		return h.runIDs(p, r.Count), nil
	}
	return h.bestSpread(op, r, mask)
}

func (r SeatRequest) validate(op string) error {
	switch {
	case r.Accessible && r.Type != "":
		return errs.Errorf(op, errs.Invalid, "an accessible request picks wheelchair spaces with companion seats: "+
			"leave the seat type empty")
	case r.Accessible && (r.Count < 1 || r.Count > MaxRequestSeats/2):
		return errs.Errorf(op, errs.Invalid, "ask for between 1 and %d wheelchair spaces", MaxRequestSeats/2)
	case r.Count < 1 || r.Count > MaxRequestSeats:
		return errs.Errorf(op, errs.Invalid, "ask for between 1 and %d seats", MaxRequestSeats)
	case r.Type != "" && !r.Type.Valid():
		return errs.Errorf(op, errs.Invalid, "unknown seat type %q", string(r.Type))
	}
	return nil
}

// mask is the set of seat types a request that is not Accessible may pick, as typeBit values.
func (r SeatRequest) mask() uint8 {
	if r.Type != "" {
		return typeBit(r.Type)
	}
	return bitStandard | bitPremium
}

const (
	bitStandard uint8 = 1 << iota
	bitPremium
	bitAccessible
	bitCompanion
)

func typeBit(t catalog.SeatType) uint8 {
	switch t {
	case catalog.SeatStandard:
		return bitStandard
	case catalog.SeatPremium:
		return bitPremium
	case catalog.SeatAccessible:
		return bitAccessible
	case catalog.SeatCompanion:
		return bitCompanion
	}
	return 0
}

// hall is a screen's seats sorted by row, then column, so that a seat's neighbours sit beside it in cells.
type hall struct {
	seats  []SeatState
	cells  []cell
	cx, py float64 // centre column and preferred row
}

// cell is one seat of a hall.
type cell struct {
	x, y   int
	col    float64 // |x − cx|
	idx    int32   // index in hall.seats
	bit    uint8   // typeBit of the seat's type
	free   bool    // available
	picked bool    // in the selection being weighed
}

func newHall(seats []SeatState) hall {
	h := hall{seats: seats, cells: make([]cell, len(seats))}
	if len(seats) == 0 {
		return h
	}
	minX, maxX, minY, maxY := seats[0].X, seats[0].X, seats[0].Y, seats[0].Y
	for i := range seats {
		minX, maxX = min(minX, seats[i].X), max(maxX, seats[i].X)
		minY, maxY = min(minY, seats[i].Y), max(maxY, seats[i].Y)
	}
	h.cx = float64(minX+maxX) / 2
	h.py = float64(minY) + float64(PreferredRow*float64(maxY-minY))
	for i := range seats {
		s := &seats[i]
		h.cells[i] = cell{x: s.X, y: s.Y, col: math.Abs(float64(s.X) - h.cx), idx: int32(i), bit: typeBit(s.Type),
			free: s.Status == Available}
	}
	slices.SortFunc(h.cells, func(a, b cell) int { return cmp.Or(cmp.Compare(a.y, b.y), cmp.Compare(a.x, b.x)) })
	return h
}

// id is the seat ID at position p.
func (h *hall) id(p int) string { return h.seats[h.cells[p].idx].ID }

// ids returns the seat IDs at positions ps.
func (h *hall) ids(ps []int) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = h.id(p)
	}
	return out
}

// runIDs returns the IDs of the k seats from position p.
func (h *hall) runIDs(p, k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = h.id(p + i)
	}
	return out
}

func (h *hall) rowCost(y int) float64 { return float64(RowWeight * math.Abs(float64(y)-h.py)) }

func (h *hall) score(p int) float64 { return h.cells[p].col + h.rowCost(h.cells[p].y) }

// runScore scores the k seats from position p, all in one row. The row term is added once, multiplied, so that
// runs of one row tie exactly when their columns do.
func (h *hall) runScore(p, k int) float64 {
	var s float64
	for _, c := range h.cells[p : p+k] {
		s += c.col
	}
	return s + float64(k)*h.rowCost(h.cells[p].y)
}

func (h *hall) distance(p, q int) float64 {
	a, b := &h.cells[p], &h.cells[q]
	return math.Abs(float64(a.x-b.x)) + float64(RowWeight*math.Abs(float64(a.y-b.y)))
}

// bestRun returns the start of the best run of k adjacent available seats with types in mask among positions
// [lo, hi): the best-scoring one leaving no new lone gap (pass 1), else the best-scoring one (pass 2). clean
// says whether it leaves no new lone gap; ok is false when there is no such run.
func (h *hall) bestRun(lo, hi, k int, mask uint8) (best int, clean, ok bool) {
	var bestScore float64
	n := 0 // usable seats in a row ending at p
	for p := lo; p < hi; p++ {
		if c := &h.cells[p]; !c.free || c.bit&mask == 0 {
			n = 0
			continue
		}
		if n > 0 && !h.adj(p, -1) {
			n = 0
		}
		if n++; n < k {
			continue
		}
		start := p - k + 1
		c, s := h.windowGaps(start, k, false) == 0, h.runScore(start, k)
		if !ok || (c && !clean) || (c == clean && s < bestScore) {
			best, clean, ok, bestScore = start, c, true, s
		}
	}
	return best, clean, ok
}

// bestPairs picks k wheelchair spaces, each with the available companion seat beside it.
func (h *hall) bestPairs(op string, k int) ([]string, error) {
	type pair struct {
		p     int
		clean bool
		score float64
	}
	var pairs []pair
	for p := 0; p+1 < len(h.cells); p++ {
		if h.isPair(p) {
			pairs = append(pairs, pair{p, h.windowGaps(p, 2, false) == 0, h.runScore(p, 2)})
			p++
		}
	}
	if len(pairs) < k {
		return nil, errs.Errorf(op, errs.Precondition, "not enough wheelchair spaces with a free companion seat "+
			"beside them: %d requested, %d left", k, len(pairs))
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		return cmp.Or(cleanFirst(a.clean, b.clean), cmp.Compare(a.score, b.score))
	})
	picks := make([]int, 0, 2*k)
	for _, pr := range pairs[:k] {
		picks = append(picks, pr.p, pr.p+1)
	}
	slices.Sort(picks)
	return h.ids(picks), nil
}

// cleanFirst orders true before false.
func cleanFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// isPair reports whether positions p and p+1 are an available wheelchair space and companion seat side by side.
func (h *hall) isPair(p int) bool {
	a, b := &h.cells[p], &h.cells[p+1]
	return a.free && b.free && a.bit|b.bit == bitAccessible|bitCompanion && h.adj(p, 1)
}

// bestSpread is pass 3: the best group of r.Count seats that need not sit together.
func (h *hall) bestSpread(op string, r SeatRequest, mask uint8) ([]string, error) {
	g := newGrower(h, mask)
	if len(g.cand) < r.Count {
		what := "seats"
		if r.Type != "" {
			what = string(r.Type) + " seats"
		}
		return nil, errs.Errorf(op, errs.Precondition, "not enough %s available: %d requested, %d left",
			what, r.Count, len(g.cand))
	}
	best := make([]int, 0, r.Count)
	var bestCost float64
	bestRefused := true
	for a := range min(len(g.cand), maxAnchors) {
		cost, refused := g.grow(a, r.Count)
		if a == 0 || (!refused && bestRefused) || (refused == bestRefused && cost < bestCost) {
			best, bestCost, bestRefused = append(best[:0], g.group...), cost, refused
		}
	}
	return h.ids(best), nil
}

// grower grows pass-3 groups, reusing its slices from one anchor to the next.
type grower struct {
	h     *hall
	cand  []int     // positions of the seats the request may take, best score first
	dist  []float64 // distance from each candidate to the group
	group []int     // positions picked
	gaps  []int     // scratch
}

func newGrower(h *hall, mask uint8) *grower {
	g := &grower{h: h}
	for p, c := range h.cells {
		if c.free && c.bit&mask != 0 {
			g.cand = append(g.cand, p)
		}
	}
	scores := make([]float64, len(h.cells))
	for _, p := range g.cand {
		scores[p] = h.score(p)
	}
	slices.SortFunc(g.cand, func(p, q int) int { return cmp.Or(cmp.Compare(scores[p], scores[q]), cmp.Compare(p, q)) })
	g.dist = make([]float64, len(g.cand))
	return g
}

// grow builds the group of n seats anchored at candidate a and returns its cost and whether CheckOrphans would
// refuse it. The group is left in g.group, sorted; the hall's cells are left unpicked.
func (g *grower) grow(a, n int) (cost float64, refused bool) {
	h := g.h
	g.group = g.group[:0]
	for i := range g.dist {
		g.dist[i] = math.Inf(1)
	}
	for j := a; ; j = g.closest() {
		p := g.cand[j]
		if len(g.group) > 0 {
			cost += g.dist[j]
		}
		cost += h.score(p)
		h.cells[p].picked = true
		if g.group = append(g.group, p); len(g.group) == n {
			break
		}
		for i, q := range g.cand {
			g.dist[i] = min(g.dist[i], h.distance(p, q))
		}
	}
	slices.Sort(g.group)
	g.gaps = h.newGaps(g.gaps[:0], g.group)
	cost += gapPenalty * float64(len(g.gaps))
	refused = len(h.refused(g.gaps[:0], g.group)) > 0
	for _, p := range g.group {
		h.cells[p].picked = false
	}
	return cost, refused
}

// closest returns the candidate not yet picked nearest the group, counting gapPenalty for each lone gap taking
// it would leave; ties go to the better-scoring seat.
func (g *grower) closest() int {
	best, bestKey := -1, 0.0
	for i, p := range g.cand {
		if g.h.cells[p].picked || best >= 0 && g.dist[i] >= bestKey {
			continue
		}
		k := g.dist[i] + gapPenalty*float64(g.h.windowGaps(p, 1, true))
		if best < 0 || k < bestKey {
			best, bestKey = i, k
		}
	}
	return best
}
