package notify

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/notify/ticket"
)

// Recipient is who a notification goes to.
type Recipient struct {
	UserID, Email, Name string
}

// Due is a booking a reminder may be due for.
type Due struct {
	Region, BookingID  string
	StartsAt, BookedAt time.Time
}

// Source is what the Notifier reads to render notifications; store.DB implements it.
type Source interface {
	// BookingNotice returns the booking with its live seats and show, its total and its recipient.
	BookingNotice(ctx context.Context, region, bookingID string) (Booking, Money, Recipient, error)
	ShowFor(ctx context.Context, region, showtimeID string) (Show, error)
	RecipientOf(ctx context.Context, userID string) (Recipient, error)
	// OfferPrice is what accepting a standby offer costs.
	OfferPrice(ctx context.Context, region, offerID string) (Money, error)
	// UpcomingBookings returns region's confirmed bookings whose shows start in [from, to).
	UpcomingBookings(ctx context.Context, region string, from, to time.Time) ([]Due, error)
}

// Settings gives a person's notification settings.
type Settings interface {
	NotificationSettings(ctx context.Context, userID string) (account.Settings, error)
}

// Reminders are the times before a show when its bookings are reminded of it.
var Reminders = []time.Duration{24 * time.Hour, 3 * time.Hour}

// Notifier turns what happened into notifications: it renders them and queues one delivery per channel the
// person chose, with an ID derived from what is notified (the booking, the offer), so that an event handled
// twice sends once.
type Notifier struct {
	Source   Source
	Settings Settings
	Sender   *Sender
	Key      ed25519.PrivateKey // signs QR tickets
	Now      func() time.Time
	Log      *slog.Logger
}

// Cancelled is what a cancellation notice says: which seats of the booking were cancelled and the refund.
type Cancelled struct {
	BookingID string
	SeatIDs   []string
	Partial   bool
	Refund    Money
}

// Offered is a standby offer to tell its person about.
type Offered struct {
	OfferID, UserID, ShowtimeID string
	SeatIDs                     []string
	ExpiresAt                   time.Time
}

// Confirmed sends a new booking's confirmation (see confirmation).
func (n *Notifier) Confirmed(ctx context.Context, region, bookingID string, at time.Time, booked []string) error {
	return n.confirmation(ctx, region, bookingID, "booking_confirmed/"+bookingID, at, booked)
}

// Modified sends the confirmation of seats added to a booking; eventID identifies the change.
func (n *Notifier) Modified(ctx context.Context, region, bookingID, eventID string, at time.Time) error {
	return n.confirmation(ctx, region, bookingID, "booking_modified/"+eventID, at, nil)
}

// confirmation sends the booking's confirmation with a signed QR ticket for its live seats and a calendar file.
// If every seat was cancelled before this ran, a first confirmation still names the seats booked (the
// cancellation notice follows); a modification's is skipped.
func (n *Notifier) confirmation(ctx context.Context, region, bookingID, id string, at time.Time, booked []string) error {
	b, total, to, err := n.Source.BookingNotice(ctx, region, bookingID)
	if err != nil {
		return err
	}
	if len(b.Seats) == 0 {
		if len(booked) == 0 {
			return nil
		}
		b.Seats = booked
	}
	tok, err := ticket.Sign(n.Key, ticket.Ticket{BookingID: b.ID, ConfirmationCode: b.ConfirmationCode,
		ShowtimeID: b.Show.ShowtimeID, TheatreName: b.Show.TheatreName, MovieTitle: b.Show.MovieTitle,
		StartsAt: b.Show.StartsAt, SeatIDs: b.Seats, IssuedAt: at})
	if err != nil {
		return err
	}
	conf := Confirmation{Booking: b, Total: total, Ticket: tok, ConfirmedAt: at}
	msg, err := ConfirmationEmail(to.Email, conf)
	if err != nil {
		return err
	}
	c, err := RenderConfirmation(conf)
	if err != nil {
		return err
	}
	return n.deliver(ctx, region, to.UserID, id, KindConfirmation, c, msg)
}

// Cancellation tells the customer what was cancelled and refunded; eventID identifies the cancellation.
func (n *Notifier) Cancellation(ctx context.Context, region, eventID string, ev Cancelled) error {
	b, _, to, err := n.Source.BookingNotice(ctx, region, ev.BookingID)
	if err != nil {
		return err
	}
	b.Seats = ev.SeatIDs
	c, err := RenderCancellation(Cancellation{Booking: b, Partial: ev.Partial, Refund: ev.Refund})
	if err != nil {
		return err
	}
	return n.deliver(ctx, region, to.UserID, "booking_cancelled/"+eventID, KindCancellation, c, c.Email(to.Email))
}

