package inventory

import (
	"context"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/watch"
	"github.com/marqueehq/marquee/regions"
)

// The seat map cache's limits.
const (
	// mapMaxAge bounds how long a cached map is served without a change being reported: held seats become
	// free when their hold expires, which no event reports until the sweeper runs.
	mapMaxAge = 5 * time.Second
	// mapStaleFor is how old a map the hold path accepts for the orphan-seat rule and demand pricing, changes
	// or not (the hold's transaction decides which seats are free).
	mapStaleFor = time.Second
	// mapIdle is how long an unused showtime's map is kept.
	mapIdle = time.Minute
	// mapLoadTimeout bounds one read of a seat map, whoever waits for it.
	mapLoadTimeout = 10 * time.Second
	// mapMaxShowtimes bounds the showtimes cached at once; past it, maps are read without being kept.
	mapMaxShowtimes = 10_000
)

// errCacheFull says a map is read without the cache.
var errCacheFull = errs.Errorf("inventory.mapCache", errs.Unavailable, "seat map cache full")

// mapCache keeps the seat maps of this process's recently read showtimes, each read again from the database
// only after a change: the region's events (Service.Changes) and this process's own holds mark a map changed.
// One read runs at a time per showtime and serves every reader who arrived before it started, however many.
type mapCache struct {
	changes watch.Changes
	load    func(ctx context.Context, showtimeID string) (SeatMap, error)
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]*mapEntry
	loads   int64
}

// mapEntry is one showtime's cached map. Fields are guarded by mapCache.mu.
type mapEntry struct {
	m      SeatMap
	have   bool
	readAt time.Time
	// gen counts the changes reported; loaded is the gen when the cached map's read started, so the map shows
	// every change up to loaded.
	gen, loaded uint64
	loading     *mapLoad // the read under way; nil when none runs
	used        time.Time
	stop        func()
}

// mapLoad is one read of a showtime's map: done is closed when it ends, with err set if it failed.
type mapLoad struct {
	done chan struct{}
	err  error
}

// get returns a map of showtimeID that shows every change reported before the call and is at least
// minVersion, reading it when the cached one is not.
func (c *mapCache) get(ctx context.Context, showtimeID string, minVersion uint64) (SeatMap, error) {
	c.mu.Lock()
	e, err := c.entry(showtimeID)
	if err != nil {
		c.mu.Unlock()
		return c.load(ctx, showtimeID)
	}
	want := e.gen
	for {
		now := c.now()
		e.used = now
		if e.have && e.loaded >= want && e.m.Version >= minVersion && now.Sub(e.readAt) < mapMaxAge {
			m := e.m
			c.mu.Unlock()
			return m, nil
		}
		if e.loading == nil {
			c.startLoad(showtimeID, e)
		}
		ld := e.loading
		c.mu.Unlock()
		select {
		case <-ld.done:
		case <-ctx.Done():
			return SeatMap{}, ctx.Err()
		}
		if ld.err != nil {
			return SeatMap{}, ld.err
		}
		c.mu.Lock()
		if e.loaded >= want && e.m.Version < minVersion {
			// The database's clock has not reached a version the caller saw: another process's clock, or a
			// version made up by the caller. The map is as new as can be.
			m := e.m
			c.mu.Unlock()
			return m, nil
		}
	}
}

// recent returns a map of showtimeID read less than mapStaleFor ago, changed since or not, reading one when
// there is none; a read is started in the background when a change is pending.
func (c *mapCache) recent(ctx context.Context, showtimeID string) (SeatMap, error) {
	c.mu.Lock()
	e, err := c.entry(showtimeID)
	if err != nil {
		c.mu.Unlock()
		return c.load(ctx, showtimeID)
	}
	now := c.now()
	if e.have && now.Sub(e.readAt) < mapStaleFor {
		e.used = now
		if e.loaded < e.gen && e.loading == nil {
			c.startLoad(showtimeID, e)
		}
		m := e.m
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	return c.get(ctx, showtimeID, 0)
}

// changed marks showtimeID's map changed, as this process's own writes do before their event comes back.
func (c *mapCache) changed(showtimeID string) {
	c.mu.Lock()
	if e, ok := c.entries[showtimeID]; ok {
		e.gen++
	}
	c.mu.Unlock()
}

// entry returns showtimeID's entry, making it (and following its changes) on first use. Called with c.mu held.
func (c *mapCache) entry(showtimeID string) (*mapEntry, error) {
	if e, ok := c.entries[showtimeID]; ok {
		return e, nil
	}
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return nil, errs.Errorf("inventory.mapCache", errs.NotFound, "showtime not found")
	}
	c.evictIdle()
	if len(c.entries) >= mapMaxShowtimes {
		return nil, errCacheFull
	}
	e := &mapEntry{used: c.now()}
	// changed runs on the hub's goroutine and must not block: it only counts.
	stop, err := c.changes.Listen(watch.Key{Region: r.Name, ID: showtimeID}, func() { c.changed(showtimeID) })
	if err != nil {
		return nil, err
	}
	e.stop = stop
	if c.entries == nil {
		c.entries = map[string]*mapEntry{}
	}
	c.entries[showtimeID] = e
	return e, nil
}

// startLoad reads showtimeID's map in the background; e.loading is closed when it ends. Called with c.mu held.
func (c *mapCache) startLoad(showtimeID string, e *mapEntry) {
	ld := &mapLoad{done: make(chan struct{})}
	e.loading = ld
	gen := e.gen
	c.loads++
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mapLoadTimeout)
		m, err := c.load(ctx, showtimeID)
		cancel()
		c.mu.Lock()
		defer c.mu.Unlock()
		e.loading, ld.err = nil, err
		close(ld.done)
		if err != nil && !e.have && c.entries[showtimeID] == e {
			e.stop() // a showtime that does not exist (or cannot be read now) is not kept
			delete(c.entries, showtimeID)
			return
		}
		if err == nil && (!e.have || m.Version >= e.m.Version) { // never replace a map by an older one
			e.m, e.have, e.readAt, e.loaded = m, true, c.now(), gen
		}
	}()
}

// evictIdle drops the maps not used for mapIdle, and stops following their changes. Called with c.mu held.
func (c *mapCache) evictIdle() {
	now := c.now()
	for id, e := range c.entries {
		if e.loading == nil && now.Sub(e.used) > mapIdle {
			e.stop()
			delete(c.entries, id)
		}
	}
}

// stats returns how many showtimes the cache holds and how many reads it has made.
func (c *mapCache) stats() (showtimes int, loads int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.loads
}
