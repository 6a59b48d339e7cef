package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/notify/ticket"
	"github.com/marqueehq/marquee/regions"
)

// startDev runs the `marquee dev` wiring (private PostgreSQL under dataDir, migrations, demo data) on port 0.
func startDev(t *testing.T, dataDir string) *app.Main {
	t.Helper()
	m := newDev(dataDir)
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v", err)
	}
	return m
}

// newDev configures the dev wiring on port 0 with a private PostgreSQL, embedded NATS and a private S3 under
// dataDir.
func newDev(dataDir string) *app.Main {
	m := app.NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = dataDir
	m.Config.DatabaseURL, m.Config.NATSURL, m.Config.S3Endpoint = "", "", ""
	m.Config.BcryptCost = 4
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return m
}

func dataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "marquee-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster runs as the postgres user, who must reach dir/pg
		t.Fatal(err)
	}
	return dir
}

// client speaks Connect's JSON protocol, as curl does in the README.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) call(procedure string, body any, wantStatus int) map[string]any {
	c.t.Helper()
	out, status, err := c.do(procedure, body)
	if err != nil {
		c.t.Fatalf("%s: %v", procedure, err)
	}
	if status != wantStatus {
		c.t.Fatalf("%s: status %d (%v), want %d", procedure, status, out, wantStatus)
	}
	return out
}

// do posts body to a procedure and decodes the JSON answer.
func (c *client) do(procedure string, body any) (map[string]any, int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.base+"/marquee.v1."+procedure, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, res.StatusCode, fmt.Errorf("decoding: %w", err)
	}
	return out, res.StatusCode, nil
}