// Offer tells the person in line which seats are held for them and until when.
func (n *Notifier) Offer(ctx context.Context, region string, ev Offered) error {
	show, to, err := n.showAndRecipient(ctx, region, ev.ShowtimeID, ev.UserID)
	if err != nil {
		return err
	}
	price, err := n.Source.OfferPrice(ctx, region, ev.OfferID)
	if err != nil {
		return err
	}
	c, err := RenderStandbyOffer(StandbyOffer{Name: to.Name, Show: show, Seats: ev.SeatIDs, Price: price,
		Deadline: ev.ExpiresAt})
	if err != nil {
		return err
	}
	return n.deliver(ctx, region, to.UserID, "standby_offer/"+ev.OfferID, KindStandbyOffer, c, c.Email(to.Email))
}

// LineClosed tells someone in line that the show started before seats opened up.
func (n *Notifier) LineClosed(ctx context.Context, region, entryID, userID, showtimeID string) error {
	show, to, err := n.showAndRecipient(ctx, region, showtimeID, userID)
	if err != nil {
		return err
	}
	c, err := RenderStandbyClosed(StandbyClosed{Name: to.Name, Show: show})
	if err != nil {
		return err
	}
	return n.deliver(ctx, region, to.UserID, "standby_closed/"+entryID, KindStandbyClosed, c, c.Email(to.Email))
}

// showAndRecipient loads what a standby notice shows and who it goes to.
func (n *Notifier) showAndRecipient(ctx context.Context, region, showtimeID, userID string) (Show, Recipient, error) {
	show, err := n.Source.ShowFor(ctx, region, showtimeID)
	if err != nil {
		return show, Recipient{}, err
	}
	to, err := n.Source.RecipientOf(ctx, userID)
	return show, to, err
}

// deliver queues a notification on each channel the person chose for its kind (email when they chose none):
// email gets the full message, SMS and push the short text. A delivery that exists already (a redelivered
// event) is not an error; a channel this process has no provider for is skipped and logged. A standby offer is
// tried at once, since the clock runs on it; the rest wait for the deliveries job of region.
func (n *Notifier) deliver(ctx context.Context, region, userID, id, kind string, c Content, email Message) error {
	sender := n.Sender.ForRegion(region)
	st, err := n.Settings.NotificationSettings(ctx, userID)
	if err != nil {
		return err
	}
	for _, ch := range st.ChannelsFor(kind) {
		if _, ok := n.Sender.Channels[ch]; !ok {
			n.Log.Warn("notification channel not configured", "channel", ch, "kind", kind)
			continue
		}
		m := email
		switch ch {
		case ChannelSMS:
			m = c.SMS(st.Phone)
		case ChannelPush:
			m = c.Push(st.PushToken)
		}
		queue := sender.Enqueue
		if kind == KindStandbyOffer {
			queue = sender.Send
		}
		_, err := queue(ctx, id+"/"+ch, ch, kind, m)
		if err != nil && !errors.Is(err, ErrDuplicate) && !errs.Is(err, errs.Conflict) {
			return err
		}
	}
	return nil
}

// Jobs are notify's background work in region: attempting its due deliveries every poll, and queueing its
// reminders every minute.
func (n *Notifier) Jobs(region string, poll time.Duration) []jobs.Job {
	return []jobs.Job{n.Sender.ForRegion(region).Job(poll), {Name: "notify.reminders", Every: time.Minute,
		Run: func(ctx context.Context) error { return n.Remind(ctx, region) }}}
}

// Remind queues region's reminders that are due: for each time in Reminders, the bookings whose show starts
// within the hour before that time from now (and that were made before that point), once per booking and
// reminder.
func (n *Notifier) Remind(ctx context.Context, region string) error {
	now := n.Now()
	for _, d := range Reminders {
		due, err := n.Source.UpcomingBookings(ctx, region, now.Add(d-time.Hour), now.Add(d))
		if err != nil {
			return err
		}
		for _, u := range due {
			if u.BookedAt.After(u.StartsAt.Add(-d)) {
				continue // booked after the reminder's moment: the confirmation is reminder enough
			}
			if err := n.reminder(ctx, u, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *Notifier) reminder(ctx context.Context, u Due, d time.Duration) error {
	b, _, to, err := n.Source.BookingNotice(ctx, u.Region, u.BookingID)
	if err != nil {
		return err
	}
	c, err := RenderReminder(Reminder{Booking: b, Before: d})
	if err != nil {
		return err
	}
	kind := ReminderKind(d)
	return n.deliver(ctx, u.Region, to.UserID, kind+"/"+u.BookingID, kind, c, c.Email(to.Email))
}
