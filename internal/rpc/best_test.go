package rpc_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// seatTypes returns each seat's type as GetSeatMap shows it.
func (e *env) seatTypes(t *testing.T) map[string]marqueev1.SeatType {
	t.Helper()
	res, err := e.seats.GetSeatMap(context.Background(), connect.NewRequest(&marqueev1.GetSeatMapRequest{
		ShowtimeId: e.fix.Showtime.ID}))
	if err != nil {
		t.Fatalf("GetSeatMap: %v", err)
	}
	m := map[string]marqueev1.SeatType{}
	for _, s := range res.Msg.Seats {
		m[s.Id] = s.Type
	}
	return m
}

func TestBestAvailable(t *testing.T) {
	e := newEnv(t)
	types := e.seatTypes(t)
	// Columns run 0-4, then 6-10 after the aisle, so the centre line is the aisle; the preferred row is
	// 0.65 of the way back from A to F, nearest D.
	for _, tc := range []struct {
		name string
		req  *marqueev1.BestAvailableRequest
		want []string
		typ  marqueev1.SeatType // every seat picked is of this type, when set
	}{
		{"OKTwoTogetherNearTheCentre", &marqueev1.BestAvailableRequest{Count: 2}, []string{"D4", "D5"}, 0},
		{"OKFourTogether", &marqueev1.BestAvailableRequest{Count: 4}, []string{"D2", "D3", "D4", "D5"}, 0},
		{"OKPremium", &marqueev1.BestAvailableRequest{Count: 3, SeatType: marqueev1.SeatType_SEAT_TYPE_PREMIUM},
			[]string{"D3", "D4", "D5"}, marqueev1.SeatType_SEAT_TYPE_PREMIUM},
		{"OKStandard", &marqueev1.BestAvailableRequest{Count: 2, SeatType: marqueev1.SeatType_SEAT_TYPE_STANDARD},
			[]string{"C4", "C5"}, marqueev1.SeatType_SEAT_TYPE_STANDARD},
		{"OKAccessible", &marqueev1.BestAvailableRequest{Count: 1, Accessible: true}, []string{"B1", "B2"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.ShowtimeId = e.fix.Showtime.ID
			res, err := e.seats.BestAvailable(context.Background(), connect.NewRequest(tc.req)) // no sign-in needed
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Msg.SeatIds); diff != "" {
				t.Errorf("seats mismatch (-want +got):\n%s", diff)
			}
			for _, id := range res.Msg.SeatIds {
				if tc.typ != 0 && types[id] != tc.typ {
					t.Errorf("%s is %v, want %v", id, types[id], tc.typ)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		req  *marqueev1.BestAvailableRequest
		want connect.Code
	}{
		{"ErrElevenSeats", &marqueev1.BestAvailableRequest{Count: 11}, connect.CodeInvalidArgument},
		{"ErrNoSeats", &marqueev1.BestAvailableRequest{}, connect.CodeInvalidArgument},
		{"ErrAccessibleWithType", &marqueev1.BestAvailableRequest{Count: 1, Accessible: true,
			SeatType: marqueev1.SeatType_SEAT_TYPE_PREMIUM}, connect.CodeInvalidArgument},
		{"ErrNotEnoughAccessible", &marqueev1.BestAvailableRequest{Count: 2, Accessible: true}, connect.CodeFailedPrecondition},
		{"ErrNotEnoughCompanion", &marqueev1.BestAvailableRequest{Count: 2, SeatType: marqueev1.SeatType_SEAT_TYPE_COMPANION},
			connect.CodeFailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.ShowtimeId = e.fix.Showtime.ID
			_, err := e.seats.BestAvailable(context.Background(), connect.NewRequest(tc.req))
			wantCode(t, err, tc.want)
		})
	}
}

func TestHoldBestAvailable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	hold := func(u user, r *marqueev1.HoldBestAvailableRequest) (*marqueev1.Hold, error) {
		r.ShowtimeId = e.fix.Showtime.ID
		res, err := e.seats.HoldBestAvailable(ctx, as(u, r))
		if err != nil {
			return nil, err
		}
		return res.Msg.Hold, nil
	}
	h, err := hold(alice, &marqueev1.HoldBestAvailableRequest{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"D4", "D5"}, h.SeatIds); diff != "" {
		t.Errorf("held seats mismatch (-want +got):\n%s", diff)
	}
	if st := e.seatStatus(t); st["D4"] != marqueev1.SeatStatus_SEAT_STATUS_HELD || st["D5"] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Errorf("D4=%v D5=%v, want both held", st["D4"], st["D5"])
	}
	h2, err := hold(bob, &marqueev1.HoldBestAvailableRequest{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(h2.SeatIds, ","), "D4") || strings.Contains(strings.Join(h2.SeatIds, ","), "D5") {
		t.Errorf("second hold = %v, want seats other than D4 and D5", h2.SeatIds)
	}
	t.Run("OKAccessible", func(t *testing.T) {
		h, err := hold(bob, &marqueev1.HoldBestAvailableRequest{Count: 1, Accessible: true})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"B1", "B2"}, h.SeatIds); diff != "" {
			t.Errorf("held seats mismatch (-want +got):\n%s", diff)
		}
	})
	held := e.count(t, `SELECT count(*) FROM showtime_seats WHERE status = 'held'`)
	for _, tc := range []struct {
		name string
		req  *marqueev1.HoldBestAvailableRequest
		want connect.Code
	}{
		{"ErrElevenSeats", &marqueev1.HoldBestAvailableRequest{Count: 11}, connect.CodeInvalidArgument},
		{"ErrAccessibleTaken", &marqueev1.HoldBestAvailableRequest{Count: 1, Accessible: true}, connect.CodeFailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hold(alice, tc.req)
			wantCode(t, err, tc.want)
			if n := e.count(t, `SELECT count(*) FROM showtime_seats WHERE status = 'held'`); n != held {
				t.Errorf("held seats = %d, want %d unchanged", n, held)
			}
		})
	}
	t.Run("ErrSignedOut", func(t *testing.T) {
		_, err := e.seats.HoldBestAvailable(ctx, connect.NewRequest(&marqueev1.HoldBestAvailableRequest{
			ShowtimeId: e.fix.Showtime.ID, Count: 1}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
}

func TestOrphanSeatRule(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	for _, tc := range []struct {
		name    string
		rule    bool
		seats   []string
		wantMsg string // for a refused selection, a part of the error message
	}{
		{"ErrLeavesA1Alone", true, []string{"A2", "A3"}, "A1"},
		{"ErrLeavesF10Alone", true, []string{"F8", "F9"}, "F10"},
		{"OKFromTheEnd", true, []string{"A1", "A2"}, ""},
		{"OKWholeBlock", true, []string{"F6", "F7", "F8", "F9", "F10"}, ""},
		{"OKRuleOff", false, []string{"C2", "C3"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := simplePolicy
			p.OrphanSeatRule = tc.rule
			e.setPolicy(t, p)
			res, err := e.seats.HoldSeats(context.Background(), as(alice, &marqueev1.HoldSeatsRequest{
				ShowtimeId: e.fix.Showtime.ID, SeatIds: tc.seats}))
			want := marqueev1.SeatStatus_SEAT_STATUS_HELD
			if tc.wantMsg != "" {
				ce := wantCode(t, err, connect.CodeFailedPrecondition)
				if !strings.Contains(ce.Message(), tc.wantMsg) {
					t.Errorf("message = %q, want it to name %s", ce.Message(), tc.wantMsg)
				}
				want = marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE
			} else if err != nil {
				t.Fatal(err)
			} else {
				t.Cleanup(func() {
					if _, err := e.seats.ReleaseHold(context.Background(), as(alice, &marqueev1.ReleaseHoldRequest{HoldId: res.Msg.Hold.Id})); err != nil {
						t.Error(err)
					}
				})
			}
			st := e.seatStatus(t)
			for _, id := range tc.seats {
				if st[id] != want {
					t.Errorf("%s = %v, want %v", id, st[id], want)
				}
			}
		})
	}
}
