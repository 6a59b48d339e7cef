package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
)

// AccountStore keeps users.
type AccountStore struct{ db *DB }

var _ account.Store = (*AccountStore)(nil)

// Accounts returns the account store.
func (db *DB) Accounts() *AccountStore { return &AccountStore{db: db} }

// CreateUser inserts u with its home region as given; a taken email is a Conflict.
func (s *AccountStore) CreateUser(ctx context.Context, u account.User, passwordHash string) error {
	const op = "store.CreateUser"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email, password_hash, display_name, created_at, home_region)
			VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, u.Email, passwordHash, u.DisplayName, u.CreatedAt, u.HomeRegion)
		if isUniqueViolation(err, "users_email_key") {
			return errs.E(op, errs.Conflict, err)
		}
		return wrap(op, err)
	})
}

// UserByEmail returns the user with that (lower-cased) email, home region included, and their password hash.
func (s *AccountStore) UserByEmail(ctx context.Context, email string) (account.User, string, error) {
	var u account.User
	var hash string
	err := s.db.Pool.QueryRow(ctx, `SELECT id, email, display_name, created_at, home_region, password_hash FROM users
		WHERE email = $1`, email).Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt, &u.HomeRegion, &hash)
	if err != nil {
		return account.User{}, "", notFound("store.UserByEmail", err, "user")
	}
	return u, hash, nil
}

// UserByID returns the user with this ID, home region included, and their password hash.
func (s *AccountStore) UserByID(ctx context.Context, id string) (account.User, string, error) {
	var u account.User
	var hash string
	err := s.db.Pool.QueryRow(ctx, `SELECT id, email, display_name, created_at, home_region, password_hash,
		erased_at IS NOT NULL FROM users WHERE id = $1`, id).Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt,
		&u.HomeRegion, &hash, &u.Erased)
	if err != nil {
		return account.User{}, "", notFound("store.UserByID", err, "user")
	}
	return u, hash, nil
}

// NotificationSettings returns a user's phone, push token and channels per kind.
func (s *AccountStore) NotificationSettings(ctx context.Context, userID string) (account.Settings, error) {
	const op = "store.NotificationSettings"
	st := account.Settings{Channels: map[string][]string{}}
	if err := s.db.Pool.QueryRow(ctx, `SELECT phone, push_token FROM users WHERE id = $1`, userID).Scan(&st.Phone, &st.PushToken); err != nil {
		return st, notFound(op, err, "user")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT kind, channels FROM notification_prefs WHERE user_id = $1 ORDER BY kind`, userID)
	if err != nil {
		return st, errs.E(op, err)
	}
	var kind string
	var cs []string
	_, err = pgx.ForEachRow(rows, []any{&kind, &cs}, func() error { st.Channels[kind] = cs; return nil })
	return st, wrap(op, err)
}

// SetNotificationSettings replaces a user's notification settings.
func (s *AccountStore) SetNotificationSettings(ctx context.Context, userID string, st account.Settings) error {
	const op = "store.SetNotificationSettings"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET phone = $2, push_token = $3 WHERE id = $1`, userID, st.Phone, st.PushToken); err != nil {
			return errs.E(op, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM notification_prefs WHERE user_id = $1`, userID); err != nil {
			return errs.E(op, err)
		}
		for kind, cs := range st.Channels {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, channels) VALUES ($1, $2, $3)`,
				userID, kind, nonNil(cs)); err != nil {
				return errs.E(op, err)
			}
		}
		return nil
	})
}
