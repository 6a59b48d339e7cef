package ticket_test

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "ticket.pem")
	priv, err := ticket.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (create): %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key file = %q, want a PKCS#8 PEM block", data)
	}
	again, err := ticket.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (load): %v", err)
	}
	if !priv.Equal(again) {
		t.Error("LoadOrCreateKey returned a new key for an existing file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d files, want only the key (no temporary files left)", len(entries))
	}
}

// TestLoadOrCreateKeyConcurrent checks that callers racing to create the key all end up with the same one.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticket.pem")
	keys := make([]ed25519.PrivateKey, 8)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = ticket.LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Errorf("caller %d got a different key from caller 0", i)
		}
	}
}

func TestLoadOrCreateKeyRejects(t *testing.T) {
	dir := t.TempDir()
	pubPEM, _ := ticket.PublicKeyPEM(make(ed25519.PublicKey, ed25519.PublicKeySize))
	tests := []struct {
		name, content, want string
	}{
		{"ErrNotPEM", "hello", "no PKCS#8"},
		{"ErrPublicKey", string(pubPEM), "no PKCS#8"},
		{"ErrGarbageDER", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "ticket key:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".pem")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := ticket.LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadOrCreateKey error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPublicKeyPEMRoundTrip(t *testing.T) {
	pub, _ := newKey(t, 2)
	data, err := ticket.PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("PublicKeyPEM = %q, want a PUBLIC KEY block", data)
	}
	got, err := ticket.ParsePublicKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(got) {
		t.Error("ParsePublicKeyPEM(PublicKeyPEM(pub)) != pub")
	}
	if _, err := ticket.PublicKeyPEM(pub[:3]); err == nil {
		t.Error("PublicKeyPEM accepted a short key")
	}
	if fp := ticket.Fingerprint(pub); !strings.HasPrefix(fp, "SHA256:") || len(fp) != 7+43 {
		t.Errorf("Fingerprint = %q, want SHA256: and 43 base64 characters", fp)
	}
}
