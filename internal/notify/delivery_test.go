package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/notifytest"
	"github.com/marqueehq/marquee/internal/notify/smtptest"
	"github.com/marqueehq/marquee/internal/platform"
)

var t0 = time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC)

// d0 is the delivery ID the Sender tests use: a confirmation email, as a consumer would derive it.
const d0 = "booking_confirmed/b1/email"

func TestBackoffDelay(t *testing.T) {
	b := notify.Backoff{Base: time.Minute, Max: 10 * time.Minute, Jitter: 0.2, MaxAttempts: 5}
	tests := []struct {
		name    string
		attempt int
		r       float64
		want    time.Duration
	}{
		{"OKFirst", 1, 0, time.Minute},
		{"OKSecond", 2, 0, 2 * time.Minute},
		{"OKThird", 3, 0, 4 * time.Minute},
		{"OKFourth", 4, 0, 8 * time.Minute},
		{"OKCapped", 5, 0, 10 * time.Minute},
		{"OKCappedFar", 200, 0, 10 * time.Minute},
		{"OKJitterHalf", 2, 0.5, 2*time.Minute - 12*time.Second},
		{"OKJitterMost", 1, 0.999, time.Minute - time.Duration(float64(time.Minute)*0.2*0.999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Delay(tt.attempt, tt.r); got != tt.want {
				t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
			}
		})
	}
}

// recorder is a Channel that notes when each attempt happened, then passes it on.
type recorder struct {
	mu    sync.Mutex
	now   func() time.Time
	next  notify.Channel
	times []time.Time
}

func (r *recorder) Send(ctx context.Context, m notify.Message) error {
	r.mu.Lock()
	r.times = append(r.times, r.now())
	r.mu.Unlock()
	return r.next.Send(ctx, m)
}

func (r *recorder) attempts() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times...)
}

// channelFunc adapts a function to notify.Channel.
type channelFunc func(context.Context, notify.Message) error

