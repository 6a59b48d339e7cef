// Package account registers moviegoers, checks their passwords and issues and verifies their bearer tokens.
package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
)

// User is a registered moviegoer.
type User struct {
	ID          string
	Email       string // lower-cased
	DisplayName string
	CreatedAt   time.Time
	HomeRegion  string // the name of the region the account is homed in, chosen at registration (see HomeRegion)
	Erased      bool   // the person's data was erased (GDPR Article 17): the account is gone for good
}

// Store keeps users with their home region. CreateUser returns a Conflict error when the email is taken.
type Store interface {
	CreateUser(ctx context.Context, u User, passwordHash string) error
	UserByEmail(ctx context.Context, email string) (User, string, error)
	// UserByID returns the user with this ID and their password hash; NotFound when there is none.
	UserByID(ctx context.Context, id string) (User, string, error)
}

// Service registers and authenticates users, keeps their sessions and notification settings, and makes
// platform admins from one-time codes.
type Service struct {
	Store      Store
	Settings   SettingsStore
	Sessions   SessionStore
	Admins     AdminStore
	Now        platform.Clock
	IDs        *platform.IDs
	BcryptCost int           // bcrypt.DefaultCost when 0
	Secret     []byte        // HMAC key for tokens; at least 32 bytes
	AccessTTL  time.Duration // DefaultAccessTTL when 0
	RefreshTTL time.Duration // DefaultRefreshTTL when 0
	// Region is the region serving registrations (the process's own, or the primary when it serves every
	// region): the home region of those who give no location. Register fails while it is unset.
	Region regions.Region

	liveMu sync.Mutex
	live   map[string]liveEntry // Authenticate's answers about tokens, by jti
}

const issuer = "marquee"

// dummyHashes are compared against when an email is unknown, one per bcrypt cost, so a failed login takes
// as long as one for a real account (a hash of a lower cost would answer unknown emails many times faster).
var dummyHashes sync.Map // int cost -> []byte

// dummyHash is a hash of a password no one has, at the service's cost.
func (s *Service) dummyHash() []byte {
	c := s.cost()
	if h, ok := dummyHashes.Load(c); ok {
		return h.([]byte)
	}
	h, err := bcrypt.GenerateFromPassword([]byte("marquee-dummy-password"), c)
	if err != nil { // a cost bcrypt refuses: Register fails the same way, so any hash will do
		h, _ = bcrypt.GenerateFromPassword([]byte("marquee-dummy-password"), bcrypt.MinCost)
	}
	dummyHashes.Store(c, h)
	return h
}

// Register creates a user with a bcrypt-hashed password and returns it signed in: a new session's tokens, the
// access token carrying its home region. The email must be a bare address (kept lower-cased) not yet
// registered, the password 8 to 72 bytes (bcrypt reads no further) and the display name not blank (kept
// trimmed). The home region is the region nearest to near, or s.Region when near is nil (see HomeRegion);
// near must be a valid point.
func (s *Service) Register(ctx context.Context, email, password, displayName string, near *Point) (User, Tokens, error) {
	const op = "account.Register"
	u, err := s.newUser(email, password, displayName, near)
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	if err := s.create(ctx, u, string(hash)); err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	tok, err := s.signIn(ctx, u)
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	return u, tok, nil
}

// newUser checks a registration and returns the user it would create.
func (s *Service) newUser(email, password, displayName string, near *Point) (User, error) {
	const op = "account.newUser"
	if s.Region.Name == "" {
		return User{}, errs.E(op, errors.New("account: Service.Region is not set"))
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, errs.E(op, err)
	}
	if len(password) < 8 || len(password) > 72 {
		return User{}, errs.Errorf(op, errs.Invalid, "password must be 8 to 72 bytes long")
	}
	displayName = strings.TrimSpace(displayName)
	if displayName == "" {
		return User{}, errs.Errorf(op, errs.Invalid, "display name is required")
	}
	if near != nil {
		if err := near.Validate(); err != nil {
			return User{}, errs.E(op, err)
		}
	}
	return User{ID: s.IDs.New(), Email: email, DisplayName: displayName, CreatedAt: s.Now(),
		HomeRegion: HomeRegion(near, s.Region).Name}, nil
}

// create stores u.
func (s *Service) create(ctx context.Context, u User, hash string) error {
	const op = "account.create"
	if err := s.Store.CreateUser(ctx, u, hash); err != nil {
		if errs.Is(err, errs.Conflict) {
			return errs.E(op, errs.Conflict, "an account with this email already exists", err)
		}
		return errs.E(op, err)
	}
	return nil
}

