package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/devstack"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// faultRig is a stack whose region processes reach PostgreSQL, their NATS servers, the payment sandbox and
// an SMTP server only through toxiproxy, so a test can cut, slow or break each of them.
type faultRig struct {
	*stack
	mail     *smtptest.Server
	postgres *toxiproxy.Proxy
	payments *toxiproxy.Proxy
	smtp     *toxiproxy.Proxy
	nats     []*toxiproxy.Proxy
}

// startFaultRig starts the stack with every child's connections through proxies.
func startFaultRig(t *testing.T) *faultRig {
	t.Helper()
	toxi := newToxiServer()
	r := &faultRig{mail: smtptest.NewServer(t)}
	r.smtp = startProxy(t, toxi, "smtp", r.mail.Addr())
	proxies := map[string]*toxiproxy.Proxy{} // by upstream URL: one per server, shared by restarts
	var mu sync.Mutex
	childURL := func(kind, u string) string {
		mu.Lock()
		defer mu.Unlock()
		if p, ok := proxies[u]; ok {
			return proxied(kind, u, p)
		}
		var p *toxiproxy.Proxy
		switch kind {
		case "postgres":
			cfg, err := pgx.ParseConfig(u)
			if err != nil {
				t.Fatal(err)
			}
			sock := filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
			p = startProxy(t, toxi, "postgres", unixForwarder(t, sock))
			r.postgres = p
		case "nats", "payments":
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			p = startProxy(t, toxi, kind+"-"+pu.Host, pu.Host)
			if kind == "nats" {
				r.nats = append(r.nats, p)
			} else {
				r.payments = p
			}
		default:
			return u
		}
		proxies[u] = p
		return proxied(kind, u, p)
	}
	// Every shopper calls from this test's one address, which the per-IP limits would throttle as one person.
	r.stack = startStackWith(t, devstack.Options{ChildURL: childURL, ChildArgs: []string{"--smtp-addr", r.smtp.Listen,
		"--rate-limit", "hold=0:0", "--rate-limit", "booking=0:0"}})
	return r
}

// proxied is u with its host replaced by p's listen address.
func proxied(kind, u string, p *toxiproxy.Proxy) string {
	if kind == "postgres" {
		cfg, _ := pgx.ParseConfig(u)
		return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, p.Listen, cfg.Database)
	}
	pu, _ := url.Parse(u)
	pu.Host = p.Listen
	return pu.String()
}

// fault is one fault of the suite: inject starts it and returns once it has ended.
type fault struct {
	name   string
	inject func(t *testing.T, r *faultRig)
}