func (f channelFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

// newSender returns a Sender over ch as the email channel, with a manual clock, no jitter and backoff of one
// minute doubling, at most maxAttempts attempts.
func newSender(t *testing.T, ch notify.Channel, maxAttempts int) (*notify.Sender, *notifytest.MemoryLog, *platform.ManualClock) {
	t.Helper()
	clock := platform.NewManualClock(t0)
	log := notifytest.NewMemoryLog()
	s := notify.NewSender(log, map[string]notify.Channel{notify.ChannelEmail: ch}, clock.Now)
	s.Backoff = notify.Backoff{Base: time.Minute, Max: time.Hour, Jitter: 0.5, MaxAttempts: maxAttempts}
	s.Rand = func() float64 { return 0 }
	return s, log, clock
}

// mustGet returns the delivery id as the log holds it.
func mustGet(t *testing.T, log *notifytest.MemoryLog, id string) notify.Delivery {
	t.Helper()
	d, ok := log.Get(id)
	if !ok {
		t.Fatalf("no delivery %s in the log", id)
	}
	return d
}

// TestSenderSMTPDownThenUp runs the Sender's job against a real SMTP server that is down for the first two
// attempts, advancing the clock by the job's 30-second poll between runs, so the test sees exactly when each
// attempt happens.
func TestSenderSMTPDownThenUp(t *testing.T) {
	srv := smtptest.NewServer(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: newSMTP(t, srv.Addr())}
	s, log, clock := newSender(t, rec, 5)
	rec.now = clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	d, err := s.Send(ctx, d0, notify.ChannelEmail, notify.KindConfirmation, confirmationEmail(t))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if d.Status != notify.StatusFailed || d.Attempts != 1 || !d.NextAttemptAt.Equal(t0.Add(time.Minute)) ||
		!strings.Contains(d.LastError, "email: retryable") {
		t.Fatalf("after the first attempt: %+v, want failed, 1 attempt, next at t0+1m", d)
	}
	job, restarted := s.Job(30*time.Second), false
	for polls := 0; mustGet(t, log, d0).Status != notify.StatusSent && polls <= 100; polls++ {
		clock.Advance(job.Every)
		if err := job.Run(ctx); err != nil {
			t.Fatalf("job: %v", err)
		}
		if len(rec.attempts()) == 2 && !restarted {
			restarted = true
			if err := srv.Start(); err != nil {
				t.Fatalf("restarting SMTP: %v", err)
			}
		}
	}

	wantAttempts := []time.Time{t0, t0.Add(time.Minute), t0.Add(3 * time.Minute)} // waits of 1m, then 2m
	if diff := cmp.Diff(wantAttempts, rec.attempts()); diff != "" {
		t.Errorf("attempt times mismatch (-want +got):\n%s", diff)
	}
	want := notify.Delivery{ID: d0, Channel: notify.ChannelEmail, To: "Ana Lima <ana@example.com>",
		Kind: notify.KindConfirmation, Attempts: 3, Status: notify.StatusSent}
	if diff := cmp.Diff(want, mustGet(t, log, d0)); diff != "" {
		t.Errorf("delivery mismatch (-want +got):\n%s", diff)
	}
	if got := srv.Messages(); len(got) != 1 {
		t.Errorf("SMTP server received %d messages, want exactly 1", len(got))
	}
}

func TestSenderDeadAfterMaxAttempts(t *testing.T) {
	srv := smtptest.NewServer(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	s, log, clock := newSender(t, newSMTP(t, srv.Addr()), 3)
	ctx := context.Background()
	if _, err := s.Send(ctx, d0, notify.ChannelEmail, notify.KindConfirmation, confirmationEmail(t)); err != nil {
		t.Fatal(err)
	}
	var statuses []notify.Status
	for range 5 {
		clock.Advance(time.Hour)
		if _, err := s.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, mustGet(t, log, d0).Status)
	}
	want := []notify.Status{notify.StatusFailed, notify.StatusDead, notify.StatusDead, notify.StatusDead, notify.StatusDead}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("statuses after each RunDue mismatch (-want +got):\n%s", diff)
	}
	d := mustGet(t, log, d0)
	if d.Attempts != 3 || !d.NextAttemptAt.IsZero() || !strings.Contains(d.LastError, "email: retryable") {
		t.Errorf("dead delivery = %+v, want 3 attempts, no next attempt, the last error kept", d)
	}
}