// Login checks email and password and returns the user with a new session's tokens. A wrong email and a
// wrong password fail the same way.
func (s *Service) Login(ctx context.Context, email, password string) (User, Tokens, error) {
	const op = "account.Login"
	bad := errs.Errorf(op, errs.Unauthenticated, "wrong email or password")
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, Tokens{}, bad
	}
	u, hash, err := s.Store.UserByEmail(ctx, email)
	if errs.Is(err, errs.NotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, Tokens{}, bad
	}
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	if !passwordMatches(hash, password) || u.Erased {
		return User{}, Tokens{}, bad
	}
	tok, err := s.signIn(ctx, u)
	if err != nil {
		return User{}, Tokens{}, errs.E(op, err)
	}
	return u, tok, nil
}

// CheckPassword checks that password is the password of the account userID, the way Login checks it: a
// wrong password, and an account that no longer exists, fail the same way (Unauthenticated).
func (s *Service) CheckPassword(ctx context.Context, userID, password string) error {
	const op = "account.CheckPassword"
	bad := errs.Errorf(op, errs.Unauthenticated, "wrong password")
	_, hash, err := s.Store.UserByID(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		_ = passwordMatches(string(s.dummyHash()), password)
		return bad
	}
	if err != nil {
		return errs.E(op, err)
	}
	if !passwordMatches(hash, password) {
		return bad
	}
	return nil
}

// passwordMatches reports whether password is the one hash was made from.
func passwordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// tokenClaims are the claims of an access token.
type tokenClaims struct {
	jwt.RegisteredClaims
	Session    string `json:"sid"`
	HomeRegion string `json:"home_region"`
}

// Authenticate verifies an access token and returns what it says, once it has checked that the token still
// stands (see TokenLive): an expired or forged token, one of an account that is gone, of a session that ended
// or one denied by logout is refused (Unauthenticated). Answers about live tokens are kept for activeTTL per
// process, so a logout elsewhere takes effect here within that time; one served here, at once.
func (s *Service) Authenticate(ctx context.Context, token string) (Claims, error) {
	const op = "account.Authenticate"
	var tc tokenClaims
	_, err := jwt.ParseWithClaims(token, &tc, func(*jwt.Token) (any, error) { return s.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.Now), jwt.WithExpirationRequired())
	if err != nil || tc.Subject == "" || tc.Session == "" || tc.ID == "" {
		return Claims{}, errs.E(op, errs.Unauthenticated, "invalid or expired token", err)
	}
	c := Claims{UserID: tc.Subject, SessionID: tc.Session, TokenID: tc.ID, Expires: tc.ExpiresAt.Time}
	live, err := s.tokenLive(ctx, c)
	if err != nil {
		return Claims{}, errs.E(op, err)
	}
	if !live {
		return Claims{}, errs.E(op, errs.Unauthenticated, "this session has ended: sign in again")
	}
	return c, nil
}

// activeTTL is how long a process trusts that a valid token still stands: a logout, a reused refresh token or
// an erased account elsewhere stops its tokens here within this time.
const activeTTL = 5 * time.Second

// tokenLive asks the store whether c still stands, keeping the answer for activeTTL; a token that no longer
// stands never stands again.
func (s *Service) tokenLive(ctx context.Context, c Claims) (bool, error) {
	now := time.Now()
	s.liveMu.Lock()
	e, ok := s.live[c.TokenID]
	s.liveMu.Unlock()
	if ok && (!e.ok || now.Sub(e.at) < activeTTL) {
		return e.ok, nil
	}
	live, err := s.Sessions.TokenLive(ctx, c.UserID, c.SessionID, c.TokenID)
	if err != nil {
		return false, err
	}
	s.liveMu.Lock()
	if s.live == nil || len(s.live) > 100_000 {
		s.live = map[string]liveEntry{}
	}
	s.live[c.TokenID] = liveEntry{ok: live, at: now, user: c.UserID, session: c.SessionID}
	s.liveMu.Unlock()
	return live, nil
}

// forget marks this process's cached answers about the user's tokens of session sid (of every session, with
// all) as no longer standing, so a logout takes effect at once in the process that served it.
func (s *Service) forget(userID string, all bool, sid string) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	for k, e := range s.live {
		if e.user == userID && (all || e.session == sid) {
			s.live[k] = liveEntry{ok: false, at: e.at, user: e.user, session: e.session}
		}
	}
}

type liveEntry struct {
	ok            bool
	at            time.Time
	user, session string
}

func (s *Service) cost() int {
	if s.BcryptCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.BcryptCost
}

func normalizeEmail(email string) (string, error) {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != strings.TrimSpace(email) {
		return "", errs.E("account.normalizeEmail", errs.Invalid, "not a valid email address", fmt.Errorf("%q: %v", email, err))
	}
	return strings.ToLower(a.Address), nil
}
