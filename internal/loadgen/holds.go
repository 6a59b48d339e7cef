package loadgen

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// HoldResults are the numbers of the hold phase: every client holds a random pair of adjacent seats of the hot
// showtime and releases them at once, for Options.Duration.
type HoldResults struct {
	Elapsed       time.Duration // from the start until the last client stopped
	Holds         int           // successful HoldSeats calls
	Conflicts     int           // HoldSeats answered failed_precondition: a seat was taken
	Errors        int           // HoldSeats failed otherwise
	ReleaseErrors int           // ReleaseHold failed
	FirstError    string        // the first unexpected error, if any
	Latency       Latency       // of every HoldSeats call, whatever its outcome
	Release       Latency       // of every ReleaseHold call
	// HoldRetries and ReleaseRetries are the hold and release transactions the server ran again after a
	// serialization failure or deadlock (store.DB.Transact's retries of CreateHold and ReleaseHold).
	HoldRetries, ReleaseRetries int
	Stats                       PhaseStats
}

// PerSecond returns successful holds per second.
func (r HoldResults) PerSecond() float64 { return perSecond(r.Holds, r.Elapsed) }

// WritesPerSecond returns successful write RPCs (holds and releases) per second.
func (r HoldResults) WritesPerSecond() float64 {
	return perSecond(r.Holds+r.Release.N-r.ReleaseErrors, r.Elapsed)
}

// transactions is how many hold and release transactions the calls ran (each call one, plus its retries). A
// HoldSeats the orphan-seat rule refused before its transaction is counted too, which slightly understates the
// share retried.
func (r HoldResults) transactions() int {
	return r.Latency.N + r.Release.N + r.HoldRetries + r.ReleaseRetries
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// holdClient is one client's tally in the hold phase.
type holdClient struct {
	holds, conflicts, errors, releaseErrors int
	firstErr                                error
	holdLat, releaseLat                     []time.Duration
}

// RunHolds runs the hold phase.
func (s *Stack) RunHolds(ctx context.Context) (HoldResults, error) {
	holdRetries, releaseRetries := s.retries()
	start := s.snapshot()
	deadline := start.at.Add(s.opts.Duration)
	clients := make([]holdClient, s.opts.Clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() { clients[i].run(ctx, s, s.tokens[i], deadline) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return HoldResults{}, err
	}
	res := HoldResults{Stats: s.since(start)}
	res.Elapsed = res.Stats.Wall
	var holdLat, releaseLat [][]time.Duration
	for _, c := range clients {
		res.Holds += c.holds
		res.Conflicts += c.conflicts
		res.Errors += c.errors
		res.ReleaseErrors += c.releaseErrors
		if c.firstErr != nil && res.FirstError == "" {
			res.FirstError = c.firstErr.Error()
		}
		holdLat, releaseLat = append(holdLat, c.holdLat), append(releaseLat, c.releaseLat)
	}
	res.Latency, res.Release = summarize(holdLat), summarize(releaseLat)
	h, r := s.retries()
	res.HoldRetries, res.ReleaseRetries = h-holdRetries, r-releaseRetries
	return res, nil
}

// run holds a random pair of adjacent seats and releases them, until the deadline.
func (c *holdClient) run(ctx context.Context, s *Stack, token string, deadline time.Time) {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		pair := s.pairs[rand.N(len(s.pairs))]
		req := &marqueev1.HoldSeatsRequest{ShowtimeId: s.Hot.ID, SeatIds: pair[:]}
		t0 := time.Now()
		res, err := s.seatSvc.HoldSeats(ctx, authed(token, req))
		c.holdLat = append(c.holdLat, time.Since(t0))
		switch {
		case err == nil:
			c.holds++
			c.release(ctx, s, token, res.Msg.GetHold().GetId())
		case connect.CodeOf(err) == connect.CodeFailedPrecondition:
			c.conflicts++
		case ctx.Err() == nil:
			c.errors++
			c.firstErr = cmpOr(c.firstErr, err)
		}
	}
}

func (c *holdClient) release(ctx context.Context, s *Stack, token, holdID string) {
	t0 := time.Now()
	_, err := s.seatSvc.ReleaseHold(ctx, authed(token, &marqueev1.ReleaseHoldRequest{HoldId: holdID}))
	c.releaseLat = append(c.releaseLat, time.Since(t0))
	if err != nil && ctx.Err() == nil {
		c.releaseErrors++
		c.firstErr = cmpOr(c.firstErr, errors.New("ReleaseHold: "+err.Error()))
	}
}

// cmpOr returns first unless it is nil, then next.
func cmpOr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
