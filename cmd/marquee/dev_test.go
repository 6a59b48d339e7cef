package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/marqueehq/marquee/internal/config"
)

// TestDevPassesShortHoldsToRegions: `marquee dev` takes --allow-short-holds and a short --hold-ttl, refuses the
// short TTL without the flag, and hands both flags to every region child, which accepts them.
func TestDevPassesShortHoldsToRegions(t *testing.T) {
	if _, err := parseDev([]string{"--hold-ttl", "30s"}); err == nil || !strings.Contains(err.Error(), "--allow-short-holds") {
		t.Fatalf("dev --hold-ttl 30s: %v, want a refusal naming --allow-short-holds", err)
	}
	d, err := parseDev([]string{"--allow-short-holds", "--hold-ttl", "30s", "--regions", "us-east1", "--addr", "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("dev --allow-short-holds --hold-ttl 30s: %v", err)
	}
	for _, want := range []string{"--allow-short-holds=true", "--hold-ttl=30s"} {
		if !slices.Contains(d.childArgs, want) {
			t.Errorf("region children get %q, want %s among them", d.childArgs, want)
		}
	}
	if slices.ContainsFunc(d.childArgs, func(a string) bool { return strings.HasPrefix(a, "--addr") || strings.HasPrefix(a, "--regions") }) {
		t.Errorf("region children get dev's own flags: %q", d.childArgs)
	}
	child := config.Default()
	if err := child.Parse("marquee region", d.childArgs); err != nil || child.HoldTTL.String() != "30s" || !child.AllowShortHolds {
		t.Fatalf("a region child parsing %q: %v, hold TTL %v, short holds %v", d.childArgs, err, child.HoldTTL, child.AllowShortHolds)
	}
}

// TestDevLoadsHistoryByDefault: `marquee dev` loads the booking history unless --history=false, and keeps the
// flag for itself; a region child (and config.Default, which tests use) does not load it.
func TestDevLoadsHistoryByDefault(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want bool
	}{"OK": {nil, true}, "OKOff": {[]string{"--history=false"}, false}} {
		t.Run(name, func(t *testing.T) {
			d, err := parseDev(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if d.config.History != tc.want {
				t.Errorf("dev %q: History = %v, want %v", tc.args, d.config.History, tc.want)
			}
			if slices.ContainsFunc(d.childArgs, func(a string) bool { return strings.HasPrefix(a, "--history") }) {
				t.Errorf("region children get --history: %q", d.childArgs)
			}
		})
	}
	if config.Default().History {
		t.Error("config.Default().History is set, want it off outside `marquee dev`")
	}
}
