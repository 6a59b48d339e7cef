package webtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// watchSeat records in the page the wall-clock time (Date.now(), shared by every tab of the machine) at which
// the seat's button is first named as taken, and then as free again: window.__takenAt and window.__freeAt.
func watchSeat(t testing.TB, ctx context.Context, row string, number int) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		window.__takenAt = 0; window.__freeAt = 0;
		const look = () => {
			const label = %s?.getAttribute("aria-label") ?? "";
			if (!window.__takenAt && label.endsWith(", taken")) window.__takenAt = Date.now();
			if (window.__takenAt && !window.__freeAt && label.endsWith(", free")) window.__freeAt = Date.now();
		};
		new MutationObserver(look).observe(document.getElementById("app"),
			{subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"]});
		return true;
	})()`, seatJS(row, number)))
}

// recordNavigations records in the page when the app last moved to a path starting with prefix
// (window.__navAt[prefix], from Date.now()): the app navigates as soon as a call it waited for returns.
func recordNavigations(t testing.TB, ctx context.Context, prefixes ...string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		window.__navAt = {};
		const prefixes = %s;
		for (const name of ["pushState", "replaceState"]) {
			const orig = history[name].bind(history);
			history[name] = (state, title, url) => {
				for (const p of prefixes) if (String(url).startsWith(p)) window.__navAt[p] = Date.now();
				return orig(state, title, url);
			};
		}
		return true;
	})()`, jsArray(prefixes)))
}

// TestTwoBrowsersOnOneSeatMap has browser B watch a seat map while browser A, another user, holds a seat:
// B's button for it must say "taken" within a second of A's hold returning, and "free" again once A releases
// the seat from checkout.
func TestTwoBrowsersOnOneSeatMap(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Two browsers", layoutRows(6, 10, 5))
	b := s.tab(t, "B (watching)")
	a := s.tab(t, "A (holding)")

	s.open(t, b, "/showtime/"+st.Id)
	waitSeatMap(t, b)
	waitJS(t, b, 5*time.Second, "D5 free in B", seatJS("D", 5)+`?.getAttribute("aria-label").endsWith(", free")`)
	watchSeat(t, b, "D", 5)

	s.signUp(t, a, "Ann Holder", "/showtime/"+st.Id)
	waitSeatMap(t, a)
	pick(t, a, "D5")
	recordNavigations(t, a, "/checkout/", "/showtime/")
	click(t, a, button(holdButton(1)))
	waitCheckout(t, a, "D5")

	waitJS(t, b, 5*time.Second, "D5 taken in B", `window.__takenAt > 0`)
	heldAt := eval[int64](t, a, `window.__navAt["/checkout/"]`)
	takenAt := eval[int64](t, b, `window.__takenAt`)
	lag := time.Duration(takenAt-heldAt) * time.Millisecond
	t.Logf("B showed D5 taken %v after A's hold returned", lag)
	if lag > time.Second {
		t.Errorf("B showed D5 taken %v after A's hold returned, want within 1s", lag)
	}
	check(t, b, "09-seat-taken-elsewhere")
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_HELD, "D5")

	click(t, a, button("Cancel and release these seats"))
	waitSeatMap(t, a)
	waitJS(t, b, 5*time.Second, "D5 free again in B", `window.__freeAt > 0`)
	releasedAt := eval[int64](t, a, `window.__navAt["/showtime/"]`)
	freeAt := eval[int64](t, b, `window.__freeAt`)
	t.Logf("B showed D5 free %v after A's release returned", time.Duration(freeAt-releasedAt)*time.Millisecond)
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE, "D5")
}

// TestStandbyOfferArrives sells out a two-seat show through the API, has a user join its standby line in the
// UI, then cancels the other booking: the offer appears on the standby page without a reload, is accepted and
// paid, and the API shows the user's booking.
func TestStandbyOfferArrives(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Standby", layoutRows(1, 2, 0))
	other := register(t, c, newEmail("other"))
	taken := bookAs(t, c, other, st.Id, "A1", "A2")

	ctx := s.tab(t, "waiting")
	me := s.signUp(t, ctx, "Stan Bye", "/showtime/"+st.Id)
	waitJS(t, ctx, 20*time.Second, "sold out", `document.querySelector("#soldout")`)
	check(t, ctx, "10-sold-out")
	click(t, ctx, button("Join standby"))
	waitHeading(t, ctx, "Standby")
	waitJS(t, ctx, 10*time.Second, "a place in line", `document.querySelector(".status-line")?.innerText.includes("number 1 in line")`)
	check(t, ctx, "11-standby-waiting")
	eval[bool](t, ctx, `(window.__sameDocument = true)`)

	must[marqueev1.CancelBookingResponse](t, "CancelBooking")(c.bookings.CancelBooking(context.Background(), as(other,
		&marqueev1.CancelBookingRequest{BookingId: taken.Id, IdempotencyKey: "webtest-" + rand.Text()})))
	took := waitJS(t, ctx, 15*time.Second, "the offer", `document.querySelector("#offer")?.textContent.includes("A1, A2")`)
	t.Logf("the offer appeared %v after the cancellation", took.Round(time.Millisecond))
	if !eval[bool](t, ctx, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded to show the offer")
	}
	waitText(t, ctx, time.Second, "seats offered to you")
	check(t, ctx, "12-standby-offer")

	typeInto(t, ctx, "#offer-card", "4242 4242 4242 4242")
	click(t, ctx, button("Accept and pay"))
	id := waitBooked(t, ctx)
	b := booking(t, c, me.Token, id)
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED || b.ShowtimeId != st.Id {
		t.Fatalf("booking from the offer = %v, want confirmed for %s", b, st.Id)
	}
	sameSeats(t, "booking from the offer", b.SeatIds, []string{"A1", "A2"})
	mine := must[marqueev1.ListMyBookingsResponse](t, "ListMyBookings")(c.bookings.ListMyBookings(context.Background(),
		as(me.Token, &marqueev1.ListMyBookingsRequest{})))
	if len(mine.Bookings) != 1 || mine.Bookings[0].Id != id {
		t.Fatalf("ListMyBookings = %v, want the one booking %s", mine.Bookings, id)
	}
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_BOOKED, "A1", "A2")
}
