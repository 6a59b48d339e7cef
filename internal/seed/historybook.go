package seed

import (
	"fmt"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/pricing"
)

// bk is a booking being made: what its checkout decided.
type bk struct {
	show                         *hShow
	theatre                      *hTheatre
	prefix                       string
	user                         int
	seats                        []int // indices into show.screen.seats
	prices, discounts, fees      []int64
	subtotal, discount, total    int64
	feeTotal                     int64
	promo                        *hPromo
	holdAt, attempt, created     time.Time
	id, holdID, attemptID, code  string
	charges                      []hCharge
	standby                      bool
	cancelAt                     time.Time // zero when nothing was cancelled
	cancelled                    int       // seats cancelled, the last ones
	refunds                      []int64   // per cancelled seat
	refund                       int64
	refundToCredit, cancelledAll bool
}

// hCharge is a succeeded charge of a booking.
type hCharge struct {
	id, method, giftCard string
	giftCardRow          int // index of the gift card in the chunk
	amount               int64
}

// historyFees are booking fees per seat some chains charged in the past (before their policy dropped them), in
// units of the demo's price scale.
var historyFees = map[string]int64{"chain-starlight": 150}

// partySizes weights parties of 1-6 people.
var partySizes = []int{12, 42, 14, 18, 8, 6}

// nextChunk makes n bookings.
func (h *history) nextChunk(n int) (*chunk, error) {
	c := &chunk{}
	for range n {
		if err := h.book(c); err != nil {
			return nil, err
		}
	}
	h.sum.Payments += len(c.payments)
	return c, nil
}

// book makes one booking of adjacent seats of a show drawn by weight, as checkout would have, and what
// happened to it after (a cancellation), and adds its rows to c.
func (h *history) book(c *chunk) error {
	n := 1 + weighted(h.rng.IntN(100), partySizes)
	s, seats := h.pickSeats(n)
	if s == nil {
		return fmt.Errorf("no %d seats together left after %d bookings: the schedule is full", n, h.sum.Bookings)
	}
	t := s.screen.theatre
	b := &bk{show: s, theatre: t, prefix: t.region.IDPrefix, seats: seats, user: h.userFor(t.region.Name),
		standby: h.rng.IntN(100) < 3}
	h.times(b)
	h.price(b)
	h.tender(c, b)
	h.decideCancel(b)
	h.emit(c, b)
	return nil
}

// weighted returns the index of the bucket of ws that u (in [0, sum(ws))) falls in.
func weighted(u int, ws []int) int {
	for i, w := range ws {
		if u < w {
			return i
		}
		u -= w
	}
	return len(ws) - 1
}

// pickSeats draws shows until one has n bookable seats side by side free in a row, and sells them.
func (h *history) pickSeats(n int) (*hShow, []int) {
	for range 50 {
		s := &h.shows[h.drawShow()]
		if seats := h.findRun(s, n); seats != nil {
			return s, seats
		}
	}
	return nil, nil
}

func (h *history) findRun(s *hShow, n int) []int {
	rows := s.screen.rows
	if s.taken == nil {
		s.taken = make([]uint64, (len(s.screen.seats)+63)/64)
	}
	for range 8 {
		r := rows[max(h.rng.IntN(len(rows)), h.rng.IntN(len(rows)))] // the back sells first
		if len(r) < n {
			continue
		}
		p := h.rng.IntN(len(r) - n + 1)
		if run := r[p : p+n]; runFree(s, run) {
			for _, i := range run {
				s.taken[i/64] |= 1 << (i % 64)
			}
			return slices.Clone(run)
		}
	}
	return nil
}

// runFree reports whether the seats of run are bookable, free and side by side (no aisle between them).
func runFree(s *hShow, run []int) bool {
	seats := s.screen.seats
	for j, i := range run {
		if !seats[i].bookable || s.taken[i/64]&(1<<(i%64)) != 0 || (j > 0 && seats[i].x != seats[run[j-1]].x+1) {
			return false
		}
	}
	return true
}

