package payment

import (
	"context"
)

// ChargeStatus is what a provider knows of a charge made under an idempotency key.
type ChargeStatus string

// Charge statuses a Lookup reports.
const (
	// ChargeSucceeded: the money was taken; ChargeOutcome.Ref names the charge.
	ChargeSucceeded ChargeStatus = "succeeded"
	// ChargeFailed: declined, cancelled or left needing an action Marquee never takes; nothing was taken.
	ChargeFailed ChargeStatus = "failed"
	// ChargePending: the provider is still deciding; ask again later.
	ChargePending ChargeStatus = "pending"
	// ChargeNotFound: the provider has no charge under the key: the request never reached it, or failed before
	// a charge was created.
	ChargeNotFound ChargeStatus = "not_found"
)

// LookupRequest names a charge attempt: by the idempotency key its Charge was sent with, and by the provider's
// reference when it is known (from a webhook, say), which is then asked for directly.
type LookupRequest struct {
	IdempotencyKey string
	Ref            string
}

// ChargeOutcome is what a provider says became of a charge attempt.
type ChargeOutcome struct {
	Status      ChargeStatus
	Ref         string // the charge's reference when the provider has one (always when Succeeded)
	AmountMinor int64  // what the charge is for, when known
	Reason      string // why it failed, client-safe, when Failed
}

// Looker finds out what became of a charge whose answer was lost. Providers implement it beside Provider.
type Looker interface {
	// Lookup asks the provider for the outcome of the charge attempt r names. It never charges. An error means
	// the provider could not be asked (Unavailable) or r is malformed (Invalid); a charge the provider has
	// never seen is ChargeNotFound, not an error.
	Lookup(ctx context.Context, r LookupRequest) (ChargeOutcome, error)
}

var (
	_ Looker = (*Sandbox)(nil)
	_ Looker = (*Stripe)(nil)
)

// Lookup reports the sandbox charge made under r.IdempotencyKey: succeeded or failed as Charge answered, and
// ChargeNotFound for a key Charge never saw.
func (s *Sandbox) Lookup(ctx context.Context, r LookupRequest) (ChargeOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.seen["charge:"+r.IdempotencyKey]
	switch {
	case !ok:
		return ChargeOutcome{Status: ChargeNotFound}, nil
	case prev.err != nil:
		return ChargeOutcome{Status: ChargeFailed, Reason: "payment failed"}, nil
	}
	return ChargeOutcome{Status: ChargeSucceeded, Ref: prev.ref, AmountMinor: s.amounts[prev.ref]}, nil
}
