-- Notification deliveries: one row per message per channel, with its attempts, so retries survive restarts
-- and a redelivered event cannot send a second copy (the ID is derived from what is being notified).

-- +goose Up
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    attempts        INT NOT NULL CHECK (attempts >= 0),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    last_error      TEXT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    message         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_dead ON deliveries (created_at) WHERE status = 'dead';

-- +goose Down
DROP TABLE deliveries;
