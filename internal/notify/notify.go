// Package notify tells customers about their bookings: it renders the messages (golden-tested text and HTML
// templates, a calendar entry, the signed ticket's QR code), sends them over channels (email by SMTP, SMS and
// push through HTTP providers) and retries failed sends with backoff, recording every delivery in a
// DeliveryLog so a retry survives a restart.
//
// The package knows nothing of the database or the event bus: a Notifier reads what it shows through Source
// and decides what to send when (confirmations, cancellations, standby offers and closings, reminders); the
// event consumers in internal/events/consume call it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one notification to one recipient. To is an email address for email, an E.164 phone number for
// SMS, a device token for push. SMS sends Text; push sends Subject and Text; email sends everything.
type Message struct {
	To, Subject, Text, HTML string
	Attachments             []Attachment
}

// Attachment is a file sent with an email. An attachment with a ContentID is inline: the HTML shows it with
// <img src="cid:ContentID">.
type Attachment struct {
	Filename    string
	ContentType string // a media type, with parameters when needed: "text/calendar; method=PUBLISH"
	ContentID   string // without angle brackets; empty for an ordinary attachment
	Data        []byte
}

// Channel sends messages one way: email, SMS or push. Send returns nil only when the provider accepted the
// message. Its errors say whether trying again may help: see IsRetryable.
type Channel interface {
	Send(ctx context.Context, m Message) error
}

// Channel names, as recorded in Delivery.Channel.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPush  = "push"
)

// SendError is a Channel's failure, classified: Retryable when the same message may go through later (the
// network, a timeout, HTTP 5xx, 408 or 429, SMTP 4xx), permanent otherwise (HTTP 4xx, SMTP 5xx, a recipient
// that cannot be addressed). RetryAfter is the provider's requested wait, when it gave one.
//
// Err is the full cause, provider response text included; it goes to the logs only. Summary is what a
// delivery records and operators see: short, without response bodies, recipients or endpoints, for example
// "HTTP 502 (code rate_limited)". The channels of this package always set it.
type SendError struct {
	Channel    string
	Retryable  bool
	RetryAfter time.Duration
	Summary    string
	Err        error
}

// Error says which channel failed, how, whether it will be retried, and the full cause.
func (e *SendError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Channel, e.outcome(), e.Err)
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

func (e *SendError) outcome() string {
	if e.Retryable {
		return "retryable"
	}
	return "permanent"
}

// lastError is what a delivery records of err: for a SendError with a Summary, its channel, outcome and
// summary ("sms: retryable: HTTP 502 (code rate_limited)"); otherwise err's text. Either is cut to a size a
// row can hold.
func lastError(err error) string {
	var se *SendError
	if errors.As(err, &se) && se.Summary != "" {
		return truncate(fmt.Sprintf("%s: %s: %s", se.Channel, se.outcome(), se.Summary))
	}
	return truncate(err.Error())
}

// IsRetryable reports whether sending again may succeed after err. A SendError says so itself; any other
// error is presumed temporary, since a failure nobody classified is more often the network than the message.
func IsRetryable(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Retryable
	}
	return err != nil
}

// retryAfter returns the wait a SendError in err's chain asks for, or 0.
func retryAfter(err error) time.Duration {
	var se *SendError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// permanent and retryable classify err as a failure of channel, summarized for operators as summary.
func permanent(channel, summary string, err error) error {
	return &SendError{Channel: channel, Summary: summary, Err: err}
}

func retryable(channel, summary string, err error) error {
	return &SendError{Channel: channel, Retryable: true, Summary: summary, Err: err}
}

type deliveryIDKey struct{}

// WithDeliveryID returns ctx carrying the ID of the delivery being attempted. Channels use it to make retries
// idempotent where the provider allows: the SMTP channel derives the Message-ID from it, so mail clients
// collapse duplicates, and the HTTP channels send it as the Idempotency-Key header.
func WithDeliveryID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deliveryIDKey{}, id)
}

// DeliveryIDFrom returns the delivery ID WithDeliveryID put in ctx, or "".
func DeliveryIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(deliveryIDKey{}).(string)
	return id
}
