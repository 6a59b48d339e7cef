package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/seed"
)

// TestComplianceThroughTheAPI drives the archive over HTTP against the real wiring (private PostgreSQL, S3 and
// NATS): an admin makes an auditor of one region and archives a region's history with streamed progress; the
// auditor finds an archived booking by code, is refused another region's, and gets clear errors for bad input;
// a person exports and erases their own data.
func TestComplianceThroughTheAPI(t *testing.T) {
	m := newDev(dataDir(t))
	m.Config.Seed = false
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := seed.Demo(ctx, m.DB().Catalog(), m.DB().IDs, now); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.History(ctx, m.DB(), seed.HistoryOptions{Now: now, Months: 18, Bookings: 600, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr()
	admin := &client{t: t, base: base}
	admin.token = admin.call("AccountService/Register", map[string]any{"email": "root@example.test", "password": "password-root", "displayName": "Root"}, 200)["token"].(string)
	// The first-run code printed at start makes the first admin, once.
	admin.call("AccountService/ClaimAdmin", map[string]any{"code": m.FirstRunAdminCode()}, 200)
	aud := &client{t: t, base: base}
	reg := aud.call("AccountService/Register", map[string]any{"email": "eve@example.test", "password": "password-eve", "displayName": "Eve"}, 200)
	aud.token = reg["token"].(string)
	aud.call("AccountService/ClaimAdmin", map[string]any{"code": m.FirstRunAdminCode()}, 403)
	eveID := reg["user"].(map[string]any)["id"].(string)
	admin.call("AdminService/SetAuditorRegions", map[string]any{"userId": eveID, "regions": []string{"europe-west1"}}, 200)

	// RunArchive streams its progress and ends with the totals.
	cc := marqueev1connect.NewComplianceServiceClient(http.DefaultClient, base)
	req := connect.NewRequest(&marqueev1.RunArchiveRequest{Region: "europe-west1"})
	req.Header().Set("Authorization", "Bearer "+admin.token)
	stream, err := cc.RunArchive(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*marqueev1.RunArchiveResponse
	for stream.Receive() {
		msgs = append(msgs, stream.Msg())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	archived := count(t, m, `SELECT count(*) FROM archived_bookings WHERE region = 'europe-west1'`)
	if !last.Finished || int(last.Done) != archived || archived == 0 || len(msgs) < 3 {
		t.Fatalf("RunArchive streamed %d messages ending %v; %d bookings archived", len(msgs), last, archived)
	}
	var euCode, usCode string
	if err := m.DB().Pool.QueryRow(ctx, `SELECT confirmation_code FROM archived_bookings WHERE region = 'europe-west1' LIMIT 1`).Scan(&euCode); err != nil {
		t.Fatal(err)
	}
	if err := m.DB().Pool.QueryRow(ctx, `SELECT confirmation_code FROM bookings WHERE region = 'us-east1' LIMIT 1`).Scan(&usCode); err != nil {
		t.Fatal(err)
	}
	got := aud.call("ComplianceService/LookupBooking", map[string]any{"confirmationCode": strings.ToLower(euCode), "region": "europe-west1"}, 200)
	b := got["booking"].(map[string]any)
	if b["confirmationCode"] != euCode || !strings.HasPrefix(b["source"].(string), "bookings/region=europe-west1/") {
		t.Errorf("lookup of %s: %v", euCode, b)
	}
	if _, status, _ := aud.do("ComplianceService/LookupBooking", map[string]any{"confirmationCode": usCode, "region": "us-east1"}); status != http.StatusForbidden {
		t.Errorf("auditor of europe-west1 looking up a us-east1 booking: %d, want 403", status)
	}
	for name, body := range map[string]map[string]any{
		"reversed range": {"region": "europe-west1", "theatreId": "x", "from": "2025-06-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"},
		"huge page":      {"region": "europe-west1", "userId": eveID, "pageSize": 100000},
		"bad region":     {"region": "Mars", "userId": eveID},
	} {
		out, status, _ := aud.do("ComplianceService/SearchBookings", body)
		if status != http.StatusBadRequest || out["code"] != "invalid_argument" {
			t.Errorf("%s: %d %v, want invalid_argument", name, status, out)
		}
	}
	if out, status, _ := aud.do("ComplianceService/LookupBooking", map[string]any{"confirmationCode": "ZZZZ-ZZZZ", "region": "europe-west1"}); status != http.StatusNotFound {
		t.Errorf("unknown code: %d %v, want 404", status, out)
	}
	if n := count(t, m, `SELECT count(*) FROM audit_log WHERE actor_id = '`+eveID+`'`); n < 2 {
		t.Errorf("%d of the auditor's calls in the audit log", n)
	}

	// A person's own export and erasure.
	me := &client{t: t, base: base}
	mine := me.call("AccountService/Register", map[string]any{"email": "ada@example.test", "password": "password-ada", "displayName": "Ada"}, 200)
	me.token = mine["token"].(string)
	ac := marqueev1connect.NewAccountServiceClient(http.DefaultClient, base)
	ereq := connect.NewRequest(&marqueev1.ExportMyDataRequest{})
	ereq.Header().Set("Authorization", "Bearer "+me.token)
	es, err := ac.ExportMyData(ctx, ereq)
	if err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	for es.Receive() {
		doc.Write(es.Msg().Chunk)
	}
	if es.Err() != nil || !strings.Contains(doc.String(), "ada@example.test") {
		t.Fatalf("ExportMyData: %v %.200s", es.Err(), doc.String())
	}
	if _, status, _ := me.do("AccountService/EraseMyData", map[string]any{"password": "wrong-password", "confirm": "ERASE"}); status != http.StatusUnauthorized {
		t.Errorf("erasure with a wrong password: %d, want 401", status)
	}
	if n := count(t, m, `SELECT count(*) FROM users WHERE email = 'ada@example.test'`); n != 1 {
		t.Fatal("a refused erasure changed the account")
	}
	me.call("AccountService/EraseMyData", map[string]any{"password": "password-ada", "confirm": "ERASE"}, 200)
	if n := count(t, m, `SELECT count(*) FROM users WHERE email = 'ada@example.test' OR display_name = 'Ada'`); n != 0 {
		t.Error("the account still shows Ada after her erasure")
	}
	if _, status, _ := me.do("AccountService/Login", map[string]any{"email": "ada@example.test", "password": "password-ada"}); status == http.StatusOK {
		t.Error("an erased account can still sign in")
	}
	// Her token, still unexpired, stops working within the accounts' 5 s check.
	waitFor(t, "the erased account's token refused", func() bool {
		_, status, _ := me.do("BookingService/ListMyBookings", map[string]any{})
		return status == http.StatusUnauthorized
	})
}
