// Package events names Marquee's events and encodes their payloads (protobuf messages from proto/). Events are
// written to the outbox in the transaction that makes the change; a relay publishes them to NATS.
package events

import (
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// Prefix is the first token of every event subject; AllSubjects matches every event. GlobalRegion is the
// region token of events about global rows (movies), which belong to no region.
const (
	Prefix       = "marquee"
	AllSubjects  = Prefix + ".>"
	GlobalRegion = "global"
)

// Kind names what happened to which aggregate: the last two tokens of a subject, "<aggregate>.<event>".
type Kind string

// The kinds of event Marquee publishes. Subjects are built and parsed here only; consumers switch on a Kind.
const (
	BookingConfirmedKind Kind = "booking.confirmed"
	BookingModifiedKind  Kind = "booking.modified"
	BookingCancelledKind Kind = "booking.cancelled"
	SeatsHeldKind        Kind = "seats.held"
	SeatsReleasedKind    Kind = "seats.released"
	StandbyOfferedKind   Kind = "standby.offered"
	StandbyClosedKind    Kind = "standby.closed"
	StandbyChangedKind   Kind = "standby.changed"
	CatalogChangedKind   Kind = "catalog.changed"
	BookingsArchivedKind Kind = "archive.archived"
	PersonErasedKind     Kind = "person.erased"
)

// Event is an outbox entry: a subject "marquee.<region>.<aggregate>.<event>" and an encoded payload.
type Event struct {
	Region      string
	Subject     string
	AggregateID string
	Type        string
	Payload     []byte
}

// Record is an event as the outbox keeps it: with its ID, which is also its Nats-Msg-Id.
type Record struct {
	ID string
	Event
}

// Subject returns "marquee.<region>.<aggregate>.<event>".
func Subject(region string, k Kind) string { return Prefix + "." + region + "." + string(k) }

// RegionSubjects returns the subject filter matching every event of region.
func RegionSubjects(region string) string { return Prefix + "." + region + ".>" }

// Filter returns the subject filter matching events of kind k from every region.
func Filter(k Kind) string { return Prefix + ".*." + string(k) }

// Parse splits a subject made by Subject into its region and kind; ok is false for any other string.
func Parse(subject string) (region string, k Kind, ok bool) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[0] != Prefix || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], Kind(parts[2] + "." + parts[3]), true
}

// Booking is what booking events describe.
type Booking struct {
	Region, ID, ConfirmationCode, UserID, ShowtimeID string
	SeatIDs                                          []string
	Currency                                         string
	AmountMinor                                      int64 // the total when confirmed, the refund when cancelled
	At                                               time.Time
	Partial                                          bool // cancelled: only SeatIDs were cancelled
}

// BookingConfirmed is the event of a paid booking.
func BookingConfirmed(b Booking) Event {
	return Encode(b.Region, BookingConfirmedKind, b.ID, &marqueev1.BookingConfirmed{
		BookingId: b.ID, ConfirmationCode: b.ConfirmationCode, UserId: b.UserID, ShowtimeId: b.ShowtimeID,
		SeatIds: b.SeatIDs, Total: money(b), ConfirmedAt: timestamppb.New(b.At)})
}

// BookingCancelled is the event of a cancelled booking whose seats are free again.
func BookingCancelled(b Booking) Event {
	return Encode(b.Region, BookingCancelledKind, b.ID, &marqueev1.BookingCancelled{
		BookingId: b.ID, UserId: b.UserID, ShowtimeId: b.ShowtimeID, SeatIds: b.SeatIDs, Refund: money(b),
		CancelledAt: timestamppb.New(b.At), Partial: b.Partial})
}

func money(b Booking) *marqueev1.Money {
	return &marqueev1.Money{CurrencyCode: b.Currency, AmountMinor: b.AmountMinor}
}

