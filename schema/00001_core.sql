-- Core schema: catalog, inventory, holds, bookings, payments, idempotency and the outbox.
-- Rows homed in a theatre's region carry `region` first in their primary key (CockroachDB REGIONAL BY ROW).
-- IDs are made in Go (ULIDs, with the region prefix for regional rows): no sequences, triggers or procedures.

-- +goose Up
CREATE TABLE regions (
    name         TEXT PRIMARY KEY,
    id_prefix    TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL
);

CREATE TABLE cities (
    id        TEXT PRIMARY KEY,
    region    TEXT NOT NULL REFERENCES regions (name),
    name      TEXT NOT NULL,
    country   TEXT NOT NULL CHECK (length(country) = 2),
    latitude  DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    time_zone TEXT NOT NULL
);

CREATE TABLE chains (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE movies (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    runtime_minutes INT NOT NULL CHECK (runtime_minutes > 0),
    genres          TEXT[] NOT NULL,
    rating          TEXT NOT NULL,
    language        TEXT NOT NULL,
    synopsis        TEXT NOT NULL,
    cast_members    TEXT[] NOT NULL,
    release_date    DATE NOT NULL
);

CREATE TABLE theatres (
    region    TEXT NOT NULL REFERENCES regions (name),
    id        TEXT NOT NULL,
    chain_id  TEXT NOT NULL REFERENCES chains (id),
    city_id   TEXT NOT NULL REFERENCES cities (id),
    name      TEXT NOT NULL,
    address   TEXT NOT NULL,
    latitude  DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    amenities TEXT[] NOT NULL,
    time_zone TEXT NOT NULL,
    currency  TEXT NOT NULL CHECK (length(currency) = 3),
    PRIMARY KEY (region, id)
);
CREATE INDEX theatres_city ON theatres (city_id);

CREATE TABLE screens (
    region     TEXT NOT NULL,
    id         TEXT NOT NULL,
    theatre_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, theatre_id) REFERENCES theatres (region, id)
);

CREATE TABLE seats (
    region     TEXT NOT NULL,
    screen_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    row_label  TEXT NOT NULL,
    number     INT NOT NULL CHECK (number > 0),
    seat_type  TEXT NOT NULL CHECK (seat_type IN ('standard', 'premium', 'accessible', 'companion')),
    x          INT NOT NULL CHECK (x >= 0),
    y          INT NOT NULL CHECK (y >= 0),
    PRIMARY KEY (region, screen_id, id),
    FOREIGN KEY (region, screen_id) REFERENCES screens (region, id)
);

CREATE TABLE showtimes (
    region              TEXT NOT NULL,
    id                  TEXT NOT NULL,
    movie_id            TEXT NOT NULL REFERENCES movies (id),
    theatre_id          TEXT NOT NULL,
    screen_id           TEXT NOT NULL,
    starts_at           TIMESTAMPTZ NOT NULL,
    ends_at             TIMESTAMPTZ NOT NULL,
    format              TEXT NOT NULL,
    language            TEXT NOT NULL,
    currency            TEXT NOT NULL CHECK (length(currency) = 3),
    base_price_minor    BIGINT NOT NULL CHECK (base_price_minor >= 0),
    premium_price_minor BIGINT NOT NULL CHECK (premium_price_minor >= 0),
    status              TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, theatre_id) REFERENCES theatres (region, id),
    FOREIGN KEY (region, screen_id) REFERENCES screens (region, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX showtimes_starts ON showtimes (starts_at, id);
CREATE INDEX showtimes_theatre ON showtimes (theatre_id, starts_at);
CREATE INDEX showtimes_movie ON showtimes (movie_id, starts_at);

-- One row per seat per showtime: the unit every hold and booking updates conditionally.
CREATE TABLE showtime_seats (
    region      TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    seat_id     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('available', 'held', 'booked')),
    hold_id     TEXT,
    held_by     TEXT,
    held_until  TIMESTAMPTZ,
    booking_id  TEXT,
    PRIMARY KEY (region, showtime_id, seat_id),
    FOREIGN KEY (region, showtime_id) REFERENCES showtimes (region, id),
    CHECK (
        (status = 'available' AND hold_id IS NULL AND held_by IS NULL AND held_until IS NULL AND booking_id IS NULL)
        OR (status = 'held' AND hold_id IS NOT NULL AND held_by IS NOT NULL AND held_until IS NOT NULL AND booking_id IS NULL)
        OR (status = 'booked' AND booking_id IS NOT NULL AND hold_id IS NULL AND held_by IS NULL AND held_until IS NULL)
    )
);

