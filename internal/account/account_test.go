package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/bcrypt"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// memStore keeps users and settings in memory. It stands in for the database only in tests of the rules
// this package applies before and after storing; the store's own behaviour is tested against PostgreSQL.
type memStore struct {
	mu       sync.Mutex
	users    map[string]account.User // by email
	hashes   map[string]string
	admins   map[string]bool // by user ID
	settings map[string]account.Settings
	sessions map[string]account.Session
	refresh  map[string]account.RefreshToken // by hash
	denied   map[string]bool
	grants   map[string]account.AdminGrant // by hash
}

func newMemStore() *memStore {
	return &memStore{users: map[string]account.User{}, hashes: map[string]string{}, admins: map[string]bool{},
		settings: map[string]account.Settings{}, sessions: map[string]account.Session{},
		refresh: map[string]account.RefreshToken{}, denied: map[string]bool{}, grants: map[string]account.AdminGrant{}}
}

func (s *memStore) CreateSession(_ context.Context, ss account.Session, first account.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[ss.ID], s.refresh[string(first.Hash)] = ss, first
	return nil
}

func (s *memStore) RefreshSession(_ context.Context, hash []byte, rule func(account.RefreshToken, account.Session) (bool, error), next account.RefreshToken, at time.Time) (account.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[string(hash)]
	if !ok {
		return account.Session{}, errs.E("memStore.RefreshSession", errs.NotFound)
	}
	ss := s.sessions[t.SessionID]
	revoke, err := rule(t, ss)
	if revoke {
		ss.RevokedAt = at
		s.sessions[ss.ID] = ss
	}
	if err != nil {
		return ss, err
	}
	t.SpentAt, next.SessionID = at, ss.ID
	s.refresh[string(hash)], s.refresh[string(next.Hash)] = t, next
	return ss, nil
}

func (s *memStore) RevokeSession(_ context.Context, userID, sid string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sid]; ok && ss.UserID == userID && ss.RevokedAt.IsZero() {
		ss.RevokedAt = at
		s.sessions[sid] = ss
	}
	return nil
}

func (s *memStore) RevokeSessions(_ context.Context, userID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.sessions {
		if ss.UserID == userID && ss.RevokedAt.IsZero() {
			ss.RevokedAt = at
			s.sessions[id] = ss
		}
	}
	return nil
}

func (s *memStore) DenyToken(_ context.Context, jti string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[jti] = true
	return nil
}

func (s *memStore) TokenLive(_ context.Context, userID, sid, jti string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[sid]
	return ok && ss.UserID == userID && ss.RevokedAt.IsZero() && !s.denied[jti], nil
}

func (s *memStore) AdminExists(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.admins) > 0, nil
}

func (s *memStore) AddAdminGrant(_ context.Context, g account.AdminGrant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[string(g.Hash)] = g
	return nil
}

func (s *memStore) ClaimAdminGrant(_ context.Context, hash []byte, userID string, at time.Time, rule func(account.AdminGrant, account.User, bool) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[string(hash)]
	if !ok {
		return errs.E("memStore.ClaimAdminGrant", errs.NotFound)
	}
	var u account.User
	for _, v := range s.users {
		if v.ID == userID {
			u = v
		}
	}
	if err := rule(g, u, len(s.admins) > 0); err != nil {
		return err
	}
	s.admins[userID] = true
	g.ClaimedBy, g.ClaimedAt = userID, at
	s.grants[string(hash)] = g
	return nil
}

func (s *memStore) CreateUser(_ context.Context, u account.User, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Email]; ok {
		return errs.E("memStore.CreateUser", errs.Conflict)
	}
	s.users[u.Email], s.hashes[u.Email] = u, hash
	return nil
}

func (s *memStore) UserByEmail(_ context.Context, email string) (account.User, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[email]
	if !ok {
		return account.User{}, "", errs.E("memStore.UserByEmail", errs.NotFound)
	}
	return u, s.hashes[email], nil
}

func (s *memStore) UserByID(_ context.Context, id string) (account.User, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for email, u := range s.users {
		if u.ID == id {
			return u, s.hashes[email], nil
		}
	}
	return account.User{}, "", errs.E("memStore.UserByID", errs.NotFound)
}

