package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
)

var glyphs = map[rune]struct {
	typ    catalog.SeatType
	status inventory.Status
}{
	'.': {catalog.SeatStandard, inventory.Available}, 'X': {catalog.SeatStandard, inventory.Booked},
	'H': {catalog.SeatStandard, inventory.Held},
	'p': {catalog.SeatPremium, inventory.Available}, 'P': {catalog.SeatPremium, inventory.Booked},
	'w': {catalog.SeatAccessible, inventory.Available}, 'W': {catalog.SeatAccessible, inventory.Booked},
	'c': {catalog.SeatCompanion, inventory.Available}, 'C': {catalog.SeatCompanion, inventory.Booked},
}

// seatMap builds a screen drawn row by row from the front (row A): '.' is a free standard seat, 'X' a booked and
// 'H' a held one, 'p'/'P' a free/booked premium seat, 'w'/'W' a wheelchair space, 'c'/'C' a companion seat, and
// '|' an aisle, which takes a column. Seats are numbered from 1 in each row.
func seatMap(t testing.TB, rows ...string) []inventory.SeatState {
	t.Helper()
	var seats []inventory.SeatState
	for y, row := range rows {
		label := string(rune('A' + y))
		n := 0
		for x, ch := range []rune(row) {
			if ch == '|' {
				continue
			}
			g, ok := glyphs[ch]
			if !ok {
				t.Fatalf("row %s: unknown glyph %q", label, ch)
			}
			n++
			seats = append(seats, inventory.SeatState{Seat: catalog.Seat{ID: fmt.Sprintf("%s%d", label, n),
				Row: label, Number: n, Type: g.typ, X: x, Y: y}, Status: g.status, PriceMinor: 1200})
		}
	}
	return seats
}

