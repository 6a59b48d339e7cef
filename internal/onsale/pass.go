package onsale

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// passClaims is what an admission pass says: who may hold seats of which showtime, from which admission, until
// when.
type passClaims struct {
	ShowtimeID, UserID    string
	AdmittedAt, ExpiresAt time.Time
}

const passPrefix = "mqp1."

// key derives the passes' HMAC key from the shared secret, so a pass is never mistaken for an access token
// signed with the secret itself, nor one for the other.
func (s *Service) key() []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("marquee admission pass v1"))
	return m.Sum(nil)
}

// sign makes the pass of c: "mqp1.<payload>.<HMAC-SHA256 of it>", both base64url.
func (s *Service) sign(c passClaims) string {
	payload := strings.Join([]string{c.ShowtimeID, c.UserID, strconv.FormatInt(c.AdmittedAt.UnixMicro(), 10),
		strconv.FormatInt(c.ExpiresAt.UnixMicro(), 10)}, "\n")
	enc := base64.RawURLEncoding
	body := passPrefix + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, s.key())
	m.Write([]byte(body))
	return body + "." + enc.EncodeToString(m.Sum(nil))
}

// verify returns what a pass signed by sign says; false when it was not, or is malformed.
func (s *Service) verify(pass string) (passClaims, bool) {
	i := strings.LastIndexByte(pass, '.')
	if !strings.HasPrefix(pass, passPrefix) || i < len(passPrefix) {
		return passClaims{}, false
	}
	enc := base64.RawURLEncoding
	mac, err := enc.DecodeString(pass[i+1:])
	m := hmac.New(sha256.New, s.key())
	m.Write([]byte(pass[:i]))
	if err != nil || !hmac.Equal(mac, m.Sum(nil)) {
		return passClaims{}, false
	}
	payload, err := enc.DecodeString(pass[len(passPrefix):i])
	parts := strings.Split(string(payload), "\n")
	if err != nil || len(parts) != 4 {
		return passClaims{}, false
	}
	admitted, err1 := strconv.ParseInt(parts[2], 10, 64)
	expires, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return passClaims{}, false
	}
	return passClaims{ShowtimeID: parts[0], UserID: parts[1], AdmittedAt: time.UnixMicro(admitted),
		ExpiresAt: time.UnixMicro(expires)}, true
}

// CheckPass lets userID hold seats of a showtime: always when it has no on-sale on; otherwise only with a
// pass from its waiting room that is genuine, theirs, for this showtime, unexpired, from their current
// admission and not yet spent. Refusals are Permission (no pass, forged, someone else's, another showtime's)
// or Precondition (expired, spent or superseded), with a message a person can act on.
func (s *Service) CheckPass(ctx context.Context, userID, showtimeID, pass string) error {
	const op = "onsale.CheckPass"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return nil // the hold itself answers not_found
	}
	if until, ok := s.noSale.Load(showtimeID); ok && time.Now().Before(until.(time.Time)) {
		return nil
	}
	if _, err := s.Store.For(ctx, r.Name, showtimeID); errs.Is(err, errs.NotFound) {
		s.noSale.Store(showtimeID, time.Now().Add(noSaleFor))
		return nil
	} else if err != nil {
		return errs.E(op, err)
	}
	c, err := s.claims(op, userID, showtimeID, pass)
	if err != nil {
		return err
	}
	p, err := s.Store.Place(ctx, r.Name, showtimeID, userID)
	if errs.Is(err, errs.NotFound) || (err == nil && (p.Status != Admitted || !p.AdmittedAt.Equal(c.AdmittedAt))) {
		return errs.Errorf(op, errs.Precondition, "this admission pass is no longer valid; join the waiting room again")
	}
	if err != nil {
		return errs.E(op, err)
	}
	spent, err := s.Store.Spent(ctx, r.Name, showtimeID, userID, p.AdmittedAt, s.Now())
	if err != nil {
		return errs.E(op, err)
	}
	if spent {
		return errs.Errorf(op, errs.Precondition, "this admission pass has been used; join the waiting room again to shop again")
	}
	return nil
}

// claims checks a pass on its own: signed by us, for userID and showtimeID, not expired.
func (s *Service) claims(op, userID, showtimeID, pass string) (passClaims, error) {
	if pass == "" {
		return passClaims{}, errs.Errorf(op, errs.Permission, "this show is on sale through a waiting room: "+
			"join it and send the admission pass you are given when it is your turn")
	}
	c, ok := s.verify(pass)
	switch {
	case !ok:
		return c, errs.Errorf(op, errs.Permission, "this admission pass is not valid")
	case c.UserID != userID:
		return c, errs.Errorf(op, errs.Permission, "this admission pass is someone else's")
	case c.ShowtimeID != showtimeID:
		return c, errs.Errorf(op, errs.Permission, "this admission pass is for another showtime")
	case !s.Now().Before(c.ExpiresAt):
		return c, errs.Errorf(op, errs.Precondition, "your admission pass has expired; join the waiting room again")
	}
	return c, nil
}
