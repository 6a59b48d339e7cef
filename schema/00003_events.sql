-- Events consumed: which consumer has applied which event, so a redelivered event has no second effect.
-- A consumer inserts its row in the same transaction as the event's effect (see internal/events/relay.Once).

-- +goose Up
CREATE TABLE processed_events (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE processed_events;
