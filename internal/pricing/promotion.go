package pricing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// PromotionKind says how a promotion reduces a booking's price.
type PromotionKind string

// Promotion kinds.
const (
	PromotionPercent PromotionKind = "percent" // Percent of the subtotal
	PromotionFixed   PromotionKind = "fixed"   // AmountMinor of Currency off the subtotal
)

// Promotion is a code of a chain that reduces the price of a booking. It is valid from ValidFrom (inclusive)
// until ValidUntil (exclusive).
type Promotion struct {
	ID, ChainID, Code, Description string
	Kind                           PromotionKind
	Percent                        int    // 1..100 for percent
	AmountMinor                    int64  // > 0 for fixed
	Currency                       string // ISO 4217, for fixed
	ValidFrom, ValidUntil          time.Time
	MinSeats                       int      // 0 = any number of seats
	PerUserLimit, TotalLimit       int      // 0 = unlimited
	TheatreIDs, MovieIDs           []string // empty = the whole chain
	Redemptions                    int      // counted so far
}

// NormalizeCode returns code as it is stored and compared: trimmed and upper-cased.
func NormalizeCode(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

// Validate returns an Invalid error whose message names the first problem with p, or nil when p is usable. The
// code is checked after NormalizeCode.
func (p Promotion) Validate() error {
	const op = "pricing.Promotion.Validate"
	msg := codeProblem(NormalizeCode(p.Code))
	if msg == "" {
		msg = p.kindProblem()
	}
	if msg == "" {
		msg = p.termsProblem()
	}
	if msg != "" {
		return errs.E(op, errs.Invalid, msg)
	}
	return nil
}

// codeProblem describes what is wrong with a normalized code, or returns "".
func codeProblem(code string) string {
	for _, c := range code {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return "code may contain only letters A-Z, digits, '_' and '-'"
		}
	}
	if len(code) < 3 || len(code) > 32 {
		return "code must be 3 to 32 characters"
	}
	return ""
}

// kindProblem describes what is wrong with p's kind and its amount, or returns "".
func (p Promotion) kindProblem() string {
	switch p.Kind {
	case PromotionPercent:
		if p.Percent < 1 || p.Percent > 100 {
			return "percent must be between 1 and 100"
		}
	case PromotionFixed:
		if p.AmountMinor <= 0 {
			return "amount must be positive"
		}
		if strings.TrimSpace(p.Currency) == "" {
			return "currency is required for a fixed discount"
		}
	case "":
		return "kind is required"
	default:
		return fmt.Sprintf("unknown promotion kind %q", p.Kind)
	}
	return ""
}

// termsProblem describes what is wrong with p's validity window and limits, or returns "".
func (p Promotion) termsProblem() string {
	if !p.ValidUntil.After(p.ValidFrom) {
		return "valid_until must be after valid_from"
	}
	if p.MinSeats < 0 || p.PerUserLimit < 0 || p.TotalLimit < 0 {
		return "min_seats, per_user_limit and total_limit must not be negative"
	}
	return ""
}

// Use is one attempt to redeem a promotion.
type Use struct {
	Now                         time.Time
	ChainID, TheatreID, MovieID string
	Seats                       int
	SubtotalMinor               int64
	Currency                    string
	UserRedemptions             int // how often this user has redeemed the code before
}

// CodeRefused is what a customer is told for every way a promotion code can fail (unknown, expired, not yet
// valid, another cinema or movie, too few seats, used up, another currency): one answer, so that codes and
// their rules cannot be probed. The reason stays in the error's cause, for logs and tests.
const CodeRefused = "this promotion code cannot be used for this booking"

// Refused is the Precondition error of a code refused for reason.
func Refused(op, reason string) error {
	return errs.E(op, errs.Precondition, CodeRefused, errors.New(reason))
}

// Discount returns the discount p gives u, or a Refused error whose cause says why the code does not apply.
// A percent discount rounds down to a minor unit; a discount never exceeds the subtotal.
func (p Promotion) Discount(u Use) (int64, error) {
	const op = "pricing.Promotion.Discount"
	if msg := p.refusal(u); msg != "" {
		return 0, Refused(op, msg)
	}
	subtotal := max(u.SubtotalMinor, 0)
	if p.Kind == PromotionPercent {
		return subtotal * int64(p.Percent) / 100, nil
	}
	return min(p.AmountMinor, subtotal), nil
}

// refusal returns why p cannot be used for u, or "".
func (p Promotion) refusal(u Use) string {
	for _, check := range []func(Use) string{p.windowRefusal, p.scopeRefusal, p.limitRefusal, p.currencyRefusal} {
		if msg := check(u); msg != "" {
			return msg
		}
	}
	return ""
}

// windowRefusal refuses a use outside [ValidFrom, ValidUntil).
func (p Promotion) windowRefusal(u Use) string {
	switch {
	case u.Now.Before(p.ValidFrom):
		return "this code is not valid yet"
	case !u.Now.Before(p.ValidUntil):
		return "this code has expired"
	}
	return ""
}

// scopeRefusal refuses a use at another chain, or at a theatre or for a movie the code does not cover.
func (p Promotion) scopeRefusal(u Use) string {
	switch {
	case u.ChainID != p.ChainID, len(p.TheatreIDs) > 0 && !slices.Contains(p.TheatreIDs, u.TheatreID):
		return "this code is not valid for this cinema"
	case len(p.MovieIDs) > 0 && !slices.Contains(p.MovieIDs, u.MovieID):
		return "this code is not valid for this movie"
	}
	return ""
}

// limitRefusal refuses a use with too few seats or beyond the total or per-user limit.
func (p Promotion) limitRefusal(u Use) string {
	switch {
	case u.Seats < p.MinSeats:
		return fmt.Sprintf("this code needs at least %d seats", p.MinSeats)
	case p.TotalLimit > 0 && p.Redemptions >= p.TotalLimit:
		return "this code has been fully redeemed"
	case p.PerUserLimit == 1 && u.UserRedemptions >= 1:
		return "you have already used this code"
	case p.PerUserLimit > 1 && u.UserRedemptions >= p.PerUserLimit:
		return fmt.Sprintf("you have already used this code %d times", p.PerUserLimit)
	}
	return ""
}

// currencyRefusal refuses a fixed discount in another currency than the booking's.
func (p Promotion) currencyRefusal(u Use) string {
	if p.Kind == PromotionFixed && !strings.EqualFold(strings.TrimSpace(p.Currency), strings.TrimSpace(u.Currency)) {
		return fmt.Sprintf("this code is only valid for bookings in %s", strings.ToUpper(p.Currency))
	}
	return ""
}
