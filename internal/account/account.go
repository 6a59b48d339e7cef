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
	// MakeAdmin makes the user with this email a platform admin, if there is one.
	MakeAdmin(ctx context.Context, email string) error
}

// Service registers and authenticates users and keeps their notification settings.
type Service struct {
	Store      Store
	Settings   SettingsStore
	Now        platform.Clock
	IDs        *platform.IDs
	BcryptCost int           // bcrypt.DefaultCost when 0
	Secret     []byte        // HMAC key for tokens; at least 32 bytes
	TokenTTL   time.Duration // 24h when 0
	// AdminEmail, when set, makes the account registered with this email a platform admin.
	AdminEmail string
	// Region is the region serving registrations (the process's own, or the primary when it serves every
	// region): the home region of those who give no location. Register fails while it is unset.
	Region regions.Region

	activeMu sync.Mutex
	active   map[string]activeEntry // Active's answers
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

// Register creates a user with a bcrypt-hashed password and returns it with a token carrying its home region.
// The email must be a bare address (kept lower-cased) not yet registered, the password 8 to 72 bytes (bcrypt
// reads no further) and the display name not blank (kept trimmed). The home region is the region nearest to
// near, or s.Region when near is nil (see HomeRegion); near must be a valid point. The account registered
// with AdminEmail is a platform admin.
func (s *Service) Register(ctx context.Context, email, password, displayName string, near *Point) (User, string, error) {
	const op = "account.Register"
	u, err := s.newUser(email, password, displayName, near)
	if err != nil {
		return User{}, "", errs.E(op, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return User{}, "", errs.E(op, err)
	}
	if err := s.create(ctx, u, string(hash)); err != nil {
		return User{}, "", errs.E(op, err)
	}
	tok, err := s.issue(u)
	if err != nil {
		return User{}, "", errs.E(op, err)
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

// create stores u, making it a platform admin when its email is AdminEmail.
func (s *Service) create(ctx context.Context, u User, hash string) error {
	const op = "account.create"
	if err := s.Store.CreateUser(ctx, u, hash); err != nil {
		if errs.Is(err, errs.Conflict) {
			return errs.E(op, errs.Conflict, "an account with this email already exists", err)
		}
		return errs.E(op, err)
	}
	if s.AdminEmail == "" || !strings.EqualFold(s.AdminEmail, u.Email) {
		return nil
	}
	if err := s.Store.MakeAdmin(ctx, u.Email); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// Login checks email and password and returns the user with a fresh token. A wrong email and a wrong
// password fail the same way.
func (s *Service) Login(ctx context.Context, email, password string) (User, string, error) {
	const op = "account.Login"
	bad := errs.Errorf(op, errs.Unauthenticated, "wrong email or password")
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, "", bad
	}
	u, hash, err := s.Store.UserByEmail(ctx, email)
	if errs.Is(err, errs.NotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, "", bad
	}
	if err != nil {
		return User{}, "", errs.E(op, err)
	}
	if !passwordMatches(hash, password) {
		return User{}, "", bad
	}
	tok, err := s.issue(u)
	if err != nil {
		return User{}, "", errs.E(op, err)
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

// Authenticate verifies a bearer token and returns the user ID it was issued to.
func (s *Service) Authenticate(token string) (string, error) {
	const op = "account.Authenticate"
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return s.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.Now), jwt.WithExpirationRequired())
	if err != nil || claims.Subject == "" {
		return "", errs.E(op, errs.Unauthenticated, "invalid or expired token", err)
	}
	return claims.Subject, nil
}

// activeTTL is how long a process trusts that an account behind a valid token still exists: a deleted or
// erased account's tokens stop working everywhere within this time.
const activeTTL = 5 * time.Second

// Active reports whether the account id still exists and was not erased, so that a valid token of an account
// that is gone is refused (unauthenticated) on every call. Answers are kept for activeTTL per process; a gone
// account stays gone.
func (s *Service) Active(ctx context.Context, id string) (bool, error) {
	now := time.Now()
	s.activeMu.Lock()
	e, ok := s.active[id]
	s.activeMu.Unlock()
	if ok && (!e.ok || now.Sub(e.at) < activeTTL) {
		return e.ok, nil
	}
	u, _, err := s.Store.UserByID(ctx, id)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return false, err
	}
	live := err == nil && !u.Erased
	s.activeMu.Lock()
	if s.active == nil || len(s.active) > 100_000 {
		s.active = map[string]activeEntry{}
	}
	s.active[id] = activeEntry{ok: live, at: now}
	s.activeMu.Unlock()
	return live, nil
}

type activeEntry struct {
	ok bool
	at time.Time
}

// issue signs a token for u: its ID as the subject and its home region as the HomeRegionClaim.
func (s *Service) issue(u User) (string, error) {
	if len(s.Secret) < 32 {
		return "", errors.New("account: token secret shorter than 32 bytes")
	}
	ttl := s.TokenTTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	now := s.Now()
	claims := jwt.MapClaims{"iss": issuer, "sub": u.ID, "iat": jwt.NewNumericDate(now),
		"exp": jwt.NewNumericDate(now.Add(ttl)), HomeRegionClaim: u.HomeRegion}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.Secret)
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
