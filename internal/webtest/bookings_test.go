package webtest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestCancelWithRefund books, then cancels from My bookings: the page shows the refund the policy gives (to the
// card, and as store credit when that is chosen) before the cancellation is confirmed, and the API then shows
// the booking cancelled with that refund.
func TestCancelWithRefund(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Cancel", layoutRows(6, 10, 5))
	ctx := s.tab(t, "canceller")
	me := s.signUp(t, ctx, "Cass Canceller", "/showtime/"+st.Id)
	id := buy(t, ctx, "E6", "E7")

	click(t, ctx, link("My bookings"))
	waitHeading(t, ctx, "My bookings")
	click(t, ctx, button("Cancel seats…"))
	refund := regexp.MustCompile(`You get (\$[0-9,.]+) back to how you paid\.`)
	toCard := `document.querySelector(".refund")?.innerText.includes("back to how you paid") &&
		!document.querySelector(".refund").innerText.includes("store credit")`
	waitJS(t, ctx, 10*time.Second, "the refund to the card", toCard)
	check(t, ctx, "13-cancel-quote")

	click(t, ctx, `//label[contains(., "Store credit")]/input`)
	waitJS(t, ctx, 10*time.Second, "the refund as store credit", `document.querySelector(".refund")?.innerText.includes("in store credit") &&
		!document.querySelector(".refund").innerText.includes("back to how you paid")`)
	click(t, ctx, `//label[contains(., "How I paid")]/input`)
	waitJS(t, ctx, 10*time.Second, "the refund to the card again", toCard)
	m := refund.FindStringSubmatch(eval[string](t, ctx, `document.querySelector(".refund").innerText`))
	if m == nil {
		t.Fatalf("refund quote %q does not say an amount back to the card", eval[string](t, ctx, `document.querySelector(".refund").innerText`))
	}
	shown := m[1]

	click(t, ctx, button("Cancel booking"))
	waitJS(t, ctx, 10*time.Second, "the cancellation", `document.querySelector(".alert.ok")?.innerText.includes("Cancelled.")`)
	if done := eval[string](t, ctx, `document.querySelector(".alert.ok").innerText`); !regexp.MustCompile(regexp.QuoteMeta(shown) + ` back to your payment`).MatchString(done) {
		t.Errorf("after cancelling the page says %q, want %s back to the payment", done, shown)
	}
	check(t, ctx, "14-cancelled")

	b := booking(t, c, me.Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED {
		t.Fatalf("booking after cancelling = %v, want cancelled", b)
	}
	if got := usd(b.Refund.GetAmountMinor()); got != shown {
		t.Fatalf("booking refund %s, the page showed %s", got, shown)
	}
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE, "E6", "E7")
}

// TestAddSeatsNextToMine books two seats and adds one from the confirmation page: the page says what the added
// seat cost, and the API shows the booking with a third seat beside the others in their row, charged alone.
func TestAddSeatsNextToMine(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Add seats", layoutRows(6, 10, 0))
	ctx := s.tab(t, "adder")
	me := s.signUp(t, ctx, "Addy Seats", "/showtime/"+st.Id)
	id := buy(t, ctx, "C4", "C5")
	before := booking(t, c, me.Token, id)

	waitJS(t, ctx, 5*time.Second, "add seats", `document.querySelector("#add")`)
	typeInto(t, ctx, "#add-card", "4242 4242 4242 4242")
	click(t, ctx, button("Add seats"))
	added := regexp.MustCompile(`Added 1 seat next to yours for (\$[0-9,.]+)\.`)
	waitJS(t, ctx, 10*time.Second, "the added seat", `document.querySelector(".alert.ok")?.innerText.includes("Added 1 seat")`)
	m := added.FindStringSubmatch(eval[string](t, ctx, `document.querySelector(".alert.ok").innerText`))
	if m == nil {
		t.Fatalf("after adding a seat the page says %q", eval[string](t, ctx, `document.querySelector(".alert.ok").innerText`))
	}
	check(t, ctx, "15-seat-added")

	after := booking(t, c, me.Token, id)
	seats := liveSeats(after)
	var extra []string
	for _, s := range seats {
		if !slices.Contains(before.SeatIds, s) {
			extra = append(extra, s)
		}
	}
	if len(seats) != 3 || len(extra) != 1 || (extra[0] != "C3" && extra[0] != "C6") {
		t.Fatalf("seats after adding one: %v, want C4, C5 and C3 or C6", seats)
	}
	waitJS(t, ctx, 5*time.Second, "the ticket listing the added seat", fmt.Sprintf(`[...document.querySelectorAll(".ticket p")]
		.some((p) => p.innerText.startsWith("Seats: ") && p.innerText.slice(7).split(", ").sort().join() === %s)`,
		js(strings.Join(seats, ","))))
	charged := after.Total.AmountMinor - before.Total.AmountMinor
	if got := usd(charged); got != m[1] {
		t.Errorf("the booking's total went up by %s, the page said %s was charged", got, m[1])
	}
	price := seatMap(t, c, st.Id)[extra[0]].GetPrice().GetAmountMinor()
	fees := after.GetFees().GetAmountMinor() - before.GetFees().GetAmountMinor()
	if charged != price+fees {
		t.Errorf("charged %s for %s, want its price %s plus its fees %s only", usd(charged), extra[0], usd(price), usd(fees))
	}
	if after.ConfirmationCode != before.ConfirmationCode {
		t.Errorf("confirmation code changed from %s to %s", before.ConfirmationCode, after.ConfirmationCode)
	}
}
