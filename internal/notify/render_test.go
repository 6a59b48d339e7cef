package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/notify"
)

// TestTemplatesGolden renders every notification in text (with its subject and short form) and in HTML.
func TestTemplatesGolden(t *testing.T) {
	deadline := time.Date(2026, 3, 14, 17, 45, 0, 0, time.UTC)
	inLondon := func(s *notify.Show) {
		s.MovieTitle, s.TheatreName, s.TheatreAddress, s.Screen = "Tom & Jerry <3D>", "Marquee Leicester Square", "", ""
		s.TimeZone, s.StartsAt, s.EndsAt = "Europe/London", time.Date(2026, 3, 14, 19, 15, 0, 0, time.UTC), time.Time{}
	}
	tests := []struct {
		name   string
		render func() (notify.Content, error)
		kind   string
	}{
		{"confirmation", func() (notify.Content, error) {
			return notify.RenderConfirmation(notify.Confirmation{Booking: booking(), Total: notify.Money{AmountMinor: 3100, Currency: "USD"},
				Ticket: "MQT1.x.y", ConfirmedAt: confirmedAt, ManageURL: "https://marquee.example/bookings/use1_01JD8X3V4Q"})
		}, notify.KindConfirmation},
		{"confirmation_one_seat", func() (notify.Content, error) {
			return notify.RenderConfirmation(notify.Confirmation{
				Booking: booking(func(b *notify.Booking) { b.Name, b.Seats = "", []string{"A1"} }),
				Total:   notify.Money{AmountMinor: 1550, Currency: "USD"}, Ticket: "MQT1.x.y", ConfirmedAt: confirmedAt})
		}, notify.KindConfirmation},
		{"cancellation", func() (notify.Content, error) {
			return notify.RenderCancellation(notify.Cancellation{Booking: booking(inParis),
				Refund: notify.Money{AmountMinor: 2400, Currency: "EUR"}})
		}, notify.KindCancellation},
		{"cancellation_partial_no_refund", func() (notify.Content, error) {
			return notify.RenderCancellation(notify.Cancellation{Booking: booking(inParis, func(b *notify.Booking) {
				b.Seats = []string{"C4"}
			}), Refund: notify.Money{Currency: "EUR"}, Partial: true})
		}, notify.KindCancellation},
		{"standby_offer", func() (notify.Content, error) {
			return notify.RenderStandbyOffer(notify.StandbyOffer{Name: "Sam", Show: show(inLondon), Seats: []string{"H1", "H2"},
				Price: notify.Money{AmountMinor: 2650, Currency: "GBP"}, Deadline: deadline,
				AcceptURL: "https://marquee.example/standby/offers/o1?accept=1&src=email"})
		}, notify.KindStandbyOffer},
		{"standby_offer_in_app", func() (notify.Content, error) {
			return notify.RenderStandbyOffer(notify.StandbyOffer{Show: show(inLondon), Seats: []string{"H1"},
				Price: notify.Money{AmountMinor: 1325, Currency: "GBP"}, Deadline: deadline})
		}, notify.KindStandbyOffer},
		{"standby_closed", func() (notify.Content, error) {
			return notify.RenderStandbyClosed(notify.StandbyClosed{Name: "Sam", Show: show(inLondon)})
		}, notify.KindStandbyClosed},
		{"reminder_24h", func() (notify.Content, error) {
			return notify.RenderReminder(notify.Reminder{Booking: booking(), Before: 24 * time.Hour})
		}, notify.KindReminder24h},
		{"reminder_3h", func() (notify.Content, error) {
			return notify.RenderReminder(notify.Reminder{Booking: booking(), Before: 3 * time.Hour})
		}, notify.KindReminder3h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.render()
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if c.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", c.Kind, tt.kind)
			}
			if strings.ContainsAny(c.Subject+c.Short, "\r\n") {
				t.Errorf("subject or short text spans lines: %q, %q", c.Subject, c.Short)
			}
			golden(t, tt.name+".txt", []byte("Subject: "+c.Subject+"\nShort: "+c.Short+"\n\n"+c.Text))
			golden(t, tt.name+".html", []byte(c.HTML))
		})
	}
}

func TestRenderUnknownZone(t *testing.T) {
	b := booking(func(b *notify.Booking) { b.Show.TimeZone = "Mars/Olympus_Mons" })
	if _, err := notify.RenderReminder(notify.Reminder{Booking: b, Before: 3 * time.Hour}); err == nil {
		t.Error("RenderReminder succeeded with an unknown time zone")
	}
	b.Show.TimeZone = ""
	if _, err := notify.RenderReminder(notify.Reminder{Booking: b, Before: 3 * time.Hour}); err == nil {
		t.Error("RenderReminder succeeded without a time zone (it would silently use UTC)")
	}
}

func TestHTMLEscapes(t *testing.T) {
	c, err := notify.RenderStandbyOffer(notify.StandbyOffer{Show: show(func(s *notify.Show) {
		s.MovieTitle = `<script>alert("x")</script>`
	}), Seats: []string{"A1"}, Deadline: startsAt, AcceptURL: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.HTML, "<script>") || strings.Contains(c.HTML, "javascript:") {
		t.Errorf("HTML carries unescaped input:\n%s", c.HTML)
	}
}

func TestReminderKind(t *testing.T) {
	for before, want := range map[time.Duration]string{24 * time.Hour: notify.KindReminder24h, 3 * time.Hour: notify.KindReminder3h,
		3*time.Hour - time.Minute: notify.KindReminder3h} {
		if got := notify.ReminderKind(before); got != want {
			t.Errorf("ReminderKind(%v) = %q, want %q", before, got, want)
		}
	}
}
