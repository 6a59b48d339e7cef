-- Standby lines for sold-out shows, and their offers.

-- +goose Up
ALTER TABLE users ADD COLUMN loyalty_tier INT NOT NULL DEFAULT 0;

CREATE TABLE standby_entries (
    region       TEXT NOT NULL,
    id           TEXT NOT NULL,
    showtime_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    seat_count   INT NOT NULL CHECK (seat_count BETWEEN 1 AND 10),
    together     BOOLEAN NOT NULL,
    accessible   BOOLEAN NOT NULL,
    tier         INT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'booked', 'left', 'closed', 'missed')),
    joined_at    TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, showtime_id) REFERENCES showtimes (region, id)
);
-- The line: highest loyalty tier first, then first come.
CREATE INDEX standby_line ON standby_entries (region, showtime_id, tier DESC, joined_at, id) WHERE status = 'waiting';
-- One place in line per person and show.
CREATE UNIQUE INDEX standby_one_per_user ON standby_entries (region, showtime_id, user_id)
    WHERE status IN ('waiting', 'offered');
CREATE INDEX standby_user ON standby_entries (user_id, joined_at);

CREATE TABLE standby_offers (
    region      TEXT NOT NULL,
    id          TEXT NOT NULL,
    entry_id    TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    hold_id     TEXT NOT NULL,
    seat_ids    TEXT[] NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'declined', 'expired')),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, entry_id) REFERENCES standby_entries (region, id)
);
CREATE UNIQUE INDEX standby_offers_hold ON standby_offers (region, hold_id);
-- At most one open offer per entry.
CREATE UNIQUE INDEX standby_one_open_offer ON standby_offers (region, entry_id) WHERE status = 'open';

-- +goose Down
DROP TABLE standby_offers;
DROP TABLE standby_entries;
ALTER TABLE users DROP COLUMN loyalty_tier;