CREATE TABLE holds (
    region      TEXT NOT NULL,
    id          TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    seat_ids    TEXT[] NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'released', 'booked', 'expired')),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, showtime_id) REFERENCES showtimes (region, id),
    CHECK (expires_at > created_at)
);

-- Each user's live holds per showtime, for the per-person seat limit: {"<hold id>": {"n": seats, "exp": time}}.
-- A hold reads and updates only its own user's row, so the limit check does not make concurrent holds by
-- different people conflict (as counting rows of the shared holds table would under SERIALIZABLE).
-- The sweeper's work list: live holds by expiry.
CREATE INDEX holds_expiry ON holds (expires_at) WHERE status = 'active';

CREATE TABLE hold_quotas (
    region      TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    holds       JSONB NOT NULL,
    PRIMARY KEY (region, showtime_id, user_id)
);

CREATE TABLE bookings (
    region            TEXT NOT NULL,
    id                TEXT NOT NULL,
    confirmation_code TEXT NOT NULL UNIQUE,
    user_id           TEXT NOT NULL REFERENCES users (id),
    showtime_id       TEXT NOT NULL,
    hold_id           TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    total_minor       BIGINT NOT NULL CHECK (total_minor >= 0),
    refund_minor      BIGINT NOT NULL DEFAULT 0 CHECK (refund_minor >= 0 AND refund_minor <= total_minor),
    created_at        TIMESTAMPTZ NOT NULL,
    cancelled_at      TIMESTAMPTZ,
    PRIMARY KEY (region, id),
    FOREIGN KEY (region, showtime_id) REFERENCES showtimes (region, id),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX bookings_user ON bookings (user_id, created_at DESC);

CREATE TABLE booking_seats (
    region      TEXT NOT NULL,
    booking_id  TEXT NOT NULL,
    seat_id     TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    PRIMARY KEY (region, booking_id, seat_id),
    FOREIGN KEY (region, booking_id) REFERENCES bookings (region, id)
);
-- The backstop: whatever the Go code does, a seat of a showtime is in at most one confirmed booking.
CREATE UNIQUE INDEX booking_seats_sold_once ON booking_seats (region, showtime_id, seat_id) WHERE status = 'confirmed';

CREATE TABLE payments (
    region          TEXT NOT NULL,
    id              TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    booking_id      TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    provider        TEXT NOT NULL,
    provider_ref    TEXT,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    amount_minor    BIGINT NOT NULL CHECK (amount_minor >= 0),
    failure_reason  TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, id),
    UNIQUE (provider, idempotency_key)
);
CREATE INDEX payments_booking ON payments (booking_id);

-- A client's idempotency key for an operation: the hash of the first request and what it produced.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL REFERENCES users (id),
    operation    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    resource_id  TEXT,
    payment_id   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, operation, key)
);

-- Events written in the same transaction as the change they announce; a relay publishes them to NATS.
CREATE TABLE outbox (
    region       TEXT NOT NULL,
    id           TEXT NOT NULL,
    subject      TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    payload      BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    PRIMARY KEY (region, id)
);
CREATE INDEX outbox_unpublished ON outbox (region, created_at) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE idempotency_keys;
DROP TABLE payments;
DROP TABLE booking_seats;
DROP TABLE bookings;
DROP TABLE hold_quotas;
DROP TABLE holds;
DROP TABLE showtime_seats;
DROP TABLE showtimes;
DROP TABLE seats;
DROP TABLE screens;
DROP TABLE theatres;
DROP TABLE movies;
DROP TABLE users;
DROP TABLE chains;
DROP TABLE cities;
DROP TABLE regions;