// faults are the suite's faults, in the order they are injected.
var faults = []fault{
	{"postgres-cut", func(t *testing.T, r *faultRig) {
		// Stopping the proxy closes every connection through it, transactions under way included, and refuses
		// new ones until it starts again.
		r.postgres.Stop()
		time.Sleep(2 * time.Second) // the outage's length
		if err := r.postgres.Start(); err != nil {
			t.Fatal(err)
		}
	}},
	{"postgres-restart", func(t *testing.T, r *faultRig) {
		if err := r.ds.RestartPostgres(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.db.Pool.Reset() // the test's own connections died with the server too
	}},
	{"smtp-down", func(t *testing.T, r *faultRig) {
		if err := r.mail.Stop(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		if err := r.mail.Start(); err != nil {
			t.Fatal(err)
		}
	}},
	{"nats-down", func(t *testing.T, r *faultRig) {
		for _, p := range r.nats {
			p.Stop()
		}
		time.Sleep(30 * time.Second)
		for _, p := range r.nats {
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"provider-slow", func(t *testing.T, r *faultRig) {
		// Answers 11 s late: past the payment client's 10 s timeout, so charges under way time out.
		addToxic(t, r.payments, "slow", "latency", "downstream", map[string]int{"latency": 11000})
		time.Sleep(12 * time.Second)
		removeToxic(t, r.payments, "slow")
	}},
	{"provider-failing", func(t *testing.T, r *faultRig) {
		addToxic(t, r.payments, "failing", "reset_peer", "upstream", map[string]int{"timeout": 0})
		time.Sleep(5 * time.Second)
		removeToxic(t, r.payments, "failing")
	}},
	{"kill-9", func(t *testing.T, r *faultRig) {
		// Three times, a region's process is killed while one of its charges is under way (the provider answers
		// a second late, so the window between the charge and the booking's commit is wide), then started again.
		addToxic(t, r.payments, "late", "latency", "downstream", map[string]int{"latency": 1000})
		defer removeToxic(t, r.payments, "late")
		for _, name := range killed {
			since := time.Now()
			waitFor(t, 30*time.Second, "a charge of "+name+" under way", func() bool {
				return count(t, r.db.Pool, `SELECT count(*) FROM payments WHERE region = $1 AND status = 'pending'
					AND created_at > $2`, name, since) > 0
			})
			if err := syscall.Kill(r.ds.Regions()[name].PID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, name+"'s process gone", r.ds.Regions()[name].Exited)
			if err := r.ds.StartRegion(name); err != nil {
				t.Fatal(err)
			}
			if err := r.ds.WaitHealthy(context.Background(), name); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// killed are the regions whose processes the kill-9 fault kills, one after another.
var killed = []string{"europe-west1", "us-east1", "asia-south1"}

// removeToxic removes the toxic name from p.
func removeToxic(t *testing.T, p *toxiproxy.Proxy, name string) {
	t.Helper()
	if err := p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

// TestFaultsSurvived runs shoppers through the edge against every region while, one after another, the
// region processes' connections to PostgreSQL are cut, PostgreSQL restarts, SMTP goes down, NATS is away for
// 30 s, the payment provider is slow past the client's timeout and then failing, and region processes are
// killed (-9) mid-charge three times. After each fault a probe hold must succeed within 10 s. At the end,
// from the committed database and the SMTP server's mailbox: no seat sold twice, no charge without a confirmed
// or refunded booking, nothing pending, no hold past its expiry, every outbox event published, what clients
// were told is what the database holds, and every booking confirmed to its person exactly once.
// MARQUEE_FAULTS=word[,word...] runs only the faults whose names contain one of the words, in the suite's order.
func TestFaultsSurvived(t *testing.T) {
	r := startFaultRig(t)
	layout := seed.Layout{Rows: 10, SeatsPerRow: 12, AisleAfter: []int{6}}
	var shows []string
	for _, reg := range regions.All() {
		for range 3 {
			shows = append(shows, r.fixture(t, reg.Name, layout).Showtime.ID)
		}
	}
	probeShow := r.fixture(t, regions.Primary().Name, seed.Layout{Rows: 1, SeatsPerRow: 4}).Showtime.ID
	prober := register(t, r.api, "prober@example.com")

	var stop atomic.Bool
	c := &crowd{}
	for i := range 6 {
		sh := &shopper{api: r.api, u: register(t, r.api, fmt.Sprintf("faulty%d@example.com", i)), shows: shows,
			rng: rand.New(rand.NewPCG(uint64(i), 11)), gate: &c.gate, think: 300 * time.Millisecond}
		c.shoppers = append(c.shoppers, sh)
		c.wg.Go(func() { sh.run(&stop) })
	}
	t.Cleanup(func() { stop.Store(true); c.wait() })
	waitFor(t, 30*time.Second, "bookings before the first fault", func() bool { return confirmedCount(c) >= 6 })

	only := os.Getenv("MARQUEE_FAULTS")
	injected := 0
	for _, f := range faults {
		if only != "" && !slices.ContainsFunc(strings.Split(only, ","),
			func(w string) bool { return strings.Contains(f.name, w) }) {
			continue
		}
		before := confirmedCount(c)
		start := time.Now()
		f.inject(t, r)
		ended := time.Now()
		injected++
		if f.name == "kill-9" {
			injected += len(killed) - 1 // one kill each
		}
		back := waitFor(t, 10*time.Second, "a hold after "+f.name, func() bool { return probeHold(r.api, prober, probeShow) })
		t.Logf("%s: lasted %v; a hold succeeded %v after it ended", f.name, ended.Sub(start).Round(100*time.Millisecond),
			back.Round(time.Millisecond))
		if !poll(30*time.Second, func() bool { return confirmedCount(c) >= before+3 }) {
			t.Fatalf("fewer than 3 bookings in the 30 s after %s; the shoppers' last errors: %s", f.name, lastErrors(c, 12))
		}
	}
	stop.Store(true)
	c.gate.close()
	c.wait()
	for _, sh := range c.shoppers {
		if !sh.settle(30 * time.Second) {
			t.Fatalf("%s's writes left without an answer 30 s after the faults", sh.u.id)
		}
	}
	ops := 0
	for _, sh := range c.shoppers {
		calls, _, _ := sh.record()
		ops += len(calls)
	}

	waitFor(t, 20*time.Second, "every outbox row published", func() bool {
		return count(t, r.db.Pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`) == 0
	})
	took := waitFor(t, 90*time.Second, "no payment pending (the reconciler settles lost answers)", func() bool {
		return count(t, r.db.Pool, `SELECT count(*) FROM payments WHERE status = 'pending'`) == 0
	})
	t.Logf("payments settled %v after the clients stopped", took.Round(time.Millisecond))
	waitFor(t, 10*time.Second, "no live hold past its expiry", func() bool {
		return count(t, r.db.Pool, `SELECT count(*) FROM holds WHERE status = 'active' AND expires_at < now()`) == 0
	})
	checkSoldOnce(t, r.db.Pool)
	checkCharges(t, r.db.Pool)
	checkClientsView(t, r.stack, c)
	bookings := waitDeliveries(t, r.db.Pool)
	checkMailbox(t, r, bookings)
	if !t.Failed() {
		t.Logf("faults injected: %d; operations run: %d; bookings: %d; invariant violations: 0", injected, ops, len(bookings))
	}
}

// probeHold holds two fixed seats of show and releases them, reporting whether both worked.
func probeHold(a *api, u user, show string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := a.seats.HoldSeats(ctx, as(u.token, &marqueev1.HoldSeatsRequest{ShowtimeId: show, SeatIds: []string{"A1", "A2"}}))
	if err != nil {
		return false
	}
	_, err = a.seats.ReleaseHold(ctx, as(u.token, &marqueev1.ReleaseHoldRequest{HoldId: h.Msg.Hold.Id}))
	return err == nil
}

// checkMailbox checks the SMTP server's mailbox: every booking's confirmation reached its person's address
// under the delivery's own Message-ID, and no confirmation reached anyone else. A message sent again by a
// process killed before it recorded the send carries the same Message-ID, so the person's mail client shows it
// once; such resends are counted and logged.
func checkMailbox(t *testing.T, r *faultRig, bookings []string) {
	t.Helper()
	byID := map[string][]smtptest.Message{}
	for _, m := range r.mail.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Errorf("a message the SMTP server accepted does not parse: %v", err)
			continue
		}
		id, _, _ := strings.Cut(strings.Trim(msg.Header.Get("Message-Id"), "<>"), "@")
		if strings.HasPrefix(id, "booking_confirmed/") {
			byID[id] = append(byID[id], m)
		}
	}
	resent := 0
	for _, b := range bookings {
		var email string
		if err := r.db.Pool.QueryRow(context.Background(), `SELECT u.email FROM bookings b JOIN users u ON u.id = b.user_id
			WHERE b.id = $1`, b).Scan(&email); err != nil {
			t.Fatal(err)
		}
		id := "booking_confirmed/" + b + "/email"
		msgs := byID[id]
		delete(byID, id)
		if len(msgs) == 0 {
			t.Errorf("booking %s: no confirmation in the mailbox", b)
		}
		resent += max(len(msgs)-1, 0)
		for _, m := range msgs {
			if !slices.Equal(m.To, []string{email}) {
				t.Errorf("booking %s's confirmation went to %v, want %s", b, m.To, email)
			}
		}
	}
	for id := range byID {
		t.Errorf("a confirmation %s for no booking", id)
	}
	t.Logf("confirmations in the mailbox: %d bookings, %d sent again under the same Message-ID", len(bookings), resent)
}

// poll reports whether cond came to hold within limit, checking every 10ms.
func poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// lastErrors describes the n latest failed calls of the crowd, for a failure message.
func lastErrors(c *crowd, n int) string {
	var failed []call
	for _, sh := range c.shoppers {
		calls, _, _ := sh.record()
		for _, cl := range calls {
			if cl.err != nil {
				failed = append(failed, cl)
			}
		}
	}
	slices.SortFunc(failed, func(a, b call) int { return a.end.Compare(b.end) })
	var b strings.Builder
	for _, cl := range failed[max(len(failed)-n, 0):] {
		fmt.Fprintf(&b, "\n  %s %s: %v", cl.end.Format("15:04:05.000"), cl.proc, cl.err)
	}
	return b.String()
}
