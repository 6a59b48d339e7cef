package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
)

var (
	_ account.SessionStore = (*AccountStore)(nil)
	_ account.AdminStore   = (*AccountStore)(nil)
)

// CreateSession stores a new session with its first refresh token, both homed in the user's home region.
func (s *AccountStore) CreateSession(ctx context.Context, ss account.Session, first account.RefreshToken) error {
	const op = "store.CreateSession"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, home_region, created_at) VALUES ($1, $2, $3, $4)`,
			ss.ID, ss.UserID, ss.HomeRegion, ss.CreatedAt); err != nil {
			return errs.E(op, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, home_region, expires_at) VALUES ($1, $2, $3, $4)`,
			first.Hash, ss.ID, ss.HomeRegion, first.ExpiresAt)
		return wrap(op, err)
	})
}

// RefreshSession spends the refresh token with this hash and stores next for its session, if rule allows;
// see account.SessionStore. The token row is locked first, so two refreshes with one token are ordered: the
// second finds it spent.
func (s *AccountStore) RefreshSession(ctx context.Context, hash []byte, rule func(account.RefreshToken, account.Session) (bool, error), next account.RefreshToken, at time.Time) (account.Session, error) {
	const op = "store.RefreshSession"
	var ss account.Session
	var refused error
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		refused = nil
		var t account.RefreshToken
		var spent, revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT t.session_id, t.expires_at, t.spent_at, s.user_id, s.home_region, s.created_at, s.revoked_at
			FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1 FOR UPDATE`, hash).
			Scan(&t.SessionID, &t.ExpiresAt, &spent, &ss.UserID, &ss.HomeRegion, &ss.CreatedAt, &revoked)
		if err != nil {
			return notFound(op, err, "refresh token")
		}
		t.Hash, ss.ID = hash, t.SessionID
		if spent != nil {
			t.SpentAt = *spent
		}
		if revoked != nil {
			ss.RevokedAt = *revoked
		}
		revoke, err := rule(t, ss)
		if revoke {
			refused = err
			_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, ss.ID, at)
			return wrap(op, err)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1`, hash, at); err != nil {
			return errs.E(op, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, home_region, expires_at) VALUES ($1, $2, $3, $4)`,
			next.Hash, ss.ID, ss.HomeRegion, next.ExpiresAt)
		return wrap(op, err)
	})
	if err == nil {
		err = refused
	}
	return ss, err
}

// RevokeSession revokes the user's session sid at at, if it is live.
func (s *AccountStore) RevokeSession(ctx context.Context, userID, sid string, at time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, sid, userID, at)
		return wrap("store.RevokeSession", err)
	})
}

// RevokeSessions revokes every live session of the user at at.
func (s *AccountStore) RevokeSessions(ctx context.Context, userID string, at time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, at)
		return wrap("store.RevokeSessions", err)
	})
}

// DenyToken denies the access token jti until expires; denying it twice is no error.
func (s *AccountStore) DenyToken(ctx context.Context, jti string, expires time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`, jti, expires)
		return wrap("store.DenyToken", err)
	})
}

// TokenLive reports whether the account exists and is not erased, its session sid is live and jti is not
// denied, in one read.
func (s *AccountStore) TokenLive(ctx context.Context, userID, sid, jti string) (bool, error) {
	var live bool
	err := s.db.Pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM users WHERE id = $1 AND erased_at IS NULL)
		AND EXISTS (SELECT 1 FROM sessions WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL)
		AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $3)`, userID, sid, jti).Scan(&live)
	return live, wrap("store.TokenLive", err)
}

// AdminExists reports whether any account is a platform admin.
func (s *AccountStore) AdminExists(ctx context.Context) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`).Scan(&ok)
	return ok, wrap("store.AdminExists", err)
}

// AddAdminGrant stores a one-time admin code.
func (s *AccountStore) AddAdminGrant(ctx context.Context, g account.AdminGrant) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO admin_grants (code_hash, kind, email, created_by, created_at, expires_at)
			VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5, $6)`, g.Hash, string(g.Kind), g.Email, g.CreatedBy, g.CreatedAt, g.ExpiresAt)
		return wrap("store.AddAdminGrant", err)
	})
}

// ClaimAdminGrant redeems the code with this hash for userID if rule allows; see account.AdminStore. The code's
// row is locked first, so two people redeeming one code are ordered and the second finds it claimed; whether
// an admin exists is read in the same transaction, so two first-run codes redeemed at once make one admin.
func (s *AccountStore) ClaimAdminGrant(ctx context.Context, hash []byte, userID string, at time.Time, rule func(account.AdminGrant, account.User, bool) error) error {
	const op = "store.ClaimAdminGrant"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var g account.AdminGrant
		var kind string
		var email, by, claimedBy *string
		var claimedAt *time.Time
		err := tx.QueryRow(ctx, `SELECT kind, email, created_by, created_at, expires_at, claimed_by, claimed_at
			FROM admin_grants WHERE code_hash = $1 FOR UPDATE`, hash).Scan(&kind, &email, &by, &g.CreatedAt, &g.ExpiresAt, &claimedBy, &claimedAt)
		if err != nil {
			return notFound(op, err, "admin code")
		}
		g.Hash, g.Kind = hash, account.GrantKind(kind)
		g.Email, g.CreatedBy, g.ClaimedBy = deref(email), deref(by), deref(claimedBy)
		if claimedAt != nil {
			g.ClaimedAt = *claimedAt
		}
		var u account.User
		if err := tx.QueryRow(ctx, `SELECT id, email, display_name, created_at, home_region, erased_at IS NOT NULL
			FROM users WHERE id = $1`, userID).Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt, &u.HomeRegion, &u.Erased); err != nil {
			return notFound(op, err, "user")
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`).Scan(&exists); err != nil {
			return errs.E(op, err)
		}
		if err := rule(g, u, exists); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = 'admin', chain_id = NULL WHERE id = $1`, userID); err != nil {
			return errs.E(op, err)
		}
		q := `UPDATE admin_grants SET claimed_by = $2, claimed_at = $3 WHERE code_hash = $1`
		if g.Kind == account.FirstRun {
			q = `UPDATE admin_grants SET claimed_by = $2, claimed_at = $3 WHERE code_hash = $1 OR (kind = 'first_run' AND claimed_at IS NULL)`
		}
		_, err = tx.Exec(ctx, q, hash, userID, at)
		return wrap(op, err)
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
