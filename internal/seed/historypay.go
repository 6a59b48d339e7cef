package seed

import (
	"fmt"
	"time"
)

// Payment methods and providers, as the store writes them.
const (
	methodCard, methodGiftCard, methodStoreCredit = "card", "gift_card", "store_credit"
	providerCard, providerMarquee                 = "sandbox", "marquee"
)

// tender pays b's total as checkout's Tenders does: a gift card first (for about one booking in 25, a card of
// the chain bought earlier whose balance covers part of the total), then the customer's store credit when
// they have some and use it, then the card for the rest.
func (h *history) tender(c *chunk, b *bk) {
	left := b.total
	if h.rng.IntN(100) < 4 {
		unit := 100 * scaleOf(b.theatre.currency)
		if amount := b.total * int64(20+h.rng.IntN(60)) / 100 / unit * unit; amount > 0 && amount < left {
			g := h.giftCard(c, b, amount)
			b.charges = append(b.charges, hCharge{id: h.id(b.prefix, b.attempt), method: methodGiftCard,
				giftCard: c.giftCards[g].id, giftCardRow: g, amount: amount})
			left -= amount
			h.sum.PaidByGiftCard++
		}
	}
	key := creditKey{b.user, b.theatre.currency}
	if avail := h.creditBefore(key, b.attempt); avail > 0 && left > 0 && h.rng.IntN(10) < 7 {
		take := min(avail, left)
		h.spendCredit(key, b.attempt, take)
		c.entries = append(c.entries, creditEntryRow{id: h.id("", b.attempt), user: h.users[b.user].id,
			currency: key.currency, amount: -take, reason: "checkout", at: b.attempt})
		b.charges = append(b.charges, hCharge{id: h.id(b.prefix, b.attempt), method: methodStoreCredit, amount: take})
		left -= take
		h.sum.PaidByStoreCredit++
	}
	if left > 0 {
		b.charges = append(b.charges, hCharge{id: b.attemptID, method: methodCard, amount: left})
	}
}

// giftCard issues a gift card of b's chain some weeks before b, whose whole balance b then spends.
func (h *history) giftCard(c *chunk, b *bk, amount int64) int {
	at := b.attempt.Add(-time.Duration(1+h.rng.IntN(120)) * 24 * time.Hour)
	code := make([]byte, 0, 19)
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			code = append(code, '-')
		}
		code = append(code, historyCodeAlphabet[h.rng.IntN(len(historyCodeAlphabet))])
	}
	c.giftCards = append(c.giftCards, giftCardRow{id: h.id("", at), code: string(code), chainID: b.theatre.chainID,
		currency: b.theatre.currency, initial: amount, at: at})
	h.sum.GiftCards++
	return len(c.giftCards) - 1
}

// creditBefore returns the store credit key had from refunds made before t and not spent yet.
func (h *history) creditBefore(key creditKey, t time.Time) int64 {
	var sum int64
	for _, l := range h.credit[key] {
		if l.at.Before(t) {
			sum += l.left
		}
	}
	return sum
}

// spendCredit takes amount from the lots granted before t, oldest first: however the bookings are generated,
// a balance never goes negative at any point in time.
func (h *history) spendCredit(key creditKey, t time.Time, amount int64) {
	lots := h.credit[key]
	for i := range lots {
		if take := min(lots[i].left, amount); lots[i].at.Before(t) && take > 0 {
			lots[i].left -= take
			amount -= take
		}
	}
	h.credit[key] = lots
}

// grantCredit records store credit a refund gave.
func (h *history) grantCredit(c *chunk, b *bk, amount int64) {
	key := creditKey{b.user, b.theatre.currency}
	h.credit[key] = append(h.credit[key], creditLot{at: b.cancelAt, left: amount})
	c.entries = append(c.entries, creditEntryRow{id: h.id("", b.cancelAt), user: h.users[b.user].id,
		currency: key.currency, amount: amount, reason: "refund", bookingID: b.id, at: b.cancelAt})
}

// decideCancel cancels about one booking in twelve in full and one in twenty in part (some seats), at least
// two hours before the show, when the chains' default policy refunds each seat's price net of its discount
// (fees are kept); about a third of the refunds are taken as store credit (the default policy gives no bonus).
func (h *history) decideCancel(b *bk) {
	earliest, latest := b.created.Add(10*time.Minute), b.show.start.Add(-2*time.Hour)
	u := h.rng.IntN(100)
	switch {
	case !latest.After(earliest) || u >= 13 || (u >= 8 && len(b.seats) < 2):
		return
	case u < 8:
		b.cancelled, b.cancelledAll, b.refundToCredit = len(b.seats), true, u >= 5
		h.sum.Cancelled++
	default:
		b.cancelled, b.refundToCredit = 1+h.rng.IntN(len(b.seats)-1), h.rng.IntN(10) < 3
		h.sum.PartlyCancelled++
	}
	b.cancelAt = h.between(earliest, latest)
	for i := len(b.seats) - b.cancelled; i < len(b.seats); i++ {
		r := b.prices[i] - b.discounts[i]
		b.refunds = append(b.refunds, r)
		b.refund += r
	}
}

// refund pays back b's refund as the store does: all as store credit (a refund payment naming no charge), or
// to the original methods, card first, then gift card, then store credit.
func (h *history) refund(c *chunk, b *bk) {
	if b.refund == 0 {
		return
	}
	cancelID := h.id(b.prefix, b.cancelAt)
	if b.refundToCredit {
		h.grantCredit(c, b, b.refund)
		c.payments = append(c.payments, h.refundRow(b, hCharge{method: methodStoreCredit}, cancelID, b.refund))
		return
	}
	left := b.refund
	for _, m := range []string{methodCard, methodGiftCard, methodStoreCredit} {
		for _, ch := range b.charges {
			take := min(ch.amount, left)
			if ch.method != m || take <= 0 {
				continue
			}
			left -= take
			switch m {
			case methodGiftCard:
				c.giftCards[ch.giftCardRow].balance += take
			case methodStoreCredit:
				h.grantCredit(c, b, take)
			}
			c.payments = append(c.payments, h.refundRow(b, ch, cancelID, take))
		}
	}
}

// refundRow is the succeeded refund payment of amount of charge ch (no charge: a refund as store credit).
func (h *history) refundRow(b *bk, ch hCharge, cancelID string, amount int64) paymentRow {
	id := h.id(b.prefix, b.cancelAt)
	p := paymentRow{region: b.theatre.region.Name, id: id, user: h.users[b.user].id, bookingID: b.id, kind: "refund",
		provider: providerMarquee, key: "mq_refund_" + id, currency: b.theatre.currency, amount: amount,
		created: b.cancelAt, updated: b.cancelAt, method: ch.method, giftCard: ch.giftCard, attempt: cancelID,
		refundOf: ch.id}
	if ch.method == methodCard {
		h.charges++
		p.provider, p.ref = providerCard, fmt.Sprintf("sbx_re_%07d", h.charges)
		p.updated = b.cancelAt.Add(time.Duration(1+h.rng.IntN(30)) * time.Second)
	}
	return p
}
