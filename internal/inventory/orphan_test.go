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
			wantMsg: "Seat A1 would be left empty on its own; add it to your selection, or shift your seats by one so that no single seat is left"},
		{name: "ErrBetweenTakenSeats", rows: []string{"X......"}, chosen: []string{"A3", "A4"},
			wantKind: errs.Precondition,
			wantMsg:  "Seat A2 would be left empty on its own; add it to your selection, or shift your seats by one so that no single seat is left"},
		{name: "ErrHeldSeatCountsAsTaken", rows: []string{"H......"}, chosen: []string{"A3", "A4"},
			wantKind: errs.Precondition,
			wantMsg:  "Seat A2 would be left empty on its own; add it to your selection, or shift your seats by one so that no single seat is left"},
		{name: "ErrBesideAisle", rows: []string{"....|...."}, chosen: []string{"A2", "A3"},
			wantKind: errs.Precondition,
			wantMsg: "Seats A1 and A4 would each be left empty on their own; " +
				"add them to your selection, or shift your seats by one so that no single seat is left"},
		{name: "ErrApart", rows: []string{"......"}, chosen: []string{"A1", "A3"}, wantKind: errs.Precondition,
			wantMsg: "Seat A2 would be left empty on its own; add it to your selection, or choose seats next to each other that leave no single seat"},
		{name: "ErrSecondRow", rows: []string{"......", "......"}, chosen: []string{"A1", "A2", "B2", "B3"},
			wantKind: errs.Precondition,
			wantMsg:  "Seat B1 would be left empty on its own; add it to your selection, or shift your seats by one so that no single seat is left"},
		{name: "ErrUnknownSeat", rows: []string{"......"}, chosen: []string{"Z9"}, wantKind: errs.Invalid,
			wantMsg: "there is no seat Z9"},
		{name: "ErrUnknownSeats", rows: []string{"......"}, chosen: []string{"A1", "Z9", "Q2"},
			wantKind: errs.Invalid, wantMsg: "there are no seats Z9 and Q2"},
		{name: "ErrTaken", rows: []string{"X.H..."}, chosen: []string{"A1", "A2", "A3"},
			wantKind: errs.Precondition, wantMsg: "Seats A1 and A3 are already taken; choose other seats"},
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

func TestCheckOrphansNamesLoneSeats(t *testing.T) {
	err := inventory.CheckOrphans(seatMap(t, "....|...."), []string{"A2", "A3"})
	var lone *inventory.LoneSeatError
	if !errors.As(err, &lone) {
		t.Fatalf("CheckOrphans = %v; want a *LoneSeatError", err)
	}
	if diff := cmp.Diff([]string{"A1", "A4"}, lone.SeatIDs); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestLimitError(t *testing.T) {
	for _, tc := range []struct {
		name             string
		held, asked, max int
		want             string
	}{
		{"NothingHeld", 0, 11, 10, "You can hold at most 10 seats for one show; you asked for 11"},
		{"SomeHeld", 8, 3, 10, "You can hold at most 10 seats for one show; you already hold 8, so you can add up to 2 more"},
		{"AllHeld", 10, 1, 10, "You can hold at most 10 seats for one show, and you already hold 10; book or release them first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := inventory.LimitError(tc.held, tc.asked, tc.max)
			var limit *inventory.SeatLimitError
			if errs.KindOf(err) != errs.Exhausted || errs.Message(err) != tc.want || !errors.As(err, &limit) ||
				*limit != (inventory.SeatLimitError{Limit: tc.max, Held: tc.held, Asked: tc.asked}) {
				t.Errorf("LimitError(%d, %d, %d) = %v (%q), want Exhausted %q with a *SeatLimitError", tc.held, tc.asked,
					tc.max, err, errs.Message(err), tc.want)
			}
		})
	}
}
