package ticket_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

func TestVerifyCommand(t *testing.T) {
	pub, priv := newKey(t, 0)
	otherPub, _ := newKey(t, 1)
	dir := t.TempDir()
	keyFile := writePublicKey(t, dir, "ticket.pub.pem", pub)
	otherKeyFile := writePublicKey(t, dir, "other.pub.pem", otherPub)
	good := mustSign(t, priv, sample())
	t.Setenv(ticket.PublicKeyEnv, "")

	t.Run("OK", func(t *testing.T) {
		var out bytes.Buffer
		if err := ticket.VerifyCommand([]string{"--public-key", keyFile, good}, &out); err != nil {
			t.Fatalf("VerifyCommand: %v", err)
		}
		for _, want := range []string{"VALID ticket, signed by the key " + ticket.Fingerprint(pub),
			"booking:      use1_01JD8X3V4Q", "code:         K7Q2MP", "showtime:     use1_01JD8SHOW",
			"movie:        Dune: Part Two", "theatre:      Marquee Downtown", "seats:        use1_F7, use1_F8",
			"starts at:    2026-03-14T23:30:00Z", "issued at:    2026-03-10T12:00:00Z", "does not prove"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("OKFlagAfterPayload", func(t *testing.T) {
		if err := ticket.VerifyCommand([]string{good, "--public-key", keyFile}, new(bytes.Buffer)); err != nil {
			t.Fatalf("VerifyCommand: %v", err)
		}
	})
	t.Run("OKKeyFromEnvironment", func(t *testing.T) {
		t.Setenv(ticket.PublicKeyEnv, keyFile)
		if err := ticket.VerifyCommand([]string{good}, new(bytes.Buffer)); err != nil {
			t.Fatalf("VerifyCommand: %v", err)
		}
	})
	tests := []struct {
		name    string
		args    []string
		wantErr error
		wantMsg string
	}{
		{"ErrWrongKey", []string{"--public-key", otherKeyFile, good}, ticket.ErrBadSignature, "NOT VALID"},
		{"ErrMalformed", []string{"--public-key", keyFile, "hello"}, ticket.ErrMalformed, "NOT VALID"},
		{"ErrNoKey", []string{good}, nil, "no public key"},
		{"ErrMissingKeyFile", []string{"--public-key", filepath.Join(dir, "nope.pem"), good}, nil, "no such file"},
		{"ErrNoPayload", []string{"--public-key", keyFile}, nil, "exactly one"},
		{"ErrTwoPayloads", []string{"--public-key", keyFile, good, good}, nil, "exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := ticket.VerifyCommand(tt.args, &out)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("VerifyCommand error = %v, want one containing %q (is %v)", err, tt.wantMsg, tt.wantErr)
			}
			if strings.Contains(out.String(), "VALID ticket") {
				t.Errorf("output claims a valid ticket:\n%s", out.String())
			}
		})
	}
}

func writePublicKey(t *testing.T, dir, name string, pub []byte) string {
	t.Helper()
	data, err := ticket.PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
