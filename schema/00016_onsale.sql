-- On-sales and their waiting rooms: an on-sale puts a showtime, or a movie's showtimes at one chain's theatres
-- in one region, behind a waiting room; each person has one place per showtime, ranked at random when they
-- arrived before opening and by arrival after it, and is admitted (given a pass) in rank order as others finish
-- shopping, at most capacity at once.

-- +goose Up
CREATE TABLE on_sales (
    region      TEXT NOT NULL,
    id          TEXT NOT NULL,
    showtime_id TEXT NOT NULL,
    movie_id    TEXT NOT NULL,
    chain_id    TEXT NOT NULL REFERENCES chains (id),
    opens_at    TIMESTAMPTZ NOT NULL,
    capacity    INT NOT NULL CHECK (capacity > 0),
    pass_ttl_ms BIGINT NOT NULL CHECK (pass_ttl_ms > 0),
    status      TEXT NOT NULL CHECK (status IN ('on', 'ended')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, id),
    -- one showtime ('' movie) or one movie ('' showtime)
    CHECK ((showtime_id = '') <> (movie_id = ''))
);
-- At most one on-sale on per target.
CREATE UNIQUE INDEX on_sales_one_on ON on_sales (region, showtime_id, movie_id, chain_id) WHERE status = 'on';
CREATE INDEX on_sales_chain ON on_sales (region, chain_id, created_at);

CREATE TABLE onsale_places (
    region          TEXT NOT NULL,
    showtime_id     TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    on_sale_id      TEXT NOT NULL,
    rank            BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'admitted', 'done', 'left', 'lapsed')),
    joined_at       TIMESTAMPTZ NOT NULL,
    admitted_at     TIMESTAMPTZ,
    pass_expires_at TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    -- one place per person and showtime
    PRIMARY KEY (region, showtime_id, user_id),
    FOREIGN KEY (region, showtime_id) REFERENCES showtimes (region, id)
);
-- The line, in admission order.
CREATE INDEX onsale_places_line ON onsale_places (region, showtime_id, rank) WHERE status = 'waiting';
-- Who is shopping, and the recent admissions the estimate counts.
CREATE INDEX onsale_places_admitted ON onsale_places (region, showtime_id, admitted_at) WHERE admitted_at IS NOT NULL;

-- Whether an admitted person has held, booked or let go of seats of the showtime since their admission.
CREATE INDEX holds_showtime_user ON holds (region, showtime_id, user_id, created_at);

-- +goose Down
DROP INDEX holds_showtime_user;
DROP TABLE onsale_places;
DROP TABLE on_sales;
