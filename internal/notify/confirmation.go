package notify

import (
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// TicketQRSize is the side, in pixels, of the QR code ConfirmationEmail attaches: large enough to scan from a
// phone held at arm's length, and shown at half size in the HTML for sharpness on dense screens.
const TicketQRSize = 480

// ConfirmationEmail renders c as an email to the address to, with two attachments: the ticket's QR code, an
// inline PNG with Content-ID "ticket" that the HTML shows, and the showtime as a calendar entry, ticket.ics
// (text/calendar). The same c always gives the same message.
func ConfirmationEmail(to string, c Confirmation) (Message, error) {
	content, err := RenderConfirmation(c)
	if err != nil {
		return Message{}, err
	}
	png, err := ticket.QRPNG(c.Ticket, TicketQRSize)
	if err != nil {
		return Message{}, err
	}
	ics, err := ICS(CalendarEvent(c.Booking, c.ConfirmedAt))
	if err != nil {
		return Message{}, err
	}
	return content.Email(to,
		Attachment{Filename: "ticket.png", ContentType: "image/png", ContentID: "ticket", Data: png},
		Attachment{Filename: "ticket.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ics},
	), nil
}

// CalendarEvent returns the calendar entry of booking b, stamped at stamp. Its UID is derived from the
// booking ID, so a later entry for the same booking (seats added, say) replaces the first in the calendar.
func CalendarEvent(b Booking, stamp time.Time) Event {
	where := []string{b.Show.TheatreName}
	if b.Show.Screen != "" {
		where = append(where, b.Show.Screen)
	}
	if b.Show.TheatreAddress != "" {
		where = append(where, b.Show.TheatreAddress)
	}
	return Event{
		UID: b.ID + "@marquee", Stamp: stamp, Start: b.Show.StartsAt, End: b.Show.EndsAt,
		Summary:  b.Show.MovieTitle,
		Location: strings.Join(where, ", "),
		Description: "Confirmation code: " + b.ConfirmationCode + "\nSeats: " + strings.Join(b.Seats, ", ") +
			"\nShow the QR code from your confirmation email at the door.",
	}
}
