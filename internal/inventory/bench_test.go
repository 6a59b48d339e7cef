package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/inventory"
)

// screen builds a rectangular screen of rows×perRow available seats, rows lettered from the front, with an aisle
// (one empty column) after each seat number in aisles. Row B has a wheelchair space and its companion seat at
// each end; the three rows before the back row are premium.
func screen(rows, perRow int, aisles ...int) []inventory.SeatState {
	seats := make([]inventory.SeatState, 0, rows*perRow)
	for y := range rows {
		label := string(rune('A' + y))
		x := 0
		for n := 1; n <= perRow; n++ {
			seats = append(seats, inventory.SeatState{Seat: catalog.Seat{ID: fmt.Sprintf("%s%d", label, n),
				Row: label, Number: n, Type: screenType(rows, perRow, y, n), X: x, Y: y},
				Status: inventory.Available, PriceMinor: 1200})
			x++
			if slices.Contains(aisles, n) {
				x++
			}
		}
	}
	return seats
}

func screenType(rows, perRow, y, n int) catalog.SeatType {
	switch {
	case y == 1 && (n == 1 || n == perRow):
		return catalog.SeatAccessible
	case y == 1 && (n == 2 || n == perRow-1):
		return catalog.SeatCompanion
	case y < rows-1 && y >= rows-4:
		return catalog.SeatPremium
	}
	return catalog.SeatStandard
}

// occupy returns a copy of seats where each seat is taken (booked or held) with probability share.
func occupy(rng *rand.Rand, seats []inventory.SeatState, share float64) []inventory.SeatState {
	out := slices.Clone(seats)
	for i := range out {
		if rng.Float64() < share {
			out[i].Status = []inventory.Status{inventory.Booked, inventory.Held}[rng.IntN(2)]
		}
	}
	return out
}

// BenchmarkBestAvailable picks seats on 64 different 300-seat screens (15 rows of 20 with an aisle) at 70%
// occupancy and reports the 99th percentile latency besides ns/op.
func BenchmarkBestAvailable(b *testing.B) {
	for _, count := range []int{2, 4} {
		b.Run(fmt.Sprintf("Count=%d", count), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, uint64(count)))
			halls := make([][]inventory.SeatState, 64)
			for i := range halls {
				halls[i] = occupy(rng, screen(15, 20, 10), 0.7)
			}
			r := inventory.SeatRequest{Count: count}
			took := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if _, err := inventory.BestAvailable(halls[i%len(halls)], r); err != nil {
					b.Fatal(err)
				}
				took[i] = time.Since(start)
			}
			b.StopTimer()
			slices.Sort(took)
			p99 := took[(len(took)*99+99)/100-1]
			b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-us")
		})
	}
}
