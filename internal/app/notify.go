package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/ticket"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
)

// notifier turns events into notifications: it renders them and enqueues a delivery whose ID is derived from
// what is notified (the booking, the offer), so a redelivered event never sends a second copy.
type notifier struct {
	db       *store.DB
	settings account.SettingsStore
	sender   *notify.Sender
	key      ed25519.PrivateKey
	now      platform.Clock
	log      *slog.Logger
}

// handle is the consumer of every event.
func (n *notifier) handle(ctx context.Context, m relay.Msg) error {
	region := regionOfSubject(m.Subject)
	var err error
	switch {
	case strings.HasSuffix(m.Subject, ".booking.confirmed"):
		var ev marqueev1.BookingConfirmed
		if proto.Unmarshal(m.Data, &ev) == nil {
			err = n.confirmation(ctx, region, ev.BookingId, "booking_confirmed/"+ev.BookingId, ev.ConfirmedAt.AsTime(), ev.SeatIds)
		}
	case strings.HasSuffix(m.Subject, ".booking.modified"):
		var ev marqueev1.BookingModified
		if proto.Unmarshal(m.Data, &ev) == nil {
			err = n.confirmation(ctx, region, ev.BookingId, "booking_modified/"+m.ID, ev.ModifiedAt.AsTime(), nil)
		}
	case strings.HasSuffix(m.Subject, ".booking.cancelled"):
		var ev marqueev1.BookingCancelled
		if proto.Unmarshal(m.Data, &ev) == nil {
			err = n.cancellation(ctx, region, m.ID, &ev)
		}
	case strings.HasSuffix(m.Subject, ".standby.closed"):
		var ev marqueev1.StandbyClosed
		if proto.Unmarshal(m.Data, &ev) == nil {
			err = n.closed(ctx, region, &ev)
		}
	case strings.HasSuffix(m.Subject, ".standby.offered"):
		var ev marqueev1.StandbyOffered
		if proto.Unmarshal(m.Data, &ev) == nil {
			err = n.offer(ctx, region, &ev)
		}
	}
	return err
}

