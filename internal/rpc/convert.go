package rpc

// Conversions between the generated messages (api/) and the domain types.

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/standby"
	"github.com/marqueehq/marquee/internal/wallet"
)

// mapSlice converts every element of in with f.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func userToProto(u account.User) *marqueev1.User {
	return &marqueev1.User{Id: u.ID, Email: u.Email, DisplayName: u.DisplayName, HomeRegion: u.HomeRegion}
}

// accountPoint is p as the account package's Point; nil when the request gives no location.
func accountPoint(p *marqueev1.GeoPoint) *account.Point {
	if p == nil {
		return nil
	}
	return &account.Point{Latitude: p.Latitude, Longitude: p.Longitude}
}

var channelNames = map[marqueev1.NotificationChannel]string{
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_EMAIL: account.Email,
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_SMS:   account.SMS,
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_PUSH:  account.Push,
}

func settingsFromProto(p *marqueev1.NotificationSettings) account.Settings {
	st := account.Settings{Phone: p.Phone, PushToken: p.PushToken, Channels: map[string][]string{}}
	for _, pref := range p.Preferences {
		cs := []string{}
		for _, c := range pref.Channels {
			cs = append(cs, channelNames[c])
		}
		st.Channels[pref.Kind] = cs
	}
	return st
}

func settingsToProto(st account.Settings) *marqueev1.NotificationSettings {
	p := &marqueev1.NotificationSettings{Phone: st.Phone, PushToken: st.PushToken}
	for _, kind := range slices.Sorted(maps.Keys(st.Channels)) {
		pref := &marqueev1.NotificationPreference{Kind: kind}
		for _, c := range st.Channels[kind] {
			for pc, name := range channelNames {
				if name == c {
					pref.Channels = append(pref.Channels, pc)
				}
			}
		}
		p.Preferences = append(p.Preferences, pref)
	}
	return p
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

func showtimeQuery(m *marqueev1.ListShowtimesRequest) catalog.ShowtimeQuery {
	return catalog.ShowtimeQuery{CityID: m.City, MovieID: m.MovieId, TheatreID: m.TheatreId, Day: m.Day,
		PageSize: int(m.PageSize), PageToken: m.PageToken}
}

func showtimeToProto(l catalog.ShowtimeListing) *marqueev1.Showtime {
	return &marqueev1.Showtime{Id: l.ID, MovieId: l.MovieID, MovieTitle: l.MovieTitle, TheatreId: l.TheatreID,
		TheatreName: l.TheatreName, City: l.CityID, Region: l.Region, ScreenName: l.ScreenName,
		StartsAt: timestamppb.New(l.StartsAt), EndsAt: timestamppb.New(l.EndsAt), Format: l.Format,
		Language: l.Language, FromPrice: priceToProto(l.FromPrice)}
}

// priceToProto is a price as Money; nil stays nil (no price).
func priceToProto(p *catalog.Price) *marqueev1.Money {
	if p == nil {
		return nil
	}
	return money(p.Currency, p.AmountMinor)
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
	res := &marqueev1.GetSeatMapResponse{ShowtimeId: m.Showtime.ID, Seats: make([]*marqueev1.Seat, len(m.Seats)),
		Showtime: showtimeToProto(m.Showtime), Version: m.Version}
	for i, s := range m.Seats {
		res.Seats[i] = &marqueev1.Seat{Id: s.ID, Row: s.Row, Number: int32(s.Number), Type: seatTypes[s.Type],
			Status: seatStatuses[s.Status], Price: money(m.Showtime.Currency, s.PriceMinor), X: int32(s.X), Y: int32(s.Y)}
	}
	return res
}

// watchedSeatMapToProto is a seat map as WatchSeatMap sends it: GetSeatMap's answer with its version.
func watchedSeatMapToProto(m inventory.SeatMap, version uint64) *marqueev1.WatchSeatMapResponse {
	g := seatMapToProto(m)
	return &marqueev1.WatchSeatMapResponse{ShowtimeId: g.ShowtimeId, Seats: g.Seats, Showtime: g.Showtime,
		Version: uint32(version)}
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
	p.Showtime, p.Ticket = showtimeToProto(b.Show), b.Ticket
	if b.Status == booking.Cancelled {
		p.CancelledAt = timestamppb.New(b.CancelledAt)
	}
	for _, t := range b.Tenders {
		p.Tenders = append(p.Tenders, &marqueev1.Tender{Method: tenderMethods[t.Method], Amount: money(b.Currency, t.AmountMinor)})
	}
	return p
}

func createRequest(userID string, m *marqueev1.CreateBookingRequest) booking.Request {
	return booking.Request{UserID: userID, HoldID: m.HoldId, PaymentToken: m.PaymentToken, Key: m.IdempotencyKey,
		PromoCode: m.PromoCode, GiftCardCode: m.GiftCardCode, UseStoreCredit: m.UseStoreCredit}
}

func addRequest(userID string, m *marqueev1.AddSeatsRequest) booking.AddRequest {
	return booking.AddRequest{Request: booking.Request{UserID: userID, PaymentToken: m.PaymentToken,
		Key: m.IdempotencyKey, PromoCode: m.PromoCode, GiftCardCode: m.GiftCardCode, UseStoreCredit: m.UseStoreCredit,
		BookingID: m.BookingId}, SeatIDs: m.SeatIds, Count: int(m.Count), Pass: m.AdmissionPass}
}

func cancelRequest(userID string, m *marqueev1.CancelBookingRequest) booking.CancelRequest {
	return booking.CancelRequest{BookingID: m.BookingId, UserID: userID, Key: m.IdempotencyKey, SeatIDs: m.SeatIds,
		ToStoreCredit: m.RefundTo == marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT}
}

func cancellationToProto(c booking.Cancellation) *marqueev1.CancelBookingResponse {
	cur := c.Booking.Currency
	return &marqueev1.CancelBookingResponse{Booking: bookingToProto(c.Booking), Refund: money(cur, c.RefundMinor),
		StoreCredit: money(cur, c.StoreCreditMinor)}
}

func quoteCancelRequest(userID string, m *marqueev1.QuoteCancellationRequest) booking.CancelRequest {
	return booking.CancelRequest{BookingID: m.BookingId, UserID: userID, SeatIDs: m.SeatIds,
		ToStoreCredit: m.RefundTo == marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT}
}

// cancelQuoteToProto is a quote with its refunds to the original payment summed by method, in refund order.
func cancelQuoteToProto(q booking.CancelQuote) *marqueev1.QuoteCancellationResponse {
	cur, p := q.Currency, q.Plan
	out := &marqueev1.QuoteCancellationResponse{Refund: money(cur, p.RefundMinor), StoreCredit: money(cur, p.StoreCreditMinor),
		StoreCreditBonus: money(cur, max(p.StoreCreditMinor-p.RefundMinor, 0)), Policy: p.Rule.Describe(),
		RefundPercent: int32(p.Rule.Percent), FeesRefunded: p.Rule.Fees, CancelsBooking: p.All}
	for _, s := range p.Seats {
		out.Seats = append(out.Seats, &marqueev1.SeatRefund{SeatId: s.SeatID, Refund: money(cur, s.RefundMinor)})
	}
	for _, part := range q.Parts {
		m := tenderMethods[part.Charge.Method]
		i := slices.IndexFunc(out.Refunds, func(t *marqueev1.Tender) bool { return t.Method == m })
		if i < 0 {
			out.Refunds = append(out.Refunds, &marqueev1.Tender{Method: m, Amount: money(cur, 0)})
			i = len(out.Refunds) - 1
		}
		out.Refunds[i].Amount.AmountMinor += part.AmountMinor
	}
	return out
}

var tenderMethods = map[booking.Method]marqueev1.TenderMethod{
	booking.Card:        marqueev1.TenderMethod_TENDER_METHOD_CARD,
	booking.GiftCard:    marqueev1.TenderMethod_TENDER_METHOD_GIFT_CARD,
	booking.StoreCredit: marqueev1.TenderMethod_TENDER_METHOD_STORE_CREDIT,
}

func balanceToProto(b wallet.Balance) *marqueev1.Money { return money(b.Currency, b.AmountMinor) }

func money(currency string, minor int64) *marqueev1.Money {
	return &marqueev1.Money{CurrencyCode: currency, AmountMinor: minor}
}

func quoteToProto(holdID string, q pricing.Quote) *marqueev1.Quote {
	cur := q.Currency
	p := &marqueev1.Quote{HoldId: holdID, Subtotal: money(cur, q.SubtotalMinor), Total: money(cur, q.TotalMinor)}
	for _, l := range q.Lines {
		li := &marqueev1.LineItem{SeatId: l.SeatID, SeatType: seatTypes[catalog.SeatType(l.SeatType)],
			Base: money(cur, l.BaseMinor), Amount: money(cur, l.AmountMinor)}
		for _, a := range l.Adjustments {
			li.Adjustments = append(li.Adjustments, &marqueev1.PriceAdjustment{RuleId: a.RuleID,
				Description: a.Description, Amount: money(cur, a.AmountMinor)})
		}
		p.LineItems = append(p.LineItems, li)
	}
	if q.PromoCode != "" {
		p.Discounts = []*marqueev1.Discount{{Code: q.PromoCode, Description: q.PromoDescription, Amount: money(cur, q.DiscountMinor)}}
	}
	for _, f := range q.Fees {
		p.Fees = append(p.Fees, &marqueev1.Fee{Description: f.Description, Amount: money(cur, f.AmountMinor)})
	}
	return p
}

func standbyEntry(userID string, m *marqueev1.JoinStandbyRequest) standby.Entry {
	return standby.Entry{ShowtimeID: m.ShowtimeId, UserID: userID, SeatCount: int(m.SeatCount), Together: m.Together,
		Accessible: m.Accessible}
}

var standbyStatuses = map[standby.Status]marqueev1.StandbyStatus{
	standby.Waiting: marqueev1.StandbyStatus_STANDBY_STATUS_WAITING,
	standby.Offered: marqueev1.StandbyStatus_STANDBY_STATUS_OFFERED,
	standby.Booked:  marqueev1.StandbyStatus_STANDBY_STATUS_BOOKED,
	standby.Left:    marqueev1.StandbyStatus_STANDBY_STATUS_LEFT,
	standby.Closed:  marqueev1.StandbyStatus_STANDBY_STATUS_CLOSED,
	standby.Missed:  marqueev1.StandbyStatus_STANDBY_STATUS_MISSED,
}

func entryToProto(e standby.Entry) *marqueev1.StandbyEntry {
	p := &marqueev1.StandbyEntry{Id: e.ID, ShowtimeId: e.ShowtimeID, SeatCount: int32(e.SeatCount), Together: e.Together,
		Accessible: e.Accessible, Status: standbyStatuses[e.Status], Position: int32(e.Position),
		JoinedAt: timestamppb.New(e.JoinedAt)}
	if o := e.Offer; o != nil {
		p.Offer = &marqueev1.StandbyOffer{Id: o.ID, HoldId: o.HoldID, SeatIds: o.SeatIDs, ExpiresAt: timestamppb.New(o.ExpiresAt)}
	}
	return p
}

var roles = map[marqueev1.Role]admin.Role{
	marqueev1.Role_ROLE_CUSTOMER:       admin.Customer,
	marqueev1.Role_ROLE_OPERATOR:       admin.Operator,
	marqueev1.Role_ROLE_PLATFORM_ADMIN: admin.Admin,
	marqueev1.Role_ROLE_AUDITOR:        admin.Auditor,
}

var ruleKinds = map[marqueev1.PricingRuleKind]pricing.RuleKind{
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_TIME_OF_DAY: pricing.RuleTimeOfDay,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_DAY_OF_WEEK: pricing.RuleDayOfWeek,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_FORMAT:      pricing.RuleFormat,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND:      pricing.RuleDemand,
}

func ruleFromProto(p *marqueev1.PricingRule) pricing.Rule {
	r := pricing.Rule{ID: p.Id, ChainID: p.ChainId, Name: p.Name, Kind: ruleKinds[p.Kind], StartMinute: int(p.StartMinute),
		EndMinute: int(p.EndMinute), Formats: p.Formats, OccupancyPercent: int(p.OccupancyPercent),
		Percent: int(p.Percent), AmountMinor: p.AmountMinor, CapMinor: p.CapMinor, Priority: int(p.Priority)}
	for _, d := range p.DaysOfWeek {
		r.Days = append(r.Days, time.Weekday(d))
	}
	return r
}

func ruleToProto(r pricing.Rule) *marqueev1.PricingRule {
	p := &marqueev1.PricingRule{Id: r.ID, ChainId: r.ChainID, Name: r.Name, StartMinute: int32(r.StartMinute),
		EndMinute: int32(r.EndMinute), Formats: r.Formats, OccupancyPercent: int32(r.OccupancyPercent),
		Percent: int32(r.Percent), AmountMinor: r.AmountMinor, CapMinor: r.CapMinor, Priority: int32(r.Priority)}
	for k, v := range ruleKinds {
		if v == r.Kind {
			p.Kind = k
		}
	}
	for _, d := range r.Days {
		p.DaysOfWeek = append(p.DaysOfWeek, int32(d))
	}
	return p
}

func promotionFromProto(p *marqueev1.Promotion) pricing.Promotion {
	out := pricing.Promotion{ID: p.Id, ChainID: p.ChainId, Code: p.Code, Description: p.Description,
		Percent: int(p.Percent), ValidFrom: p.ValidFrom.AsTime(), ValidUntil: p.ValidUntil.AsTime(),
		MinSeats: int(p.MinSeats), PerUserLimit: int(p.PerUserLimit), TotalLimit: int(p.TotalLimit),
		TheatreIDs: p.TheatreIds, MovieIDs: p.MovieIds}
	switch p.Kind {
	case marqueev1.PromotionKind_PROMOTION_KIND_PERCENT:
		out.Kind = pricing.PromotionPercent
	case marqueev1.PromotionKind_PROMOTION_KIND_FIXED:
		out.Kind = pricing.PromotionFixed
	}
	if p.Amount != nil {
		out.AmountMinor, out.Currency = p.Amount.AmountMinor, p.Amount.CurrencyCode
	}
	return out
}

func promotionToProto(p pricing.Promotion) *marqueev1.Promotion {
	out := &marqueev1.Promotion{Id: p.ID, ChainId: p.ChainID, Code: p.Code, Description: p.Description,
		Percent: int32(p.Percent), ValidFrom: timestamppb.New(p.ValidFrom), ValidUntil: timestamppb.New(p.ValidUntil),
		MinSeats: int32(p.MinSeats), PerUserLimit: int32(p.PerUserLimit), TotalLimit: int32(p.TotalLimit),
		TheatreIds: p.TheatreIDs, MovieIds: p.MovieIDs, Redemptions: int32(p.Redemptions),
		Kind: marqueev1.PromotionKind_PROMOTION_KIND_PERCENT}
	if p.Kind == pricing.PromotionFixed {
		out.Kind, out.Amount = marqueev1.PromotionKind_PROMOTION_KIND_FIXED, money(p.Currency, p.AmountMinor)
	}
	return out
}

func movieFromProto(p *marqueev1.Movie) catalog.Movie {
	return catalog.Movie{ID: p.Id, Title: p.Title, RuntimeMinutes: int(p.RuntimeMinutes), Genres: p.Genres,
		Rating: p.Rating, Language: p.Language, Synopsis: p.Synopsis, Cast: p.Cast}
}

func theatreFromProto(m *marqueev1.UpsertTheatreRequest) catalog.Theatre {
	p := m.Theatre
	return catalog.Theatre{ID: p.Id, ChainID: p.Chain, CityID: p.City, Name: p.Name, Address: p.Address,
		Latitude: p.Latitude, Longitude: p.Longitude, Amenities: p.Amenities, TimeZone: m.TimeZone, Currency: m.Currency}
}

// seatsFromProto lays out a screen's rows: the first row is nearest the screen (y = 0), and a seat's ID is
// its row label and number.
func seatsFromProto(rows []*marqueev1.LayoutRow) []catalog.Seat {
	var seats []catalog.Seat
	for y, row := range rows {
		for _, s := range row.Seats {
			seats = append(seats, catalog.Seat{ID: catalog.SeatID(row.Label, int(s.Number)), Row: row.Label,
				Number: int(s.Number), Type: seatTypeOf(s.Type), X: int(s.X), Y: y})
		}
	}
	return seats
}

func scheduledShowtime(m *marqueev1.ScheduleShowtimeRequest) catalog.Showtime {
	return catalog.Showtime{ScreenID: m.ScreenId, MovieID: m.MovieId, StartsAt: m.StartsAt.AsTime(), Format: m.Format,
		Language: m.Language, Currency: m.BasePrice.CurrencyCode, BasePriceMinor: m.BasePrice.AmountMinor,
		PremiumPriceMinor: m.PremiumPrice.AmountMinor}
}

func deadDeliveryToProto(d admin.DeadDelivery) *marqueev1.DeadDelivery {
	return &marqueev1.DeadDelivery{Id: d.ID, Channel: d.Channel, Recipient: d.Recipient, Kind: d.Kind,
		Attempts: int32(d.Attempts), LastError: d.LastError}
}

func policyFromProto(p *marqueev1.ChainPolicy) catalog.ChainPolicy {
	out := catalog.ChainPolicy{ChainID: p.ChainId, RefundFees: p.RefundFees,
		StoreCreditBonusPercent: int(p.StoreCreditBonusPercent), OrphanSeatRule: p.OrphanSeatRule,
		FeePerSeatMinor: p.FeePerSeatMinor}
	for _, t := range p.RefundTiers {
		out.RefundTiers = append(out.RefundTiers, catalog.RefundTier{Before: time.Duration(t.MinutesBefore) * time.Minute,
			Percent: int(t.Percent)})
	}
	return out
}

func policyToProto(p catalog.ChainPolicy) *marqueev1.ChainPolicy {
	out := &marqueev1.ChainPolicy{ChainId: p.ChainID, RefundFees: p.RefundFees,
		StoreCreditBonusPercent: int32(p.StoreCreditBonusPercent), OrphanSeatRule: p.OrphanSeatRule,
		FeePerSeatMinor: p.FeePerSeatMinor}
	for _, t := range p.RefundTiers {
		out.RefundTiers = append(out.RefundTiers, &marqueev1.RefundTier{MinutesBefore: int32(t.Before / time.Minute),
			Percent: int32(t.Percent)})
	}
	return out
}

func point(p *marqueev1.GeoPoint) *search.Point {
	if p == nil {
		return nil
	}
	return &search.Point{Latitude: p.Latitude, Longitude: p.Longitude}
}

func movieQuery(m *marqueev1.SearchMoviesRequest) search.MovieQuery {
	return search.MovieQuery{Query: m.Query, Near: point(m.Near), RadiusKm: m.RadiusKm, City: m.City, Genres: m.Genres,
		Languages: m.Languages, Formats: m.Formats, Day: m.Day, NowPlayingDays: int(m.NowPlayingDays),
		PageSize: int(m.PageSize), PageToken: m.PageToken}
}

func theatreQuery(m *marqueev1.SearchTheatresRequest) search.TheatreQuery {
	return search.TheatreQuery{Query: m.Query, Near: *point(m.Near), RadiusKm: m.RadiusKm, Amenities: m.Amenities,
		PageSize: int(m.PageSize), PageToken: m.PageToken}
}

func movieHitToProto(hit search.MovieHit) *marqueev1.MovieHit {
	mh := &marqueev1.MovieHit{Movie: movieToProto(hit.Movie), Score: hit.Score}
	for _, s := range hit.NextShowtimes {
		mh.NextShowtimes = append(mh.NextShowtimes, refToProto(hit.Movie.Title, s))
	}
	return mh
}

func facetsToProto(f search.Facets) *marqueev1.Facets {
	return &marqueev1.Facets{Genres: counts(f.Genres), Languages: counts(f.Languages), Formats: counts(f.Formats),
		Ratings: counts(f.Ratings)}
}

func theatreHitToProto(t search.TheatreHit) *marqueev1.TheatreHit {
	return &marqueev1.TheatreHit{Theatre: theatreToProto(t.Theatre), DistanceKm: t.DistanceKm}
}

func suggestionToProto(s search.Suggestion) *marqueev1.Suggestion {
	return &marqueev1.Suggestion{Kind: s.Kind, Text: s.Text, Id: s.ID}
}

func refToProto(title string, s search.ShowtimeRef) *marqueev1.Showtime {
	return &marqueev1.Showtime{Id: s.ShowtimeID, MovieTitle: title, TheatreId: s.TheatreID, TheatreName: s.TheatreName,
		City: s.CityName, Region: s.Region, StartsAt: timestamppb.New(s.StartsAt), EndsAt: timestamppb.New(s.EndsAt),
		Format: s.Format, Language: s.Language, FromPrice: priceToProto(s.FromPrice)}
}

// counts turns a facet into a list, most frequent first, then by value.
func counts(m map[string]int) []*marqueev1.FacetCount {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(m[b]-m[a], cmp.Compare(a, b)) })
	out := make([]*marqueev1.FacetCount, len(keys))
	for i, k := range keys {
		out[i] = &marqueev1.FacetCount{Value: k, Count: int32(m[k])}
	}
	return out
}

