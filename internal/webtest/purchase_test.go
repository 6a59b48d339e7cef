package webtest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestPurchaseFromSearchToQR registers in the UI, picks a city, finds a movie with a misspelt search, picks a
// showtime and two seats, holds them, checks the quote and the countdown, pays, and gets the QR ticket; the API
// then has a confirmed booking of exactly those seats.
func TestPurchaseFromSearchToQR(t *testing.T) {
	s := env(t)
	c := s.api()
	demo := findDemoShow(t, c)
	ctx := s.tab(t, "buyer")

	s.open(t, ctx, "/")
	waitHeading(t, ctx, "Find a movie near you")
	click(t, ctx, link("Register"))
	waitHeading(t, ctx, "Create an account")
	fillRegister(t, ctx, "Ada Buyer")
	click(t, ctx, button("Create account"))
	waitJS(t, ctx, 20*time.Second, "home, signed in", `location.pathname === "/" && document.querySelector("nav")?.innerText.includes("My bookings")`)
	click(t, ctx, button("New York"))
	waitHeading(t, ctx, "Movies near New York")
	waitJS(t, ctx, 10*time.Second, "what plays nearby", `document.querySelector("ul.movies li")`)
	check(t, ctx, "01-home")

	movieLink := search(t, ctx, demo)
	check(t, ctx, "02-results")
	click(t, ctx, movieLink)

	waitHeading(t, ctx, demo.show.MovieTitle)
	click(t, ctx, fmt.Sprintf(`.tabs[aria-label="Day"] button:nth-child(%d)`, demo.dayTab+1))
	showLink := fmt.Sprintf(`a.time[href="/showtime/%s"]`, demo.show.Id)
	waitJS(t, ctx, 10*time.Second, "the showtime's link", find(showLink))
	check(t, ctx, "03-movie")
	click(t, ctx, showLink)

	waitHeading(t, ctx, demo.show.MovieTitle+": pick your seats")
	waitSeatMap(t, ctx)
	seats := bestSeats(t, c, demo.show.Id, 2)
	pick(t, ctx, seats...)
	check(t, ctx, "04-seatmap")
	click(t, ctx, button(holdButton(2)))

	waitCheckout(t, ctx, seats...)
	clock := eval[string](t, ctx, `document.querySelector(".countdown .clock").textContent`)
	if !regexp.MustCompile(`^0:(1[0-5]|0[0-9])$`).MatchString(clock) {
		t.Errorf("countdown reads %q, want the 15 s hold counting down (0:15 or less)", clock)
	}
	waitJS(t, ctx, 3*time.Second, "the countdown ticking",
		fmt.Sprintf(`document.querySelector(".countdown .clock").textContent !== %s`, js(clock)))
	total := eval[string](t, ctx, `document.querySelector("table.quote tfoot td").textContent`)
	check(t, ctx, "05-checkout")
	typeInto(t, ctx, "#card", "4242 4242 4242 4242")
	click(t, ctx, button("Pay "+total))

	id := waitBooked(t, ctx)
	waitJS(t, ctx, 5*time.Second, "the QR code", `document.querySelector('figure.qr svg[role="img"] path')?.getAttribute("d")?.length > 100`)
	code := eval[string](t, ctx, `document.querySelector("strong.code").textContent`)
	qrLabel := eval[string](t, ctx, `document.querySelector('figure.qr svg').getAttribute("aria-label")`)
	if !strings.Contains(qrLabel, code) {
		t.Errorf("QR code labelled %q, want it to name ticket %s", qrLabel, code)
	}
	check(t, ctx, "06-confirmation")

	b := booking(t, c, signedIn(t, ctx).Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED || b.ConfirmationCode != code || b.ShowtimeId != demo.show.Id {
		t.Fatalf("booking = %v, want confirmed with code %s for %s", b, code, demo.show.Id)
	}
	sameSeats(t, "booking", b.SeatIds, seats)
	if got := usd(b.Total.AmountMinor); got != total {
		t.Errorf("booking total %s, checkout showed %s", got, total)
	}
	waitSeats(t, c, demo.show.Id, marqueev1.SeatStatus_SEAT_STATUS_BOOKED, seats...)
}

// TestDeclineThenRetry pays with the card that is declined: checkout says so and that the seats are still held,
// and the API shows them held; the card that pays then books them.
func TestDeclineThenRetry(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Decline", layoutRows(6, 10, 5))
	ctx := s.tab(t, "decliner")
	s.signUp(t, ctx, "Dee Cliner", "/showtime/"+st.Id)
	waitSeatMap(t, ctx)
	pick(t, ctx, "C4", "C5")
	click(t, ctx, button(holdButton(2)))
	waitCheckout(t, ctx, "C4", "C5")

	typeInto(t, ctx, "#card", "4000 0000 0000 0002")
	click(t, ctx, payButton)
	waitJS(t, ctx, 10*time.Second, "the decline", `document.querySelector('[role="alert"]')?.innerText.includes("Your seats are still held")`)
	msg := eval[string](t, ctx, `document.querySelector('[role="alert"]').innerText`)
	if !strings.Contains(msg, "Payment failed") {
		t.Errorf("decline message %q, want it to say the payment failed", msg)
	}
	check(t, ctx, "07-declined")
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_HELD, "C4", "C5")
	if p := path(t, ctx); !strings.HasPrefix(p, "/checkout/") {
		t.Fatalf("after the decline the page is %s, want checkout still", p)
	}

	clearAndType(t, ctx, "#card", "4242 4242 4242 4242")
	click(t, ctx, payButton)
	id := waitBooked(t, ctx)
	b := booking(t, c, signedIn(t, ctx).Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED {
		t.Fatalf("booking after the retry = %v, want confirmed", b)
	}
	sameSeats(t, "booking after the retry", b.SeatIds, []string{"C4", "C5"})
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_BOOKED, "C4", "C5")
}

// TestHoldRunsOut holds a seat and stays on checkout: when the 15 s hold runs out the page says so, and the API
// shows the seat free again.
func TestHoldRunsOut(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Expiry", layoutRows(4, 8, 0))
	ctx := s.tab(t, "waiter")
	s.signUp(t, ctx, "Walt Waiter", "/showtime/"+st.Id)
	waitSeatMap(t, ctx)
	pick(t, ctx, "B3")
	click(t, ctx, button(holdButton(1)))
	waitCheckout(t, ctx, "B3")
	held := time.Now()
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_HELD, "B3")

	waitJS(t, ctx, holdTTL+10*time.Second, "the hold running out", `document.querySelector("h1")?.textContent === "Your hold ran out"`)
	if took := time.Since(held); took < holdTTL-3*time.Second {
		t.Errorf("the page said the hold ran out %v after checkout opened; the hold lasts %v", took.Round(time.Millisecond), holdTTL)
	}
	waitText(t, ctx, time.Second, "went back on sale")
	waitText(t, ctx, time.Second, "You have not been charged")
	check(t, ctx, "08-hold-ran-out")
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE, "B3")
	click(t, ctx, link("Pick seats again"))
	waitSeatMap(t, ctx)
	waitJS(t, ctx, 5*time.Second, "B3 free on the map again", seatJS("B", 3)+`?.getAttribute("aria-label").endsWith(", free")`)
}
