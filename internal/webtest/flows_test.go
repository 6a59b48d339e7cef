package webtest

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// open loads a page of the app in the tab.
func (s *stack) open(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, "open "+path, chromedp.Navigate(s.url+path))
}

// signUp creates an account on the register page, which then goes on to next; it returns the new session.
func (s *stack) signUp(t testing.TB, ctx context.Context, who, next string) session {
	t.Helper()
	s.open(t, ctx, "/register?next="+url.QueryEscape(next))
	waitHeading(t, ctx, "Create an account")
	fillRegister(t, ctx, who)
	click(t, ctx, button("Create account"))
	waitJS(t, ctx, 20*time.Second, "signed in and sent on to "+next,
		fmt.Sprintf(`location.pathname + location.search === %s && localStorage.getItem("marquee.session")`, js(next)))
	return signedIn(t, ctx)
}

// fillRegister types a new account's name, email and password into the register form.
func fillRegister(t testing.TB, ctx context.Context, who string) {
	t.Helper()
	typeInto(t, ctx, "#name", who)
	typeInto(t, ctx, "#email", newEmail(strings.ToLower(strings.Fields(who)[0])))
	typeInto(t, ctx, "#password", "correct horse")
}

// waitSeatMap waits for the live seat map of a showtime: its grid drawn and its live updates connected.
func waitSeatMap(t testing.TB, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, 20*time.Second, "the seat map, live",
		`document.querySelector('[role="grid"] button[aria-label^="Row "]') && document.querySelector("p.live.live")`)
}

// pick clicks seats on the map and checks that each is then pressed and named as "your pick".
func pick(t testing.TB, ctx context.Context, seats ...string) {
	t.Helper()
	for _, id := range seats {
		row, n := splitSeat(t, id)
		click(t, ctx, seat(row, n))
		waitJS(t, ctx, 5*time.Second, "seat "+id+" picked", fmt.Sprintf(
			`%[1]s?.getAttribute("aria-pressed") === "true" && %[1]s.getAttribute("aria-label").endsWith(", your pick")`,
			seatJS(row, n)))
	}
	waitText(t, ctx, 5*time.Second, "Your seats: "+strings.Join(seats, ", "))
}

// holdButton is the text of the seat map's hold button for n seats.
func holdButton(n int) string {
	if n == 1 {
		return "Hold 1 seat"
	}
	return fmt.Sprintf("Hold %d seats", n)
}

// waitCheckout waits for checkout of a hold: the countdown running and the quote with a line per seat.
func waitCheckout(t testing.TB, ctx context.Context, seats ...string) {
	t.Helper()
	waitHeading(t, ctx, "Checkout")
	cond := `document.querySelector(".countdown .clock") && document.querySelector("table.quote tfoot")`
	for _, id := range seats {
		cond += fmt.Sprintf(` && document.querySelector("table.quote").innerText.includes(%s)`, js("Seat "+id))
	}
	waitJS(t, ctx, 10*time.Second, "the quote and the countdown", cond)
}

// payButton selects checkout's pay button ("Pay $24.00").
const payButton = `//button[starts-with(normalize-space(), "Pay")]`

// clearAndType replaces what a field holds by typing: select all, delete, then the new text.
func clearAndType(t testing.TB, ctx context.Context, sel, text string) {
	t.Helper()
	focus(t, ctx, sel)
	do(t, ctx, "clear "+sel, chromedp.KeyEvent("a", chromedp.KeyModifiers(kb.ModifierCtrl)), chromedp.KeyEvent(kb.Backspace))
	typeInto(t, ctx, sel, text)
}

// waitBooked waits for the confirmation page and returns the booking ID from its path.
func waitBooked(t testing.TB, ctx context.Context) string {
	t.Helper()
	waitHeading(t, ctx, "You're booked")
	waitJS(t, ctx, 10*time.Second, "the ticket", `document.querySelector("strong.code")?.textContent`)
	p := path(t, ctx)
	id, ok := strings.CutPrefix(p, "/booking/")
	if !ok {
		t.Fatalf("confirmation at %s, want /booking/ID", p)
	}
	id, _ = url.PathUnescape(id)
	return id
}

// buy picks seats on the open seat map, holds them and pays with the card that pays; it returns the booking ID.
func buy(t testing.TB, ctx context.Context, seats ...string) string {
	t.Helper()
	waitSeatMap(t, ctx)
	pick(t, ctx, seats...)
	click(t, ctx, button(holdButton(len(seats))))
	waitCheckout(t, ctx, seats...)
	typeInto(t, ctx, "#card", "4242 4242 4242 4242")
	click(t, ctx, payButton)
	return waitBooked(t, ctx)
}

var seatID = regexp.MustCompile(`^([A-Z]{1,2})([0-9]{1,3})$`)

// splitSeat splits a seat ID ("F12") into its row and number.
func splitSeat(t testing.TB, id string) (string, int) {
	t.Helper()
	m := seatID.FindStringSubmatch(id)
	if m == nil {
		t.Fatalf("bad seat ID %q", id)
	}
	n, _ := strconv.Atoi(m[2])
	return m[1], n
}

// sameSeats fails the test unless got and want hold the same seats.
func sameSeats(t testing.TB, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("%s: seats %v, want %v", what, g, w)
	}
}

// noHorizontalOverflow fails the test when the page is wider than the viewport (the seat map may scroll in its
// own box).
func noHorizontalOverflow(t testing.TB, ctx context.Context, page string, width int) {
	t.Helper()
	got := eval[int](t, ctx, `document.documentElement.scrollWidth`)
	if got > width {
		wide := eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("body *")]
			.filter((e) => e.getBoundingClientRect().right > %d && !e.closest(".seatmap"))
			.slice(0, 8).map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " + Math.round(e.getBoundingClientRect().right))`, width))
		t.Errorf("%s: page is %d px wide on a %d px screen; too wide: %v", page, got, width, wide)
	}
}
