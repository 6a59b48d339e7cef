package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// row is a Record as an archive object stores it: personal fields sealed with the person's data key, times as
// UTC microseconds.
type row struct {
	Region           string       `parquet:"region,dict"`
	BookingID        string       `parquet:"booking_id"`
	ConfirmationCode string       `parquet:"confirmation_code"`
	Status           string       `parquet:"status,dict"`
	UserID           string       `parquet:"user_id"`
	EmailSealed      []byte       `parquet:"email_sealed"`
	NameSealed       []byte       `parquet:"name_sealed"`
	PhoneSealed      []byte       `parquet:"phone_sealed"`
	Currency         string       `parquet:"currency,dict"`
	TotalMinor       int64        `parquet:"total_minor"`
	RefundMinor      int64        `parquet:"refund_minor"`
	DiscountMinor    int64        `parquet:"discount_minor"`
	FeesMinor        int64        `parquet:"fees_minor"`
	PromoCode        string       `parquet:"promo_code,dict"`
	HoldID           string       `parquet:"hold_id"`
	CreatedAt        int64        `parquet:"created_at,timestamp(microsecond)"`
	CancelledAt      int64        `parquet:"cancelled_at,timestamp(microsecond)"`
	ShowtimeID       string       `parquet:"showtime_id,dict"`
	ScreenID         string       `parquet:"screen_id,dict"`
	ScreenName       string       `parquet:"screen_name,dict"`
	StartsAt         int64        `parquet:"starts_at,timestamp(microsecond)"`
	EndsAt           int64        `parquet:"ends_at,timestamp(microsecond)"`
	Format           string       `parquet:"format,dict"`
	ShowLanguage     string       `parquet:"show_language,dict"`
	BasePriceMinor   int64        `parquet:"base_price_minor"`
	PremiumMinor     int64        `parquet:"premium_price_minor"`
	MovieID          string       `parquet:"movie_id,dict"`
	MovieTitle       string       `parquet:"movie_title,dict"`
	MovieRating      string       `parquet:"movie_rating,dict"`
	MovieLanguage    string       `parquet:"movie_language,dict"`
	MovieRuntime     int32        `parquet:"movie_runtime_minutes"`
	TheatreID        string       `parquet:"theatre_id,dict"`
	TheatreName      string       `parquet:"theatre_name,dict"`
	ChainID          string       `parquet:"chain_id,dict"`
	ChainName        string       `parquet:"chain_name,dict"`
	CityID           string       `parquet:"city_id,dict"`
	CityName         string       `parquet:"city_name,dict"`
	TheatreAddress   string       `parquet:"theatre_address,dict"`
	TimeZone         string       `parquet:"time_zone,dict"`
	Seats            []seatRow    `parquet:"seats,list"`
	Payments         []paymentRow `parquet:"payments,list"`
}

type seatRow struct {
	ID            string `parquet:"id"`
	Row           string `parquet:"row"`
	Number        int32  `parquet:"number"`
	Type          string `parquet:"type"`
	Status        string `parquet:"status"`
	PriceMinor    int64  `parquet:"price_minor"`
	DiscountMinor int64  `parquet:"discount_minor"`
	FeeMinor      int64  `parquet:"fee_minor"`
	RefundMinor   int64  `parquet:"refund_minor"`
}

