package onsale

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func testService() *Service {
	return &Service{Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return t0 }}
}

func TestPassRoundTrip(t *testing.T) {
	s := testService()
	c := passClaims{ShowtimeID: "use1_show", UserID: "u1", AdmittedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	p := s.sign(c)
	got, ok := s.verify(p)
	if !ok || got.ShowtimeID != c.ShowtimeID || got.UserID != c.UserID || !got.AdmittedAt.Equal(c.AdmittedAt) ||
		!got.ExpiresAt.Equal(c.ExpiresAt) {
		t.Fatalf("verify(sign(%v)) = %v, %v", c, got, ok)
	}
	other := &Service{Secret: []byte("another-secret-another-secret-32")}
	for name, bad := range map[string]string{
		"ErrOtherSecret": other.sign(c),
		"ErrTampered":    strings.Replace(p, "mqp1.", "mqp1.x", 1),
		"ErrNoMAC":       p[:strings.LastIndexByte(p, '.')],
		"ErrEmpty":       "",
		"ErrJWTLike":     "eyJhbGciOiJIUzI1NiJ9.e30.sig",
	} {
		if _, ok := s.verify(bad); ok {
			t.Errorf("%s: verify accepted %q", name, bad)
		}
	}
}

func TestClaims(t *testing.T) {
	s := testService()
	c := passClaims{ShowtimeID: "use1_show", UserID: "u1", AdmittedAt: t0.Add(-time.Minute), ExpiresAt: t0.Add(time.Minute)}
	expired := c
	expired.ExpiresAt = t0
	for _, tc := range []struct {
		name, user, show, pass, want string
	}{
		{"OK", "u1", "use1_show", s.sign(c), ""},
		{"ErrNoPass", "u1", "use1_show", "", "waiting room"},
		{"ErrSomeoneElses", "u2", "use1_show", s.sign(c), "someone else's"},
		{"ErrOtherShowtime", "u1", "use1_other", s.sign(c), "another showtime"},
		{"ErrExpired", "u1", "use1_show", s.sign(expired), "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.claims("test", tc.user, tc.show, tc.pass)
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("claims = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFinished(t *testing.T) {
	exp := t0.Add(time.Minute)
	for _, tc := range []struct {
		name string
		sh   Shopper
		now  time.Time
		want Status
	}{
		{"OKShopping", Shopper{PassExpiresAt: exp}, t0, ""},
		{"OKHoldingPastPass", Shopper{PassExpiresAt: exp, LiveHold: true, HoldEnded: true}, exp.Add(time.Hour), ""},
		{"Booked", Shopper{PassExpiresAt: exp, Booked: true}, t0, Done},
		{"HoldEnded", Shopper{PassExpiresAt: exp, HoldEnded: true}, t0, Done},
		{"Lapsed", Shopper{PassExpiresAt: exp}, exp, Lapsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Finished(tc.sh, tc.now)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("Finished = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		name             string
		position, recent int
		open, want       time.Duration
	}{
		{"Unknown", 5, 0, time.Hour, 0},
		{"FullWindow", 30, 60, time.Hour, 30 * time.Second},
		{"SinceOpening", 10, 5, 10 * time.Second, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := estimate(tc.position, tc.recent, tc.open); got != tc.want {
				t.Errorf("estimate = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestArrive: before opening a newcomer draws a random rank below every late one; after opening, and for
// someone coming back, the rank is by arrival; a live place is kept.
func TestArrive(t *testing.T) {
	s := testService()
	s.Rand = func() uint64 { return ^uint64(0) }
	o := OnSale{ID: "use1_o", OpensAt: t0.Add(time.Hour)}
	p, write := s.arrive(o, nil, "us-east1", "use1_show", "u1", t0)
	if !write || p.Rank >= lateRank(t0) || p.Status != Waiting {
		t.Fatalf("early arrival: %+v, %v", p, write)
	}
	if kept, write := s.arrive(o, &p, "us-east1", "use1_show", "u1", t0.Add(time.Minute)); write || kept != p {
		t.Errorf("arriving again changed the place: %+v", kept)
	}
	left := p
	left.Status = Left
	if back, _ := s.arrive(o, &left, "us-east1", "use1_show", "u1", t0.Add(time.Minute)); back.Rank != lateRank(t0.Add(time.Minute)) {
		t.Errorf("coming back before opening drew rank %d, want the arrival rank", back.Rank)
	}
	if late, _ := s.arrive(o, nil, "us-east1", "use1_show", "u2", o.OpensAt); late.Rank != lateRank(o.OpensAt) {
		t.Errorf("arrival at opening has rank %d, want the arrival rank", late.Rank)
	}
}
