-- Where and how each person is notified.

-- +goose Up
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN push_token TEXT NOT NULL DEFAULT '';

CREATE TABLE notification_prefs (
    user_id  TEXT NOT NULL REFERENCES users (id),
    kind     TEXT NOT NULL,
    channels TEXT[] NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- +goose Down
DROP TABLE notification_prefs;
ALTER TABLE users DROP COLUMN push_token;
ALTER TABLE users DROP COLUMN phone;