type paymentRow struct {
	ID            string `parquet:"id"`
	Kind          string `parquet:"kind"`
	Method        string `parquet:"method"`
	Provider      string `parquet:"provider"`
	ProviderRef   string `parquet:"provider_ref"`
	Status        string `parquet:"status"`
	AmountMinor   int64  `parquet:"amount_minor"`
	RefundOf      string `parquet:"refund_of"`
	GiftCardID    string `parquet:"gift_card_id"`
	FailureReason string `parquet:"failure_reason"`
	CreatedAt     int64  `parquet:"created_at,timestamp(microsecond)"`
	UpdatedAt     int64  `parquet:"updated_at,timestamp(microsecond)"`
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// toRow seals r's personal fields with key.
func toRow(r Record, key DataKey) (row, error) {
	var sealed [3][]byte
	for i, f := range []struct{ name, value string }{{"email", r.Person.Email}, {"name", r.Person.Name}, {"phone", r.Person.Phone}} {
		var err error
		if sealed[i], err = key.Seal(r.BookingID, f.name, f.value); err != nil {
			return row{}, err
		}
	}
	out := row{Region: r.Region, BookingID: r.BookingID, ConfirmationCode: r.ConfirmationCode, Status: r.Status,
		UserID: r.UserID, EmailSealed: sealed[0], NameSealed: sealed[1], PhoneSealed: sealed[2], Currency: r.Currency,
		TotalMinor: r.TotalMinor, RefundMinor: r.RefundMinor, DiscountMinor: r.DiscountMinor, FeesMinor: r.FeesMinor,
		PromoCode: r.PromoCode, HoldID: r.HoldID, CreatedAt: micros(r.CreatedAt), CancelledAt: micros(r.CancelledAt),
		ShowtimeID: r.Showtime.ID, ScreenID: r.Showtime.ScreenID, ScreenName: r.Showtime.ScreenName,
		StartsAt: micros(r.Showtime.StartsAt), EndsAt: micros(r.Showtime.EndsAt), Format: r.Showtime.Format,
		ShowLanguage: r.Showtime.Language, BasePriceMinor: r.Showtime.BasePriceMinor,
		PremiumMinor: r.Showtime.PremiumPriceMinor, MovieID: r.Movie.ID, MovieTitle: r.Movie.Title,
		MovieRating: r.Movie.Rating, MovieLanguage: r.Movie.Language, MovieRuntime: r.Movie.RuntimeMinutes,
		TheatreID: r.Theatre.ID, TheatreName: r.Theatre.Name, ChainID: r.Theatre.ChainID,
		ChainName: r.Theatre.ChainName, CityID: r.Theatre.CityID, CityName: r.Theatre.CityName,
		TheatreAddress: r.Theatre.Address, TimeZone: r.Theatre.TimeZone}
	for _, s := range r.Seats {
		out.Seats = append(out.Seats, seatRow{ID: s.ID, Row: s.Row, Number: s.Number, Type: s.Type, Status: s.Status,
			PriceMinor: s.PriceMinor, DiscountMinor: s.DiscountMinor, FeeMinor: s.FeeMinor, RefundMinor: s.RefundMinor})
	}
	for _, p := range r.Payments {
		out.Payments = append(out.Payments, paymentRow{ID: p.ID, Kind: p.Kind, Method: p.Method, Provider: p.Provider,
			ProviderRef: p.ProviderRef, Status: p.Status, AmountMinor: p.AmountMinor, RefundOf: p.RefundOf,
			GiftCardID: p.GiftCardID, FailureReason: p.FailureReason, CreatedAt: micros(p.CreatedAt),
			UpdatedAt: micros(p.UpdatedAt)})
	}
	return out, nil
}

// record is the Record of a row, its personal fields opened with key, or left empty and marked erased when the
// person's key is gone (ok false).
func (w row) record(key DataKey, ok bool) (Record, error) {
	r := Record{Region: w.Region, BookingID: w.BookingID, ConfirmationCode: w.ConfirmationCode, Status: w.Status,
		UserID: w.UserID, Currency: w.Currency, TotalMinor: w.TotalMinor, RefundMinor: w.RefundMinor,
		DiscountMinor: w.DiscountMinor, FeesMinor: w.FeesMinor, PromoCode: w.PromoCode, HoldID: w.HoldID,
		CreatedAt: fromMicros(w.CreatedAt), CancelledAt: fromMicros(w.CancelledAt),
		Showtime: Showtime{ID: w.ShowtimeID, ScreenID: w.ScreenID, ScreenName: w.ScreenName,
			StartsAt: fromMicros(w.StartsAt), EndsAt: fromMicros(w.EndsAt), Format: w.Format, Language: w.ShowLanguage,
			BasePriceMinor: w.BasePriceMinor, PremiumPriceMinor: w.PremiumMinor},
		Movie: Movie{ID: w.MovieID, Title: w.MovieTitle, Rating: w.MovieRating, Language: w.MovieLanguage,
			RuntimeMinutes: w.MovieRuntime},
		Theatre: Theatre{ID: w.TheatreID, Name: w.TheatreName, ChainID: w.ChainID, ChainName: w.ChainName,
			CityID: w.CityID, CityName: w.CityName, Address: w.TheatreAddress, TimeZone: w.TimeZone}}
	for _, s := range w.Seats {
		r.Seats = append(r.Seats, Seat{ID: s.ID, Row: s.Row, Number: s.Number, Type: s.Type, Status: s.Status,
			PriceMinor: s.PriceMinor, DiscountMinor: s.DiscountMinor, FeeMinor: s.FeeMinor, RefundMinor: s.RefundMinor})
	}
	for _, p := range w.Payments {
		r.Payments = append(r.Payments, Payment{ID: p.ID, Kind: p.Kind, Method: p.Method, Provider: p.Provider,
			ProviderRef: p.ProviderRef, Status: p.Status, AmountMinor: p.AmountMinor, RefundOf: p.RefundOf,
			GiftCardID: p.GiftCardID, FailureReason: p.FailureReason, CreatedAt: fromMicros(p.CreatedAt),
			UpdatedAt: fromMicros(p.UpdatedAt)})
	}
	if !ok {
		r.Person.Erased = true
		return r, nil
	}
	var err error
	for _, f := range []struct {
		name   string
		sealed []byte
		to     *string
	}{{"email", w.EmailSealed, &r.Person.Email}, {"name", w.NameSealed, &r.Person.Name}, {"phone", w.PhoneSealed, &r.Person.Phone}} {
		if *f.to, err = key.Open(w.BookingID, f.name, f.sealed); err != nil {
			return Record{}, fmt.Errorf("archive: %s of booking %s does not decrypt: %w", f.name, w.BookingID, err)
		}
	}
	return r, nil
}

// encode writes rows (in order) as a zstd-compressed Parquet object with row groups of groupRows rows.
func encode(rows []row, groupRows int) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.Compression(&zstd.Codec{}), parquet.MaxRowsPerRowGroup(int64(groupRows)),
		parquet.CreatedBy("marquee", "archive", "v1"))
	for start := 0; start < len(rows); start += groupRows {
		end := min(start+groupRows, len(rows))
		if _, err := w.Write(rows[start:end]); err != nil {
			return nil, fmt.Errorf("archive: parquet: %w", err)
		}
		if err := w.Flush(); err != nil {
			return nil, fmt.Errorf("archive: parquet: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("archive: parquet: %w", err)
	}
	return buf.Bytes(), nil
}

// position is where a row sits in an object.
type position struct{ Group, Index int }

// decodeAll reads every row of an object, with each row's row group and index in it.
func decodeAll(data []byte) ([]row, []position, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("archive: not a readable Parquet object: %w", err)
	}
	var rows []row
	var pos []position
	for g, rg := range f.RowGroups() {
		got, err := readGroup(rg)
		if err != nil {
			return nil, nil, err
		}
		for i := range got {
			pos = append(pos, position{g, i})
		}
		rows = append(rows, got...)
	}
	return rows, pos, nil
}

func readGroup(rg parquet.RowGroup) ([]row, error) {
	r := parquet.NewGenericRowGroupReader[row](rg)
	defer r.Close()
	out := make([]row, rg.NumRows())
	n, err := r.Read(out)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("archive: parquet: %w", err)
	}
	if int64(n) != rg.NumRows() {
		return nil, fmt.Errorf("archive: parquet: read %d of %d rows", n, rg.NumRows())
	}
	return out, nil
}

func rowOf(f *parquet.File, group, index int) (row, error) {
	groups := f.RowGroups()
	if group < 0 || group >= len(groups) || index < 0 || int64(index) >= groups[group].NumRows() {
		return row{}, fmt.Errorf("archive: no row %d in row group %d", index, group)
	}
	rd := parquet.NewGenericRowGroupReader[row](groups[group])
	defer rd.Close()
	if err := rd.SeekToRow(int64(index)); err != nil {
		return row{}, fmt.Errorf("archive: parquet: %w", err)
	}
	out := make([]row, 1)
	if _, err := rd.Read(out); err != nil && !errors.Is(err, io.EOF) {
		return row{}, fmt.Errorf("archive: parquet: %w", err)
	}
	return out[0], nil
}
