package account_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
)

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    account.Settings
		want string // the Invalid error's message, "" for none
	}{
		{"OKNone", account.Settings{}, ""},
		{"OKEmail", account.Settings{Channels: map[string][]string{"confirmation": {account.Email}}}, ""},
		{"OKNoChannels", account.Settings{Channels: map[string][]string{"reminder": {}}}, ""},
		{"OKSMSWithPhone", account.Settings{Phone: "+14155550123",
			Channels: map[string][]string{"reminder": {account.SMS, account.Email}}}, ""},
		{"OKPushWithToken", account.Settings{PushToken: "tok", Channels: map[string][]string{"offer": {account.Push}}}, ""},
		{"ErrSMSWithoutPhone", account.Settings{PushToken: "tok",
			Channels: map[string][]string{"reminder": {account.SMS}}}, "reminder by SMS needs a phone number"},
		{"ErrPushWithoutToken", account.Settings{Phone: "+14155550123",
			Channels: map[string][]string{"offer": {account.Push}}}, "offer by push needs a push token"},
		{"ErrFirstKindInOrder", account.Settings{Channels: map[string][]string{"reminder": {account.SMS},
			"offer": {account.Push}}}, "offer by push needs a push token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			got := errs.Message(err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if (err != nil) != errs.Is(err, errs.Invalid) {
				t.Errorf("Validate = %v, want an Invalid error or none", err)
			}
		})
	}
}

func TestChannelsFor(t *testing.T) {
	s := account.Settings{Channels: map[string][]string{"reminder": {account.SMS}, "offer": {}}}
	tests := []struct {
		name, kind string
		want       []string
	}{
		{"OKChosen", "reminder", []string{account.SMS}},
		{"OKNoneChosen", "offer", []string{}},
		{"OKDefaultEmail", "confirmation", []string{account.Email}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, s.ChannelsFor(tt.kind)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateNotificationSettings(t *testing.T) {
	ctx := context.Background()
	saved := account.Settings{Phone: "+14155550123", Channels: map[string][]string{"reminder": {account.SMS}}}
	tests := []struct {
		name string
		s    account.Settings
		want account.Settings // what is stored afterwards
		kind errs.Kind
	}{
		{"OK", account.Settings{PushToken: "tok", Channels: map[string][]string{"offer": {account.Push}}},
			account.Settings{PushToken: "tok", Channels: map[string][]string{"offer": {account.Push}}}, errs.Other},
		{"ErrInvalidChangesNothing", account.Settings{Channels: map[string][]string{"offer": {account.Push}}},
			saved, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, _ := newService(t)
			if _, err := svc.UpdateNotificationSettings(ctx, "u1", saved); err != nil {
				t.Fatal(err)
			}
			_, err := svc.UpdateNotificationSettings(ctx, "u1", tt.s)
			if errs.KindOf(err) != tt.kind || (err == nil) != (tt.kind == errs.Other) {
				t.Errorf("UpdateNotificationSettings = %v, want kind %v", err, tt.kind)
			}
			got, err := svc.NotificationSettings(ctx, "u1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stored settings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
