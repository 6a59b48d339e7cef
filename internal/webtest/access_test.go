package webtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// press sends keys to whatever has focus.
func press(t testing.TB, ctx context.Context, keys string, opts ...chromedp.KeyOption) {
	t.Helper()
	do(t, ctx, fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, opts...))
}

// focused describes the focused element: its accessible name if it has an aria-label, else its id, else its
// text.
const focused = `(() => { const e = document.activeElement;
	return e?.getAttribute("aria-label") || (e?.id ? "#" + e.id : "") || (e?.textContent ?? "").trim(); })()`

// tabTo presses Tab (Shift+Tab when back) until the focused element is want (as focused describes it), at most
// max times.
func tabTo(t testing.TB, ctx context.Context, want string, back bool, max int) {
	t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(kb.ModifierShift))
	}
	var seen []string
	for range max {
		press(t, ctx, kb.Tab, opts...)
		got := eval[string](t, ctx, focused)
		if got == want || strings.HasPrefix(got, want+",") {
			return
		}
		seen = append(seen, got)
	}
	t.Fatalf("%q not focused after %d presses of Tab; focus went to %q", want, max, seen)
}

// wantFocus fails the test unless want (or a seat whose name starts with it) has focus.
func wantFocus(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	if got := eval[string](t, ctx, focused); got != want && !strings.HasPrefix(got, want+",") {
		t.Fatalf("focus on %q, want %q", got, want)
	}
}

// waitFocusedHeading waits until the page's heading reads title and has focus, as each page gives it when it
// opens or its title changes (after the page is painted), so that keys pressed next start from there.
func waitFocusedHeading(t testing.TB, ctx context.Context, title string) {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf("heading %q focused", title), fmt.Sprintf(
		`document.activeElement === document.querySelector("h1") && document.activeElement.textContent === %s`, js(title)))
}

