package archive

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleRecord(i int) Record {
	at := time.Date(2025, 3, 14, 19, 30, 0, 123000, time.UTC)
	return Record{Region: "europe-west1", BookingID: fmt.Sprintf("euw1_%04d", i), ConfirmationCode: fmt.Sprintf("AB%02d-XYZ%d", i%100, i),
		Status: "cancelled", UserID: "u1", Person: Person{Email: "ada@example.com", Name: "Ada L", Phone: "+441234"},
		Currency: "EUR", TotalMinor: 2400, RefundMinor: 1200, DiscountMinor: 100, FeesMinor: 50, PromoCode: "SPRING",
		HoldID: "euw1_h", CreatedAt: at, CancelledAt: at.Add(time.Hour),
		Showtime: Showtime{ID: "euw1_s", ScreenID: "euw1_sc", ScreenName: "1", StartsAt: at.Add(48 * time.Hour),
			EndsAt: at.Add(50 * time.Hour), Format: "IMAX", Language: "en", BasePriceMinor: 1200, PremiumPriceMinor: 1500},
		Movie:   Movie{ID: "m1", Title: "Dune", Rating: "PG-13", Language: "en", RuntimeMinutes: 155},
		Theatre: Theatre{ID: "euw1_t", Name: "Odeon", ChainID: "c1", ChainName: "Odeon", CityID: "lon", CityName: "London", Address: "1 St", TimeZone: "Europe/London"},
		Seats: []Seat{{ID: "A1", Row: "A", Number: 1, Type: "standard", Status: "cancelled", PriceMinor: 1200, RefundMinor: 1200},
			{ID: "A2", Row: "A", Number: 2, Type: "premium", Status: "confirmed", PriceMinor: 1200, FeeMinor: 50}},
		Payments: []Payment{{ID: "p1", Kind: "charge", Method: "card", Provider: "sandbox", ProviderRef: "ch_1", Status: "succeeded", AmountMinor: 2400, CreatedAt: at, UpdatedAt: at},
			{ID: "p2", Kind: "refund", Method: "card", Provider: "sandbox", Status: "succeeded", AmountMinor: 1200, RefundOf: "p1", CreatedAt: at, UpdatedAt: at}}}
}

func TestParquetRoundTrip(t *testing.T) {
	kr, err := NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := kr.NewDataKey("u1")
	if err != nil {
		t.Fatal(err)
	}
	key, err := kr.Unwrap("u1", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	var rows []row
	for i := range 25 {
		r := sampleRecord(i)
		recs = append(recs, r)
		w, err := toRow(r, key)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, w)
	}
	data, err := encode(rows, 10)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("ada@example.com")) || bytes.Contains(data, []byte("Ada L")) {
		t.Fatal("personal data is readable in the object")
	}
	got, pos, err := decodeAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 || pos[24] != (position{2, 4}) {
		t.Fatalf("rows %d, last position %+v; want 25 rows in groups of 10", len(got), pos[len(pos)-1])
	}
	for i, w := range got {
		r, err := w.record(key, true)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(recs[i], r); d != "" {
			t.Fatalf("row %d (-want +got):\n%s", i, d)
		}
	}
	f, pf, err := openPrefetched(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := pf.fetchGroup(f, 1); err != nil {
		t.Fatal(err)
	}
	one, err := rowOf(f, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if one.BookingID != recs[13].BookingID {
		t.Fatalf("row 3 of group 1 = %s, want %s", one.BookingID, recs[13].BookingID)
	}
	// Without the key (shredded), amounts remain and personal fields are gone.
	shredded, err := got[0].record(DataKey{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if shredded.Person != (Person{Erased: true}) || shredded.TotalMinor != 2400 {
		t.Fatalf("shredded record: %+v", shredded.Person)
	}
	// Another person's key does not open them.
	other, _ := kr.NewDataKey("u2")
	otherKey, _ := kr.Unwrap("u2", other)
	if _, err := got[0].record(otherKey, true); err == nil {
		t.Fatal("another person's key opened the fields")
	}
	if _, err := kr.Unwrap("u2", wrapped); err == nil {
		t.Fatal("u1's wrapped key unwrapped as u2's")
	}
}