func (s *memStore) NotificationSettings(_ context.Context, userID string) (account.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings[userID], nil
}

func (s *memStore) SetNotificationSettings(_ context.Context, userID string, st account.Settings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings[userID] = st
	return nil
}

// newService returns a Service on a fresh memStore with a manual clock at t0, serving europe-west1 (not the
// primary region, so a fallback to it shows).
func newService(t *testing.T) (*account.Service, *memStore, *platform.ManualClock) {
	t.Helper()
	st, clock := newMemStore(), platform.NewManualClock(t0)
	svc := &account.Service{Store: st, Settings: st, Sessions: st, Admins: st, Now: clock.Now,
		IDs: platform.NewIDs(clock.Now), BcryptCost: bcrypt.MinCost, Secret: []byte("0123456789abcdef0123456789abcdef"),
		Region: mustRegion(t, "europe-west1")}
	return svc, st, clock
}

// result is what a call reports: its error's kind and client-safe message, or the user it returned.
type result struct {
	Kind errs.Kind
	Msg  string
	User account.User
}

func resultOf(u account.User, err error) result {
	return result{Kind: errs.KindOf(err), Msg: errs.Message(err), User: u}
}

// ignoreID leaves out the random user ID from comparisons.
var ignoreID = cmpopts.IgnoreFields(account.User{}, "ID")

