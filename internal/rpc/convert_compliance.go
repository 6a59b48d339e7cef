package rpc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/archive"
)

// Conversions of the compliance archive's types (beside convert.go, which they would push past its size).

// timeOf is t as a time, zero when t is unset.
func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// tsOf is t as a timestamp, unset when t is zero.
func tsOf(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var recordStatuses = map[string]marqueev1.BookingStatus{
	"confirmed": marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED,
	"cancelled": marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED,
}

func archivedToProto(l archive.Located) *marqueev1.ArchivedBooking {
	r, cur := l.Record, l.Currency
	p := &marqueev1.ArchivedBooking{Region: r.Region, BookingId: r.BookingID, ConfirmationCode: r.ConfirmationCode,
		Status: recordStatuses[r.Status], UserId: r.UserID,
		Person: &marqueev1.ArchivedBooking_Person{Email: r.Person.Email, Name: r.Person.Name, Phone: r.Person.Phone,
			Erased: r.Person.Erased},
		Total: money(cur, r.TotalMinor), Refund: money(cur, r.RefundMinor), Discount: money(cur, r.DiscountMinor),
		Fees: money(cur, r.FeesMinor), PromoCode: r.PromoCode, HoldId: r.HoldID, CreatedAt: tsOf(r.CreatedAt),
		CancelledAt: tsOf(r.CancelledAt), Showtime: archivedShowtime(cur, r.Showtime),
		Movie: &marqueev1.ArchivedBooking_Movie{Id: r.Movie.ID, Title: r.Movie.Title, Rating: r.Movie.Rating,
			Language: r.Movie.Language, RuntimeMinutes: r.Movie.RuntimeMinutes},
		Theatre: &marqueev1.ArchivedBooking_Theatre{Id: r.Theatre.ID, Name: r.Theatre.Name, ChainId: r.Theatre.ChainID,
			ChainName: r.Theatre.ChainName, CityId: r.Theatre.CityID, CityName: r.Theatre.CityName,
			Address: r.Theatre.Address, TimeZone: r.Theatre.TimeZone},
		Source: l.Source}
	for _, s := range r.Seats {
		p.Seats = append(p.Seats, &marqueev1.ArchivedBooking_Seat{Id: s.ID, Row: s.Row, Number: s.Number, Type: s.Type,
			Status: s.Status, Price: money(cur, s.PriceMinor), Discount: money(cur, s.DiscountMinor),
			Fee: money(cur, s.FeeMinor), Refund: money(cur, s.RefundMinor)})
	}
	for _, x := range r.Payments {
		p.Payments = append(p.Payments, &marqueev1.ArchivedBooking_Payment{Id: x.ID, Kind: x.Kind, Method: x.Method,
			Provider: x.Provider, ProviderRef: x.ProviderRef, Status: x.Status, Amount: money(cur, x.AmountMinor),
			RefundOf: x.RefundOf, GiftCardId: x.GiftCardID, FailureReason: x.FailureReason,
			CreatedAt: tsOf(x.CreatedAt), UpdatedAt: tsOf(x.UpdatedAt)})
	}
	return p
}

func archivedShowtime(cur string, s archive.Showtime) *marqueev1.ArchivedBooking_Showtime {
	return &marqueev1.ArchivedBooking_Showtime{Id: s.ID, ScreenId: s.ScreenID, ScreenName: s.ScreenName,
		StartsAt: tsOf(s.StartsAt), EndsAt: tsOf(s.EndsAt), Format: s.Format, Language: s.Language,
		BasePrice: money(cur, s.BasePriceMinor), PremiumPrice: money(cur, s.PremiumPriceMinor)}
}

// legalHoldFromProto is the hold a request asks for: its kind is the target set (validation requires one).
func legalHoldFromProto(m *marqueev1.PlaceLegalHoldRequest) archive.LegalHold {
	h := archive.LegalHold{Region: m.Region, Reason: m.Reason}
	switch t := m.Target.(type) {
	case *marqueev1.PlaceLegalHoldRequest_UserId:
		h.Kind, h.UserID = archive.HoldPerson, t.UserId
	case *marqueev1.PlaceLegalHoldRequest_BookingId:
		h.Kind, h.BookingID = archive.HoldBooking, t.BookingId
	case *marqueev1.PlaceLegalHoldRequest_Theatre:
		h.Kind, h.TheatreID = archive.HoldTheatre, t.Theatre.GetTheatreId()
		h.From, h.Until = timeOf(t.Theatre.GetFrom()), timeOf(t.Theatre.GetUntil())
	}
	return h
}

func legalHoldToProto(h archive.LegalHold) *marqueev1.LegalHold {
	p := &marqueev1.LegalHold{Region: h.Region, Id: h.ID, Reason: h.Reason, PlacedBy: h.PlacedBy,
		PlacedAt: tsOf(h.PlacedAt), ReleasedBy: h.ReleasedBy, ReleasedAt: tsOf(h.ReleasedAt)}
	switch h.Kind {
	case archive.HoldPerson:
		p.Target = &marqueev1.LegalHold_UserId{UserId: h.UserID}
	case archive.HoldBooking:
		p.Target = &marqueev1.LegalHold_BookingId{BookingId: h.BookingID}
	case archive.HoldTheatre:
		p.Target = &marqueev1.LegalHold_Theatre{Theatre: &marqueev1.TheatreRange{TheatreId: h.TheatreID,
			From: tsOf(h.From), Until: tsOf(h.Until)}}
	}
	return p
}

func auditEntryToProto(e archive.AuditEntry) *marqueev1.AuditEntry {
	return &marqueev1.AuditEntry{Region: e.Region, Id: e.ID, ActorId: e.ActorID, ActorRole: e.ActorRole,
		Action: e.Action, Detail: e.Detail, Outcome: e.Outcome, Records: e.Records, At: tsOf(e.At)}
}

var archivePhases = map[string]marqueev1.ArchivePhase{
	"resuming":  marqueev1.ArchivePhase_ARCHIVE_PHASE_RESUMING,
	"archiving": marqueev1.ArchivePhase_ARCHIVE_PHASE_ARCHIVING,
	"done":      marqueev1.ArchivePhase_ARCHIVE_PHASE_DONE,
}

func progressToProto(p archive.Progress) *marqueev1.RunArchiveResponse {
	return &marqueev1.RunArchiveResponse{Phase: archivePhases[p.Phase], Done: int32(p.Done), Total: int32(p.Total),
		Objects: int32(p.Objects), Current: p.Current}
}
