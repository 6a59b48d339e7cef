package inventory_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
)

func TestCheckOrphans(t *testing.T) {
	tests := []struct {
		name     string
		rows     []string
		chosen   []string
		wantKind errs.Kind // Other: no error
		wantMsg  string
	}{
		{name: "OKNoGap", rows: []string{"......"}, chosen: []string{"A1", "A2"}},
		{name: "OKUpToTakenSeat", rows: []string{"X.....X"}, chosen: []string{"A2", "A3", "A4"}},
		{name: "OKWholeBlock", rows: []string{"...|..."}, chosen: []string{"A3", "A2", "A1"}},
		{name: "OKTwoLeftInBlock", rows: []string{"....|...."}, chosen: []string{"A3", "A4"}},
		{name: "OKExistingGap", rows: []string{"X.X..."}, chosen: []string{"A4", "A5", "A6"}},
		{name: "OKEveryPlacementLeavesGap", rows: []string{"X...X"}, chosen: []string{"A2", "A3"}},
		{name: "OKNoRoomForRunOfThatSize", rows: []string{"..X..X.."}, chosen: []string{"A2", "A4", "A5"}},
		{name: "OKOnlyChosenTypesCount", rows: []string{"wc...."}, chosen: []string{"A2"}},
		{name: "OKTwoRows", rows: []string{"......", "......"}, chosen: []string{"A1", "A2", "B5", "B6"}},
		{name: "ErrRowEnd", rows: []string{"......"}, chosen: []string{"A2", "A3"}, wantKind: errs.Precondition,
			wantMsg: "this selection would leave seat A1 empty on its own; shift your selection by one seat"},
		{name: "ErrBetweenTakenSeats", rows: []string{"X......"}, chosen: []string{"A3", "A4"},
			wantKind: errs.Precondition,
			wantMsg:  "this selection would leave seat A2 empty on its own; shift your selection by one seat"},
		{name: "ErrHeldSeatCountsAsTaken", rows: []string{"H......"}, chosen: []string{"A3", "A4"},
			wantKind: errs.Precondition,
			wantMsg:  "this selection would leave seat A2 empty on its own; shift your selection by one seat"},
		{name: "ErrBesideAisle", rows: []string{"....|...."}, chosen: []string{"A2", "A3"},
			wantKind: errs.Precondition,
			wantMsg: "this selection would leave seats A1 and A4 empty on their own; " +
				"shift your selection by one seat"},
		{name: "ErrApart", rows: []string{"......"}, chosen: []string{"A1", "A3"}, wantKind: errs.Precondition,
			wantMsg: "this selection would leave seat A2 empty on its own; choose seats next to each other"},
		{name: "ErrSecondRow", rows: []string{"......", "......"}, chosen: []string{"A1", "A2", "B2", "B3"},
			wantKind: errs.Precondition,
			wantMsg:  "this selection would leave seat B1 empty on its own; shift your selection by one seat"},
		{name: "ErrUnknownSeat", rows: []string{"......"}, chosen: []string{"Z9"}, wantKind: errs.Invalid,
			wantMsg: "there is no seat Z9"},
		{name: "ErrUnknownSeats", rows: []string{"......"}, chosen: []string{"A1", "Z9", "Q2"},
			wantKind: errs.Invalid, wantMsg: "there are no seats Z9 and Q2"},
		{name: "ErrTaken", rows: []string{"X.H..."}, chosen: []string{"A1", "A2", "A3"},
			wantKind: errs.Precondition, wantMsg: "seats not available: A1, A3"},
		{name: "ErrNone", rows: []string{"......"}, wantKind: errs.Invalid, wantMsg: "choose at least one seat"},
		{name: "ErrTwice", rows: []string{"......"}, chosen: []string{"A1", "A2", "A1"}, wantKind: errs.Invalid,
			wantMsg: "seat A1 is listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inventory.CheckOrphans(seatMap(t, tt.rows...), tt.chosen)
			if errs.KindOf(err) != tt.wantKind || errs.Message(err) != tt.wantMsg {
				t.Fatalf("CheckOrphans = %v; want %v error %q", err, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func TestCheckOrphansNamesTakenSeats(t *testing.T) {
	err := inventory.CheckOrphans(seatMap(t, "X.H..."), []string{"A3", "A2", "A1"})
	var unavailable *inventory.SeatsUnavailableError
	if !errors.As(err, &unavailable) {
		t.Fatalf("CheckOrphans = %v; want a *SeatsUnavailableError", err)
	}
	if diff := cmp.Diff([]string{"A1", "A3"}, unavailable.SeatIDs); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
