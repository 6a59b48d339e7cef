package catalog

import (
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// FuzzValidateLayout checks that any seat list either passes or is refused with a clean Invalid error.
func FuzzValidateLayout(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 1, 1, 1, 0})
	f.Add([]byte{2, 3, 3, 1, 2, 2, 1, 1})
	f.Add([]byte{})
	types := []SeatType{SeatStandard, SeatPremium, SeatAccessible, SeatCompanion, "bogus"}
	f.Fuzz(func(t *testing.T, b []byte) {
		var seats []Seat
		for i := 0; i+3 < len(b); i += 4 {
			row := string(rune('A' + b[i]%26))
			seats = append(seats, Seat{ID: SeatID(row, int(b[i+1])), Row: row, Number: int(b[i+1]),
				Type: types[int(b[i+2])%len(types)], X: int(b[i+3]), Y: int(b[i] % 26)})
		}
		if err := ValidateLayout(seats); err != nil && errs.KindOf(err) != errs.Invalid {
			t.Fatalf("ValidateLayout: kind %v, want invalid: %v", errs.KindOf(err), err)
		}
	})
}

// FuzzDecodeCursor checks that page tokens round trip and that any other string is a clean Invalid error.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(encodeCursor(Cursor{StartsAt: time.Unix(1700000000, 5).UTC(), ID: "use1_01JD"}))
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := decodeCursor(token)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("decodeCursor(%q): kind %v, want invalid", token, errs.KindOf(err))
			}
			return
		}
		if c == nil {
			return
		}
		again, err := decodeCursor(encodeCursor(*c))
		if err != nil || !again.StartsAt.Equal(c.StartsAt) || again.ID != c.ID {
			t.Fatalf("round trip of %+v: %+v, %v", c, again, err)
		}
	})
}
