package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // theatres' zones must load even in images without /usr/share/zoneinfo
)

// Kinds of notification, as recorded in Delivery.Kind. Reminders are "reminder_<hours>h": see ReminderKind.
const (
	KindConfirmation = "booking_confirmed"
	KindCancellation = "booking_cancelled"
	KindStandbyOffer = "standby_offer"
	// KindStandbyClosed is the notice that a standby list closed without an offer.
	KindStandbyClosed = "standby_closed"
	KindReminder24h   = "reminder_24h"
	KindReminder3h    = "reminder_3h"
)

// Show is the showtime a notification is about. Times are instants; the templates write them in TimeZone,
// the theatre's IANA zone, because that is where the customer will be.
type Show struct {
	ShowtimeID       string
	MovieTitle       string
	TheatreName      string
	TheatreAddress   string
	Screen           string
	StartsAt, EndsAt time.Time
	TimeZone         string
}

// Booking is the part of a booking every booking notification shows.
type Booking struct {
	ID, ConfirmationCode string
	Name                 string // the customer's first name for the greeting; may be empty
	Show                 Show
	Seats                []string // seat labels as printed on the seat map, for example "F7"
}

// Confirmation is a paid booking. Ticket is the signed ticket (see package ticket) the email shows as a QR
// code; ConfirmedAt stamps the calendar entry, so a resent confirmation is byte-identical.
type Confirmation struct {
	Booking
	Total       Money
	Ticket      string
	ConfirmedAt time.Time
	ManageURL   string // optional
}

// Cancellation is a cancelled booking, or with Partial only Seats of it, and the refund due.
type Cancellation struct {
	Booking
	Refund  Money
	Partial bool
}

// StandbyOffer offers seats to someone on a showtime's standby list until Deadline.
type StandbyOffer struct {
	Name      string
	Show      Show
	Seats     []string
	Price     Money // what accepting costs
	Deadline  time.Time
	AcceptURL string // optional; without it the message tells the customer to accept in the app
}

// Reminder reminds a customer of a booking Before its start: 24 hours and 3 hours are the two Marquee sends.
type Reminder struct {
	Booking
	Before time.Duration
}

// ReminderKind returns the Delivery kind of a reminder sent before ahead: "reminder_24h" for 24 hours.
func ReminderKind(before time.Duration) string {
	return fmt.Sprintf("reminder_%dh", int(before.Round(time.Hour).Hours()))
}

// Content is one rendered notification: a Subject, a Short text of a sentence or two for SMS and push, and the
// Text and HTML bodies of the email.
type Content struct {
	Kind, Subject, Short, Text, HTML string
}

// Email returns c as an email to the address to.
func (c Content) Email(to string, attachments ...Attachment) Message {
	return Message{To: to, Subject: c.Subject, Text: c.Text, HTML: c.HTML, Attachments: attachments}
}

// SMS returns c as a text message to the phone number to: its Short text alone.
func (c Content) SMS(to string) Message { return Message{To: to, Text: c.Short} }

// Push returns c as a push notification to the device token to: Subject as title, Short as body.
func (c Content) Push(to string) Message { return Message{To: to, Subject: c.Subject, Text: c.Short} }

//go:embed templates/*.tmpl
var templateFiles embed.FS

// textTemplates and htmlTemplates hold the parsed templates of each notification, by file name.
var (
	textTemplates = map[string]*texttemplate.Template{}
	htmlTemplates = map[string]*htmltemplate.Template{}
)

func init() {
	for _, name := range []string{"confirmation", "cancellation", "standby_offer", "standby_closed", "reminder"} {
		textTemplates[name] = texttemplate.Must(texttemplate.New(name).Funcs(funcs).ParseFS(templateFiles,
			"templates/common.txt.tmpl", "templates/"+name+".txt.tmpl"))
		htmlTemplates[name] = htmltemplate.Must(htmltemplate.New(name).Funcs(funcs).ParseFS(templateFiles,
			"templates/layout.html.tmpl", "templates/"+name+".html.tmpl"))
	}
}

