// Package archive keeps bookings for five years, in the region whose theatre they belong to: it moves bookings
// whose show ended long ago from the hot tables to Parquet objects in the region's S3 bucket (object lock,
// hash-chained manifests), finds them again by confirmation code, person or theatre, encrypts personal fields
// with a per-person key so that erasing a person shreds them, keeps what a legal hold covers, and purges what
// has outlived its retention. The compliance rules (who may read which region, what an erasure may touch) live
// here too; SQL lives in internal/store and S3 in internal/objstore.
package archive

import (
	"time"
)

// Record is one booking as it was: the booking with its seats, payments and refunds, its showtime, movie and
// theatre, and the person who made it. The hot tables and the archive give the same Record for a booking.
type Record struct {
	Region           string
	BookingID        string
	ConfirmationCode string
	Status           string // "confirmed" or "cancelled"
	UserID           string
	Person           Person
	Currency         string
	TotalMinor       int64
	RefundMinor      int64
	DiscountMinor    int64
	FeesMinor        int64
	PromoCode        string
	HoldID           string
	CreatedAt        time.Time
	CancelledAt      time.Time // zero unless cancelled
	Showtime         Showtime
	Movie            Movie
	Theatre          Theatre
	Seats            []Seat    // by seat ID
	Payments         []Payment // charges and refunds, by creation time then ID
}

// Person is the personal data of a record: encrypted in the archive, scrubbed from the hot tables on erasure.
type Person struct {
	Email, Name, Phone string
	// Erased is set when the person was erased: the fields above are then empty.
	Erased bool
}

// Showtime is the show a record is for, as it was scheduled.
type Showtime struct {
	ID, ScreenID, ScreenName          string
	StartsAt, EndsAt                  time.Time
	Format, Language                  string
	BasePriceMinor, PremiumPriceMinor int64
}

// Movie is the film a record is for.
type Movie struct {
	ID, Title, Rating, Language string
	RuntimeMinutes              int32
}

// Theatre is the theatre a record is for.
type Theatre struct {
	ID, Name, ChainID, ChainName, CityID, CityName, Address, TimeZone string
}

// Seat is one seat of a booking.
type Seat struct {
	ID, Row, Type, Status                            string
	Number                                           int32
	PriceMinor, DiscountMinor, FeeMinor, RefundMinor int64
}

// Payment is a charge or a refund of a booking.
type Payment struct {
	ID, Kind, Method, Provider, ProviderRef, Status string
	AmountMinor                                     int64
	RefundOf, GiftCardID, FailureReason             string
	CreatedAt, UpdatedAt                            time.Time
}

// Located is a record with where it was found: "hot" (still in the database) or the archive object's key.
type Located struct {
	Record
	Source string
}

// Source of a record still in the hot tables.
const SourceHot = "hot"
