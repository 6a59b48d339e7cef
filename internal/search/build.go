package search

import (
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// minBuildChunk is the fewest items Build indexes per batch; each batch adds one segment per index.
const minBuildChunk = 5000

// Build replaces the whole index with the given catalog. Searches keep using the previous contents until Build
// succeeds; writes wait for it. progress, when not nil, is called with the number of items (theatres, movies
// and showtimes) loaded so far after each chunk, and finally with done == total. On error the previous
// contents stay.
func (ix *Index) Build(movies []catalog.Movie, theatres []TheatreDoc, showtimes []catalog.Showtime,
	progress func(done, total int)) error {
	const op = "search.Build"
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.isClosed() {
		return errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	st, err := newState()
	if err != nil {
		return errs.E(op, err)
	}
	if err := load(op, st, movies, theatres, showtimes, progress); err != nil {
		st.close()
		return err
	}
	ix.mu.Lock()
	old, closed := ix.st, ix.closed
	if !closed {
		ix.st = st
	}
	ix.mu.Unlock()
	if closed {
		st.close()
		return errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	old.close()
	return nil
}

// load fills st: theatres first, so that showtimes get their local days, then movies, then showtimes.
func load(op string, st *state, movies []catalog.Movie, theatres []TheatreDoc, showtimes []catalog.Showtime,
	progress func(done, total int)) error {
	total := len(movies) + len(theatres) + len(showtimes)
	b := &builder{st: st, total: total, chunk: max(minBuildChunk, total/20), progress: progress}
	st.browse = nil
	for _, t := range theatres {
		if err := b.item(st.putTheatre(op, t.Theatre, t.CityName)); err != nil {
			return err
		}
	}
	for _, m := range movies {
		if err := b.item(st.putMovie(op, m)); err != nil {
			return err
		}
	}
	for _, s := range showtimes {
		if err := b.item(nil, st.putShow(op, s)); err != nil {
			return err
		}
	}
	st.sortBrowse()
	return b.flush(true)
}

// builder batches the text writes of Build and reports progress.
type builder struct {
	st          *state
	batches     [numText]*bleve.Batch
	pending     int
	done, total int
	chunk       int
	progress    func(done, total int)
}

// item adds the writes of one loaded item, flushing every chunk items.
func (b *builder) item(ws []write, err error) error {
	if err != nil {
		return err
	}
	for _, w := range ws {
		if b.batches[w.text] == nil {
			b.batches[w.text] = b.st.text[w.text].idx.NewBatch()
		}
		if err := addTo(b.batches[w.text], w); err != nil {
			return errs.E("search.Build", err)
		}
	}
	b.pending++
	b.done++
	if b.pending >= b.chunk {
		return b.flush(false)
	}
	return nil
}

// flush indexes the pending batches and reports progress; final reports even when nothing is pending.
func (b *builder) flush(final bool) error {
	if b.pending == 0 && !final {
		return nil
	}
	for i, batch := range b.batches {
		if batch == nil || batch.Size() == 0 {
			continue
		}
		t := b.st.text[i]
		if err := t.idx.Batch(batch); err != nil {
			return errs.E("search.Build", err)
		}
		t.writes++
		b.batches[i] = nil
	}
	b.pending = 0
	if b.progress != nil {
		b.progress(b.done, b.total)
	}
	return nil
}

// sortBrowse rebuilds the browse order from scratch.
func (st *state) sortBrowse() {
	st.browse = make([]*movieEntry, 0, len(st.movies))
	for _, e := range st.movies {
		st.browse = append(st.browse, e)
	}
	sort.Slice(st.browse, func(i, j int) bool { return browseLess(st.browse[i], st.browse[j]) })
}
