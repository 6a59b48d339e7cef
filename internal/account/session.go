package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/marqueehq/marquee/internal/errs"
)

// The default lifetimes of the two tokens of a sign-in.
const (
	// DefaultAccessTTL is how long an access token is accepted: short, because a stolen one works until then on
	// a process that has not yet seen its session revoked.
	DefaultAccessTTL = 15 * time.Minute
	// DefaultRefreshTTL is how long a refresh token renews its session when unused: a person who comes back
	// within it stays signed in. Each refresh starts it again.
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Tokens are what a sign-in or a refresh returns: a short-lived access token for the Authorization header and
// the refresh token that gets the next pair.
type Tokens struct {
	Access         string
	AccessExpires  time.Time
	Refresh        string
	RefreshExpires time.Time
}

// Session is one sign-in of a user: every access and refresh token it issues names it, and revoking it ends
// them all.
type Session struct {
	ID         string
	UserID     string
	HomeRegion string
	CreatedAt  time.Time
	RevokedAt  time.Time // zero while the session is live
}

// RefreshToken is a stored refresh token: only its SHA-256 hash is kept.
type RefreshToken struct {
	Hash      []byte
	SessionID string
	ExpiresAt time.Time
	SpentAt   time.Time // zero until a refresh spends it
}

// Claims are what a verified access token says about its caller.
type Claims struct {
	UserID    string
	SessionID string
	TokenID   string // the token's jti, denied on logout until Expires
	Expires   time.Time
}

// SessionStore keeps sessions, refresh tokens and denied access tokens.
type SessionStore interface {
	// CreateSession stores a new session with its first refresh token.
	CreateSession(ctx context.Context, s Session, first RefreshToken) error
	// RefreshSession finds, in one transaction, the refresh token with this hash and its session (NotFound when
	// there is none) and applies rule to them: when it returns no error the token is spent and next stored in
	// its place; when it says revoke, the session is revoked (and that committed) and rule's error returned;
	// any other error changes nothing. Spending and revoking are recorded at at. It returns the session.
	RefreshSession(ctx context.Context, hash []byte, rule func(RefreshToken, Session) (revoke bool, err error), next RefreshToken, at time.Time) (Session, error)
	// RevokeSession revokes the user's session with this ID at at; one already revoked, or another user's,
	// is left as it is.
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time) error
	// RevokeSessions revokes every live session of the user at at.
	RevokeSessions(ctx context.Context, userID string, at time.Time) error
	// DenyToken denies the access token with this ID until it expires.
	DenyToken(ctx context.Context, jti string, expires time.Time) error
	// TokenLive reports whether an access token still stands: the account userID exists and is not erased, its
	// session sessionID is not revoked and the token jti is not denied.
	TokenLive(ctx context.Context, userID, sessionID, jti string) (bool, error)
}

// errBadRefresh is the one answer to every refresh token that does not renew a session.
func errBadRefresh(op string) error {
	return errs.Errorf(op, errs.Unauthenticated, "invalid or expired refresh token: sign in again")
}

// RefreshRule is the rule a refresh applies, in the store's transaction, to the presented token and its
// session at now: a revoked session or an expired token is refused; a token already spent is refused and its
// session revoked, since whoever presents it again has a copy that someone else has used (a stolen token, or a
// replay), and the session can no longer be trusted.
func RefreshRule(now time.Time) func(RefreshToken, Session) (bool, error) {
	return func(t RefreshToken, s Session) (bool, error) {
		const op = "account.RefreshRule"
		switch {
		case !s.RevokedAt.IsZero():
			return false, errBadRefresh(op)
		case !t.SpentAt.IsZero():
			return true, errBadRefresh(op)
		case !now.Before(t.ExpiresAt):
			return false, errBadRefresh(op)
		}
		return false, nil
	}
}

