package archive

import (
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// tailBytes is how much of an object's end is fetched to open it: the footer of an archive object fits.
const tailBytes = 256 << 10

// prefetched serves reads of an object from byte ranges fetched in one request each (its tail, then the row
// groups a read needs), so that opening an object in the bucket and reading a row costs two range requests, not
// one per column chunk. Reads outside them go to the object.
type prefetched struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	segs []segment
}

type segment struct {
	off  int64
	data []byte
}

// openPrefetched opens the Parquet object behind r, fetching its tail first.
func openPrefetched(r io.ReaderAt, size int64) (*parquet.File, *prefetched, error) {
	p := &prefetched{r: r, size: size}
	if err := p.fetch(max(0, size-tailBytes), size); err != nil {
		return nil, nil, err
	}
	f, err := parquet.OpenFile(p, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, nil, fmt.Errorf("archive: not a readable Parquet object: %w", err)
	}
	return f, p, nil
}

// fetchGroup fetches row group g of f in one request.
func (p *prefetched) fetchGroup(f *parquet.File, g int) error {
	groups := f.Metadata().RowGroups
	if g < 0 || g >= len(groups) {
		return nil // rowOf reports it
	}
	start, end := p.size, int64(0)
	for _, c := range groups[g].Columns {
		m := c.MetaData
		from := m.DataPageOffset
		if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < from {
			from = m.DictionaryPageOffset
		}
		start, end = min(start, from), max(end, from+m.TotalCompressedSize)
	}
	if start >= end || p.covered(start, end) {
		return nil
	}
	return p.fetch(start, min(end, p.size))
}

func (p *prefetched) covered(from, to int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.segs {
		if from >= s.off && to <= s.off+int64(len(s.data)) {
			return true
		}
	}
	return false
}

func (p *prefetched) fetch(from, to int64) error {
	buf := make([]byte, to-from)
	if _, err := p.r.ReadAt(buf, from); err != nil && err != io.EOF {
		return fmt.Errorf("archive: reading bytes %d-%d: %w", from, to, err)
	}
	p.mu.Lock()
	p.segs = append(p.segs, segment{off: from, data: buf})
	p.mu.Unlock()
	return nil
}

// ReadAt reads from a fetched range when one holds the bytes, else from the object.
func (p *prefetched) ReadAt(b []byte, off int64) (int, error) {
	p.mu.Lock()
	for _, s := range p.segs {
		if off >= s.off && off+int64(len(b)) <= s.off+int64(len(s.data)) {
			n := copy(b, s.data[off-s.off:])
			p.mu.Unlock()
			return n, nil
		}
	}
	p.mu.Unlock()
	return p.r.ReadAt(b, off)
}