func onSaleToProto(o onsale.OnSale) *marqueev1.OnSale {
	return &marqueev1.OnSale{Id: o.ID, Region: o.Region, ShowtimeId: o.ShowtimeID, MovieId: o.MovieID,
		ChainId: o.ChainID, OpensAt: timestamppb.New(o.OpensAt), Capacity: int32(o.Capacity),
		PassTtl: durationpb.New(o.PassTTL), Ended: o.Ended, CreatedAt: timestamppb.New(o.CreatedAt)}
}

func onSaleFromProto(m *marqueev1.SetOnSaleRequest) onsale.OnSale {
	o := onsale.OnSale{Region: m.Region, ShowtimeID: m.GetShowtimeId(), MovieID: m.GetMovieId(), ChainID: m.ChainId,
		OpensAt: m.OpensAt.AsTime(), Capacity: int(m.Capacity)}
	if m.PassTtl != nil {
		o.PassTTL = m.PassTtl.AsDuration()
	}
	return o
}

var waitingStatuses = map[onsale.Status]marqueev1.WaitingStatus{
	onsale.Waiting:  marqueev1.WaitingStatus_WAITING_STATUS_WAITING,
	onsale.Admitted: marqueev1.WaitingStatus_WAITING_STATUS_ADMITTED,
	onsale.Done:     marqueev1.WaitingStatus_WAITING_STATUS_DONE,
	onsale.Left:     marqueev1.WaitingStatus_WAITING_STATUS_LEFT,
	onsale.Lapsed:   marqueev1.WaitingStatus_WAITING_STATUS_LAPSED,
}

// placeToProto is a person's place as they see it; nil when they have none.
func placeToProto(r onsale.Room) *marqueev1.WaitingPlace {
	p := r.Place
	if p == nil {
		return nil
	}
	out := &marqueev1.WaitingPlace{ShowtimeId: p.ShowtimeID, Status: waitingStatuses[p.Status],
		Position: int32(r.Position), OpensAt: timestamppb.New(r.OnSale.OpensAt), AdmissionPass: r.Pass,
		Shopping: int32(r.Shopping), Capacity: int32(r.OnSale.Capacity), JoinedAt: timestamppb.New(p.JoinedAt)}
	if r.Estimate > 0 {
		out.EstimatedWait = durationpb.New(r.Estimate)
	}
	if r.Pass != "" {
		out.PassExpiresAt = timestamppb.New(p.PassExpiresAt)
	}
	return out
}
