package ticket_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// FuzzVerify checks that Verify never panics and refuses anything but a ticket signed by the key with one of
// its three errors.
func FuzzVerify(f *testing.F) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("MQT1e30.AAAA")
	f.Add("MQT2abc.def")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ticket.Verify(pub, s)
		if err == nil {
			t.Fatalf("Verify(%q) accepted a ticket no one signed", s)
		}
		if !errors.Is(err, ticket.ErrMalformed) && !errors.Is(err, ticket.ErrVersion) && !errors.Is(err, ticket.ErrBadSignature) {
			t.Fatalf("Verify(%q): unexpected error %v", s, err)
		}
	})
}
