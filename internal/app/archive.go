package app

import (
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
)

// Archive wires the compliance archive on db and the buckets of objs.
func Archive(db *store.DB, objs *objstore.Store, c Config, now platform.Clock) (*archive.Service, error) {
	secret, err := platform.Secret(c.Archive.Key, c.ArchiveKeyPath())
	if err != nil {
		return nil, err
	}
	keys, err := archive.NewKeyring(secret)
	if err != nil {
		return nil, err
	}
	return &archive.Service{Store: db.Archive(), Objects: objs, Keys: keys, Now: now, IDs: db.IDs, Region: c.ServingRegion().Name,
		Archiver: archive.RegionArchivers(db.Archive(), objs, keys, now, c.Archive.After)}, nil
}
