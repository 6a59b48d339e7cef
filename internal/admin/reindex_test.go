package admin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/errs"
)

// principals answers Principal from a map; the rest of admin.Store is not used by these tests (and panics).
type principals struct {
	admin.Store
	roles map[string]admin.Role
}

func (p principals) Principal(_ context.Context, userID string) (admin.Principal, error) {
	return admin.Principal{Role: p.roles[userID]}, nil
}

// index is a Reindexer that reports two steps of progress, then err.
type index struct {
	calls int
	err   error
}

func (ix *index) Reindex(_ context.Context, progress func(done, total int)) error {
	ix.calls++
	progress(1, 2)
	progress(2, 2)
	return ix.err
}

func TestReindexSearch(t *testing.T) {
	svc := &admin.Service{Store: principals{roles: map[string]admin.Role{"boss": admin.Admin, "op": admin.Operator}}}
	tests := []struct {
		name     string
		caller   string
		ix       *index // nil: no search in this process
		kind     errs.Kind
		progress [][2]int
	}{
		{"OK", "boss", &index{}, errs.Other, [][2]int{{1, 2}, {2, 2}}},
		{"ErrOperator", "op", &index{}, errs.Permission, nil},
		{"ErrCustomer", "ana", &index{}, errs.Permission, nil},
		{"ErrNoSearch", "boss", nil, errs.Unavailable, nil},
		{"ErrReindexFails", "boss", &index{err: errors.New("disk full")}, errs.Other, [][2]int{{1, 2}, {2, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][2]int
			var ix admin.Reindexer
			if tt.ix != nil {
				ix = tt.ix
			}
			err := svc.ReindexSearch(context.Background(), tt.caller, ix, func(done, total int) {
				got = append(got, [2]int{done, total})
			})
			if errs.KindOf(err) != tt.kind || (err == nil) != (tt.name == "OK") {
				t.Errorf("ReindexSearch = %v, want kind %v", err, tt.kind)
			}
			if diff := cmp.Diff(tt.progress, got); diff != "" {
				t.Errorf("progress mismatch (-want +got):\n%s", diff)
			}
			if tt.ix != nil && tt.kind == errs.Permission && tt.ix.calls != 0 {
				t.Errorf("the index was rebuilt for %s", tt.caller)
			}
		})
	}
}
