-- The compliance archive (internal/archive). Bookings whose show ended long ago move to their region's S3
-- bucket as Parquet objects; these tables say where each one went, chain the manifests, keep the per-person
-- data keys that personal fields in the archive are encrypted with, the legal holds, the auditors' regions and
-- the append-only audit log of compliance calls.

-- +goose Up
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'operator', 'admin', 'auditor'));
-- Set when the person's data was erased (GDPR Article 17): their personal fields are scrubbed and their data key
-- is gone.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMPTZ;

-- The regions whose data an auditor may read, granted by a platform admin.
CREATE TABLE auditor_regions (
    user_id    TEXT NOT NULL REFERENCES users (id),
    -- The region the auditor may read (not where the row lives: the table is GLOBAL in CockroachDB).
    scope      TEXT NOT NULL REFERENCES regions (name),
    granted_by TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, scope)
);

-- A person's data key, wrapped (AES-GCM) with the platform's archive key. Deleting the row shreds every
-- personal field encrypted with it.
CREATE TABLE person_keys (
    user_id     TEXT PRIMARY KEY,
    wrapped_key BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- Every object written to a region's archive bucket. A row is written ('uploading') before its upload, with
-- the SHA-256 of the bytes about to be sent, so a run that died in between finds it and finishes or abandons
-- it; 'archived' once verified and the hot rows are gone; 'abandoned' when a run found it missing or not matching
-- the hot rows (its part number stays taken); 'purged' once deleted after its retention.
CREATE TABLE archive_objects (
    region       TEXT NOT NULL,
    key          TEXT NOT NULL,
    -- 'bookings', or 'audit' for a locked copy of old audit log entries.
    kind         TEXT NOT NULL CHECK (kind IN ('bookings', 'audit')),
    year         INT NOT NULL,
    month        INT NOT NULL CHECK (month BETWEEN 1 AND 12),
    part         INT NOT NULL CHECK (part > 0),
    version_id   TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL CHECK (size_bytes >= 0),
    row_count    INT NOT NULL CHECK (row_count >= 0),
    min_code     TEXT NOT NULL,
    max_code     TEXT NOT NULL,
    booking_ids  TEXT[] NOT NULL,
    retain_until TIMESTAMPTZ NOT NULL,
    legal_hold   BOOLEAN NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('uploading', 'archived', 'abandoned', 'purged')),
    created_at   TIMESTAMPTZ NOT NULL,
    archived_at  TIMESTAMPTZ,
    purged_at    TIMESTAMPTZ,
    PRIMARY KEY (region, key),
    UNIQUE (region, kind, year, month, part)
);

-- The region's manifest chain: each manifest describes one partition (every part in it so far) and carries
-- the SHA-256 of the region's previous manifest. The head is kept here too, so dropping the newest manifest
-- from the bucket is noticed.
CREATE TABLE archive_manifests (
    region      TEXT NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    key         TEXT NOT NULL,
    -- The object whose archiving (or purge) this manifest records.
    object_key  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    prev_sha256 TEXT NOT NULL,
    body        BYTEA NOT NULL,
    uploaded    BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region, seq),
    UNIQUE (region, key)
);

-- Where each archived booking is: its object, row group and row, for lookups without a scan.
CREATE TABLE archived_bookings (
    region            TEXT NOT NULL,
    booking_id        TEXT NOT NULL,
    confirmation_code TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    theatre_id        TEXT NOT NULL,
    starts_at         TIMESTAMPTZ NOT NULL,
    object_key        TEXT NOT NULL,
    row_group         INT NOT NULL CHECK (row_group >= 0),
    row_index         INT NOT NULL CHECK (row_index >= 0),
    PRIMARY KEY (region, booking_id)
);
CREATE UNIQUE INDEX archived_bookings_code ON archived_bookings (confirmation_code);
CREATE INDEX archived_bookings_user ON archived_bookings (user_id, starts_at);
CREATE INDEX archived_bookings_theatre ON archived_bookings (theatre_id, starts_at);
CREATE INDEX archived_bookings_object ON archived_bookings (region, object_key);

-- Legal holds on a person, a booking or a theatre's date range. While one is active, the records it covers are
-- neither erased nor purged, and their archive objects carry S3 legal hold.
CREATE TABLE legal_holds (
    region      TEXT NOT NULL,
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'booking', 'theatre')),
    user_id     TEXT NOT NULL,
    booking_id  TEXT NOT NULL,
    theatre_id  TEXT NOT NULL,
    from_at     TIMESTAMPTZ,
    until_at    TIMESTAMPTZ,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   TIMESTAMPTZ NOT NULL,
    released_by TEXT,
    released_at TIMESTAMPTZ,
    PRIMARY KEY (region, id),
    CHECK (kind <> 'theatre' OR (from_at IS NOT NULL AND until_at IS NOT NULL AND until_at > from_at))
);
CREATE INDEX legal_holds_active ON legal_holds (region, kind) WHERE released_at IS NULL;

-- Append-only: who called which compliance operation, when, on which records, and how it ended. The code never
-- deletes a row or changes what it says; the archive copies entries older than --archive-after to a locked
-- object of the region's bucket and notes its key in archive_key.
CREATE TABLE audit_log (
    region     TEXT NOT NULL,
    id         TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    records    TEXT[] NOT NULL,
    outcome    TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    archive_key TEXT,
    PRIMARY KEY (region, id)
);
CREATE INDEX audit_log_at ON audit_log (region, at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE legal_holds;
DROP TABLE archived_bookings;
DROP TABLE archive_manifests;
DROP TABLE archive_objects;
DROP TABLE person_keys;
DROP TABLE auditor_regions;
ALTER TABLE users DROP COLUMN erased_at;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'operator', 'admin'));
