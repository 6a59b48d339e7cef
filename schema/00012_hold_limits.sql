-- Limits against hoarding (internal/inventory HoldRules). The per-show limit counts the seats a person has
-- booked for the show as well as those they hold, so adding seats to a booking cannot take them past it; and a
-- person's live holds across all showtimes of a region are capped too. Both are kept in rows of that person
-- only, updated in the hold's own transaction, so the checks make no two people's holds conflict.

-- +goose Up
ALTER TABLE hold_quotas ADD COLUMN booked INT NOT NULL DEFAULT 0;
INSERT INTO hold_quotas (region, showtime_id, user_id, holds, booked)
SELECT bs.region, bs.showtime_id, b.user_id, CAST('{}' AS JSONB), count(*)
FROM booking_seats bs JOIN bookings b ON b.region = bs.region AND b.id = bs.booking_id
WHERE bs.status = 'confirmed'
GROUP BY bs.region, bs.showtime_id, b.user_id
ON CONFLICT (region, showtime_id, user_id) DO UPDATE SET booked = excluded.booked;

-- Each person's live holds in a region, across showtimes: {"<hold id>": {"n": seats, "exp": time}}.
CREATE TABLE person_hold_quotas (
    region  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    holds   JSONB NOT NULL,
    PRIMARY KEY (region, user_id)
);

-- +goose Down
DROP TABLE person_hold_quotas;
ALTER TABLE hold_quotas DROP COLUMN booked;
