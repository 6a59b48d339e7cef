-- Deliveries belong to the region whose event asked for them, so each region's jobs send its own (and an
-- adopting region sends a dead region's).

-- +goose Up
ALTER TABLE deliveries ADD COLUMN region TEXT NOT NULL DEFAULT '';
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (region, next_attempt_at) WHERE status IN ('pending', 'failed');

-- +goose Down
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
ALTER TABLE deliveries DROP COLUMN region;
