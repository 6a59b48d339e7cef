-- Sessions with short-lived access tokens and rotating refresh tokens (internal/account), revocation on logout,
-- and platform admins made by a first-run token or an invitation instead of by a configured email.

-- +goose Up
-- One row per sign-in. Access tokens carry its ID (the "sid" claim); a revoked session's access tokens are
-- refused and its refresh tokens no longer renew it.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    home_region TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Refresh tokens, kept only as SHA-256 hashes. Each is spent by one refresh, which issues the next; a spent one
-- presented again revokes its session (someone else has a copy).
CREATE TABLE refresh_tokens (
    token_hash  BYTEA PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    home_region TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    spent_at    TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Access tokens denied before they expire (logout), by their "jti" claim; pruned once expired.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

-- One-time codes that make the signed-in person who redeems them a platform admin: a first-run code, minted at
-- start while no admin exists and printed on the console, or an invitation a platform admin made for one email.
CREATE TABLE admin_grants (
    code_hash  BYTEA PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('first_run', 'invitation')),
    email      TEXT,
    created_by TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    claimed_by TEXT,
    claimed_at TIMESTAMPTZ,
    CHECK ((kind = 'invitation') = (email IS NOT NULL))
);

-- +goose Down
DROP TABLE admin_grants;
DROP TABLE revoked_tokens;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
