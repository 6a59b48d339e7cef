package store

import (
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/inventory"
)

// configCache keeps, per showtime, the hold inputs that are configuration rather than state (the showtime,
// its chain's policy and pricing rules, the screen's seats) for a short time, so a hold on a busy show does
// not read them again every time. Writes of pricing rules or policies in this process clear it; other
// processes see such a change within the TTL.
type configCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedConfig
}

type cachedConfig struct {
	at    time.Time
	in    inventory.HoldInputs           // Seats holds every seat of the screen, statuses unknown
	types map[string]inventory.SeatState // the same seats by ID
}

func newConfigCache(ttl time.Duration) *configCache {
	return &configCache{ttl: ttl, m: map[string]cachedConfig{}}
}

func (c *configCache) get(showtimeID string) (cachedConfig, bool) {
	if c == nil {
		return cachedConfig{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[showtimeID]
	if !ok || time.Since(e.at) > c.ttl {
		return cachedConfig{}, false
	}
	return e, true
}

func (c *configCache) put(showtimeID string, e cachedConfig) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		c.m = map[string]cachedConfig{}
	}
	e.at = time.Now()
	c.m[showtimeID] = e
}

// clear forgets everything, after a pricing rule or policy changed.
func (c *configCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[string]cachedConfig{}
}