// funcs are the helpers every template may call. Times reach templates already in the theatre's zone.
var funcs = map[string]any{
	"datetime": func(t time.Time) string { return t.Format("Mon 2 Jan 2006, 15:04 MST") },
	"day":      func(t time.Time) string { return t.Format("Mon 2 Jan") },
	"clock":    func(t time.Time) string { return t.Format("15:04") },
	"seats":    func(s []string) string { return strings.Join(s, ", ") },
	"list":     func(v ...any) []any { return v },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"greeting": func(name string) string {
		if name == "" {
			return "Hello,"
		}
		return "Hi " + name + ","
	},
}

// RenderConfirmation renders the confirmation of a paid booking. The email's HTML shows the ticket as
// <img src="cid:ticket">: ConfirmationEmail attaches it.
func RenderConfirmation(c Confirmation) (Content, error) {
	if err := c.Show.localize(); err != nil {
		return Content{}, err
	}
	return render(KindConfirmation, "confirmation", c)
}

// RenderCancellation renders the notice of a cancelled booking and its refund.
func RenderCancellation(c Cancellation) (Content, error) {
	if err := c.Show.localize(); err != nil {
		return Content{}, err
	}
	return render(KindCancellation, "cancellation", c)
}

// RenderStandbyOffer renders an offer of standby seats, with its deadline in the theatre's zone.
func RenderStandbyOffer(o StandbyOffer) (Content, error) {
	if err := o.Show.localize(); err != nil {
		return Content{}, err
	}
	o.Deadline = o.Deadline.In(o.Show.StartsAt.Location())
	return render(KindStandbyOffer, "standby_offer", o)
}

// StandbyClosed tells someone in line that the show started before seats opened up.
type StandbyClosed struct {
	Name string
	Show Show
}

// RenderStandbyClosed renders the notice that a standby list closed.
func RenderStandbyClosed(c StandbyClosed) (Content, error) {
	if err := c.Show.localize(); err != nil {
		return Content{}, err
	}
	return render(KindStandbyClosed, "standby_closed", c)
}

// RenderReminder renders a reminder of a booking; its kind is ReminderKind(r.Before).
func RenderReminder(r Reminder) (Content, error) {
	if err := r.Show.localize(); err != nil {
		return Content{}, err
	}
	return render(ReminderKind(r.Before), "reminder", r)
}

// localize moves s's times into its theatre's zone.
func (s *Show) localize() error {
	if s.TimeZone == "" {
		return errors.New("notify: no theatre time zone") // LoadLocation("") would quietly mean UTC
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return fmt.Errorf("notify: theatre time zone: %w", err)
	}
	s.StartsAt, s.EndsAt = s.StartsAt.In(loc), s.EndsAt.In(loc)
	return nil
}

// render executes the templates of name with data.
func render(kind, name string, data any) (Content, error) {
	c := Content{Kind: kind}
	var err error
	text := textTemplates[name]
	for _, part := range []struct {
		dst  *string
		name string
	}{{&c.Subject, "subject"}, {&c.Short, "short"}, {&c.Text, "text"}} {
		var b bytes.Buffer
		if err = text.ExecuteTemplate(&b, part.name, data); err != nil {
			return Content{}, fmt.Errorf("notify: %s %s: %w", name, part.name, err)
		}
		*part.dst = b.String()
	}
	var b bytes.Buffer
	if err := htmlTemplates[name].ExecuteTemplate(&b, "html", data); err != nil {
		return Content{}, fmt.Errorf("notify: %s html: %w", name, err)
	}
	c.Subject, c.Short = oneLine(c.Subject), oneLine(c.Short)
	c.Text, c.HTML = strings.TrimLeft(c.Text, "\n"), strings.TrimLeft(b.String(), "\n")
	return c, nil
}

// oneLine collapses runs of white space, line breaks included, into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