func TestSenderOutcomes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want notify.Delivery
	}{
		{"OKSent", nil, notify.Delivery{Attempts: 1, Status: notify.StatusSent}},
		{"ErrPermanentIsDead", &notify.SendError{Channel: "email", Err: errors.New("550 no such user")},
			notify.Delivery{Attempts: 1, Status: notify.StatusDead, LastError: "email: permanent: 550 no such user"}},
		{"ErrRetryable", &notify.SendError{Channel: "email", Retryable: true, Err: errors.New("451 later")},
			notify.Delivery{Attempts: 1, Status: notify.StatusFailed, LastError: "email: retryable: 451 later",
				NextAttemptAt: t0.Add(time.Minute)}},
		{"ErrRetryAfterLongerThanBackoff", &notify.SendError{Channel: "email", Retryable: true, RetryAfter: 10 * time.Minute,
			Err: errors.New("429")}, notify.Delivery{Attempts: 1, Status: notify.StatusFailed,
			LastError: "email: retryable: 429", NextAttemptAt: t0.Add(10 * time.Minute)}},
		{"ErrUnclassifiedIsRetried", errors.New("boom"), notify.Delivery{Attempts: 1, Status: notify.StatusFailed,
			LastError: "boom", NextAttemptAt: t0.Add(time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotID string
			ch := channelFunc(func(ctx context.Context, m notify.Message) error {
				gotID = notify.DeliveryIDFrom(ctx)
				return tt.err
			})
			s, log, _ := newSender(t, ch, 5)
			got, err := s.Send(context.Background(), "d1", notify.ChannelEmail, "k", notify.Message{To: "a@example.com"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			want := tt.want
			want.ID, want.Channel, want.To, want.Kind = "d1", notify.ChannelEmail, "a@example.com", "k"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("returned delivery mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, mustGet(t, log, "d1")); diff != "" {
				t.Errorf("logged delivery mismatch (-want +got):\n%s", diff)
			}
			if gotID != "d1" {
				t.Errorf("channel saw delivery ID %q, want d1", gotID)
			}
		})
	}
}

func TestSenderSendRejects(t *testing.T) {
	sends := 0
	s, _, _ := newSender(t, channelFunc(func(context.Context, notify.Message) error { sends++; return nil }), 5)
	ctx := context.Background()
	if _, err := s.Send(ctx, "d1", notify.ChannelEmail, "k", notify.Message{To: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, channel string
		want              errs.Kind
	}{
		{"ErrDuplicate", "d1", notify.ChannelEmail, errs.Conflict},
		{"ErrUnknownChannel", "d2", "carrier-pigeon", errs.Invalid},
		{"ErrNoID", "", notify.ChannelEmail, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(ctx, tt.id, tt.channel, "k", notify.Message{To: "a@example.com"})
			if !errs.Is(err, tt.want) {
				t.Errorf("Send error = %v, want kind %v", err, tt.want)
			}
		})
	}
	if sends != 1 {
		t.Errorf("channel sent %d times, want 1", sends)
	}
}

// TestSenderCancelledAttempt checks that an attempt cut short by shutdown is not counted: the delivery keeps
// its lease and is retried when the lease lapses.
func TestSenderCancelledAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	s, log, clock := newSender(t, channelFunc(func(ctx context.Context, _ notify.Message) error {
		calls++
		if calls == 1 {
			cancel()
			return ctx.Err()
		}
		return nil
	}), 5)
	if _, err := s.Send(ctx, "d1", notify.ChannelEmail, "k", notify.Message{To: "a@example.com"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send error = %v, want context.Canceled", err)
	}
	if d := mustGet(t, log, "d1"); d.Status != notify.StatusPending || d.Attempts != 0 {
		t.Fatalf("after a cancelled attempt: %+v, want pending with no attempts", d)
	}
	if n, _ := s.RunDue(context.Background()); n != 0 {
		t.Errorf("RunDue within the lease attempted %d deliveries, want 0", n)
	}
	clock.Advance(s.Lease)
	if n, err := s.RunDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunDue after the lease = %d, %v; want 1 attempt", n, err)
	}
	if d := mustGet(t, log, "d1"); d.Status != notify.StatusSent || d.Attempts != 1 {
		t.Errorf("after the retry: %+v, want sent after 1 attempt", d)
	}
}

func TestSenderEnqueue(t *testing.T) {
	sends := 0
	s, log, _ := newSender(t, channelFunc(func(context.Context, notify.Message) error { sends++; return nil }), 5)
	ctx := context.Background()
	d, err := s.Enqueue(ctx, "d1", notify.ChannelEmail, "k", notify.Message{To: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != notify.StatusPending || !d.NextAttemptAt.Equal(t0) || sends != 0 {
		t.Fatalf("Enqueue = %+v after %d sends, want pending, due now, nothing sent", d, sends)
	}
	if _, err := s.Enqueue(ctx, "d1", notify.ChannelEmail, "k", notify.Message{To: "a@example.com"}); !errors.Is(err, notify.ErrDuplicate) {
		t.Errorf("second Enqueue error = %v, want ErrDuplicate", err)
	}
	if n, err := s.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("RunDue = %d, %v; want 1 attempt", n, err)
	}
	if d := mustGet(t, log, "d1"); d.Status != notify.StatusSent || sends != 1 {
		t.Errorf("after RunDue: %+v after %d sends, want sent once", d, sends)
	}
}
