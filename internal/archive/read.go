package archive

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// readArchived returns the records behind entries, in their order: each object is opened once and only the row
// groups holding the entries are read; personal fields are opened with their people's keys, or left empty and
// marked erased where a key was shredded.
func readArchived(ctx context.Context, st Store, objs Objects, keys *Keyring, bucketOf func(string) string, entries []IndexEntry) ([]Located, error) {
	users := make([]string, 0, len(entries))
	for _, e := range entries {
		users = append(users, e.UserID)
	}
	wrapped, err := st.WrappedKeys(ctx, users)
	if err != nil {
		return nil, err
	}
	dks := map[string]DataKey{}
	for u, w := range wrapped {
		if dks[u], err = keys.Unwrap(u, w); err != nil {
			return nil, err
		}
	}
	out := make([]Located, len(entries))
	type opened struct {
		f *parquet.File
		p *prefetched
	}
	files := map[string]opened{}
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for i, e := range entries {
		o, ok := files[e.ObjectKey]
		if !ok {
			ra, size, closeFn, err := objs.Open(ctx, bucketOf(e.Region), e.ObjectKey)
			if err != nil {
				return nil, fmt.Errorf("archive: opening %s: %w", e.ObjectKey, err)
			}
			closers = append(closers, closeFn)
			if o.f, o.p, err = openPrefetched(ra, size); err != nil {
				return nil, fmt.Errorf("archive: %s: %w", e.ObjectKey, err)
			}
			files[e.ObjectKey] = o
		}
		if err := o.p.fetchGroup(o.f, e.Group); err != nil {
			return nil, fmt.Errorf("archive: %s: %w", e.ObjectKey, err)
		}
		w, err := rowOf(o.f, e.Group, e.Index)
		if err != nil {
			return nil, fmt.Errorf("archive: %s: %w", e.ObjectKey, err)
		}
		if w.BookingID != e.BookingID {
			return nil, fmt.Errorf("archive: row %d/%d of %s is booking %s, the index says %s", e.Group, e.Index, e.ObjectKey, w.BookingID, e.BookingID)
		}
		dk, ok := dks[e.UserID]
		rec, err := w.record(dk, ok)
		if err != nil {
			return nil, err
		}
		out[i] = Located{Record: rec, Source: e.ObjectKey}
	}
	return out, nil
}
