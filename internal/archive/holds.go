package archive

import (
	"time"
)

// Legal hold kinds.
const (
	HoldPerson  = "person"
	HoldBooking = "booking"
	HoldTheatre = "theatre"
)

// LegalHold keeps what it covers from erasure and purge: every record of a person, one booking, or a theatre's
// bookings whose show starts in [From, Until).
type LegalHold struct {
	Region, ID, Kind             string
	UserID, BookingID, TheatreID string
	From, Until                  time.Time
	Reason, PlacedBy             string
	PlacedAt                     time.Time
	ReleasedBy                   string
	ReleasedAt                   time.Time // zero while active
}

// Subject is what a hold is matched against: a booking, hot or archived.
type Subject struct {
	Region, BookingID, UserID, TheatreID string
	StartsAt                             time.Time
}

// SubjectOf is the subject of a record.
func SubjectOf(r Record) Subject {
	return Subject{Region: r.Region, BookingID: r.BookingID, UserID: r.UserID, TheatreID: r.Theatre.ID,
		StartsAt: r.Showtime.StartsAt}
}

// SubjectOfEntry is the subject of an archived booking.
func SubjectOfEntry(e IndexEntry) Subject {
	return Subject{Region: e.Region, BookingID: e.BookingID, UserID: e.UserID, TheatreID: e.TheatreID, StartsAt: e.StartsAt}
}

// Covers reports whether h, while active, covers s.
func (h LegalHold) Covers(s Subject) bool {
	if !h.ReleasedAt.IsZero() {
		return false
	}
	switch h.Kind {
	case HoldPerson:
		return h.UserID == s.UserID
	case HoldBooking:
		return h.BookingID == s.BookingID
	case HoldTheatre:
		return h.TheatreID == s.TheatreID && !s.StartsAt.Before(h.From) && s.StartsAt.Before(h.Until)
	}
	return false
}

// coveredBy returns the ID of the first of holds that covers r, or "".
func coveredBy(holds []LegalHold, r Record) string { return holdOn(holds, SubjectOf(r)) }

func holdOn(holds []LegalHold, s Subject) string {
	for _, h := range holds {
		if h.Covers(s) {
			return h.ID
		}
	}
	return ""
}