// Encode builds an event of kind k with any payload.
func Encode(region string, k Kind, id string, m proto.Message) Event {
	payload, err := proto.Marshal(m)
	if err != nil {
		panic(err) // marshalling a well-formed message cannot fail
	}
	return Event{Region: region, Subject: Subject(region, k), AggregateID: id,
		Type: string(m.ProtoReflect().Descriptor().FullName()), Payload: payload}
}

// BookingModified is the event of seats added to a booking; SeatIDs are the added seats and the amount what
// they cost.
func BookingModified(b Booking) Event {
	return Encode(b.Region, BookingModifiedKind, b.ID, &marqueev1.BookingModified{
		BookingId: b.ID, UserId: b.UserID, ShowtimeId: b.ShowtimeID, AddedSeatIds: b.SeatIDs, Charged: money(b),
		ModifiedAt: timestamppb.New(b.At)})
}

// SeatsReleased is the event of held seats freed without a booking; reason is "expired", "released" or
// "declined".
func SeatsReleased(region, showtimeID, holdID string, seatIDs []string, reason string, at time.Time) Event {
	return Encode(region, SeatsReleasedKind, showtimeID, &marqueev1.SeatsReleased{ShowtimeId: showtimeID,
		SeatIds: seatIDs, HoldId: holdID, Reason: reason, ReleasedAt: timestamppb.New(at)})
}

// SeatsHeld is the event of seats held until expires, by a moviegoer or for a standby offer.
func SeatsHeld(region, showtimeID, holdID string, seatIDs []string, expires, at time.Time) Event {
	return Encode(region, SeatsHeldKind, showtimeID, &marqueev1.SeatsHeld{ShowtimeId: showtimeID, SeatIds: seatIDs,
		HoldId: holdID, ExpiresAt: timestamppb.New(expires), HeldAt: timestamppb.New(at)})
}

// StandbyOffered is the event of seats held for a person in line.
func StandbyOffered(region, entryID, offerID, userID, showtimeID string, seatIDs []string, expires time.Time) Event {
	return Encode(region, StandbyOfferedKind, entryID, &marqueev1.StandbyOffered{EntryId: entryID, OfferId: offerID,
		UserId: userID, ShowtimeId: showtimeID, SeatIds: seatIDs, ExpiresAt: timestamppb.New(expires)})
}

// StandbyClosed is the event of a line closed because its show started.
func StandbyClosed(region, entryID, userID, showtimeID string) Event {
	return Encode(region, StandbyClosedKind, entryID, &marqueev1.StandbyClosed{EntryId: entryID, UserId: userID,
		ShowtimeId: showtimeID})
}

// StandbyChanged is the event of an entry that joined its line (status "waiting"), left it ("left") or accepted
// an offer ("booked").
func StandbyChanged(region, entryID, userID, showtimeID, status string, at time.Time) Event {
	return Encode(region, StandbyChangedKind, entryID, &marqueev1.StandbyChanged{EntryId: entryID, UserId: userID,
		ShowtimeId: showtimeID, Status: status, ChangedAt: timestamppb.New(at)})
}

// CatalogChanged is the event of a movie, theatre, screen or showtime created, changed or deleted; what is one of
// the catalog.Kind* constants. Movies, being global, are announced in GlobalRegion.
func CatalogChanged(region, what, id string, deleted bool, at time.Time) Event {
	return Encode(region, CatalogChangedKind, id, &marqueev1.CatalogChanged{Kind: what, Id: id, Deleted: deleted,
		ChangedAt: timestamppb.New(at)})
}

// BookingsArchived is the event of bookings moved to the archive object key of region's bucket.
func BookingsArchived(region, key string, bookingIDs []string, at time.Time) Event {
	return Encode(region, BookingsArchivedKind, key, &marqueev1.BookingsArchived{ObjectKey: key,
		BookingIds: bookingIDs, ArchivedAt: timestamppb.New(at)})
}

// PersonErased is the event of a person's data erased, announced in the region that served the erasure.
func PersonErased(region, userID string, at time.Time) Event {
	return Encode(region, PersonErasedKind, userID, &marqueev1.PersonErased{UserId: userID, ErasedAt: timestamppb.New(at)})
}
