package webtest

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestWaitingRoom: a showtime on sale with one person shopping at a time. Someone else arrives first (through
// the API) and is admitted; the person in the browser lands in the waiting room, first in line, told what
// happens next. When the first books, the page lets them in without a reload, and holding seats works with
// the pass the page kept.
func TestWaitingRoom(t *testing.T) {
	s := env(t)
	c := s.api()
	st := s.showtime(t, "Waiting room", layoutRows(4, 8, 4))
	token, _, _ := s.admin(t)
	bg := context.Background()
	must[marqueev1.SetOnSaleResponse](t, "SetOnSale")(c.admin.SetOnSale(bg, as(token, &marqueev1.SetOnSaleRequest{
		Region: st.Region, Target: &marqueev1.SetOnSaleRequest_ShowtimeId{ShowtimeId: st.Id},
		OpensAt: timestamppb.New(time.Now().Add(-time.Second)), Capacity: 1})))

	first := register(t, c, newEmail("first"))
	pass := admitted(t, c, first, st.Id)

	ctx := s.tab(t, "waiter")
	s.signUp(t, ctx, "Wendy Waiter", "/showtime/"+st.Id)
	waitText(t, ctx, 20*time.Second, "You're in the waiting room")
	waitJS(t, ctx, 20*time.Second, "first in line", `document.querySelector(".waiting-room .position")?.innerText.includes("number 1 in line")`)
	waitText(t, ctx, 5*time.Second, "What happens next")
	check(t, ctx, "30-waiting-room")

	h := must[marqueev1.HoldSeatsResponse](t, "HoldSeats with the pass")(c.seats.HoldSeats(bg, as(first,
		&marqueev1.HoldSeatsRequest{ShowtimeId: st.Id, SeatIds: []string{"A1"}, AdmissionPass: pass})))
	must[marqueev1.CreateBookingResponse](t, "CreateBooking")(c.bookings.CreateBooking(bg, as(first,
		&marqueev1.CreateBookingRequest{HoldId: h.Hold.Id, PaymentToken: "tok_visa", IdempotencyKey: "waitroom-first"})))

	waitJS(t, ctx, 30*time.Second, "let in: the hold buttons", `!document.querySelector(".waiting-room") && [...document.querySelectorAll("button")].some((b) => b.innerText.startsWith("Hold"))`)
	waitSeatMap(t, ctx)
	pick(t, ctx, "B3", "B4")
	click(t, ctx, button(holdButton(2)))
	waitCheckout(t, ctx, "B3", "B4")
	waitSeats(t, c, st.Id, marqueev1.SeatStatus_SEAT_STATUS_HELD, "B3", "B4")
}

// admitted takes token's place in the showtime's waiting room and waits for their pass.
func admitted(t testing.TB, c *client, token, showtime string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.seats.WaitForAdmission(ctx, as(token, &marqueev1.WaitForAdmissionRequest{ShowtimeId: showtime}))
	if err != nil {
		t.Fatalf("WaitForAdmission: %v", err)
	}
	defer s.Close()
	for s.Receive() {
		if p := s.Msg().Place; p.Status == marqueev1.WaitingStatus_WAITING_STATUS_ADMITTED {
			return p.AdmissionPass
		}
	}
	t.Fatalf("WaitForAdmission ended before admission: %v", s.Err())
	return ""
}
