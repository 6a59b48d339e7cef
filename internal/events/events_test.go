package events

import (
	"testing"
	"time"
)

var zero time.Time

func TestParse(t *testing.T) {
	for name, tt := range map[string]struct {
		subject string
		region  string
		kind    Kind
		ok      bool
	}{
		"OK":             {Subject("use1", BookingCancelledKind), "use1", BookingCancelledKind, true},
		"OKGlobal":       {Subject("global", CatalogChangedKind), "global", CatalogChangedKind, true},
		"ErrOtherPrefix": {"other.use1.booking.cancelled", "", "", false},
		"ErrShort":       {"marquee.use1.booking", "", "", false},
		"ErrLong":        {"marquee.use1.booking.cancelled.x", "", "", false},
		"ErrEmptyToken":  {"marquee..booking.cancelled", "", "", false},
		"ErrEmpty":       {"", "", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			region, kind, ok := Parse(tt.subject)
			if region != tt.region || kind != tt.kind || ok != tt.ok {
				t.Fatalf("Parse(%q) = %q, %q, %v; want %q, %q, %v", tt.subject, region, kind, ok, tt.region, tt.kind, tt.ok)
			}
		})
	}
}

func TestEventsUseTheirKind(t *testing.T) {
	for want, e := range map[Kind]Event{
		BookingConfirmedKind: BookingConfirmed(Booking{Region: "use1", ID: "use1_b"}),
		BookingCancelledKind: BookingCancelled(Booking{Region: "use1", ID: "use1_b"}),
		BookingModifiedKind:  BookingModified(Booking{Region: "use1", ID: "use1_b"}),
		SeatsReleasedKind:    SeatsReleased("use1", "use1_s", "use1_h", nil, "expired", zero),
		StandbyOfferedKind:   StandbyOffered("use1", "use1_e", "use1_o", "u", "use1_s", nil, zero),
		StandbyClosedKind:    StandbyClosed("use1", "use1_e", "u", "use1_s"),
		CatalogChangedKind:   CatalogChanged("global", "movie", "m1", false, zero),
	} {
		region, kind, ok := Parse(e.Subject)
		if !ok || kind != want || region != e.Region {
			t.Errorf("%s: subject %q parses as %q/%q/%v", want, e.Subject, region, kind, ok)
		}
	}
}
