package standby

import (
	"context"
	"log/slog"
	"time"
)

// Lines lists the showtimes that have people waiting.
type Lines interface {
	ShowtimesWithLine(ctx context.Context) ([]string, error)
}

// Sweeper releases expired holds.
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// Worker is the background loop of a region process: it releases expired holds, closes lines of shows that
// started and serves every line with free seats. Events (a cancellation, released seats) trigger Serve at
// once; the loop is the safety net that also works while NATS is down.
type Worker struct {
	Service  *Service
	Sweeper  Sweeper
	Lines    Lines
	Interval time.Duration // 500ms when 0
	Log      *slog.Logger
}

// Run loops until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval == 0 {
		interval = 500 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := w.Once(ctx); err != nil && ctx.Err() == nil {
			w.Log.WarnContext(ctx, "standby worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs one round: sweep, close started lines, serve lines.
func (w *Worker) Once(ctx context.Context) error {
	if _, err := w.Sweeper.Sweep(ctx); err != nil {
		return err
	}
	if _, err := w.Service.Store.CloseStarted(ctx, w.Service.Now()); err != nil {
		return err
	}
	ids, err := w.Lines.ShowtimesWithLine(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := w.Service.Serve(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
