// Package search answers catalog searches: movies by text, place, day and format with facets, theatres by
// distance, and autocomplete. It holds no database: the owner feeds it from the catalog store (Build) and keeps
// it fresh from catalog events (the Upsert and Delete methods).
//
// Text lives in in-memory bleve (scorch) indexes; showtimes, theatres and the filters that depend on them are
// answered from plain Go maps, so showtime events never write to bleve. In-memory scorch never merges its
// segments and every write adds one (searches slow down with the segment count), so after 128 writes an index
// is rebuilt into one segment in the background from the maps and swapped in; writes made meanwhile are
// replayed onto the new index.
package search

import (
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/marqueehq/marquee/internal/errs"
)

// The text indexes of a state.
const (
	movieText = iota
	theatreText
	suggestText
	numText
)

// defaultCompactAfter is how many writes an index takes before it is rebuilt into one segment.
const defaultCompactAfter = 128

// Index searches the catalog. It is safe for concurrent use; a write is visible to every search that starts
// after the write returns.
type Index struct {
	wmu          sync.Mutex   // serializes writers and Build
	mu           sync.RWMutex // guards st and everything it points to
	st           *state
	compactAfter int
	wg           sync.WaitGroup // background compactions
	closed       bool
}

// state is one generation of the index: maps and the bleve indexes built from them. Build replaces it whole.
type state struct {
	text      [numText]*textIndex
	movies    map[string]*movieEntry
	theatres  map[string]*theatreEntry
	shows     map[string]*showEntry
	byMovie   map[string]map[string]*showEntry // movie ID -> showtime ID -> showtime
	byTheatre map[string]map[string]*showEntry
	persons   map[string]*personEntry // folded name -> person
	byLat     []*theatreEntry         // every theatre, by latitude
	browse    []*movieEntry           // every movie in browse order (see browseLess); nil while Build loads
}

// textIndex is one bleve index with its write count and, while it is being compacted, the writes to replay.
type textIndex struct {
	idx         bleve.Index
	writes      int // segments added since the index was built
	compacting  bool
	log         []write
	compactions int
}

// write is one document change for a text index; a nil doc deletes.
type write struct {
	text int
	id   string
	doc  map[string]any
}

var mappings = [numText]func() (*mapping.IndexMappingImpl, error){movieMapping, theatreMapping, suggestMapping}

// New returns an empty Index.
func New() (*Index, error) {
	st, err := newState()
	if err != nil {
		return nil, errs.E("search.New", err)
	}
	return &Index{st: st, compactAfter: defaultCompactAfter}, nil
}

func newState() (*state, error) {
	st := &state{
		movies: map[string]*movieEntry{}, theatres: map[string]*theatreEntry{}, shows: map[string]*showEntry{},
		byMovie: map[string]map[string]*showEntry{}, byTheatre: map[string]map[string]*showEntry{},
		persons: map[string]*personEntry{}, browse: []*movieEntry{},
	}
	for i := range st.text {
		idx, err := newBleve(i)
		if err != nil {
			st.close()
			return nil, err
		}
		st.text[i] = &textIndex{idx: idx}
	}
	return st, nil
}

// newBleve opens an empty in-memory scorch index for text index i.
func newBleve(i int) (bleve.Index, error) {
	m, err := mappings[i]()
	if err != nil {
		return nil, err
	}
	return bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
}

func (st *state) close() {
	for _, t := range st.text {
		if t != nil {
			_ = t.idx.Close()
		}
	}
}

// Close waits for background compactions and releases the indexes. The Index must not be used afterwards.
func (ix *Index) Close() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	ix.closed = true
	ix.mu.Unlock()
	ix.wg.Wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.st.close()
	return nil
}

func (ix *Index) isClosed() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.closed
}

// apply writes ws to the current state's bleve indexes, one batch (one segment) per index touched. The caller
// holds ix.mu for writing.
func (ix *Index) apply(ws []write) error {
	st := ix.st
	batches := map[int]*bleve.Batch{}
	for _, w := range ws {
		t := st.text[w.text]
		if batches[w.text] == nil {
			batches[w.text] = t.idx.NewBatch()
		}
		if err := addTo(batches[w.text], w); err != nil {
			return err
		}
		if t.compacting {
			t.log = append(t.log, w)
		}
	}
	for i, b := range batches {
		if err := st.text[i].idx.Batch(b); err != nil {
			return err
		}
		ix.noteWrite(st, i)
	}
	return nil
}

func addTo(b *bleve.Batch, w write) error {
	if w.doc == nil {
		b.Delete(w.id)
		return nil
	}
	return b.Index(w.id, w.doc)
}

// noteWrite counts a segment added to text index i and starts a compaction when there are too many.
func (ix *Index) noteWrite(st *state, i int) {
	t := st.text[i]
	t.writes++
	if t.writes < ix.compactAfter || t.compacting || ix.closed {
		return
	}
	t.compacting, t.log = true, nil
	ix.wg.Add(1)
	go ix.compact(st, i)
}

// compact rebuilds text index i of st into a single segment and swaps it in, unless st was replaced meanwhile.
// Writes made after the compaction started are logged by apply and replayed here, in order.
func (ix *Index) compact(st *state, i int) {
	defer ix.wg.Done()
	ix.mu.RLock()
	ws := st.docs(i)
	ix.mu.RUnlock()
	fresh, err := buildOne(i, ws)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := st.text[i]
	if err == nil && ix.st == st && !ix.closed {
		err = replay(fresh, t.log)
	}
	if err != nil || ix.st != st || ix.closed {
		t.compacting, t.log = false, nil
		if fresh != nil {
			_ = fresh.Close()
		}
		return
	}
	old := t.idx
	t.idx, t.writes, t.compacting = fresh, min(len(t.log), 1), false
	t.log = nil
	t.compactions++
	_ = old.Close()
}

// buildOne creates text index i holding ws, in one batch.
func buildOne(i int, ws []write) (bleve.Index, error) {
	idx, err := newBleve(i)
	if err != nil {
		return nil, err
	}
	if err := replay(idx, ws); err != nil {
		_ = idx.Close()
		return nil, err
	}
	return idx, nil
}

func replay(idx bleve.Index, ws []write) error {
	if len(ws) == 0 {
		return nil
	}
	b := idx.NewBatch()
	for _, w := range ws {
		if err := addTo(b, w); err != nil {
			return err
		}
	}
	return idx.Batch(b)
}

// docs returns a write for every document text index i should hold.
func (st *state) docs(i int) []write {
	var ws []write
	switch i {
	case movieText:
		for _, m := range st.movies {
			ws = append(ws, m.textWrite())
		}
	case theatreText:
		for _, t := range st.theatres {
			ws = append(ws, t.textWrite())
		}
	case suggestText:
		for _, m := range st.movies {
			ws = append(ws, m.suggestWrite())
		}
		for _, t := range st.theatres {
			ws = append(ws, t.suggestWrite())
		}
		for _, p := range st.persons {
			ws = append(ws, p.suggestWrite())
		}
	}
	return ws
}
