package rpc

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
)

func userToProto(u account.User) *marqueev1.User {
	return &marqueev1.User{Id: u.ID, Email: u.Email, DisplayName: u.DisplayName}
}

func cityToProto(c catalog.City) *marqueev1.City {
	return &marqueev1.City{Id: c.ID, Name: c.Name, Region: c.Region, Country: c.Country, Latitude: c.Latitude,
		Longitude: c.Longitude, TimeZone: c.TimeZone}
}

func movieToProto(m catalog.Movie) *marqueev1.Movie {
	return &marqueev1.Movie{Id: m.ID, Title: m.Title, RuntimeMinutes: int32(m.RuntimeMinutes), Genres: m.Genres,
		Rating: m.Rating, Language: m.Language, Synopsis: m.Synopsis, Cast: m.Cast}
}

func theatreToProto(t catalog.Theatre) *marqueev1.Theatre {
	return &marqueev1.Theatre{Id: t.ID, Name: t.Name, City: t.CityID, Region: t.Region, Address: t.Address,
		Latitude: t.Latitude, Longitude: t.Longitude, Amenities: t.Amenities, Chain: t.ChainID}
}

func showtimeToProto(l catalog.ShowtimeListing) *marqueev1.Showtime {
	return &marqueev1.Showtime{Id: l.ID, MovieId: l.MovieID, MovieTitle: l.MovieTitle, TheatreId: l.TheatreID,
		TheatreName: l.TheatreName, City: l.CityID, Region: l.Region, ScreenName: l.ScreenName,
		StartsAt: timestamppb.New(l.StartsAt), EndsAt: timestamppb.New(l.EndsAt), Format: l.Format,
		Language: l.Language}
}

var seatTypes = map[catalog.SeatType]marqueev1.SeatType{
	catalog.SeatStandard:   marqueev1.SeatType_SEAT_TYPE_STANDARD,
	catalog.SeatPremium:    marqueev1.SeatType_SEAT_TYPE_PREMIUM,
	catalog.SeatAccessible: marqueev1.SeatType_SEAT_TYPE_ACCESSIBLE,
	catalog.SeatCompanion:  marqueev1.SeatType_SEAT_TYPE_COMPANION,
}

var seatStatuses = map[inventory.Status]marqueev1.SeatStatus{
	inventory.Available: marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE,
	inventory.Held:      marqueev1.SeatStatus_SEAT_STATUS_HELD,
	inventory.Booked:    marqueev1.SeatStatus_SEAT_STATUS_BOOKED,
}

func seatMapToProto(m inventory.SeatMap) *marqueev1.GetSeatMapResponse {
	res := &marqueev1.GetSeatMapResponse{ShowtimeId: m.Showtime.ID, Seats: make([]*marqueev1.Seat, len(m.Seats))}
	for i, s := range m.Seats {
		res.Seats[i] = &marqueev1.Seat{Id: s.ID, Row: s.Row, Number: int32(s.Number), Type: seatTypes[s.Type],
			Status: seatStatuses[s.Status], Price: money(m.Showtime.Currency, s.PriceMinor), X: int32(s.X), Y: int32(s.Y)}
	}
	return res
}

func holdToProto(h inventory.Hold) *marqueev1.Hold {
	p := &marqueev1.Hold{Id: h.ID, ShowtimeId: h.ShowtimeID, SeatIds: h.SeatIDs, ExpiresAt: timestamppb.New(h.ExpiresAt),
		Subtotal: money(h.Currency, h.SubtotalMinor())}
	for _, l := range h.Lines {
		p.Prices = append(p.Prices, money(h.Currency, l.AmountMinor))
	}
	return p
}

// seatRequest reads a best-available request; an unspecified type means standard or premium.
func seatRequest(count int32, t marqueev1.SeatType, accessible bool) inventory.SeatRequest {
	return inventory.SeatRequest{Count: int(count), Type: seatTypeOf(t), Accessible: accessible}
}

// seatTypeOf is the domain seat type of a proto one ("" when unspecified).
func seatTypeOf(t marqueev1.SeatType) catalog.SeatType {
	for st, pt := range seatTypes {
		if pt == t {
			return st
		}
	}
	return ""
}

var bookingStatuses = map[booking.Status]marqueev1.BookingStatus{
	booking.Confirmed: marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED,
	booking.Cancelled: marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED,
}

func bookingToProto(b booking.Booking) *marqueev1.Booking {
	p := &marqueev1.Booking{Id: b.ID, ConfirmationCode: b.ConfirmationCode, Status: bookingStatuses[b.Status],
		ShowtimeId: b.ShowtimeID, SeatIds: b.SeatIDs, Total: money(b.Currency, b.TotalMinor),
		CreatedAt: timestamppb.New(b.CreatedAt)}
	p.Refund = money(b.Currency, b.RefundMinor)
	p.Discount = money(b.Currency, b.DiscountMinor)
	p.Fees = money(b.Currency, b.FeesMinor)
	p.CancelledSeatIds = b.CancelledSeatIDs
	if b.Status == booking.Cancelled {
		p.CancelledAt = timestamppb.New(b.CancelledAt)
	}
	for _, t := range b.Tenders {
		p.Tenders = append(p.Tenders, &marqueev1.Tender{Method: tenderMethods[t.Method], Amount: money(b.Currency, t.AmountMinor)})
	}
	return p
}

var tenderMethods = map[booking.Method]marqueev1.TenderMethod{
	booking.Card:        marqueev1.TenderMethod_TENDER_METHOD_CARD,
	booking.GiftCard:    marqueev1.TenderMethod_TENDER_METHOD_GIFT_CARD,
	booking.StoreCredit: marqueev1.TenderMethod_TENDER_METHOD_STORE_CREDIT,
}

func money(currency string, minor int64) *marqueev1.Money {
	return &marqueev1.Money{CurrencyCode: currency, AmountMinor: minor}
}

// encodeCursor makes an opaque page token from a showtime position.
func encodeCursor(c catalog.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.StartsAt.UnixNano(), 10) + "|" + c.ID))
}

// decodeCursor reads a page token made by encodeCursor; "" means the first page.
func decodeCursor(token string) (*catalog.Cursor, error) {
	if token == "" {
		return nil, nil
	}
	bad := errs.Errorf("rpc.decodeCursor", errs.Invalid, "invalid page token")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	ns, id, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, bad
	}
	return &catalog.Cursor{StartsAt: time.Unix(0, n).UTC(), ID: id}, nil
}
