package seed

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/standby"
)

// chunk holds the rows of some bookings, by table, until they are copied.
type chunk struct {
	giftCards []giftCardRow
	holds     []holdRow
	bookings  []bookingRow
	seats     []seatRow
	payments  []paymentRow
	redeemed  []redemptionRow
	entries   []creditEntryRow
	standby   []standbyRow
}

type giftCardRow struct {
	id, code, chainID, currency string
	initial, balance            int64
	at                          time.Time
}

type holdRow struct {
	region, id, showtimeID, user string
	seatIDs                      []string
	at, expires                  time.Time
	lines                        []byte
}

type bookingRow struct {
	region, id, code, user, showtimeID, holdID, status, currency, promoCode string
	total, refund, discount, fees                                           int64
	created                                                                 time.Time
	cancelled                                                               *time.Time
}

type seatRow struct {
	region, bookingID, seatID, showtimeID, status string
	price, discount, fee                          int64
	refund                                        *int64
}

type paymentRow struct {
	region, id, user, bookingID, kind, provider, ref, key, currency string
	method, giftCard, attempt, refundOf                             string
	amount                                                          int64
	created, updated                                                time.Time
}

type redemptionRow struct {
	promoID, region, bookingID, user string
	at                               time.Time
}

type creditEntryRow struct {
	id, user, currency, reason, bookingID string
	amount                                int64
	at                                    time.Time
}

// standbyRow is a standby entry that was booked through its accepted offer.
type standbyRow struct {
	region, entryID, offerID, showtimeID, user, holdID string
	seatIDs                                            []string
	joined, offered, expires, settled                  time.Time
}

// emit adds b's rows to c: its hold, the booking and its seats, its charges and refunds, its promotion
// redemption and, for a standby booking, the entry and its accepted offer.
func (h *history) emit(c *chunk, b *bk) {
	region, s, user := b.theatre.region.Name, b.show, h.users[b.user].id
	ids := make([]string, len(b.seats))
	for i, seat := range b.seats {
		ids[i] = s.screen.seats[seat].id
	}
	hold := holdRow{region: region, id: b.holdID, showtimeID: s.id, user: user, seatIDs: ids, at: b.holdAt,
		expires: b.holdAt.Add(8 * time.Minute), lines: priceLines(b)}
	if b.standby {
		hold.expires = b.holdAt.Add(offerWindow(s.start.Sub(b.holdAt)))
		c.standby = append(c.standby, h.standbyOf(b, ids))
		h.sum.Standby++
	}
	c.holds = append(c.holds, hold)
	bo := bookingRow{region: region, id: b.id, code: b.code, user: user, showtimeID: s.id, holdID: b.holdID,
		status: "confirmed", currency: b.theatre.currency, total: b.total, refund: b.refund, discount: b.discount,
		fees: b.feeTotal, created: b.created}
	if b.cancelledAll {
		bo.status, bo.cancelled = "cancelled", &b.cancelAt
	}
	if b.promo != nil {
		bo.promoCode = b.promo.code
		c.redeemed = append(c.redeemed, redemptionRow{promoID: b.promo.id, region: region, bookingID: b.id, user: user,
			at: b.attempt})
		h.sum.Promoted++
	}
	c.bookings = append(c.bookings, bo)
	firstCancelled := len(b.seats) - b.cancelled
	for i, id := range ids {
		r := seatRow{region: region, bookingID: b.id, seatID: id, showtimeID: s.id, status: "confirmed",
			price: b.prices[i], discount: b.discounts[i], fee: b.fees[i]}
		if i >= firstCancelled {
			r.status, r.refund = "cancelled", &b.refunds[i-firstCancelled]
		}
		c.seats = append(c.seats, r)
	}
	h.sum.Seats += len(ids)
	for _, ch := range b.charges {
		c.payments = append(c.payments, h.chargeRow(b, ch))
	}
	h.refund(c, b)
}

// chargeRow is the succeeded charge ch of b: the card's has the attempt's ID and a provider reference.
func (h *history) chargeRow(b *bk, ch hCharge) paymentRow {
	p := paymentRow{region: b.theatre.region.Name, id: ch.id, user: h.users[b.user].id, bookingID: b.id,
		kind: "charge", provider: providerMarquee, key: "mq_charge_" + ch.id, currency: b.theatre.currency,
		amount: ch.amount, created: b.attempt, updated: b.created, method: ch.method, giftCard: ch.giftCard,
		attempt: b.attemptID}
	if ch.method == methodCard {
		h.charges++
		p.provider, p.ref = providerCard, fmt.Sprintf("sbx_ch_%07d", h.charges)
	}
	return p
}

