package consume

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/relay"
)

// TestHandlersSkipWhatIsNotTheirs: events of kinds a consumer does not act on, and payloads that do not
// decode, are acknowledged (nil) without reaching the domain service (nil here, so reaching it would panic).
func TestHandlersSkipWhatIsNotTheirs(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := relay.Stream{Region: "us-east1"}
	handlers := map[string]relay.Handler{
		"standby": Standby(nil, st, log).Handle,
		"notify":  Notify(nil, st, log).Handle,
		"search":  Search(nil, st, "p1", time.Now(), log).Handle,
	}
	garbage := []byte{0xff, 0xff, 0xff}
	for name, tt := range map[string]struct {
		handlers []string
		msg      relay.Msg
	}{
		"OtherKind":            {[]string{"standby", "search"}, relay.Msg{Subject: events.Subject("us-east1", events.BookingConfirmedKind)}},
		"UnknownSubject":       {[]string{"standby", "notify", "search"}, relay.Msg{Subject: "something.else"}},
		"BadCancellation":      {[]string{"standby", "notify"}, relay.Msg{Subject: events.Subject("us-east1", events.BookingCancelledKind), Data: garbage}},
		"BadReleasedSeats":     {[]string{"standby"}, relay.Msg{Subject: events.Subject("us-east1", events.SeatsReleasedKind), Data: garbage}},
		"BadConfirmation":      {[]string{"notify"}, relay.Msg{Subject: events.Subject("us-east1", events.BookingConfirmedKind), Data: garbage}},
		"BadOffer":             {[]string{"notify"}, relay.Msg{Subject: events.Subject("us-east1", events.StandbyOfferedKind), Data: garbage}},
		"BadCatalogChange":     {[]string{"search"}, relay.Msg{Subject: events.Subject("global", events.CatalogChangedKind), Data: garbage}},
		"NotifyIgnoresCatalog": {[]string{"notify"}, relay.Msg{Subject: events.Subject("global", events.CatalogChangedKind)}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, h := range tt.handlers {
				if err := handlers[h](context.Background(), tt.msg); err != nil {
					t.Errorf("%s handler: %v, want nil (acknowledged, skipped)", h, err)
				}
			}
		})
	}
}

func TestConsumersReadTheirStream(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := relay.Stream{Region: "europe-west1", Cluster: "europe-west1"}
	for name, c := range map[string]*relay.Consumer{"standby": Standby(nil, st, log), "notify": Notify(nil, st, log),
		"search-p1": Search(nil, st, "p1", time.Now(), log)} {
		if c.Stream != st || c.Durable != name {
			t.Errorf("consumer %s reads %+v as %q", name, c.Stream, c.Durable)
		}
	}
	if f := Search(nil, st, "p1", time.Now(), log).Filter; f != events.Filter(events.CatalogChangedKind) {
		t.Errorf("search filter = %q", f)
	}
}
