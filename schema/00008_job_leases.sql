-- Who runs each region's background jobs. Every process of a region says it is alive in region_processes;
-- the one holding the region's row in job_leases runs its jobs, renewing the lease. When every process of a
-- region has been gone longer than the lease, the nearest live region takes the lease (adoption) until a
-- process of the region is seen again, then lets it go.

-- +goose Up
CREATE TABLE job_leases (
    region     TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE region_processes (
    region     TEXT NOT NULL,
    process_id TEXT NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, process_id)
);

-- +goose Down
DROP TABLE region_processes;
DROP TABLE job_leases;