// standbyOf is the standby entry of b's customer, joined before the offer whose hold b booked.
func (h *history) standbyOf(b *bk, seatIDs []string) standbyRow {
	joined := b.holdAt.Add(-10*time.Minute - time.Duration(h.rng.Int64N(int64(48*time.Hour)))).Truncate(time.Microsecond)
	return standbyRow{region: b.theatre.region.Name, entryID: h.id(b.prefix, joined), offerID: h.id(b.prefix, b.holdAt),
		showtimeID: b.show.id, user: h.users[b.user].id, holdID: b.holdID, seatIDs: seatIDs, joined: joined,
		offered: b.holdAt, expires: b.holdAt.Add(offerWindow(b.show.start.Sub(b.holdAt))),
		settled: b.created.Add(time.Duration(200+h.rng.IntN(2800)) * time.Millisecond)}
}

// priceLines is the hold's price_lines as the store encodes them (no pricing rule adjusted a history price).
func priceLines(b *bk) []byte {
	out := []byte{'['}
	for i, seat := range b.seats {
		if i > 0 {
			out = append(out, ',')
		}
		st := b.show.screen.seats[seat]
		out = append(out, `{"seatId":"`+st.id+`","seatType":"`+st.typ+`","base":`...)
		out = strconv.AppendInt(out, b.prices[i], 10)
		out = append(out, `,"amount":`...)
		out = strconv.AppendInt(out, b.prices[i], 10)
		out = append(out, '}')
	}
	return append(out, ']')
}

// rowSource streams rows of type T to CopyFrom, each turned into values by fill, without building them all.
type rowSource[T any] struct {
	rows []T
	i    int
	vals []any
	fill func(*T, []any)
}

var _ pgx.CopyFromSource = (*rowSource[int])(nil)

func (s *rowSource[T]) Next() bool { s.i++; return s.i <= len(s.rows) }

func (s *rowSource[T]) Values() ([]any, error) { s.fill(&s.rows[s.i-1], s.vals); return s.vals, nil }

func (s *rowSource[T]) Err() error { return nil }

// copyRows copies rows into table's columns.
func copyRows[T any](ctx context.Context, tx pgx.Tx, table string, columns []string, rows []T, fill func(*T, []any)) error {
	if len(rows) == 0 {
		return nil
	}
	src := &rowSource[T]{rows: rows, vals: make([]any, len(columns)), fill: fill}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, src); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// nullable is s, or NULL when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// copyCatalog copies the customers, the schedule and the promotions.
func (h *history) copyCatalog(ctx context.Context, tx pgx.Tx) error {
	err := copyRows(ctx, tx, "users", []string{"id", "email", "password_hash", "display_name", "created_at",
		"home_region", "role", "phone"}, h.users, func(u *hUser, v []any) {
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = u.id, u.email, HistoryPasswordHash, u.name, u.created, u.home,
			"customer", u.phone
	})
	if err != nil {
		return err
	}
	err = copyRows(ctx, tx, "showtimes", []string{"region", "id", "movie_id", "theatre_id", "screen_id", "starts_at",
		"ends_at", "format", "language", "currency", "base_price_minor", "premium_price_minor", "status"}, h.shows,
		func(s *hShow, v []any) {
			t := s.screen.theatre
			v[0], v[1], v[2], v[3], v[4], v[5], v[6] = t.region.Name, s.id, s.movie.id, t.id, s.screen.id, s.start, s.end
			v[7], v[8], v[9], v[10], v[11], v[12] = s.format, s.movie.language, t.currency, s.base, s.premium, "scheduled"
		})
	if err != nil {
		return err
	}
	return copyRows(ctx, tx, "promotions", []string{"id", "chain_id", "code", "description", "kind", "percent",
		"amount_minor", "currency", "valid_from", "valid_until", "min_seats", "per_user_limit", "total_limit",
		"theatre_ids", "movie_ids", "redemptions"}, h.promos, func(p *hPromo, v []any) {
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = p.id, p.chainID, p.code, p.description, p.kind, p.percent,
			p.amount, p.currency
		v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15] = p.from, p.until, p.minSeats, 0, 0, []string{},
			[]string{}, 0
	})
}

