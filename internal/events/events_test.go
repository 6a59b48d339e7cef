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
		SeatsHeldKind:        SeatsHeld("use1", "use1_s", "use1_h", nil, zero, zero),
		SeatsReleasedKind:    SeatsReleased("use1", "use1_s", "use1_h", nil, "expired", zero),
		StandbyChangedKind:   StandbyChanged("use1", "use1_e", "u", "use1_s", "left", zero),
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

// TestShowtimeOf: every event that can change a showtime's seats, line or listing names it; others do not.
func TestShowtimeOf(t *testing.T) {
	b := Booking{Region: "us-east1", ID: "use1_b", ShowtimeID: "use1_s"}
	for name, tc := range map[string]struct {
		e    Event
		want string
	}{
		"BookingConfirmed":  {BookingConfirmed(b), "use1_s"},
		"BookingModified":   {BookingModified(b), "use1_s"},
		"BookingCancelled":  {BookingCancelled(b), "use1_s"},
		"SeatsHeld":         {SeatsHeld("us-east1", "use1_s", "use1_h", []string{"A1"}, zero, zero), "use1_s"},
		"SeatsReleased":     {SeatsReleased("us-east1", "use1_s", "use1_h", []string{"A1"}, "expired", zero), "use1_s"},
		"StandbyOffered":    {StandbyOffered("us-east1", "use1_e", "use1_o", "u", "use1_s", nil, zero), "use1_s"},
		"StandbyClosed":     {StandbyClosed("us-east1", "use1_e", "u", "use1_s"), "use1_s"},
		"StandbyChanged":    {StandbyChanged("us-east1", "use1_e", "u", "use1_s", "waiting", zero), "use1_s"},
		"ShowtimeChanged":   {CatalogChanged("us-east1", "showtime", "use1_s", true, zero), "use1_s"},
		"ErrTheatreChanged": {CatalogChanged("us-east1", "theatre", "use1_t", false, zero), ""},
		"ErrMovieChanged":   {CatalogChanged(GlobalRegion, "movie", "m1", false, zero), ""},
		"ErrGarbage":        {Event{Subject: Subject("us-east1", SeatsHeldKind), Payload: []byte{0xff, 0xff}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, k, _ := Parse(tc.e.Subject)
			got, ok := ShowtimeOf(k, tc.e.Payload)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("ShowtimeOf = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
