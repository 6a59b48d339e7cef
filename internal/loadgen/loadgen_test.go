package loadgen

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestRun is a smoke run on a 40-seat screen: the hold phase makes progress, the sale sells out exactly once,
// and the oversell check catches a database corrupted behind the service's back.
func TestRun(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions()
	opts.Clients, opts.Duration, opts.OnSaleTimeout = 4, time.Second, time.Minute
	opts.Rows, opts.SeatsPerRow, opts.Pgbench, opts.Log = 5, 8, false, t.Output()
	opts.Room = RoomOptions{People: 60, Shopping: 5, Rows: 4, SeatsPerRow: 8, Arrivals: time.Second,
		OpensAfter: 500 * time.Millisecond}
	s := MustStart(t, opts)
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		h, o, v := res.Holds, res.OnSale, res.Check
		if h.Holds == 0 || h.Errors != 0 || h.ReleaseErrors != 0 {
			t.Errorf("hold phase: %d holds, %d errors, %d release errors (%s); want > 0, 0, 0",
				h.Holds, h.Errors, h.ReleaseErrors, h.FirstError)
		}
		if !o.SoldOut || o.SeatsSold != 40 || o.Errors != 0 || o.BookingErrors != 0 {
			t.Errorf("on-sale: sold out %v, %d seats sold, %d errors, %d booking errors (%s); want true, 40, 0, 0",
				o.SoldOut, o.SeatsSold, o.Errors, o.BookingErrors, o.FirstError)
		}
		if !v.OK() || v.DoubleSold != 0 || v.SaleBooked != 40 || v.SaleConfirmed != 40 {
			t.Errorf("check = %+v; want OK with 40 booked and confirmed", v)
		}
		if r := res.Room; r == nil || !r.SoldOut || r.SeatsSold != 32 || r.DoubleSold != 0 || r.NoSeatButFree != 0 ||
			r.Errors != 0 || r.MaxShopping > 5 || r.Admitted < r.Buyers {
			t.Errorf("waiting room = %+v; want sold out, 32 seats, none twice, nobody left seatless, no errors, at most 5 shopping", r)
		}
		var out bytes.Buffer
		Print(&out, res)
		for _, want := range []string{"oversell check: OK (0 seats sold twice)", "| seats sold ", "40/40", "seats sold twice (database)"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("printed results lack %q:\n%s", want, out.String())
			}
		}
	})

	t.Run("ErrSeatFreed", func(t *testing.T) {
		// A booked seat set back to available, as a lost update would leave it: someone else could buy it.
		MustExec(t, s, `UPDATE showtime_seats SET status = 'available', booking_id = NULL
			WHERE (region, showtime_id, seat_id) = (SELECT region, showtime_id, seat_id FROM showtime_seats
				WHERE showtime_id = $1 AND status = 'booked' ORDER BY seat_id LIMIT 1)`, s.Sale.ID)
		v := MustVerify(t, s)
		if v.OK() || v.Err() == nil || v.Unbacked != 1 || v.SaleBooked != 39 {
			t.Errorf("check = %+v; want a failure with 1 unbacked seat and 39 booked", v)
		}
	})

	t.Run("ErrSoldTwice", func(t *testing.T) {
		// The partial unique index would refuse a second confirmed sale, so drop it: the check must not rely on it.
		MustExec(t, s, `DROP INDEX booking_seats_sold_once`)
		MustExec(t, s, `INSERT INTO bookings (region, id, confirmation_code, user_id, showtime_id, hold_id, status,
				currency, total_minor, created_at)
			SELECT region, id || 'x', confirmation_code || 'x', user_id, showtime_id, hold_id, status, currency,
				total_minor, created_at FROM bookings WHERE id = (SELECT min(id) FROM bookings WHERE showtime_id = $1)`, s.Sale.ID)
		MustExec(t, s, `INSERT INTO booking_seats (region, booking_id, seat_id, showtime_id, status, price_minor)
			SELECT region, booking_id || 'x', seat_id, showtime_id, status, price_minor FROM booking_seats WHERE booking_id = (SELECT min(id) FROM bookings WHERE showtime_id = $1)`,
			s.Sale.ID)
		v := MustVerify(t, s)
		if v.OK() || v.DoubleSold == 0 || !strings.Contains(v.Err().Error(), "two or more confirmed bookings") {
			t.Errorf("check = %+v; want seats sold twice reported", v)
		}
	})
}

// MustStart starts a stack for opts and closes it when the test ends.
func MustStart(t *testing.T, opts Options) *Stack {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// MustExec runs sql on the stack's database.
func MustExec(t *testing.T, s *Stack, sql string, args ...any) {
	t.Helper()
	if _, err := s.App.DB().Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// MustVerify runs the oversell check.
func MustVerify(t *testing.T, s *Stack) Verification {
	t.Helper()
	v, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPickSeats(t *testing.T) {
	seat := func(row string, n int32) *marqueev1.Seat {
		return &marqueev1.Seat{Id: row + string(rune('0'+n)), Row: row, Number: n}
	}
	// A1 A2 A3 are side by side; A5 is alone; B1 B2 are side by side but on another row.
	avail := []*marqueev1.Seat{seat("A", 1), seat("A", 2), seat("A", 3), seat("A", 5), seat("B", 1), seat("B", 2)}
	blocks := [][]string{{"A1", "A2", "A3"}, {"A5"}, {"B1", "B2"}}
	for range 200 {
		got := pickSeats(avail, 4)
		ok := slices.ContainsFunc(blocks, func(b []string) bool { return slices.Equal(b, got) })
		if !ok {
			t.Fatalf("pickSeats(avail, 4) = %v; want one whole block of %v", got, blocks)
		}
	}
	for range 200 {
		if got := pickSeats(avail, 2); len(got) < 1 || len(got) > 2 {
			t.Fatalf("pickSeats(avail, 2) = %v; want 1 or 2 seats", got)
		}
	}
}

func TestParseTPS(t *testing.T) {
	out := `pgbench (15.8 (Debian 15.8-0+deb12u1))
number of failed transactions: 0 (0.000%)
latency average = 12.345 ms
initial connection time = 30.123 ms
tps = 5183.261944 (without initial connection time)
`
	got, err := parseTPS(out)
	if err != nil || got != 5183.261944 {
		t.Errorf("parseTPS = %v, %v; want 5183.261944, nil", got, err)
	}
	if _, err := parseTPS("no numbers here"); err == nil {
		t.Error("parseTPS of junk: want an error")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := percentile(d, 50), percentile(d, 99); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50, p99 = %v, %v; want 50ms, 99ms", p50, p99)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("percentile(nil) = %v; want 0", got)
	}
}
