package rpc_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/notify"
)

func TestNotificationSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustRegister(t)
	acc := marqueev1connect.NewAccountServiceClient(http.DefaultClient, e.url)
	got, err := acc.GetNotificationSettings(ctx, as(u, &marqueev1.GetNotificationSettingsRequest{}))
	if err != nil || len(got.Msg.Settings.Preferences) != 0 || got.Msg.Settings.Phone != "" {
		t.Fatalf("default settings = %v, %v", got, err)
	}
	want := &marqueev1.NotificationSettings{Phone: "+14155550123", PushToken: "push-token-1", Preferences: []*marqueev1.NotificationPreference{
		{Kind: "booking_confirmed", Channels: []marqueev1.NotificationChannel{marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_EMAIL}},
		{Kind: "standby_offer", Channels: []marqueev1.NotificationChannel{marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_SMS, marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_PUSH}},
	}}
	if _, err := acc.UpdateNotificationSettings(ctx, as(u, &marqueev1.UpdateNotificationSettingsRequest{Settings: want})); err != nil {
		t.Fatal(err)
	}
	got, err = acc.GetNotificationSettings(ctx, as(u, &marqueev1.GetNotificationSettingsRequest{}))
	if err != nil || !proto.Equal(got.Msg.Settings, want) {
		t.Fatalf("settings = %v, %v; want %v", got, err, want)
	}
	for name, s := range map[string]*marqueev1.NotificationSettings{
		"ErrSMSWithoutPhone":    {Preferences: []*marqueev1.NotificationPreference{{Kind: "standby_offer", Channels: []marqueev1.NotificationChannel{marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_SMS}}}},
		"ErrPushWithoutToken":   {Phone: "+14155550123", Preferences: []*marqueev1.NotificationPreference{{Kind: "reminder_3h", Channels: []marqueev1.NotificationChannel{marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_PUSH}}}},
		"ErrUnknownKind":        {Preferences: []*marqueev1.NotificationPreference{{Kind: "spam"}}},
		"ErrBadPhone":           {Phone: "0415 555"},
		"ErrUnspecifiedChannel": {Preferences: []*marqueev1.NotificationPreference{{Kind: "standby_offer", Channels: []marqueev1.NotificationChannel{0}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := acc.UpdateNotificationSettings(ctx, as(u, &marqueev1.UpdateNotificationSettingsRequest{Settings: s}))
			wantCode(t, err, connect.CodeInvalidArgument)
			got, _ := acc.GetNotificationSettings(ctx, as(u, &marqueev1.GetNotificationSettingsRequest{}))
			if !proto.Equal(got.Msg.Settings, want) {
				t.Fatalf("settings changed by a refused update: %v", got.Msg.Settings)
			}
		})
	}
}

func TestDeadDeliveriesAdminOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, boss := e.mustRegister(t), e.mustRegister(t)
	if _, err := e.db.Pool.Exec(ctx, `UPDATE users SET role = 'admin' WHERE id = $1`, boss.id); err != nil {
		t.Fatal(err)
	}
	d := notify.Delivery{ID: "booking_confirmed/x/email", Channel: "email", To: "a@example.com", Kind: "booking_confirmed",
		Attempts: 6, Status: notify.StatusDead, LastError: "550 mailbox unavailable", NextAttemptAt: time.Now()}
	if err := e.db.Deliveries().Create(ctx, d, notify.Message{To: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	adm := marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
	_, err := adm.ListDeadDeliveries(ctx, as(u, &marqueev1.ListDeadDeliveriesRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = adm.RetryDelivery(ctx, as(u, &marqueev1.RetryDeliveryRequest{DeliveryId: d.ID}))
	wantCode(t, err, connect.CodePermissionDenied)
	res, err := adm.ListDeadDeliveries(ctx, as(boss, &marqueev1.ListDeadDeliveriesRequest{}))
	if err != nil || len(res.Msg.Deliveries) != 1 || res.Msg.Deliveries[0].LastError != d.LastError {
		t.Fatalf("ListDeadDeliveries = %v, %v", res, err)
	}
	if _, err := adm.RetryDelivery(ctx, as(boss, &marqueev1.RetryDeliveryRequest{DeliveryId: d.ID})); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts = 0`); n != 1 {
		t.Fatalf("retried deliveries pending = %d, want 1", n)
	}
	_, err = adm.RetryDelivery(ctx, as(boss, &marqueev1.RetryDeliveryRequest{DeliveryId: d.ID}))
	wantCode(t, err, connect.CodeNotFound)
}
