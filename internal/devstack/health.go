package devstack

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// WaitHealthy waits until the children of the named regions (every region when none is named) answer
// GET /healthz, failing early if one exits.
func (s *Stack) WaitHealthy(ctx context.Context, names ...string) error {
	children := s.Regions()
	if len(names) == 0 {
		for name := range children {
			names = append(names, name)
		}
	}
	for _, name := range names {
		r, ok := children[name]
		if !ok {
			return fmt.Errorf("devstack: no child of region %q", name)
		}
		if err := waitHealthy(ctx, r, 60*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// waitHealthy polls r's /healthz until it answers 200, r exits, ctx ends or timeout passes.
func waitHealthy(ctx context.Context, r *Region, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		if r.Exited() {
			return fmt.Errorf("devstack: region %s exited while starting (see its log)", r.Name)
		}
		if res, err := client.Get(r.URL + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devstack: region %s not healthy after %v", r.Name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
