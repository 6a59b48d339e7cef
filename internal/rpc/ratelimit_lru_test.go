package rpc

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// TestRateLimitKeysAreBounded: with MaxKeys = n, logins from n+k distinct addresses leave n buckets; the first
// address, seen again after each newcomer, keeps its bucket (and stays limited), while the address seen least
// recently has been evicted.
func TestRateLimitKeysAreBounded(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{2, 1}, {4, 6}, {100, 250}} {
		t.Run(fmt.Sprintf("MaxKeys%d/Extra%d", tc.n, tc.k), func(t *testing.T) {
			at := time.Unix(1_700_000_000, 0) // the clock stands still: no bucket refills
			ri := newRateInterceptor(RateLimits{Classes: map[LimitClass]Limit{ClassLogin: {PerMinute: 1, Burst: 1}},
				MaxKeys: tc.n}, func() time.Time { return at })
			addr := func(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+i/256, i%256) }
			login := func(i int) error {
				return ri.admit(context.Background(), marqueev1connect.AccountServiceLoginProcedure, addr(i)+":40000", http.Header{})
			}
			for i := range tc.n + tc.k {
				if err := login(i); err != nil {
					t.Fatalf("first login from %s: %v", addr(i), err)
				}
				if i > 0 { // the first address comes back after each newcomer, and is refused each time
					if err := login(0); connect.CodeOf(err) != connect.CodeResourceExhausted {
						t.Fatalf("login %d from %s: %v, want resource_exhausted", i+1, addr(0), err)
					}
				}
			}
			if got := ri.keys.Len(); got != tc.n {
				t.Fatalf("%d buckets kept, want %d", got, tc.n)
			}
			if !ri.keys.Contains("login|ip|" + addr(0)) {
				t.Fatalf("the bucket of %s, seen last, was evicted", addr(0))
			}
			if ri.keys.Contains("login|ip|" + addr(1)) {
				t.Fatalf("the bucket of %s, seen least recently, was kept", addr(1))
			}
			if err := login(0); connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Fatalf("login from %s: %v, want resource_exhausted (its bucket kept, still empty)", addr(0), err)
			}
		})
	}
}
