package standby_test

import (
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/standby"
)

func TestOfferWindow(t *testing.T) {
	for left, want := range map[time.Duration]time.Duration{
		48 * time.Hour:   15 * time.Minute,
		24 * time.Hour:   15 * time.Minute,
		12 * time.Hour:   7*time.Minute + 30*time.Second,
		time.Hour:        3 * time.Minute,
		10 * time.Minute: 3 * time.Minute,
	} {
		if got := standby.DefaultWindow.For(left); got != want {
			t.Errorf("window %v before the show = %v, want %v", left, got, want)
		}
	}
}
