package events

import (
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/catalog"
)

// showtimeOfKind decodes the payload of each kind of event that can change a showtime's seats, its standby
// line or the showtime itself, and returns the showtime it is about.
var showtimeOfKind = map[Kind]func([]byte) (string, error){
	BookingConfirmedKind: showtimeOf(func(m *marqueev1.BookingConfirmed) string { return m.ShowtimeId }),
	BookingModifiedKind:  showtimeOf(func(m *marqueev1.BookingModified) string { return m.ShowtimeId }),
	BookingCancelledKind: showtimeOf(func(m *marqueev1.BookingCancelled) string { return m.ShowtimeId }),
	SeatsHeldKind:        showtimeOf(func(m *marqueev1.SeatsHeld) string { return m.ShowtimeId }),
	SeatsReleasedKind:    showtimeOf(func(m *marqueev1.SeatsReleased) string { return m.ShowtimeId }),
	StandbyOfferedKind:   showtimeOf(func(m *marqueev1.StandbyOffered) string { return m.ShowtimeId }),
	StandbyClosedKind:    showtimeOf(func(m *marqueev1.StandbyClosed) string { return m.ShowtimeId }),
	StandbyChangedKind:   showtimeOf(func(m *marqueev1.StandbyChanged) string { return m.ShowtimeId }),
	CatalogChangedKind: showtimeOf(func(m *marqueev1.CatalogChanged) string {
		if m.Kind != catalog.KindShowtime {
			return ""
		}
		return m.Id
	}),
}

// showtimeOf returns a decoder of payloads of type T, whose showtime get reads.
func showtimeOf[T any, P interface {
	*T
	proto.Message
}](get func(P) string) func([]byte) (string, error) {
	return func(b []byte) (string, error) {
		m := P(new(T))
		if err := proto.Unmarshal(b, m); err != nil {
			return "", err
		}
		return get(m), nil
	}
}

// ShowtimeOf returns the showtime an event of kind k with this payload is about: the showtime whose seats were
// held, released, booked or cancelled, whose standby line changed, or which the catalog changed. ok is false for
// events about no showtime (a movie, a theatre) and for payloads that do not decode.
func ShowtimeOf(k Kind, payload []byte) (showtimeID string, ok bool) {
	decode := showtimeOfKind[k]
	if decode == nil {
		return "", false
	}
	id, err := decode(payload)
	return id, err == nil && id != ""
}
