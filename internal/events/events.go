// Package events names Marquee's events and encodes their payloads (protobuf messages from proto/). Events are
// written to the outbox in the transaction that makes the change; a relay publishes them to NATS.
package events

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// Event is an outbox entry: a subject "marquee.<region>.<aggregate>.<event>" and an encoded payload.
type Event struct {
	Region      string
	Subject     string
	AggregateID string
	Type        string
	Payload     []byte
}

// Subject returns "marquee.<region>.<aggregate>.<event>".
func Subject(region, aggregate, event string) string {
	return "marquee." + region + "." + aggregate + "." + event
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
	return Encode(b.Region, "booking", "confirmed", b.ID, &marqueev1.BookingConfirmed{
		BookingId: b.ID, ConfirmationCode: b.ConfirmationCode, UserId: b.UserID, ShowtimeId: b.ShowtimeID,
		SeatIds: b.SeatIDs, Total: money(b), ConfirmedAt: timestamppb.New(b.At)})
}

// BookingCancelled is the event of a cancelled booking whose seats are free again.
func BookingCancelled(b Booking) Event {
	return Encode(b.Region, "booking", "cancelled", b.ID, &marqueev1.BookingCancelled{
		BookingId: b.ID, UserId: b.UserID, ShowtimeId: b.ShowtimeID, SeatIds: b.SeatIDs, Refund: money(b),
		CancelledAt: timestamppb.New(b.At), Partial: b.Partial})
}

func money(b Booking) *marqueev1.Money {
	return &marqueev1.Money{CurrencyCode: b.Currency, AmountMinor: b.AmountMinor}
}

// Encode builds an event of any payload: subject "marquee.<region>.<aggregate>.<event>".
func Encode(region, aggregate, event, id string, m proto.Message) Event {
	payload, err := proto.Marshal(m)
	if err != nil {
		panic(err) // marshalling a well-formed message cannot fail
	}
	return Event{Region: region, Subject: Subject(region, aggregate, event), AggregateID: id,
		Type: string(m.ProtoReflect().Descriptor().FullName()), Payload: payload}
}

// BookingModified is the event of seats added to a booking; SeatIDs are the added seats and the amount what
// they cost.
func BookingModified(b Booking) Event {
	return Encode(b.Region, "booking", "modified", b.ID, &marqueev1.BookingModified{
		BookingId: b.ID, UserId: b.UserID, ShowtimeId: b.ShowtimeID, AddedSeatIds: b.SeatIDs, Charged: money(b),
		ModifiedAt: timestamppb.New(b.At)})
}

// SeatsReleased is the event of held seats freed without a booking; reason is "expired", "released" or
// "declined".
func SeatsReleased(region, showtimeID, holdID string, seatIDs []string, reason string, at time.Time) Event {
	return Encode(region, "seats", "released", showtimeID, &marqueev1.SeatsReleased{ShowtimeId: showtimeID,
		SeatIds: seatIDs, HoldId: holdID, Reason: reason, ReleasedAt: timestamppb.New(at)})
}

// StandbyOffered is the event of seats held for a person in line.
func StandbyOffered(region, entryID, offerID, userID, showtimeID string, seatIDs []string, expires time.Time) Event {
	return Encode(region, "standby", "offered", entryID, &marqueev1.StandbyOffered{EntryId: entryID, OfferId: offerID,
		UserId: userID, ShowtimeId: showtimeID, SeatIds: seatIDs, ExpiresAt: timestamppb.New(expires)})
}

// StandbyClosed is the event of a line closed because its show started.
func StandbyClosed(region, entryID, userID, showtimeID string) Event {
	return Encode(region, "standby", "closed", entryID, &marqueev1.StandbyClosed{EntryId: entryID, UserId: userID,
		ShowtimeId: showtimeID})
}