// TestDevWalkthrough walks the README's tour over HTTP against the real dev wiring.
func TestDevWalkthrough(t *testing.T) {
	dir := dataDir(t)
	m := startDev(t, dir)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	c := &client{t: t, base: "http://" + m.Addr()}
	if res, err := http.Get(c.base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	// One process of every region: it holds every region's lease and runs each region's jobs; its own are its
	// index's consumers (a region's stream each, and the global one), the index's pruning and the lease keeper.
	waitFor(t, "every region's lease", func() bool { return len(m.HeldRegions()) == len(regions.All()) })
	wantJobs := map[string]int{"events.consume.search-*": len(regions.All()), "events.consume.search-*.global": 1,
		"search.prune": 1, "jobs.leases": 1, "us-east1/events.relay.global": 1, "us-east1/store.prune": 1,
		"us-east1/booking.retry-refunds": 1}
	for _, r := range regions.All() {
		for _, j := range []string{"events.relay", "events.consume.standby", "events.consume.notify",
			"inventory.expire-holds", "standby.close-started-lines", "standby.serve-lines", "onsale.admit", "notify.deliveries",
			"notify.reminders", "archive.daily", "booking.reconcile-payments"} {
			wantJobs[r.Name+"/"+j] = 1
		}
	}
	gotJobs := map[string]int{}
	perProcess := regexp.MustCompile(`search-[^.]+`)
	for _, name := range m.Jobs() {
		gotJobs[perProcess.ReplaceAllString(name, "search-*")]++
	}
	if diff := cmp.Diff(wantJobs, gotJobs); diff != "" {
		t.Errorf("background jobs mismatch (-want +got):\n%s", diff)
	}
	cities := c.call("CatalogService/ListCities", map[string]any{}, 200)["cities"].([]any)
	if len(cities) != 8 {
		t.Fatalf("cities = %d, want 8", len(cities))
	}
	reg := c.call("AccountService/Register", map[string]any{"email": "ada@example.com", "password": "correct horse", "displayName": "Ada"}, 200)
	c.token = reg["token"].(string)
	shows := c.call("CatalogService/ListShowtimes", map[string]any{"city": "london", "pageSize": 5}, 200)
	list := shows["showtimes"].([]any)
	if len(list) != 5 || shows["nextPageToken"] == "" {
		t.Fatalf("ListShowtimes = %v", shows)
	}
	// Book a show more than 2 hours away so that cancelling refunds in full.
	var showID string
	for _, s := range list {
		st, _ := time.Parse(time.RFC3339, s.(map[string]any)["startsAt"].(string))
		if time.Until(st) > 3*time.Hour {
			showID = s.(map[string]any)["id"].(string)
			break
		}
	}
	if showID == "" {
		shows = c.call("CatalogService/ListShowtimes", map[string]any{"city": "london", "day": time.Now().Add(48 * time.Hour).Format(time.DateOnly), "pageSize": 1}, 200)
		showID = shows["showtimes"].([]any)[0].(map[string]any)["id"].(string)
	}
	seatMap := c.call("SeatService/GetSeatMap", map[string]any{"showtimeId": showID}, 200)
	if n := len(seatMap["seats"].([]any)); n < 100 || n > 300 {
		t.Fatalf("seat map has %d seats", n)
	}
	best := c.call("SeatService/BestAvailable", map[string]any{"showtimeId": showID, "count": 2}, 200)["seatIds"].([]any)
	hold := c.call("SeatService/HoldSeats", map[string]any{"showtimeId": showID, "seatIds": best}, 200)["hold"].(map[string]any)
	c.call("SeatService/HoldSeats", map[string]any{"showtimeId": showID, "seatIds": best[1:]}, 400)
	bookReq := map[string]any{"holdId": hold["id"], "paymentToken": "tok_visa", "idempotencyKey": "e2e-book-0001"}
	b := c.call("BookingService/CreateBooking", bookReq, 200)["booking"].(map[string]any)
	if b["status"] != "BOOKING_STATUS_CONFIRMED" {
		t.Fatalf("booking = %v", b)
	}
	// The booking's ticket is signed with the region's ticket key, as the confirmation email's is.
	pubPEM, err := os.ReadFile(filepath.Join(dir, "keys", "ticket-ed25519.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ticket.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if tk, err := ticket.Verify(pub, fmt.Sprint(b["ticket"])); err != nil || tk.BookingID != b["id"] || len(tk.SeatIDs) != 2 {
		t.Fatalf("the booking's ticket %v: %+v, %v", b["ticket"], tk, err)
	}
	if show := b["showtime"].(map[string]any); show["id"] != showID || show["movieTitle"] == "" {
		t.Fatalf("the booking's showtime = %v", show)
	}
	again := c.call("BookingService/CreateBooking", bookReq, 200)["booking"].(map[string]any)
	if again["id"] != b["id"] {
		t.Fatalf("retry made booking %v, want %v", again["id"], b["id"])
	}
	mine := c.call("BookingService/ListMyBookings", map[string]any{}, 200)["bookings"].([]any)
	if len(mine) != 1 {
		t.Fatalf("ListMyBookings = %v", mine)
	}
	cancel := c.call("BookingService/CancelBooking", map[string]any{"bookingId": b["id"], "idempotencyKey": "e2e-cancel-0001"}, 200)
	if cancel["booking"].(map[string]any)["status"] != "BOOKING_STATUS_CANCELLED" ||
		cancel["refund"].(map[string]any)["amountMinor"] != b["total"].(map[string]any)["amountMinor"] {
		t.Fatalf("cancel = %v, booking total %v", cancel, b["total"])
	}
	c.call("SeatService/HoldSeats", map[string]any{"showtimeId": showID, "seatIds": best}, 200)
	// Without --smtp-addr, dev writes each email as an .eml file: the confirmation and the cancellation.
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
		if len(files) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emails in the dev mailbox: %v, want 2", files)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDevKeepsDataBetweenRuns restarts on the same data directory: the cluster, the demo catalog, the token
// secret and the archive objects (readable with the S3 keys kept there) survive, and the catalog is not loaded
// twice.
func TestDevKeepsDataBetweenRuns(t *testing.T) {
	dir := dataDir(t)
	m := startDev(t, dir)
	c := &client{t: t, base: "http://" + m.Addr()}
	c.token = c.call("AccountService/Register", map[string]any{"email": "kept@example.com", "password": "kept-password", "displayName": "K"}, 200)["token"].(string)
	bucket := regions.Primary().S3Bucket
	if _, err := m.Objects().Put(context.Background(), bucket, "kept", []byte("kept"), "text/plain", time.Now().Add(time.Hour), false); err != nil {
		t.Fatalf("Put into %s: %v", bucket, err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after Close (postmaster.pid: %v)", err)
	}
	m = startDev(t, dir)
	t.Cleanup(func() { _ = m.Close() })
	c.base = "http://" + m.Addr()
	c.call("BookingService/ListMyBookings", map[string]any{}, 200) // the old token still works
	theatres := c.call("CatalogService/ListTheatres", map[string]any{}, 200)["theatres"].([]any)
	if len(theatres) != 26 {
		t.Fatalf("theatres after restart = %d, want 26", len(theatres))
	}
	if got, err := m.Objects().Get(context.Background(), bucket, "kept"); err != nil || string(got) != "kept" {
		t.Fatalf("archive object after restart: %q, %v", got, err)
	}
}