func TestRegister(t *testing.T) {
	invalid := func(msg string) result { return result{Kind: errs.Invalid, Msg: msg} }
	tests := []struct {
		name, email, password, displayName string
		want                               result
	}{
		{"OK", "Ana.Lima@Example.COM", "s3cret-pass", "  Ana Lima ",
			result{User: account.User{Email: "ana.lima@example.com", DisplayName: "Ana Lima", CreatedAt: t0,
				HomeRegion: "europe-west1"}}},
		{"OKSpacesAroundEmail", " ana@example.com ", "s3cret-pass", "Ana",
			result{User: account.User{Email: "ana@example.com", DisplayName: "Ana", CreatedAt: t0,
				HomeRegion: "europe-west1"}}},
		{"OKLongestPassword", "long@example.com", strings.Repeat("p", 72), "Ana",
			result{User: account.User{Email: "long@example.com", DisplayName: "Ana", CreatedAt: t0,
				HomeRegion: "europe-west1"}}},
		{"ErrNotAnEmail", "ana.example.com", "s3cret-pass", "Ana", invalid("not a valid email address")},
		{"ErrEmailWithName", "Ana <ana@example.com>", "s3cret-pass", "Ana", invalid("not a valid email address")},
		{"ErrEmpty", "", "s3cret-pass", "Ana", invalid("not a valid email address")},
		{"ErrShortPassword", "short@example.com", "7-bytes", "Ana", invalid("password must be 8 to 72 bytes long")},
		{"ErrLongPassword", "long2@example.com", strings.Repeat("p", 73), "Ana", invalid("password must be 8 to 72 bytes long")},
		{"ErrBlankDisplayName", "blank@example.com", "s3cret-pass", " \t", invalid("display name is required")},
		{"ErrEmailTaken", "TAKEN@example.com", "s3cret-pass", "Ana",
			result{Kind: errs.Conflict, Msg: "an account with this email already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			if _, _, err := svc.Register(context.Background(), "taken@example.com", "s3cret-pass", "First", nil); err != nil {
				t.Fatal(err)
			}
			u, tok, err := svc.Register(context.Background(), tt.email, tt.password, tt.displayName, nil)
			if diff := cmp.Diff(tt.want, resultOf(u, err), ignoreID); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if (err == nil) != (tok.Access != "" && tok.Refresh != "" && u.ID != "") {
				t.Errorf("Register = user %q, tokens %+v, err %v; want an ID and tokens exactly when it succeeds", u.ID, tok, err)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	ana, _, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong := result{Kind: errs.Unauthenticated, Msg: "wrong email or password"}
	tests := []struct {
		name, email, password string
		want                  result
	}{
		{"OK", "ana@example.com", "s3cret-pass", result{User: ana}},
		{"OKEmailAnyCase", "ANA@example.com", "s3cret-pass", result{User: ana}},
		{"ErrWrongPassword", "ana@example.com", "s3cret-pasS", wrong},
		{"ErrUnknownEmail", "bob@example.com", "s3cret-pass", wrong},
		{"ErrNotAnEmail", "ana", "s3cret-pass", wrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _, err := svc.Login(ctx, tt.email, tt.password)
			if diff := cmp.Diff(tt.want, resultOf(u, err)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoginTakesAsLongForUnknownEmails: a wrong password for a real account and any password for an unknown
// email cost the same bcrypt work at the service's own cost, so timing does not tell which emails have
// accounts. The bound is loose (half) so that a busy machine does not make it flaky; a dummy hash of a lower
// cost made unknown emails over ten times faster.
func TestLoginTakesAsLongForUnknownEmails(t *testing.T) {
	svc, _, _ := newService(t)
	svc.BcryptCost = bcrypt.DefaultCost
	ctx := context.Background()
	if _, _, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil); err != nil {
		t.Fatal(err)
	}
	timeLogins := func(email string) time.Duration {
		start := time.Now()
		for range 4 {
			if _, _, err := svc.Login(ctx, email, "not-the-password"); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("Login(%s): %v, want unauthenticated", email, err)
			}
		}
		return time.Since(start)
	}
	timeLogins("nobody@example.com") // makes the dummy hash of this cost once
	known, unknown := timeLogins("ana@example.com"), timeLogins("nobody@example.com")
	if unknown < known/2 {
		t.Fatalf("4 logins took %v for a real account but %v for an unknown email", known, unknown)
	}
}

func TestCheckPassword(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	ana, _, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong := result{Kind: errs.Unauthenticated, Msg: "wrong password"}
	tests := []struct {
		name, userID, password string
		want                   result
	}{
		{"OK", ana.ID, "s3cret-pass", result{}},
		{"ErrWrongPassword", ana.ID, "s3cret-pasS", wrong},
		{"ErrEmptyPassword", ana.ID, "", wrong},
		{"ErrUnknownUser", "no-such-user", "s3cret-pass", wrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, resultOf(account.User{}, svc.CheckPassword(ctx, tt.userID, tt.password))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	svc, _, clock := newService(t)
	u, tok, err := svc.Register(context.Background(), "ana@example.com", "s3cret-pass", "Ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	other := &account.Service{Store: svc.Store, Settings: svc.Settings, Sessions: svc.Sessions, Admins: svc.Admins,
		Now: svc.Now, IDs: svc.IDs, BcryptCost: svc.BcryptCost, Region: svc.Region,
		Secret: []byte("another-secret-another-secret-32")}
	_, foreign, err := other.Login(context.Background(), "ana@example.com", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		advance time.Duration
		want    string // user ID, "" for an Unauthenticated error
	}{
		{"OK", tok.Access, 0, u.ID},
		{"OKJustBeforeExpiry", tok.Access, account.DefaultAccessTTL - time.Second, u.ID},
		{"ErrExpired", tok.Access, account.DefaultAccessTTL + time.Second, ""},
		{"ErrOtherSecret", foreign.Access, 0, ""},
		{"ErrRefreshTokenAsBearer", tok.Refresh, 0, ""},
		{"ErrGarbage", "not-a-token", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Advance(tt.advance)
			t.Cleanup(func() { clock.Advance(-tt.advance) })
			c, err := svc.Authenticate(context.Background(), tt.token)
			if id := c.UserID; id != tt.want || (tt.want == "") != errs.Is(err, errs.Unauthenticated) {
				t.Errorf("Authenticate = %q, %v; want %q", id, err, tt.want)
			}
		})
	}
}

func TestRegisterShortSecret(t *testing.T) {
	svc, _, _ := newService(t)
	svc.Secret = []byte("too short")
	_, _, err := svc.Register(context.Background(), "ana@example.com", "s3cret-pass", "Ana", nil)
	if err == nil || errs.KindOf(err) != errs.Other {
		t.Fatalf("Register with a short secret = %v, want an internal error", err)
	}
}
