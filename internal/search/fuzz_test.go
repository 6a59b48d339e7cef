package search

import (
	"testing"

	"github.com/marqueehq/marquee/internal/errs"
)

// FuzzDecodeToken checks that page tokens round trip and that any other string is a clean Invalid error.
func FuzzDecodeToken(f *testing.F) {
	f.Add("")
	f.Add(encodeToken(theatreTokens, 20))
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		off, err := decodeToken("search.fuzz", theatreTokens, token)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("decodeToken(%q): kind %v, want invalid", token, errs.KindOf(err))
			}
			return
		}
		if token == "" {
			return
		}
		if again, err := decodeToken("search.fuzz", theatreTokens, encodeToken(theatreTokens, off)); err != nil || again != off {
			t.Fatalf("round trip of offset %d: %d, %v", off, again, err)
		}
	})
}