func TestBestAvailable(t *testing.T) {
	tests := []struct {
		name     string
		rows     []string
		req      inventory.SeatRequest
		want     []string
		wantKind errs.Kind // Other: no error
		wantMsg  string
	}{
		{name: "OKEmptyRowCentre", rows: []string{"........"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A4", "A5"}},
		{name: "OKEmptyRowCentreTieGoesLeft", rows: []string{"........"}, req: inventory.SeatRequest{Count: 3},
			want: []string{"A3", "A4", "A5"}},
		{name: "OKPreferredRow", rows: []string{"......", "......", "......", "......", "......"},
			req: inventory.SeatRequest{Count: 2}, want: []string{"D3", "D4"}},
		{name: "OKMaxCount", rows: []string{"............"}, req: inventory.SeatRequest{Count: 10},
			want: []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"}},
		{name: "OKAvoidsLoneGap", rows: []string{"XX.....XX"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKHeldCountsAsTaken", rows: []string{"HH.....HX"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKCleanRunBeatsBetterRow", rows: []string{"......", "X...XX"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKPass2WhenEveryRunLeavesGap", rows: []string{"X...XX"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKAisleBreaksAdjacency", rows: []string{"....|...."}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKPass3Singles", rows: []string{"X.X.X.X"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A2", "A4"}},
		{name: "OKPass3AcrossAisle", rows: []string{"..|.."}, req: inventory.SeatRequest{Count: 3},
			want: []string{"A1", "A2", "A3"}},
		{name: "OKPass3KeepsGroupClose", rows: []string{"XX.XXXX.XXXX.XX", "XXXX.X.XXX.XXXX", "X.XXXXX.XXXXX.X"},
			req: inventory.SeatRequest{Count: 3}, want: []string{"B5", "B7", "C8"}},
		{name: "OKAnyTypeSkipsWheelchairSpaces", rows: []string{"wc..cw"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"A3", "A4"}},
		{name: "OKAnyTypeTakesPremium", rows: []string{"pppppp", "......"}, req: inventory.SeatRequest{Count: 2},
			want: []string{"B3", "B4"}},
		{name: "OKPremiumOnly", rows: []string{"pppppp", "......"},
			req: inventory.SeatRequest{Count: 2, Type: catalog.SeatPremium}, want: []string{"A3", "A4"}},
		{name: "OKCompanionOnly", rows: []string{"wc..cw"},
			req: inventory.SeatRequest{Count: 1, Type: catalog.SeatCompanion}, want: []string{"A2"}},
		{name: "OKAccessibleOnePair", rows: []string{"......", "wc..cw"},
			req: inventory.SeatRequest{Count: 1, Accessible: true}, want: []string{"B1", "B2"}},
		{name: "OKAccessibleTwoPairs", rows: []string{"......", "wc..cw"},
			req: inventory.SeatRequest{Count: 2, Accessible: true}, want: []string{"B1", "B2", "B5", "B6"}},
		{name: "OKAccessibleSpaceTaken", rows: []string{"Wc..cw"},
			req: inventory.SeatRequest{Count: 1, Accessible: true}, want: []string{"A5", "A6"}},
		{name: "OKAccessibleCompanionAcrossAisleDoesNotPair", rows: []string{"w|c..cw"},
			req: inventory.SeatRequest{Count: 1, Accessible: true}, want: []string{"A5", "A6"}},
		{name: "OKAccessiblePairsLeftToRight", rows: []string{"wcwc"},
			req: inventory.SeatRequest{Count: 2, Accessible: true}, want: []string{"A1", "A2", "A3", "A4"}},
		{name: "ErrCountTooLarge", rows: []string{"X..X.."}, req: inventory.SeatRequest{Count: 5},
			wantKind: errs.Precondition, wantMsg: "not enough seats available: 5 requested, 4 left"},
		{name: "ErrNoSeats", req: inventory.SeatRequest{Count: 1},
			wantKind: errs.Precondition, wantMsg: "not enough seats available: 1 requested, 0 left"},
		{name: "ErrPremiumTooFew", rows: []string{"pP....", "pppXXX"},
			req:      inventory.SeatRequest{Count: 5, Type: catalog.SeatPremium},
			wantKind: errs.Precondition, wantMsg: "not enough premium seats available: 5 requested, 4 left"},
		{name: "ErrAccessibleTooFew", rows: []string{"wc..cw", "wC..cw"},
			req: inventory.SeatRequest{Count: 4, Accessible: true}, wantKind: errs.Precondition,
			wantMsg: "not enough wheelchair spaces with a free companion seat beside them: 4 requested, 3 left"},
		{name: "ErrCountZero", rows: []string{"...."}, req: inventory.SeatRequest{},
			wantKind: errs.Invalid, wantMsg: "ask for between 1 and 10 seats"},
		{name: "ErrCountNegative", rows: []string{"...."}, req: inventory.SeatRequest{Count: -1},
			wantKind: errs.Invalid, wantMsg: "ask for between 1 and 10 seats"},
		{name: "ErrCountEleven", rows: []string{"............"}, req: inventory.SeatRequest{Count: 11},
			wantKind: errs.Invalid, wantMsg: "ask for between 1 and 10 seats"},
		{name: "ErrAccessibleCountSix", rows: []string{"wc..cw"},
			req:      inventory.SeatRequest{Count: 6, Accessible: true},
			wantKind: errs.Invalid, wantMsg: "ask for between 1 and 5 wheelchair spaces"},
		{name: "ErrAccessibleWithType", rows: []string{"wc..cw"},
			req:      inventory.SeatRequest{Count: 1, Accessible: true, Type: catalog.SeatStandard},
			wantKind: errs.Invalid,
			wantMsg:  "an accessible request picks wheelchair spaces with companion seats: leave the seat type empty"},
		{name: "ErrUnknownType", rows: []string{"...."}, req: inventory.SeatRequest{Count: 1, Type: "vip"},
			wantKind: errs.Invalid, wantMsg: `unknown seat type "vip"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inventory.BestAvailable(seatMap(t, tt.rows...), tt.req)
			if tt.wantKind != errs.Other {
				if errs.KindOf(err) != tt.wantKind || errs.Message(err) != tt.wantMsg {
					t.Fatalf("BestAvailable = %v, %v; want %v error %q", got, err, tt.wantKind, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBestAvailableProperties checks every answer on random 300-seat screens at various occupancies against
// an independent reading of the rules.
func TestBestAvailableProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	layouts := []func() []inventory.SeatState{
		func() []inventory.SeatState { return screen(15, 20, 10) },
		func() []inventory.SeatState { return screen(12, 25, 5, 20) },
		func() []inventory.SeatState { return screen(20, 15) },
		func() []inventory.SeatState { return screen(10, 30, 7, 23) },
	}
	shares := []float64{0, 0.3, 0.5, 0.7, 0.85, 0.95}
	seen := map[string]int{}
	for trial := range 120 {
		seats := occupy(rng, layouts[trial%len(layouts)](), shares[trial%len(shares)])
		o := newOracle(seats)
		for range 6 {
			r := randomRequest(rng)
			got, err := inventory.BestAvailable(seats, r)
			seen[o.pass(r, err)]++
			if msg := o.check(seats, r, got, err); msg != "" {
				t.Fatalf("trial %d, %+v: BestAvailable = %v, %v: %s", trial, r, got, err, msg)
			}
			shuffled := slices.Clone(seats)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, _ := inventory.BestAvailable(shuffled, r)
			if diff := cmp.Diff(got, again); diff != "" {
				t.Fatalf("trial %d, %+v: answer depends on seat order: mismatch (-want +got):\n%s", trial, r, diff)
			}
		}
	}
	t.Logf("answers by kind: %v", seen)
	for _, pass := range []string{"clean", "together", "spread", "accessible", "refused"} {
		if seen[pass] == 0 {
			t.Errorf("no %s answer among %v: the random screens miss a case", pass, seen)
		}
	}
}

// pass names the kind of answer r should get.
func (o oracle) pass(r inventory.SeatRequest, err error) string {
	together, clean := o.runs(r)
	switch {
	case err != nil:
		return "refused"
	case r.Accessible:
		return "accessible"
	case clean:
		return "clean"
	case together:
		return "together"
	}
	return "spread"
}

func randomRequest(rng *rand.Rand) inventory.SeatRequest {
	if rng.IntN(8) == 0 {
		return inventory.SeatRequest{Count: 1 + rng.IntN(3), Accessible: true}
	}
	types := []catalog.SeatType{"", "", "", catalog.SeatPremium, catalog.SeatStandard}
	return inventory.SeatRequest{Count: 1 + rng.IntN(inventory.MaxRequestSeats), Type: types[rng.IntN(len(types))]}
}

// oracle reads a seat map by (row, column), independently of the code under test.
type oracle map[[2]int]inventory.SeatState

func newOracle(seats []inventory.SeatState) oracle {
	o := oracle{}
	for _, s := range seats {
		o[[2]int{s.Y, s.X}] = s
	}
	return o
}

func (o oracle) free(y, x int) bool {
	s, ok := o[[2]int{y, x}]
	return ok && s.Status == inventory.Available
}

func allowed(r inventory.SeatRequest, t catalog.SeatType) bool {
	switch {
	case r.Accessible:
		return t == catalog.SeatAccessible || t == catalog.SeatCompanion
	case r.Type != "":
		return t == r.Type
	}
	return t == catalog.SeatStandard || t == catalog.SeatPremium
}

// runs reports whether some row has r.Count adjacent free seats r allows, and whether one such run leaves no
// new lone gap.
func (o oracle) runs(r inventory.SeatRequest) (together, clean bool) {
	for k := range o {
		y, x := k[0], k[1]
		ok := true
		for i := range r.Count {
			ok = ok && o.free(y, x+i) && allowed(r, o[[2]int{y, x + i}].Type)
		}
		if ok {
			together = true
			clean = clean || !o.leavesGap(y, x, x+r.Count-1)
		}
	}
	return together, clean
}

// leavesGap reports whether taking columns a..b of row y leaves a lone gap beside them.
func (o oracle) leavesGap(y, a, b int) bool {
	return o.free(y, a-1) && !o.free(y, a-2) || o.free(y, b+1) && !o.free(y, b+2)
}

// check returns what is wrong with BestAvailable's answer got, err to r, or "".
func (o oracle) check(seats []inventory.SeatState, r inventory.SeatRequest, got []string, err error) string {
	if err != nil {
		return o.checkErr(r, err)
	}
	n := r.Count
	if r.Accessible {
		n *= 2
	}
	picked, msg := o.checkSeats(seats, r, got, n)
	switch {
	case msg != "":
		return msg
	case r.Accessible:
		return checkPairs(picked)
	}
	together, clean := o.runs(r)
	run := isRun(picked)
	switch {
	case together && !run:
		return "not together though a run exists"
	case clean && o.leavesGap(picked[0].Y, picked[0].X, picked[n-1].X):
		return "leaves a lone gap though a clean run exists"
	case run && inventory.CheckOrphans(seats, got) != nil:
		return fmt.Sprintf("CheckOrphans refuses it: %v", inventory.CheckOrphans(seats, got))
	}
	return ""
}

func (o oracle) checkErr(r inventory.SeatRequest, err error) string {
	if errs.KindOf(err) != errs.Precondition {
		return "want a Precondition error"
	}
	free := 0
	for _, s := range o {
		if s.Status == inventory.Available && allowed(r, s.Type) {
			free++
		}
	}
	if !r.Accessible && free >= r.Count {
		return fmt.Sprintf("refused with %d seats free", free)
	}
	return ""
}

// checkSeats checks that got names n distinct free seats r allows, in row then column order, and returns them.
func (o oracle) checkSeats(seats []inventory.SeatState, r inventory.SeatRequest, got []string,
	n int) ([]inventory.SeatState, string) {
	if len(got) != n {
		return nil, fmt.Sprintf("got %d seats, want %d", len(got), n)
	}
	var picked []inventory.SeatState
	for _, id := range got {
		i := slices.IndexFunc(seats, func(s inventory.SeatState) bool { return s.ID == id })
		if i < 0 || seats[i].Status != inventory.Available || !allowed(r, seats[i].Type) {
			return nil, fmt.Sprintf("seat %s is unknown, taken or of the wrong type", id)
		}
		picked = append(picked, seats[i])
	}
	for i := 1; i < n; i++ {
		a, b := picked[i-1], picked[i]
		if a.Y > b.Y || a.Y == b.Y && a.X >= b.X {
			return nil, "seats repeated or out of order"
		}
	}
	return picked, ""
}

// checkPairs checks that picked, in row then column order, is wheelchair spaces each with a companion seat
// beside it.
func checkPairs(picked []inventory.SeatState) string {
	for i := 0; i < len(picked); i += 2 {
		a, b := picked[i], picked[i+1]
		types := []catalog.SeatType{a.Type, b.Type}
		if a.Y != b.Y || b.X != a.X+1 || !slices.Contains(types, catalog.SeatAccessible) ||
			!slices.Contains(types, catalog.SeatCompanion) {
			return fmt.Sprintf("%s and %s are not a wheelchair space with its companion seat", a.ID, b.ID)
		}
	}
	return ""
}

func isRun(picked []inventory.SeatState) bool {
	for i := 1; i < len(picked); i++ {
		if picked[i].Y != picked[0].Y || picked[i].X != picked[i-1].X+1 {
			return false
		}
	}
	return true
}
