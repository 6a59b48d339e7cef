package rpc_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// moneyBonus is the store credit bonus of the money invariant test: large, so that a bonus granted twice
// shows at once.
const moneyBonus = 50

// moneyPerson is one person of the money invariant test: the gift cards given to them and their bookings'
// seats still booked.
type moneyPerson struct {
	u         user
	giftCards []string
	bookings  map[string][]string
	ever      map[string][]string // every seat each booking ever had
}

// TestMoneyInvariant runs a seeded random sequence of bookings, add-seats, partial and full cancellations
// over every tender mix (card, gift card, store credit, mixes, with and without a promotion) and refunds to
// the original methods or to store credit, and checks from the database after each step that no person can
// spend more than they paid in plus one bonus on it (README, "Money"). MONEY_SEED replays a seed.
func TestMoneyInvariant(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MONEY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("MONEY_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with MONEY_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	e := newEnv(t)
	p := simplePolicy
	p.StoreCreditBonusPercent = moneyBonus
	e.setPolicy(t, p)
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	e.mustUpsertPromotion(t, op, percentPromo(chain, "TENOFF", 10))
	e.mustUpsertPromotion(t, op, fixedPromo(chain, "FIVEOFF", 500))
	admin := marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
	free := map[string]bool{}
	for _, r := range "ABCDEF" {
		for n := 1; n <= 10; n++ {
			free[fmt.Sprintf("%c%d", r, n)] = true
		}
	}
	pickFree := func(n int) []string {
		var all []string
		for s, ok := range free {
			if ok {
				all = append(all, s)
			}
		}
		slices.Sort(all)
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		return all[:min(n, len(all))]
	}
	people := make([]*moneyPerson, 3)
	for i := range people {
		people[i] = &moneyPerson{u: e.mustRegister(t), bookings: map[string][]string{}, ever: map[string][]string{}}
	}
	// tenders picks a random tender mix: a new gift card (given to p) or none, store credit or not, a promotion
	// or not. The card always pays the rest.
	tenders := func(p *moneyPerson) (gift string, credit bool, promo string) {
		if rng.IntN(3) == 0 {
			res, err := admin.IssueGiftCard(context.Background(), as(op, &marqueev1.IssueGiftCardRequest{ChainId: chain,
				Amount: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: int64(100 * (1 + rng.IntN(30)))}}))
			if err != nil {
				t.Fatalf("IssueGiftCard: %v", err)
			}
			gift = res.Msg.Code
			p.giftCards = append(p.giftCards, gift)
		}
		promo = []string{"", "", "TENOFF", "FIVEOFF"}[rng.IntN(4)]
		return gift, rng.IntN(2) == 0, promo
	}
	const steps = 300
	for step := range steps {
		p := people[rng.IntN(len(people))]
		var ids []string
		for id := range p.bookings {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		key := fmt.Sprintf("money-%d-%d", seed%1e9, step)
		var what string
		var err error
		switch k := rng.IntN(10); {
		case k < 4 || len(ids) == 0:
			seats := pickFree(1 + rng.IntN(3))
			if len(seats) == 0 {
				continue
			}
			gift, credit, promo := tenders(p)
			what = fmt.Sprintf("book %v gift=%v credit=%v promo=%q", seats, gift != "", credit, promo)
			h, herr := e.holdOn(p.u, e.fix.Showtime.ID, seats...)
			if connect.CodeOf(herr) == connect.CodeResourceExhausted {
				continue // at the per-show seat limit, booked seats included: a person is refused here too
			}
			if herr != nil {
				t.Fatalf("seed %d step %d: HoldSeats(%v): %v", seed, step, seats, herr)
			}
			var b *marqueev1.Booking
			b, err = e.checkout(p.u, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_visa",
				GiftCardCode: gift, UseStoreCredit: credit, PromoCode: promo, IdempotencyKey: key})
			if err == nil {
				p.bookings[b.Id], p.ever[b.Id] = seats, seats
				for _, s := range seats {
					free[s] = false
				}
			} else if _, rerr := e.seats.ReleaseHold(context.Background(), as(p.u, &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); rerr != nil {
				t.Fatalf("seed %d step %d: ReleaseHold: %v", seed, step, rerr)
			}
		case k < 6:
			id := ids[rng.IntN(len(ids))]
			// Any free seat, one the booking had and cancelled included, with any promotion, the one the
			// booking redeemed included.
			seats := pickFree(1 + rng.IntN(2))
			if len(seats) == 0 {
				continue
			}
			gift, credit, promo := tenders(p)
			what = fmt.Sprintf("add %v to %s gift=%v credit=%v promo=%q", seats, id, gift != "", credit, promo)
			_, err = e.addSeats(p.u, &marqueev1.AddSeatsRequest{BookingId: id, SeatIds: seats, PaymentToken: "tok_visa",
				GiftCardCode: gift, UseStoreCredit: credit, PromoCode: promo, IdempotencyKey: key})
			if err == nil {
				p.bookings[id], p.ever[id] = append(p.bookings[id], seats...), append(p.ever[id], seats...)
				for _, s := range seats {
					free[s] = false
				}
			}
		default:
			id := ids[rng.IntN(len(ids))]
			live := p.bookings[id]
			var seats []string // all of them
			if rng.IntN(2) == 0 && len(live) > 1 {
				seats = live[:1+rng.IntN(len(live)-1)]
			}
			to := []marqueev1.RefundMethod{marqueev1.RefundMethod_REFUND_METHOD_ORIGINAL,
				marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT}[rng.IntN(2)]
			what = fmt.Sprintf("cancel %v of %s (%d seats) to %v", seats, id, len(live), to)
			_, err = e.bookings.CancelBooking(context.Background(), as(p.u, &marqueev1.CancelBookingRequest{BookingId: id,
				SeatIds: seats, RefundTo: to, IdempotencyKey: key}))
			if err == nil {
				gone := seats
				if len(seats) == 0 {
					gone = live
				}
				for _, s := range gone {
					free[s] = true
				}
				if left := slices.DeleteFunc(slices.Clone(live), func(s string) bool { return slices.Contains(gone, s) }); len(left) > 0 {
					p.bookings[id] = left
				} else {
					delete(p.bookings, id)
				}
			}
		}
		if err != nil {
			if c := connect.CodeOf(err); c == connect.CodeInternal || c == connect.CodeUnknown {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, what, err)
			}
			t.Logf("step %d: %s: refused: %v", step, what, err)
		}
		for _, p := range people {
			e.checkMoney(t, seed, step, what, p)
		}
	}
}

