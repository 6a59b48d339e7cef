package booking

import (
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Tier refunds Percent of the total when a booking is cancelled at least Before the show starts.
type Tier struct {
	Before  time.Duration
	Percent int
}

// RefundPolicy is a curve of tiers by time left before the show; the first tier (largest Before) that the
// time left reaches applies, and no refund is due when none does.
type RefundPolicy struct {
	Tiers []Tier
}

// DefaultPolicy refunds in full until 2 hours before the show and nothing after.
func DefaultPolicy() RefundPolicy {
	return RefundPolicy{Tiers: []Tier{{Before: 2 * time.Hour, Percent: 100}}}
}

// Validate checks the tiers: percentages 0-100, distinct non-negative durations.
func (p RefundPolicy) Validate() error {
	seen := map[time.Duration]bool{}
	for _, t := range p.Tiers {
		if t.Percent < 0 || t.Percent > 100 || t.Before < 0 || seen[t.Before] {
			return errs.Errorf("booking.RefundPolicy", errs.Invalid, "refund tiers need distinct non-negative times and percentages 0-100")
		}
		seen[t.Before] = true
	}
	return nil
}

// Refund returns what cancelling b at now refunds for a show starting at startsAt. Cancelling once the show
// has started is refused.
func (p RefundPolicy) Refund(b Booking, startsAt, now time.Time) (int64, error) {
	left := startsAt.Sub(now)
	if left <= 0 {
		return 0, errs.Errorf("booking.Refund", errs.Precondition, "the show has started; the booking can no longer be cancelled")
	}
	tiers := slices.Clone(p.Tiers)
	slices.SortFunc(tiers, func(a, b Tier) int { return int(b.Before - a.Before) })
	for _, t := range tiers {
		if left >= t.Before {
			return b.TotalMinor * int64(t.Percent) / 100, nil
		}
	}
	return 0, nil
}

// confirmationAlphabet is Crockford's base32 without look-alike letters.
const confirmationAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewConfirmationCode returns a random code like "7KQ2-M9XD" (40 bits).
func NewConfirmationCode() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	code := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, confirmationAlphabet[int(c)%len(confirmationAlphabet)])
	}
	return fmt.Sprintf("%s", code)
}
