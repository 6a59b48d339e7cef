package account

import (
	"context"
	"slices"

	"github.com/marqueehq/marquee/internal/errs"
)

// Notification channels.
const (
	Email = "email"
	SMS   = "sms"
	Push  = "push"
)

// Settings are where and how a person is notified: Channels maps a notification kind to its channels; kinds
// not in it go by email.
type Settings struct {
	Phone, PushToken string
	Channels         map[string][]string
}

// ChannelsFor returns the channels for a kind of notification.
func (s Settings) ChannelsFor(kind string) []string {
	if cs, ok := s.Channels[kind]; ok {
		return cs
	}
	return []string{Email}
}

// SettingsStore keeps notification settings.
type SettingsStore interface {
	NotificationSettings(ctx context.Context, userID string) (Settings, error)
	SetNotificationSettings(ctx context.Context, userID string, s Settings) error
}

// UpdateSettings checks and saves a person's notification settings: a channel needs its address (a phone for
// SMS, a push token for push).
func UpdateSettings(ctx context.Context, store SettingsStore, userID string, s Settings) (Settings, error) {
	const op = "account.UpdateSettings"
	for kind, cs := range s.Channels {
		if slices.Contains(cs, SMS) && s.Phone == "" {
			return Settings{}, errs.Errorf(op, errs.Invalid, "%s by SMS needs a phone number", kind)
		}
		if slices.Contains(cs, Push) && s.PushToken == "" {
			return Settings{}, errs.Errorf(op, errs.Invalid, "%s by push needs a push token", kind)
		}
	}
	if err := store.SetNotificationSettings(ctx, userID, s); err != nil {
		return Settings{}, errs.E(op, err)
	}
	return store.NotificationSettings(ctx, userID)
}
