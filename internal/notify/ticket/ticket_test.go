package ticket_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// newKey returns a fixed key pair, so failures reproduce.
func newKey(t *testing.T, seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed([]byte(strings.Repeat(string(rune('a'+seed)), ed25519.SeedSize)))
	return priv.Public().(ed25519.PublicKey), priv
}

// sample returns a complete ticket, changed by each f.
func sample(fs ...func(*ticket.Ticket)) ticket.Ticket {
	tk := ticket.Ticket{BookingID: "use1_01JD8X3V4Q", ConfirmationCode: "K7Q2MP", ShowtimeID: "use1_01JD8SHOW",
		TheatreName: "Marquee Downtown", MovieTitle: "Dune: Part Two",
		StartsAt: time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC), SeatIDs: []string{"use1_F7", "use1_F8"},
		IssuedAt: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	for _, f := range fs {
		f(&tk)
	}
	return tk
}

// mustSign signs tk with priv or fails the test.
func mustSign(t *testing.T, priv ed25519.PrivateKey, tk ticket.Ticket) string {
	t.Helper()
	s, err := ticket.Sign(priv, tk)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	pub, priv := newKey(t, 0)
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name string
		in   ticket.Ticket
		want ticket.Ticket
	}{
		{"OK", sample(), sample()},
		{"OKNoNames", sample(func(tk *ticket.Ticket) { tk.MovieTitle, tk.TheatreName = "", "" }),
			sample(func(tk *ticket.Ticket) { tk.MovieTitle, tk.TheatreName = "", "" })},
		{"OKUnicode", sample(func(tk *ticket.Ticket) { tk.MovieTitle = "Amélie « 4K »" }),
			sample(func(tk *ticket.Ticket) { tk.MovieTitle = "Amélie « 4K »" })},
		{"OKSecondsInUTC", sample(func(tk *ticket.Ticket) {
			tk.StartsAt = time.Date(2026, 3, 14, 19, 30, 0, 999, ny)
		}), sample()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSign(t, priv, tt.in)
			if !strings.HasPrefix(s, ticket.Prefix) || strings.Count(s, ".") != 2 {
				t.Fatalf("Sign = %q, want MQT1.<payload>.<signature>", s)
			}
			got, err := ticket.Verify(pub, " "+s+"\n")
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignInvalid(t *testing.T) {
	_, priv := newKey(t, 0)
	tests := []struct {
		name string
		priv ed25519.PrivateKey
		tk   ticket.Ticket
		want string
	}{
		{"ErrKey", priv[:10], sample(), "not an Ed25519 private key"},
		{"ErrNoBooking", priv, sample(func(tk *ticket.Ticket) { tk.BookingID = "" }), "no booking id"},
		{"ErrNoCode", priv, sample(func(tk *ticket.Ticket) { tk.ConfirmationCode = "" }), "no confirmation code"},
		{"ErrNoShowtime", priv, sample(func(tk *ticket.Ticket) { tk.ShowtimeID = "" }), "no showtime id"},
		{"ErrNoStart", priv, sample(func(tk *ticket.Ticket) { tk.StartsAt = time.Time{} }), "no start time"},
		{"ErrNoIssue", priv, sample(func(tk *ticket.Ticket) { tk.IssuedAt = time.Time{} }), "no issue time"},
		{"ErrNoSeats", priv, sample(func(tk *ticket.Ticket) { tk.SeatIDs = nil }), "no seats"},
		{"ErrEmptySeat", priv, sample(func(tk *ticket.Ticket) { tk.SeatIDs = []string{"A1", ""} }), "empty seat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ticket.Sign(tt.priv, tt.tk)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sign error = %v, want an Invalid error containing %q", err, tt.want)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	pub, priv := newKey(t, 0)
	otherPub, otherPriv := newKey(t, 1)
	good := mustSign(t, priv, sample())
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	tamper := func(f func(b []byte)) string {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		f(payload)
		return parts[0] + "." + enc(payload) + "." + parts[2]
	}
	signedGarbage := func(payload string) string {
		head := ticket.Prefix + enc([]byte(payload))
		return head + "." + enc(ed25519.Sign(priv, []byte(head)))
	}
	tests := []struct {
		name string
		pub  ed25519.PublicKey
		in   string
		want error
		kind errs.Kind
	}{
		{"ErrTamperedPayload", pub, tamper(func(b []byte) { b[len(b)-3] ^= 1 }), ticket.ErrBadSignature, errs.Unauthenticated},
		{"ErrSwappedSeat", pub, strings.Replace(good, parts[1], enc([]byte(strings.Replace(
			mustDecode(t, parts[1]), "use1_F8", "use1_F9", 1))), 1), ticket.ErrBadSignature, errs.Unauthenticated},
		{"ErrTamperedSignature", pub, parts[0] + "." + parts[1] + "." + enc(flip(mustDecodeBytes(t, parts[2]))),
			ticket.ErrBadSignature, errs.Unauthenticated},
		{"ErrWrongKey", otherPub, good, ticket.ErrBadSignature, errs.Unauthenticated},
		{"ErrOtherKeysTicket", pub, mustSign(t, otherPriv, sample()), ticket.ErrBadSignature, errs.Unauthenticated},
		{"ErrVersion2", pub, "MQT2." + parts[1] + "." + parts[2], ticket.ErrVersion, errs.Invalid},
		{"ErrVersion0", pub, "MQT0." + parts[1] + "." + parts[2], ticket.ErrVersion, errs.Invalid},
		{"ErrEmpty", pub, "", ticket.ErrMalformed, errs.Invalid},
		{"ErrNotATicket", pub, "https://example.com/", ticket.ErrMalformed, errs.Invalid},
		{"ErrLowerCasePrefix", pub, strings.ToLower(parts[0]) + "." + parts[1] + "." + parts[2], ticket.ErrMalformed, errs.Invalid},
		{"ErrNoSignature", pub, parts[0] + "." + parts[1], ticket.ErrMalformed, errs.Invalid},
		{"ErrExtraPart", pub, good + ".x", ticket.ErrMalformed, errs.Invalid},
		{"ErrPayloadNotBase64", pub, parts[0] + ".a+b/c." + parts[2], ticket.ErrMalformed, errs.Invalid},
		{"ErrPaddedPayload", pub, parts[0] + "." + parts[1] + "==." + parts[2], ticket.ErrMalformed, errs.Invalid},
		{"ErrShortSignature", pub, parts[0] + "." + parts[1] + "." + parts[2][:40], ticket.ErrMalformed, errs.Invalid},
		{"ErrTooLong", pub, good + strings.Repeat("A", ticket.MaxLen), ticket.ErrMalformed, errs.Invalid},
		{"ErrBadPublicKey", pub[:5], good, ticket.ErrMalformed, errs.Invalid},
		{"ErrSignedNotJSON", pub, signedGarbage("not json"), ticket.ErrMalformed, errs.Invalid},
		{"ErrSignedIncomplete", pub, signedGarbage(`{"b":"x","c":"y"}`), ticket.ErrMalformed, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ticket.Verify(tt.pub, tt.in)
			if !errors.Is(err, tt.want) || errs.KindOf(err) != tt.kind {
				t.Fatalf("Verify error = %v, want %v of kind %v", err, tt.want, tt.kind)
			}
			if diff := cmp.Diff(ticket.Ticket{}, got); diff != "" {
				t.Errorf("Verify returned a ticket with an error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifyIgnoresUnknownFields pins that version 1 may gain optional fields without breaking verifiers.
func TestVerifyIgnoresUnknownFields(t *testing.T) {
	pub, priv := newKey(t, 0)
	enc := base64.RawURLEncoding.EncodeToString
	head := ticket.Prefix + enc([]byte(`{"b":"B1","c":"C1","s":"S1","at":1773531000,"st":["A1"],"iat":1773100000,"new":true}`))
	got, err := ticket.Verify(pub, head+"."+enc(ed25519.Sign(priv, []byte(head))))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := ticket.Ticket{BookingID: "B1", ConfirmationCode: "C1", ShowtimeID: "S1",
		StartsAt: time.Unix(1773531000, 0).UTC(), SeatIDs: []string{"A1"}, IssuedAt: time.Unix(1773100000, 0).UTC()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func mustDecode(t *testing.T, s string) string { t.Helper(); return string(mustDecodeBytes(t, s)) }

func mustDecodeBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func flip(b []byte) []byte {
	b[0] ^= 0x80
	return b
}