// times sets when the booking was made (most the same day or a day or two ahead, some weeks ahead), the hold
// before it and the checkout attempt in between; a standby hold is the offer's, taken within its window.
func (h *history) times(b *bk) {
	var lead time.Duration
	switch u := h.rng.IntN(100); {
	case u < 35:
		lead = 20*time.Minute + time.Duration(h.rng.Int64N(int64(8*time.Hour)))
	case u < 80:
		lead = 8*time.Hour + time.Duration(h.rng.Int64N(int64(64*time.Hour)))
	default:
		lead = 72*time.Hour + time.Duration(h.rng.Int64N(int64(18*24*time.Hour)))
	}
	b.created = b.show.start.Add(-lead).Truncate(time.Microsecond)
	d := 40*time.Second + time.Duration(h.rng.Int64N(int64(5*time.Minute)))
	if b.standby {
		d = 20*time.Second + time.Duration(h.rng.Int64N(int64(offerWindow(lead)-30*time.Second)))
	}
	b.holdAt = b.created.Add(-d)
	b.attempt = b.created.Add(-time.Duration(h.rng.Int64N(int64(d / 2)))).Add(-time.Second)
	b.id, b.holdID, b.attemptID = h.id(b.prefix, b.created), h.id(b.prefix, b.holdAt), h.id(b.prefix, b.attempt)
	b.code = h.confirmationCode()
}

// offerWindow is standby.DefaultWindow: the time left before the show divided by 96, within 3 to 15 minutes.
func offerWindow(left time.Duration) time.Duration {
	return min(max(left/96, 3*time.Minute), 15*time.Minute)
}

// confirmationCode returns the next code in the format of booking.NewConfirmationCode. The booking's number
// is mapped through a permutation of the 40-bit codes, so no two bookings of a history share one.
func (h *history) confirmationCode() string {
	const mask = 1<<40 - 1
	x := (uint64(h.sum.Bookings)*0x9E3779B97F + h.codeOffset) & mask
	x ^= x >> 20
	x = (x * 0xD6E8FEB867) & mask
	code := make([]byte, 0, 9)
	for i := range 8 {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, historyCodeAlphabet[(x>>(35-5*i))&31])
	}
	h.sum.Bookings++
	return string(code)
}

// historyCodeAlphabet is booking's confirmation alphabet: Crockford's base32.
const historyCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// price prices the seats as a hold would (premium seats at the premium price), applies a promotion of the
// chain for about one booking in ten when one applies, and adds the chain's fee per seat; the discount is
// shared among the seats in proportion to their prices and the fees evenly, as the store does.
func (h *history) price(b *bk) {
	for _, i := range b.seats {
		p := b.show.base
		if b.show.screen.seats[i].typ == "premium" {
			p = b.show.premium
		}
		b.prices = append(b.prices, p)
		b.subtotal += p
	}
	if h.rng.IntN(100) < 11 {
		h.applyPromo(b)
	}
	b.feeTotal = historyFees[b.theatre.chainID] * scaleOf(b.theatre.currency) * int64(len(b.seats))
	b.discounts = pricing.Share(b.discount, b.prices) // as the store splits them at checkout
	b.fees = pricing.Share(b.feeTotal, make([]int64, len(b.seats)))
	b.total = b.subtotal - b.discount + b.feeTotal
}

// applyPromo picks a promotion that the checkout would have accepted, and its discount.
func (h *history) applyPromo(b *bk) {
	var ok []*hPromo
	for i := range h.promos {
		p := &h.promos[i]
		if p.chainID == b.theatre.chainID && !b.attempt.Before(p.from) && b.attempt.Before(p.until) &&
			len(b.seats) >= p.minSeats && (p.kind == "percent" || p.currency == b.theatre.currency) {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return
	}
	b.promo = ok[h.rng.IntN(len(ok))]
	b.promo.redemptions++
	if b.promo.kind == "percent" {
		b.discount = b.subtotal * int64(b.promo.percent) / 100
	} else {
		b.discount = min(b.promo.amount, b.subtotal)
	}
}