// copy copies the chunk's rows, each table after those its rows refer to.
func (c *chunk) copy(ctx context.Context, tx pgx.Tx) error {
	steps := []func() error{
		func() error {
			return copyRows(ctx, tx, "gift_cards", []string{"id", "code", "chain_id", "currency", "initial_minor",
				"balance_minor", "created_at"}, c.giftCards, func(g *giftCardRow, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6] = g.id, g.code, g.chainID, g.currency, g.initial, g.balance, g.at
			})
		},
		func() error {
			return copyRows(ctx, tx, "holds", []string{"region", "id", "showtime_id", "user_id", "seat_ids", "status",
				"created_at", "expires_at", "price_lines"}, c.holds, func(r *holdRow, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] = r.region, r.id, r.showtimeID, r.user, r.seatIDs,
					"booked", r.at, r.expires, string(r.lines)
			})
		},
		func() error {
			return copyRows(ctx, tx, "bookings", []string{"region", "id", "confirmation_code", "user_id", "showtime_id",
				"hold_id", "status", "currency", "total_minor", "refund_minor", "created_at", "cancelled_at",
				"promo_code", "discount_minor", "fees_minor"}, c.bookings, func(r *bookingRow, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = r.region, r.id, r.code, r.user, r.showtimeID, r.holdID,
					r.status, r.currency
				v[8], v[9], v[10], v[11], v[12], v[13], v[14] = r.total, r.refund, r.created, r.cancelled,
					nullable(r.promoCode), r.discount, r.fees
			})
		},
		func() error {
			return copyRows(ctx, tx, "booking_seats", []string{"region", "booking_id", "seat_id", "showtime_id",
				"status", "price_minor", "discount_minor", "fee_minor", "refund_minor"}, c.seats, func(r *seatRow, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] = r.region, r.bookingID, r.seatID, r.showtimeID,
					r.status, r.price, r.discount, r.fee, r.refund
			})
		},
		c.copyPayments(ctx, tx),
		func() error {
			return copyRows(ctx, tx, "promotion_redemptions", []string{"promotion_id", "region", "booking_id",
				"user_id", "created_at"}, c.redeemed, func(r *redemptionRow, v []any) {
				v[0], v[1], v[2], v[3], v[4] = r.promoID, r.region, r.bookingID, r.user, r.at
			})
		},
		func() error {
			return copyRows(ctx, tx, "store_credit_entries", []string{"id", "user_id", "currency", "amount_minor",
				"reason", "booking_id", "created_at"}, c.entries, func(r *creditEntryRow, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6] = r.id, r.user, r.currency, r.amount, r.reason,
					nullable(r.bookingID), r.at
			})
		},
		c.copyStandby(ctx, tx),
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (c *chunk) copyPayments(ctx context.Context, tx pgx.Tx) func() error {
	return func() error {
		return copyRows(ctx, tx, "payments", []string{"region", "id", "user_id", "booking_id", "kind", "provider",
			"provider_ref", "idempotency_key", "status", "currency", "amount_minor", "created_at", "updated_at",
			"method", "gift_card_id", "attempt_id", "refund_of"}, c.payments, func(r *paymentRow, v []any) {
			v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] = r.region, r.id, r.user, r.bookingID, r.kind,
				r.provider, nullable(r.ref), r.key, "succeeded"
			v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16] = r.currency, r.amount, r.created, r.updated, r.method,
				nullable(r.giftCard), r.attempt, nullable(r.refundOf)
		})
	}
}

func (c *chunk) copyStandby(ctx context.Context, tx pgx.Tx) func() error {
	return func() error {
		err := copyRows(ctx, tx, "standby_entries", []string{"region", "id", "showtime_id", "user_id", "seat_count",
			"together", "accessible", "tier", "status", "joined_at", "updated_at"}, c.standby, func(r *standbyRow, v []any) {
			v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10] = r.region, r.entryID, r.showtimeID, r.user,
				len(r.seatIDs), true, false, 0, string(standby.Booked), r.joined, r.settled
		})
		if err != nil {
			return err
		}
		return copyRows(ctx, tx, "standby_offers", []string{"region", "id", "entry_id", "showtime_id", "user_id",
			"hold_id", "seat_ids", "status", "created_at", "expires_at"}, c.standby, func(r *standbyRow, v []any) {
			v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9] = r.region, r.offerID, r.entryID, r.showtimeID,
				r.user, r.holdID, r.seatIDs, "accepted", r.offered, r.expires
		})
	}
}

// copyTotals writes what the bookings added up to: each customer's store credit balance per currency and
// each promotion's redemption count.
func (h *history) copyTotals(ctx context.Context, tx pgx.Tx) error {
	type balance struct {
		user, currency string
		amount         int64
	}
	var bals []balance
	for key, lots := range h.credit {
		var sum int64
		for _, l := range lots {
			sum += l.left
		}
		bals = append(bals, balance{h.users[key.user].id, key.currency, sum})
	}
	slices.SortFunc(bals, func(a, b balance) int {
		if a.user != b.user {
			return cmp.Compare(a.user, b.user)
		}
		return cmp.Compare(a.currency, b.currency)
	})
	err := copyRows(ctx, tx, "store_credit_balances", []string{"user_id", "currency", "balance_minor"}, bals,
		func(b *balance, v []any) { v[0], v[1], v[2] = b.user, b.currency, b.amount })
	if err != nil {
		return err
	}
	ids, counts := make([]string, len(h.promos)), make([]int32, len(h.promos))
	for i, p := range h.promos {
		ids[i], counts[i] = p.id, int32(p.redemptions)
	}
	_, err = tx.Exec(ctx, `UPDATE promotions SET redemptions = r.n
		FROM (SELECT unnest(CAST($1 AS TEXT[])) AS id, unnest(CAST($2 AS INT[])) AS n) r WHERE promotions.id = r.id`,
		ids, counts)
	if err != nil {
		return fmt.Errorf("count promotion redemptions: %w", err)
	}
	return nil
}
