// Package platform holds the small services every domain package is given: the clock and ID generation.
package platform

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Clock returns the current time. Services read it once per operation so a transaction sees one instant.
type Clock func() time.Time

// SystemClock is the wall clock in UTC, to the microsecond, the precision the database keeps.
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// IDs generates unique identifiers: 128 random bits written as 26 Crockford base32 characters (the ULID text
// form). They are deliberately not time-ordered: sequential keys make every insert land on the same index page
// (PostgreSQL's serializable checks then see conflicts between unrelated transactions) and on the same range
// (a hot spot in CockroachDB). It is safe for concurrent use.
type IDs struct {
	now     Clock
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// NewIDs returns an ID source; Ordered reads time from now.
func NewIDs(now Clock) *IDs { return &IDs{now: now, entropy: ulid.Monotonic(rand.Reader, 0)} }

// Ordered returns a time-ordered ID (a monotonic ULID) with a region prefix, for rows whose IDs must sort in
// creation order even within one clock tick, such as places in a standby line.
func (g *IDs) Ordered(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return prefix + "_" + ulid.MustNew(ulid.Timestamp(g.now()), g.entropy).String()
}

// New returns a fresh random ID, for global rows such as users and movies.
func (g *IDs) New() string {
	var id ulid.ULID
	if _, err := rand.Read(id[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return id.String()
}

// Regional returns a fresh ID carrying a region's ID prefix, for example "use1_01JD...", so a call can be routed
// to the region owning the row without a lookup.
func (g *IDs) Regional(prefix string) string { return prefix + "_" + g.New() }

// PrefixOf returns the region prefix of a regional ID, or "" when id has none.
func PrefixOf(id string) string {
	p, _, ok := strings.Cut(id, "_")
	if !ok {
		return ""
	}
	return p
}

// ManualClock is a clock that moves only when told, for tests. It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{t: t.UTC().Truncate(time.Microsecond)}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
