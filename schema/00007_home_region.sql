-- Each person's home region: the region their account row is homed in on CockroachDB (users is REGIONAL BY ROW
-- on it, see schema/cockroach/). Every account made so far belongs to the primary region.

-- +goose Up
ALTER TABLE users ADD COLUMN home_region TEXT NOT NULL DEFAULT 'us-east1';

-- +goose Down
ALTER TABLE users DROP COLUMN home_region;
