package platform

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "secret")
	t.Run("OKGeneratedOnceAndKept", func(t *testing.T) {
		a, err := Secret("", path)
		if err != nil || len(a) != SecretSize {
			t.Fatalf("Secret = %d bytes, %v; want %d bytes", len(a), err, SecretSize)
		}
		b, err := Secret("", path)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second Secret differs from the first (err %v)", err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("secret file mode = %v, %v; want 0600", fi.Mode(), err)
		}
	})
	t.Run("OKConfigured", func(t *testing.T) {
		want := strings.Repeat("k", SecretSize)
		got, err := Secret(want, path)
		if err != nil || string(got) != want {
			t.Fatalf("Secret = %q, %v; want the configured one", got, err)
		}
	})
	t.Run("ErrConfiguredTooShort", func(t *testing.T) {
		if _, err := Secret("short", path); err == nil {
			t.Fatal("a short configured secret was accepted")
		}
	})
}