// TestPurchaseByKeyboardOnly registers, picks seats, holds and pays with the keyboard alone: Tab and Shift+Tab
// between controls, the arrow keys across the seat grid (over the aisle), Space to pick, Enter to hold and to
// pay. No pointer event reaches the page.
func TestPurchaseByKeyboardOnly(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Keyboard", layoutRows(5, 8, 4))
	ctx := s.tab(t, "keyboard")
	s.open(t, ctx, "/register?next=/showtime/"+st.Id)
	waitFocusedHeading(t, ctx, "Create an account")
	eval[bool](t, ctx, `(() => { window.__pointer = 0;
		for (const type of ["pointerdown", "mousedown", "touchstart"]) document.addEventListener(type, () => window.__pointer++, true);
		return true; })()`)

	tabTo(t, ctx, "#name", false, 5)
	press(t, ctx, "Kay Board")
	tabTo(t, ctx, "#email", false, 2)
	press(t, ctx, newEmail("kay"))
	tabTo(t, ctx, "#password", false, 2)
	press(t, ctx, "correct horse"+kb.Enter)

	waitSeatMap(t, ctx)
	waitFocusedHeading(t, ctx, "The Test Pattern: pick your seats")
	tabTo(t, ctx, "Row A, seat 1", false, 10)
	press(t, ctx, kb.ArrowDown+kb.ArrowDown+kb.ArrowRight+kb.ArrowRight+kb.ArrowRight)
	wantFocus(t, ctx, "Row C, seat 4")
	press(t, ctx, " ")
	press(t, ctx, kb.ArrowRight) // over the aisle after seat 4
	wantFocus(t, ctx, "Row C, seat 5")
	press(t, ctx, " ")
	waitText(t, ctx, 5*time.Second, "Your seats: C4, C5")
	for _, n := range []int{4, 5} {
		if p := eval[string](t, ctx, seatJS("C", n)+`.getAttribute("aria-pressed")`); p != "true" {
			t.Fatalf("C%d aria-pressed=%s after Space, want true", n, p)
		}
	}
	check(t, ctx, "16-keyboard-seats")
	tabTo(t, ctx, holdButton(2), false, 3)
	tabTo(t, ctx, "Row C, seat 5", true, 3) // back into the grid, on the seat last focused
	tabTo(t, ctx, holdButton(2), false, 3)
	press(t, ctx, kb.Enter)

	waitCheckout(t, ctx, "C4", "C5")
	waitFocusedHeading(t, ctx, "Checkout")
	tabTo(t, ctx, "#card", false, 10)
	press(t, ctx, "4242 4242 4242 4242"+kb.Enter)
	id := waitBooked(t, ctx)
	if n := eval[int](t, ctx, `window.__pointer`); n != 0 {
		t.Errorf("%d pointer events reached the page during a keyboard-only purchase", n)
	}
	b := booking(t, c, signedIn(t, ctx).Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED {
		t.Fatalf("booking = %v, want confirmed", b)
	}
	sameSeats(t, "booking", b.SeatIds, []string{"C4", "C5"})
}

// phone is the viewport of a small phone.
const phoneWidth, phoneHeight = 360, 740

// TestPurchaseOnAPhone walks home, a movie, the seat map and checkout on a 360x740 touch screen at device scale
// 2, by touch: no page is wider than the screen (the seat map scrolls in its own box), and the purchase works.
func TestPurchaseOnAPhone(t *testing.T) {
	s := env(t)
	c := s.api()
	demo := findDemoShow(t, c)
	ctx := s.tab(t, "phone", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2),
		chromedp.EmulateMobile, chromedp.EmulateTouch))

	s.open(t, ctx, "/register?next=/")
	waitHeading(t, ctx, "Create an account")
	fillRegister(t, ctx, "Pho Neuser")
	tap(t, ctx, button("Create account"))
	waitJS(t, ctx, 20*time.Second, "home, signed in", `location.pathname === "/" && localStorage.getItem("marquee.session")`)
	tap(t, ctx, button("New York"))
	waitHeading(t, ctx, "Movies near New York")
	waitJS(t, ctx, 10*time.Second, "what plays nearby", `document.querySelector("ul.movies li")`)
	noHorizontalOverflow(t, ctx, "home", phoneWidth)
	check(t, ctx, "17-phone-home")

	movieLink := search(t, ctx, demo)
	tap(t, ctx, movieLink)
	waitHeading(t, ctx, demo.show.MovieTitle)
	tap(t, ctx, fmt.Sprintf(`.tabs[aria-label="Day"] button:nth-child(%d)`, demo.dayTab+1))
	showLink := fmt.Sprintf(`a.time[href="/showtime/%s"]`, demo.show.Id)
	waitJS(t, ctx, 10*time.Second, "the showtime's link", fmt.Sprintf(`document.querySelector(%s)`, js(showLink)))
	noHorizontalOverflow(t, ctx, "movie", phoneWidth)
	check(t, ctx, "18-phone-movie")

	tap(t, ctx, showLink)
	waitSeatMap(t, ctx)
	noHorizontalOverflow(t, ctx, "seat map", phoneWidth)
	check(t, ctx, "19-phone-seatmap")
	seats := bestSeats(t, c, demo.show.Id, 1)
	row, n := splitSeat(t, seats[0])
	tap(t, ctx, seat(row, n))
	waitJS(t, ctx, 5*time.Second, "seat picked", seatJS(row, n)+`?.getAttribute("aria-pressed") === "true"`)
	tap(t, ctx, button(holdButton(1)))

	waitCheckout(t, ctx, seats...)
	noHorizontalOverflow(t, ctx, "checkout", phoneWidth)
	check(t, ctx, "20-phone-checkout")
	typeInto(t, ctx, "#card", "4242 4242 4242 4242")
	tap(t, ctx, payButton)
	id := waitBooked(t, ctx)
	noHorizontalOverflow(t, ctx, "confirmation", phoneWidth)
	b := booking(t, c, signedIn(t, ctx).Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED {
		t.Fatalf("booking = %v, want confirmed", b)
	}
	sameSeats(t, "booking", b.SeatIds, seats)
}
