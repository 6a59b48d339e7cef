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
	Region           string    `json:"region"`
	BookingID        string    `json:"booking_id"`
	ConfirmationCode string    `json:"confirmation_code"`
	Status           string    `json:"status"` // "confirmed" or "cancelled"
	UserID           string    `json:"user_id"`
	Person           Person    `json:"person"`
	Currency         string    `json:"currency"`
	TotalMinor       int64     `json:"total_minor"`
	RefundMinor      int64     `json:"refund_minor"`
	DiscountMinor    int64     `json:"discount_minor"`
	FeesMinor        int64     `json:"fees_minor"`
	PromoCode        string    `json:"promo_code"`
	HoldID           string    `json:"hold_id"`
	CreatedAt        time.Time `json:"created_at"`
	CancelledAt      time.Time `json:"cancelled_at"` // zero unless cancelled
	Showtime         Showtime  `json:"showtime"`
	Movie            Movie     `json:"movie"`
	Theatre          Theatre   `json:"theatre"`
	Seats            []Seat    `json:"seats"`    // by seat ID
	Payments         []Payment `json:"payments"` // charges and refunds, by creation time then ID
}

// Person is the personal data of a record: encrypted in the archive, scrubbed from the hot tables on erasure.
type Person struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	// Erased is set when the person was erased: the fields above are then empty.
	Erased bool `json:"erased"`
}

// Showtime is the show a record is for, as it was scheduled.
type Showtime struct {
	ID                string    `json:"id"`
	ScreenID          string    `json:"screen_id"`
	ScreenName        string    `json:"screen_name"`
	StartsAt          time.Time `json:"starts_at"`
	EndsAt            time.Time `json:"ends_at"`
	Format            string    `json:"format"`
	Language          string    `json:"language"`
	BasePriceMinor    int64     `json:"base_price_minor"`
	PremiumPriceMinor int64     `json:"premium_price_minor"`
}

// Movie is the film a record is for.
type Movie struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Rating         string `json:"rating"`
	Language       string `json:"language"`
	RuntimeMinutes int32  `json:"runtime_minutes"`
}

// Theatre is the theatre a record is for.
type Theatre struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ChainID   string `json:"chain_id"`
	ChainName string `json:"chain_name"`
	CityID    string `json:"city_id"`
	CityName  string `json:"city_name"`
	Address   string `json:"address"`
	TimeZone  string `json:"time_zone"`
}

// Seat is one seat of a booking.
type Seat struct {
	ID            string `json:"id"`
	Row           string `json:"row"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	Number        int32  `json:"number"`
	PriceMinor    int64  `json:"price_minor"`
	DiscountMinor int64  `json:"discount_minor"`
	FeeMinor      int64  `json:"fee_minor"`
	RefundMinor   int64  `json:"refund_minor"`
}

// Payment is a charge or a refund of a booking.
type Payment struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Method        string    `json:"method"`
	Provider      string    `json:"provider"`
	ProviderRef   string    `json:"provider_ref"`
	Status        string    `json:"status"`
	AmountMinor   int64     `json:"amount_minor"`
	RefundOf      string    `json:"refund_of"`
	GiftCardID    string    `json:"gift_card_id"`
	FailureReason string    `json:"failure_reason"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Located is a record with where it was found: "hot" (still in the database) or the archive object's key.
type Located struct {
	Record
	Source string `json:"source"`
}

// Source of a record still in the hot tables.
const SourceHot = "hot"
