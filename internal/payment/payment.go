// Package payment moves money through a payment provider. Marquee never sees card numbers: clients send a
// provider token ("tok_visa") and Marquee stores only provider references.
package payment

import (
	"context"
	"fmt"
	"sync"

	"github.com/marqueehq/marquee/internal/errs"
)

// ChargeRequest asks a provider to take money. IdempotencyKey makes retries safe: the same key returns the
// first result and never charges twice.
type ChargeRequest struct {
	AmountMinor    int64
	Currency       string
	Token          string
	IdempotencyKey string
	Description    string
}

// RefundRequest asks a provider to return part or all of a charge, once per IdempotencyKey.
type RefundRequest struct {
	ChargeRef      string
	AmountMinor    int64
	Currency       string
	IdempotencyKey string
}

// Provider is a payment service provider. A declined card is a Precondition error. Lookup tells what became
// of a charge whose answer was lost (see Looker).
type Provider interface {
	Name() string
	Charge(ctx context.Context, r ChargeRequest) (ref string, err error)
	Refund(ctx context.Context, r RefundRequest) (ref string, err error)
	Looker
}

// Sandbox is an in-process provider for development and tests that accepts Stripe's test tokens. It moves no
// money. Like Stripe, it remembers idempotency keys: a retry returns the first result, and reusing a key with
// different parameters is an error.
type Sandbox struct {
	mu      sync.Mutex
	seen    map[string]sandboxResult
	charges int
	refunds int
	charged map[string]int64 // charge ref -> amount left to refund
	amounts map[string]int64 // charge ref -> amount charged
}

type sandboxResult struct {
	params string
	ref    string
	err    error
}

var _ Provider = (*Sandbox)(nil)

// NewSandbox returns an empty sandbox provider.
func NewSandbox() *Sandbox {
	return &Sandbox{seen: map[string]sandboxResult{}, charged: map[string]int64{}, amounts: map[string]int64{}}
}

// Name is "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

// Tokens the sandbox accepts, as Stripe's test mode does.
var (
	goodTokens     = map[string]bool{"tok_visa": true, "tok_mastercard": true, "tok_amex": true, "tok_visa_debit": true}
	declinedTokens = map[string]string{
		"tok_chargeDeclined":                  "card declined",
		"tok_chargeDeclinedInsufficientFunds": "insufficient funds",
		"tok_chargeDeclinedExpiredCard":       "card expired",
	}
)

// Charge charges a test token: tok_visa and friends succeed, tok_chargeDeclined* are declined.
func (s *Sandbox) Charge(ctx context.Context, r ChargeRequest) (string, error) {
	const op = "payment.Sandbox.Charge"
	params := fmt.Sprintf("%d|%s|%s", r.AmountMinor, r.Currency, r.Token)
	return s.once("charge:"+r.IdempotencyKey, params, func() (string, error) {
		if reason, ok := declinedTokens[r.Token]; ok {
			return "", errs.E(op, errs.Precondition, "payment declined: "+reason)
		}
		if !goodTokens[r.Token] {
			return "", errs.Errorf(op, errs.Invalid, "unknown payment token")
		}
		if r.AmountMinor <= 0 {
			return "", errs.Errorf(op, errs.Invalid, "amount must be positive")
		}
		s.charges++
		ref := fmt.Sprintf("sbx_ch_%06d", s.charges)
		s.charged[ref], s.amounts[ref] = r.AmountMinor, r.AmountMinor
		return ref, nil
	})
}

// Refund returns money of a sandbox charge, never more than was charged.
func (s *Sandbox) Refund(ctx context.Context, r RefundRequest) (string, error) {
	const op = "payment.Sandbox.Refund"
	params := fmt.Sprintf("%s|%d|%s", r.ChargeRef, r.AmountMinor, r.Currency)
	return s.once("refund:"+r.IdempotencyKey, params, func() (string, error) {
		left, ok := s.charged[r.ChargeRef]
		if !ok {
			return "", errs.Errorf(op, errs.Invalid, "no such charge")
		}
		if r.AmountMinor <= 0 || r.AmountMinor > left {
			return "", errs.Errorf(op, errs.Invalid, "refund amount out of range")
		}
		s.charged[r.ChargeRef] = left - r.AmountMinor
		s.refunds++
		return fmt.Sprintf("sbx_re_%06d", s.refunds), nil
	})
}

func (s *Sandbox) once(key, params string, do func() (string, error)) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.seen[key]; ok {
		if prev.params != params {
			return "", errs.KeyReused("payment.Sandbox")
		}
		return prev.ref, prev.err
	}
	ref, err := do()
	s.seen[key] = sandboxResult{params: params, ref: ref, err: err}
	return ref, err
}

// Counts returns how many charges and refunds the sandbox has made (each idempotency key counts once).
func (s *Sandbox) Counts() (charges, refunds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.charges, s.refunds
}
