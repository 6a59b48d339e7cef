package devstack

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

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
