package edge

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Cache keeps successful unary answers of the calls whose route sets edge_cache_ttl, keyed by procedure, the
// region chosen, the request bytes and the headers that change the answer's bytes. An answer is fresh for its
// TTL unless InvalidateCatalog was called since it was stored; after that it is kept a while longer, to be
// served marked stale when no region can answer. It is safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	entries  map[cacheKey]*entry
	gen      atomic.Uint64 // bumped by InvalidateCatalog
	max      int
	staleFor time.Duration
	now      func() time.Time
}

// cacheKey is a SHA-256 of what identifies a call's answer.
type cacheKey [sha256.Size]byte

// entry is a stored answer.
type entry struct {
	header  http.Header
	body    []byte
	expires time.Time
	gen     uint64
}

// maxEntryBytes bounds the size of one cached answer; larger ones pass through uncached.
const maxEntryBytes = 1 << 20

// newCache makes a cache of at most max answers, each kept staleFor past its TTL.
func newCache(max int, staleFor time.Duration, now func() time.Time) *Cache {
	return &Cache{entries: map[cacheKey]*entry{}, max: max, staleFor: staleFor, now: now}
}

// InvalidateCatalog makes every cached answer stale at once: none is served fresh again, though each may still
// be served (marked stale) while no region can answer. The catalog event subscription calls it on each
// CatalogChanged event.
func (c *Cache) InvalidateCatalog() { c.gen.Add(1) }

// generation is read when a call starts; put refuses answers from calls that started before an invalidation.
func (c *Cache) generation() uint64 { return c.gen.Load() }

// headersThatMatter change the bytes of an answer; other request headers (Authorization included: cached
// routes answer the same to every caller) do not.
var headersThatMatter = []string{"Content-Type", "Content-Encoding", "Accept-Encoding", "Connect-Protocol-Version"}

// keyOf identifies the answer to r, with body, when served by region.
func keyOf(procedure, region string, r *http.Request, body []byte) cacheKey {
	h := sha256.New()
	field := func(s []byte) {
		_ = binary.Write(h, binary.BigEndian, uint32(len(s)))
		h.Write(s)
	}
	field([]byte(procedure))
	field([]byte(region))
	field([]byte(r.Method))
	field([]byte(r.URL.RawQuery))
	for _, name := range headersThatMatter {
		for _, v := range r.Header.Values(name) {
			field([]byte(name + ":" + v))
		}
	}
	field(body)
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// get returns the answer stored under k, and whether it is fresh; nil when there is none or it is too old
// even to serve stale.
func (c *Cache) get(k cacheKey) (e *entry, fresh bool) {
	c.mu.Lock()
	e = c.entries[k]
	c.mu.Unlock()
	now := c.now()
	if e == nil || !now.Before(e.expires.Add(c.staleFor)) {
		return nil, false
	}
	return e, now.Before(e.expires) && e.gen == c.gen.Load()
}

// put stores an answer of a call that started at generation gen, for ttl.
func (c *Cache) put(k cacheKey, header http.Header, body []byte, ttl time.Duration, gen uint64) {
	if gen != c.gen.Load() {
		return // the catalog changed while the call was in flight
	}
	h := header.Clone()
	h.Del("Content-Length")
	h.Del("Date")
	e := &entry{header: h, body: body, expires: c.now().Add(ttl), gen: gen}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.evict()
	}
	c.entries[k] = e
}

// evict drops answers too old to serve stale and, if the cache is still full, an eighth of the rest (Go's map
// order picks them at random). c.mu is held.
func (c *Cache) evict() {
	now := c.now()
	for k, e := range c.entries {
		if !now.Before(e.expires.Add(c.staleFor)) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max-c.max/8 {
			break
		}
		delete(c.entries, k)
	}
}

// Len returns the number of answers held, fresh or not.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// serve writes a stored answer, marked with how it was found ("hit" or "stale").
func (e *entry) serve(w http.ResponseWriter, how string) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	h.Set(CacheHeader, how)
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.body)
}
