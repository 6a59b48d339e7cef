-- A booking may buy a seat again after cancelling it, and redeem a promotion again when adding seats: each
-- booked seat and each redemption is keyed by the checkout attempt that made it as well (rows from before
-- have ''), so the earlier, cancelled row and its refund stay as they were. And the open checkout attempts
-- (an idempotency key with an attempt but no result yet), which the payment reconciler lists, get an index of
-- their own: there are few of them at any time.
-- No transaction: CockroachDB cannot use a column added in the same transaction in a new primary key.

-- +goose NO TRANSACTION
-- +goose Up
ALTER TABLE booking_seats ADD COLUMN attempt_id TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_seats DROP CONSTRAINT booking_seats_pkey,
    ADD CONSTRAINT booking_seats_pkey PRIMARY KEY (region, booking_id, seat_id, attempt_id);

ALTER TABLE promotion_redemptions ADD COLUMN attempt_id TEXT NOT NULL DEFAULT '';
ALTER TABLE promotion_redemptions DROP CONSTRAINT promotion_redemptions_pkey,
    ADD CONSTRAINT promotion_redemptions_pkey PRIMARY KEY (promotion_id, region, booking_id, attempt_id);

CREATE INDEX idempotency_keys_open ON idempotency_keys (payment_id) WHERE resource_id IS NULL AND payment_id IS NOT NULL;

-- +goose Down
DROP INDEX idempotency_keys_open;
ALTER TABLE promotion_redemptions DROP CONSTRAINT promotion_redemptions_pkey,
    ADD CONSTRAINT promotion_redemptions_pkey PRIMARY KEY (promotion_id, region, booking_id);
ALTER TABLE promotion_redemptions DROP COLUMN attempt_id;
ALTER TABLE booking_seats DROP CONSTRAINT booking_seats_pkey,
    ADD CONSTRAINT booking_seats_pkey PRIMARY KEY (region, booking_id, seat_id);
ALTER TABLE booking_seats DROP COLUMN attempt_id;
