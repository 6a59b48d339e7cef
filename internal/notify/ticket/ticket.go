// Package ticket issues and checks the signed tickets Marquee puts in QR codes. A ticket is
//
//	MQT1.<base64url(payload)>.<base64url(signature)>
//
// where the payload is a compact JSON object and the signature is Ed25519 over everything before the second
// dot, the version prefix included, so a ticket cannot be replayed under another version. Anyone holding the
// public key can check a ticket offline; only the holder of the private key can issue one.
package ticket

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Prefix starts every version-1 ticket.
const Prefix = "MQT1."

// MaxLen is the longest ticket Verify reads. A QR code holds at most 2,953 bytes; anything longer is not ours.
const MaxLen = 2953

// Errors Verify reports, wrapped with detail: test for them with errors.Is. Their kinds are Invalid, Invalid
// and Unauthenticated, and their messages are safe to show to whoever presented the ticket.
var (
	ErrMalformed    = &errs.Error{Op: "ticket.Verify", Kind: errs.Invalid, Msg: "ticket is malformed"}
	ErrVersion      = &errs.Error{Op: "ticket.Verify", Kind: errs.Invalid, Msg: "unsupported ticket version"}
	ErrBadSignature = &errs.Error{Op: "ticket.Verify", Kind: errs.Unauthenticated, Msg: "ticket signature is not valid"}
)

// Ticket is what a signed ticket proves Marquee issued: these seats of this booking, for this showtime. Times
// travel as whole seconds and come back from Verify in UTC. A valid signature does not prove the booking is
// still active: it may have been cancelled since IssuedAt.
type Ticket struct {
	BookingID        string
	ConfirmationCode string
	ShowtimeID       string
	TheatreName      string
	MovieTitle       string
	StartsAt         time.Time
	SeatIDs          []string
	IssuedAt         time.Time
}

// wire is the signed JSON form of a Ticket. Short keys keep the QR code small. Verifiers ignore keys they do
// not know, so version 1 may gain optional fields; anything that changes a field's meaning needs MQT2.
type wire struct {
	BookingID        string   `json:"b"`
	ConfirmationCode string   `json:"c"`
	ShowtimeID       string   `json:"s"`
	TheatreName      string   `json:"t,omitempty"`
	MovieTitle       string   `json:"m,omitempty"`
	StartsAt         int64    `json:"at"`
	SeatIDs          []string `json:"st"`
	IssuedAt         int64    `json:"iat"`
}

var b64 = base64.RawURLEncoding.Strict()

// Sign returns t signed with priv in the MQT1 form. It is an Invalid error when priv is not an Ed25519
// private key or t lacks a booking, code, showtime, start time, issue time or seat.
func Sign(priv ed25519.PrivateKey, t Ticket) (string, error) {
	const op = "ticket.Sign"
	if len(priv) != ed25519.PrivateKeySize {
		return "", errs.Errorf(op, errs.Invalid, "signing key is not an Ed25519 private key")
	}
	w := toWire(t)
	if err := w.check(); err != nil {
		return "", errs.E(op, errs.Invalid, err.Error())
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return "", errs.E(op, err)
	}
	signed := Prefix + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(ed25519.Sign(priv, []byte(signed))), nil
}

// Verify checks s with pub and returns the ticket it carries. Surrounding white space, as a scanner may add,
// is ignored. Errors wrap ErrVersion (another MQTn prefix), ErrMalformed (anything that is not a well-formed
// ticket, or a pub that is not an Ed25519 key) or ErrBadSignature (well formed, but not signed by pub's key,
// or altered since).
func Verify(pub ed25519.PublicKey, s string) (Ticket, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Ticket{}, fmt.Errorf("%w: public key is not an Ed25519 key", ErrMalformed)
	}
	s = strings.TrimSpace(s)
	signed, payload, sig, err := split(s)
	if err != nil {
		return Ticket{}, err
	}
	if !ed25519.Verify(pub, []byte(signed), sig) {
		return Ticket{}, fmt.Errorf("%w: it was not signed by this key or was altered", ErrBadSignature)
	}
	var w wire
	if err := json.Unmarshal(payload, &w); err != nil {
		return Ticket{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if err := w.check(); err != nil {
		return Ticket{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return w.ticket(), nil
}

// split checks the framing of s and returns the signed part, the decoded payload and the decoded signature.
func split(s string) (signed string, payload, sig []byte, err error) {
	if len(s) > MaxLen {
		return "", nil, nil, fmt.Errorf("%w: longer than %d characters", ErrMalformed, MaxLen)
	}
	if !strings.HasPrefix(s, Prefix) {
		if v, ok := version(s); ok {
			return "", nil, nil, fmt.Errorf("%w: %s (this verifier reads MQT1)", ErrVersion, v)
		}
		return "", nil, nil, fmt.Errorf("%w: it does not start with %q", ErrMalformed, Prefix)
	}
	body, sigText, ok := strings.Cut(s[len(Prefix):], ".")
	if !ok || strings.Contains(sigText, ".") {
		return "", nil, nil, fmt.Errorf("%w: want %s<payload>.<signature>", ErrMalformed, Prefix)
	}
	if payload, err = b64.DecodeString(body); err != nil {
		return "", nil, nil, fmt.Errorf("%w: payload is not base64url: %v", ErrMalformed, err)
	}
	if sig, err = b64.DecodeString(sigText); err != nil || len(sig) != ed25519.SignatureSize {
		return "", nil, nil, fmt.Errorf("%w: signature is not %d bytes of base64url", ErrMalformed, ed25519.SignatureSize)
	}
	return s[:len(Prefix)+len(body)], payload, sig, nil
}

// version returns the "MQTn" version tag s starts with, when it starts with one.
func version(s string) (string, bool) {
	tag, _, ok := strings.Cut(s, ".")
	digits, found := strings.CutPrefix(tag, "MQT")
	if !ok || !found || digits == "" || len(digits) > 4 || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return tag, true
}

func toWire(t Ticket) wire {
	return wire{BookingID: t.BookingID, ConfirmationCode: t.ConfirmationCode, ShowtimeID: t.ShowtimeID,
		TheatreName: t.TheatreName, MovieTitle: t.MovieTitle, StartsAt: unix(t.StartsAt), SeatIDs: t.SeatIDs,
		IssuedAt: unix(t.IssuedAt)}
}

func (w wire) ticket() Ticket {
	return Ticket{BookingID: w.BookingID, ConfirmationCode: w.ConfirmationCode, ShowtimeID: w.ShowtimeID,
		TheatreName: w.TheatreName, MovieTitle: w.MovieTitle, StartsAt: time.Unix(w.StartsAt, 0).UTC(),
		SeatIDs: w.SeatIDs, IssuedAt: time.Unix(w.IssuedAt, 0).UTC()}
}

// check reports the first required field w lacks.
func (w wire) check() error {
	switch {
	case w.BookingID == "":
		return errors.New("no booking id")
	case w.ConfirmationCode == "":
		return errors.New("no confirmation code")
	case w.ShowtimeID == "":
		return errors.New("no showtime id")
	case w.StartsAt == 0:
		return errors.New("no start time")
	case w.IssuedAt == 0:
		return errors.New("no issue time")
	case len(w.SeatIDs) == 0 || slices.Contains(w.SeatIDs, ""):
		return errors.New("no seats, or an empty seat id")
	}
	return nil
}

// unix returns t in Unix seconds, or 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