// checkMoney checks from the database that what p can spend (store credit balance, the balances of the gift
// cards they hold, refunds paid out to their cards) is at most what they paid in (card charges, the gift
// cards given to them) plus one bonus of moneyBonus percent on it, and that no charge is refunded beyond
// what it paid.
func (e *env) checkMoney(t *testing.T, seed uint64, step int, what string, p *moneyPerson) {
	t.Helper()
	var credit, ledger, cardIn, cardOut, giftIn, giftLeft, over int64
	q := func(dst *int64, sql string, args ...any) {
		t.Helper()
		if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(&credit, `SELECT coalesce(sum(balance_minor), 0) FROM store_credit_balances WHERE user_id = $1`, p.u.id)
	q(&ledger, `SELECT coalesce(sum(amount_minor), 0) FROM store_credit_entries WHERE user_id = $1`, p.u.id)
	q(&cardIn, `SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE user_id = $1 AND kind = 'charge'
		AND method = 'card' AND status = 'succeeded'`, p.u.id)
	q(&cardOut, `SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE user_id = $1 AND kind = 'refund'
		AND method = 'card' AND status <> 'failed'`, p.u.id)
	q(&giftIn, `SELECT coalesce(sum(initial_minor), 0) FROM gift_cards WHERE code = ANY($1)`, p.giftCards)
	q(&giftLeft, `SELECT coalesce(sum(balance_minor), 0) FROM gift_cards WHERE code = ANY($1)`, p.giftCards)
	q(&over, `SELECT count(*) FROM payments c WHERE c.user_id = $1 AND c.kind = 'charge' AND c.amount_minor <
		(SELECT coalesce(sum(r.amount_minor), 0) FROM payments r WHERE r.region = c.region AND r.refund_of = c.id
			AND r.kind = 'refund' AND r.status <> 'failed')`, p.u.id)
	spendable, paidIn := credit+giftLeft+cardOut, cardIn+giftIn
	if bound := paidIn + paidIn*moneyBonus/100; spendable > bound || credit != ledger || over > 0 {
		t.Fatalf("seed %d (replay with MONEY_SEED=%d) step %d (%s): person %s can spend %d (store credit %d, ledger %d, "+
			"gift cards %d, card refunds %d), paid in %d (cards %d, gift cards %d), at most %d allowed; charges refunded beyond their amount: %d",
			seed, seed, step, what, p.u.id, spendable, credit, ledger, giftLeft, cardOut, paidIn, cardIn, giftIn, bound, over)
	}
}