func regionOfSubject(subject string) string {
	parts := strings.Split(subject, ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// deliver queues a notification on each channel the person chose for its kind (email when they chose none):
// email gets the full message, SMS and push the short text. A delivery that exists already (a redelivered
// event) is not an error; a channel this process has no provider for is skipped and logged.
func (n *notifier) deliver(ctx context.Context, userID, id, kind string, c notify.Content, email notify.Message) error {
	st, err := n.settings.NotificationSettings(ctx, userID)
	if err != nil {
		return err
	}
	for _, ch := range st.ChannelsFor(kind) {
		if _, ok := n.sender.Channels[ch]; !ok {
			n.log.Warn("notification channel not configured", "channel", ch, "kind", kind)
			continue
		}
		m := email
		switch ch {
		case notify.ChannelSMS:
			m = c.SMS(st.Phone)
		case notify.ChannelPush:
			m = c.Push(st.PushToken)
		}
		queue := n.sender.Enqueue
		if kind == notify.KindStandbyOffer {
			queue = n.sender.Send // the clock is running on the offer: try at once, the sender retries if it fails
		}
		_, err := queue(ctx, id+"/"+ch, ch, kind, m)
		if err != nil && !errors.Is(err, notify.ErrDuplicate) && !errs.Is(err, errs.Conflict) {
			return err
		}
	}
	return nil
}

// confirmation sends the booking's confirmation with a signed QR ticket for its live seats and a calendar file.
// If every seat was cancelled before this ran, a first confirmation still names the seats the event booked
// (the cancellation notice follows); a modification's is skipped.
func (n *notifier) confirmation(ctx context.Context, region, bookingID, id string, at time.Time, booked []string) error {
	b, total, to, err := n.db.BookingNotice(ctx, region, bookingID)
	if err != nil {
		return err
	}
	if len(b.Seats) == 0 {
		if len(booked) == 0 {
			return nil
		}
		b.Seats = booked
	}
	tok, err := ticket.Sign(n.key, ticket.Ticket{BookingID: b.ID, ConfirmationCode: b.ConfirmationCode,
		ShowtimeID: b.Show.ShowtimeID, TheatreName: b.Show.TheatreName, MovieTitle: b.Show.MovieTitle,
		StartsAt: b.Show.StartsAt, SeatIDs: b.Seats, IssuedAt: at})
	if err != nil {
		return err
	}
	conf := notify.Confirmation{Booking: b, Total: total, Ticket: tok, ConfirmedAt: at}
	msg, err := notify.ConfirmationEmail(to.Email, conf)
	if err != nil {
		return err
	}
	c, err := notify.RenderConfirmation(conf)
	if err != nil {
		return err
	}
	return n.deliver(ctx, to.UserID, id, notify.KindConfirmation, c, msg)
}

// cancellation tells the customer what was cancelled and refunded.
func (n *notifier) cancellation(ctx context.Context, region, eventID string, ev *marqueev1.BookingCancelled) error {
	b, _, to, err := n.db.BookingNotice(ctx, region, ev.BookingId)
	if err != nil {
		return err
	}
	b.Seats = ev.SeatIds
	c, err := notify.RenderCancellation(notify.Cancellation{Booking: b, Partial: ev.Partial,
		Refund: notify.Money{AmountMinor: ev.Refund.GetAmountMinor(), Currency: ev.Refund.GetCurrencyCode()}})
	if err != nil {
		return err
	}
	return n.deliver(ctx, to.UserID, "booking_cancelled/"+eventID, notify.KindCancellation, c, c.Email(to.Email))
}

// offer tells the person in line which seats are held for them and until when.
func (n *notifier) offer(ctx context.Context, region string, ev *marqueev1.StandbyOffered) error {
	show, to, err := n.showAndRecipient(ctx, region, ev.ShowtimeId, ev.UserId)
	if err != nil {
		return err
	}
	price, err := n.db.OfferPrice(ctx, region, ev.OfferId)
	if err != nil {
		return err
	}
	c, err := notify.RenderStandbyOffer(notify.StandbyOffer{Name: to.Name, Show: show, Seats: ev.SeatIds,
		Price: price, Deadline: ev.ExpiresAt.AsTime()})
	if err != nil {
		return err
	}
	return n.deliver(ctx, to.UserID, "standby_offer/"+ev.OfferId, notify.KindStandbyOffer, c, c.Email(to.Email))
}

// showAndRecipient loads what a standby notice shows and who it goes to.
func (n *notifier) showAndRecipient(ctx context.Context, region, showtimeID, userID string) (notify.Show, store.Recipient, error) {
	show, err := n.db.ShowFor(ctx, region, showtimeID)
	if err != nil {
		return show, store.Recipient{}, err
	}
	to, err := n.db.RecipientOf(ctx, userID)
	return show, to, err
}

// closed tells someone in line that the show started before seats opened up.
func (n *notifier) closed(ctx context.Context, region string, ev *marqueev1.StandbyClosed) error {
	show, to, err := n.showAndRecipient(ctx, region, ev.ShowtimeId, ev.UserId)
	if err != nil {
		return err
	}
	c, err := notify.RenderStandbyClosed(notify.StandbyClosed{Name: to.Name, Show: show})
	if err != nil {
		return err
	}
	return n.deliver(ctx, to.UserID, "standby_closed/"+ev.EntryId, notify.KindStandbyClosed, c, c.Email(to.Email))
}

// remind enqueues the 24-hour and 3-hour reminders that are due: for bookings whose show starts within the
// next d (and that were made before that point), once per booking and reminder.
func (n *notifier) remind(ctx context.Context) error {
	now := n.now()
	for _, d := range []time.Duration{24 * time.Hour, 3 * time.Hour} {
		due, err := n.db.UpcomingBookings(ctx, now.Add(d-time.Hour), now.Add(d))
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

func (n *notifier) reminder(ctx context.Context, u store.Due, d time.Duration) error {
	b, _, to, err := n.db.BookingNotice(ctx, u.Region, u.BookingID)
	if err != nil {
		return err
	}
	c, err := notify.RenderReminder(notify.Reminder{Booking: b, Before: d})
	if err != nil {
		return err
	}
	kind := notify.ReminderKind(d)
	return n.deliver(ctx, to.UserID, kind+"/"+u.BookingID, kind, c, c.Email(to.Email))
}