// Refresh spends a refresh token and returns the next pair of its session. Unknown, malformed, expired and
// revoked tokens are refused alike (Unauthenticated); a spent one is refused and revokes its session.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (User, Tokens, error) {
	const op = "account.Refresh"
	if refreshToken == "" || len(refreshToken) > 2048 {
		return User{}, Tokens{}, errBadRefresh(op)
	}
	now := s.Now()
	next, secret := s.newRefresh(now)
	sess, err := s.Sessions.RefreshSession(ctx, hashToken(refreshToken), RefreshRule(now), next, now)
	if errs.Is(err, errs.NotFound) {
		return User{}, Tokens{}, errBadRefresh(op)
	}
	if errs.Is(err, errs.Unauthenticated) && sess.ID != "" {
		s.forget(sess.UserID, false, sess.ID) // it may have just been revoked for reuse: at once here
	}
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	u, _, err := s.Store.UserByID(ctx, sess.UserID)
	if errs.Is(err, errs.NotFound) || (err == nil && u.Erased) {
		return User{}, Tokens{}, errBadRefresh(op)
	}
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	tok, err := s.tokens(u, sess.ID, now, secret, next.ExpiresAt)
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	return u, tok, nil
}

// Logout ends the session of the access token c: its refresh tokens no longer renew it and its access tokens
// are refused, this one (denied by its jti) at once on every process, the session's others within activeTTL.
// With everywhere, every session of the caller ends.
func (s *Service) Logout(ctx context.Context, c Claims, everywhere bool) error {
	const op = "account.Logout"
	now := s.Now()
	var err error
	if everywhere {
		err = s.Sessions.RevokeSessions(ctx, c.UserID, now)
	} else {
		err = s.Sessions.RevokeSession(ctx, c.UserID, c.SessionID, now)
	}
	if err != nil {
		return errs.E(op, err)
	}
	if c.TokenID != "" {
		if err := s.Sessions.DenyToken(ctx, c.TokenID, c.Expires); err != nil {
			return errs.E(op, err)
		}
	}
	s.forget(c.UserID, everywhere, c.SessionID)
	return nil
}

// signIn starts a session for u and returns its first tokens.
func (s *Service) signIn(ctx context.Context, u User) (Tokens, error) {
	const op = "account.signIn"
	now := s.Now()
	sess := Session{ID: s.IDs.New(), UserID: u.ID, HomeRegion: u.HomeRegion, CreatedAt: now}
	first, secret := s.newRefresh(now)
	first.SessionID = sess.ID
	if err := s.Sessions.CreateSession(ctx, sess, first); err != nil {
		return Tokens{}, errs.E(op, err)
	}
	return s.tokens(u, sess.ID, now, secret, first.ExpiresAt)
}

// newRefresh makes a refresh token expiring RefreshTTL after now: the stored record (without its session) and
// the secret the client keeps.
func (s *Service) newRefresh(now time.Time) (RefreshToken, string) {
	ttl := s.RefreshTTL
	if ttl == 0 {
		ttl = DefaultRefreshTTL
	}
	secret := "mqr_" + rand.Text() + rand.Text()
	return RefreshToken{Hash: hashToken(secret), ExpiresAt: now.Add(ttl)}, secret
}

// tokens signs an access token of session sid for u and pairs it with the refresh token secret.
func (s *Service) tokens(u User, sid string, now time.Time, refresh string, refreshExpires time.Time) (Tokens, error) {
	if len(s.Secret) < 32 {
		return Tokens{}, errors.New("account: token secret shorter than 32 bytes")
	}
	ttl := s.AccessTTL
	if ttl == 0 {
		ttl = DefaultAccessTTL
	}
	exp := now.Add(ttl)
	claims := jwt.MapClaims{"iss": issuer, "sub": u.ID, "iat": jwt.NewNumericDate(now),
		"exp": jwt.NewNumericDate(exp), "jti": rand.Text(), SessionClaim: sid, HomeRegionClaim: u.HomeRegion}
	access, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.Secret)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: access, AccessExpires: exp.Truncate(time.Second), Refresh: refresh, RefreshExpires: refreshExpires}, nil
}

// hashToken is the stored form of a refresh token or one-time code.
func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
