package account

import (
	"context"
	"maps"
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

// Validate checks that every channel chosen has its address: a phone number for SMS, a push token for push.
func (s Settings) Validate() error {
	const op = "account.Settings.Validate"
	for _, kind := range slices.Sorted(maps.Keys(s.Channels)) {
		cs := s.Channels[kind]
		if slices.Contains(cs, SMS) && s.Phone == "" {
			return errs.Errorf(op, errs.Invalid, "%s by SMS needs a phone number", kind)
		}
		if slices.Contains(cs, Push) && s.PushToken == "" {
			return errs.Errorf(op, errs.Invalid, "%s by push needs a push token", kind)
		}
	}
	return nil
}

// NotificationSettings returns a person's notification settings.
func (s *Service) NotificationSettings(ctx context.Context, userID string) (Settings, error) {
	st, err := s.Settings.NotificationSettings(ctx, userID)
	if err != nil {
		return Settings{}, errs.E("account.NotificationSettings", err)
	}
	return st, nil
}

// UpdateNotificationSettings checks and saves a person's notification settings (see Settings.Validate) and
// returns them as saved. Refused settings change nothing.
func (s *Service) UpdateNotificationSettings(ctx context.Context, userID string, st Settings) (Settings, error) {
	const op = "account.UpdateNotificationSettings"
	if err := st.Validate(); err != nil {
		return Settings{}, errs.E(op, err)
	}
	if err := s.Settings.SetNotificationSettings(ctx, userID, st); err != nil {
		return Settings{}, errs.E(op, err)
	}
	return s.NotificationSettings(ctx, userID)
}
