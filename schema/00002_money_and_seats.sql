-- Roles, chain policies, pricing rules, promotions, gift cards, store credit, split tender and partial
-- cancellation.

-- +goose Up
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'customer';
ALTER TABLE users ADD COLUMN chain_id TEXT REFERENCES chains (id);
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'operator', 'admin'));
ALTER TABLE users ADD CONSTRAINT users_operator_chain CHECK ((role = 'operator') = (chain_id IS NOT NULL));

CREATE TABLE chain_policies (
    chain_id                   TEXT PRIMARY KEY REFERENCES chains (id),
    refund_tiers               JSONB NOT NULL,
    refund_fees                BOOLEAN NOT NULL,
    store_credit_bonus_percent INT NOT NULL CHECK (store_credit_bonus_percent BETWEEN 0 AND 100),
    orphan_seat_rule           BOOLEAN NOT NULL,
    fee_per_seat_minor         BIGINT NOT NULL CHECK (fee_per_seat_minor >= 0)
);

CREATE TABLE pricing_rules (
    id                TEXT PRIMARY KEY,
    chain_id          TEXT NOT NULL REFERENCES chains (id),
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('time_of_day', 'day_of_week', 'format', 'demand')),
    start_minute      INT NOT NULL,
    end_minute        INT NOT NULL,
    days_of_week      INT[] NOT NULL,
    formats           TEXT[] NOT NULL,
    occupancy_percent INT NOT NULL,
    percent           INT NOT NULL,
    amount_minor      BIGINT NOT NULL,
    cap_minor         BIGINT NOT NULL CHECK (cap_minor >= 0),
    priority          INT NOT NULL
);
CREATE INDEX pricing_rules_chain ON pricing_rules (chain_id);

CREATE TABLE promotions (
    id             TEXT PRIMARY KEY,
    chain_id       TEXT NOT NULL REFERENCES chains (id),
    code           TEXT NOT NULL UNIQUE,
    description    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    percent        INT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    valid_from     TIMESTAMPTZ NOT NULL,
    valid_until    TIMESTAMPTZ NOT NULL,
    min_seats      INT NOT NULL CHECK (min_seats >= 0),
    per_user_limit INT NOT NULL CHECK (per_user_limit >= 0),
    total_limit    INT NOT NULL CHECK (total_limit >= 0),
    theatre_ids    TEXT[] NOT NULL,
    movie_ids      TEXT[] NOT NULL,
    redemptions    INT NOT NULL CHECK (redemptions >= 0),
    -- The backstop for the total limit, whatever the Go code does.
    CONSTRAINT promotions_total_limit CHECK (total_limit = 0 OR redemptions <= total_limit),
    CHECK (valid_until > valid_from)
);
CREATE INDEX promotions_chain ON promotions (chain_id);

CREATE TABLE promotion_redemptions (
    promotion_id TEXT NOT NULL REFERENCES promotions (id),
    region       TEXT NOT NULL,
    booking_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (promotion_id, region, booking_id)
);
CREATE INDEX promotion_redemptions_user ON promotion_redemptions (promotion_id, user_id);

CREATE TABLE gift_cards (
    id             TEXT PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    chain_id       TEXT NOT NULL REFERENCES chains (id),
    currency       TEXT NOT NULL CHECK (length(currency) = 3),
    initial_minor  BIGINT NOT NULL CHECK (initial_minor > 0),
    balance_minor  BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    -- A balance can never go negative, however many checkouts race for it.
    CONSTRAINT gift_cards_balance_nonnegative CHECK (balance_minor >= 0)
);

CREATE TABLE store_credit_balances (
    user_id       TEXT NOT NULL REFERENCES users (id),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (user_id, currency),
    CONSTRAINT store_credit_nonnegative CHECK (balance_minor >= 0)
);

-- Every change to a store credit balance, for audit.
CREATE TABLE store_credit_entries (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    booking_id   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX store_credit_entries_user ON store_credit_entries (user_id, created_at);

-- Prices fixed at hold time: one entry per seat, in seat_ids order, with the rules that made it.
ALTER TABLE holds ADD COLUMN price_lines JSONB;

ALTER TABLE bookings ADD COLUMN promo_code TEXT;
ALTER TABLE bookings ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN fees_minor BIGINT NOT NULL DEFAULT 0;

-- Per seat: what it cost, its share of the discount and its fee, so part of a booking can be refunded.
ALTER TABLE booking_seats ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE booking_seats ADD COLUMN fee_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE booking_seats ADD COLUMN refund_minor BIGINT;

-- A payment is by card (through the provider), gift card or store credit; a booking may be paid by several.
ALTER TABLE payments ADD COLUMN method TEXT NOT NULL DEFAULT 'card';
ALTER TABLE payments ADD COLUMN gift_card_id TEXT REFERENCES gift_cards (id);
ALTER TABLE payments ADD CONSTRAINT payments_method_check CHECK (method IN ('card', 'gift_card', 'store_credit'));
ALTER TABLE payments ADD COLUMN attempt_id TEXT;
-- A refund names the charge it returns money of.
ALTER TABLE payments ADD COLUMN refund_of TEXT;
CREATE INDEX payments_attempt ON payments (attempt_id);

-- What an idempotent call produced beyond a resource ID (for example a cancellation's refund), and the hold an
-- AddSeats attempt made.
ALTER TABLE idempotency_keys ADD COLUMN result JSONB;
ALTER TABLE idempotency_keys ADD COLUMN hold_id TEXT;

-- Stripe webhook events already applied, so a redelivery has no second effect.
CREATE TABLE webhook_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- +goose Down
DROP TABLE webhook_events;
ALTER TABLE idempotency_keys DROP COLUMN hold_id;
ALTER TABLE idempotency_keys DROP COLUMN result;
DROP INDEX payments_attempt;
ALTER TABLE payments DROP COLUMN refund_of;
ALTER TABLE payments DROP COLUMN attempt_id;
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments DROP COLUMN gift_card_id;
ALTER TABLE payments DROP COLUMN method;
ALTER TABLE booking_seats DROP COLUMN refund_minor;
ALTER TABLE booking_seats DROP COLUMN fee_minor;
ALTER TABLE booking_seats DROP COLUMN discount_minor;
ALTER TABLE bookings DROP COLUMN fees_minor;
ALTER TABLE bookings DROP COLUMN discount_minor;
ALTER TABLE bookings DROP COLUMN promo_code;
ALTER TABLE holds DROP COLUMN price_lines;
DROP TABLE store_credit_entries;
DROP TABLE store_credit_balances;
DROP TABLE gift_cards;
DROP TABLE promotion_redemptions;
DROP TABLE promotions;
DROP TABLE pricing_rules;
DROP TABLE chain_policies;
ALTER TABLE users DROP CONSTRAINT users_operator_chain;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users DROP COLUMN chain_id;
ALTER TABLE users DROP COLUMN role;
