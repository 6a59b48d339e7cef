package app

import (
	"context"
	"fmt"

	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
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
	svc := &archive.Service{Store: db.Archive(), Objects: objs, Keys: keys, Now: now, IDs: db.IDs, Region: c.ServingRegion().Name}
	svc.Archiver = func(name string) (*archive.Archiver, error) {
		r, ok := regions.ByName(name)
		if !ok {
			return nil, fmt.Errorf("no region %q in regions/", name)
		}
		return &archive.Archiver{Store: db.Archive(), Objects: objs, Keys: keys, Region: r, Now: now, After: c.Archive.After}, nil
	}
	return svc, nil
}

// ArchiveTools are what `marquee archive` works with: the database, the buckets and the archive on them.
type ArchiveTools struct {
	DB      *store.DB
	Service *archive.Service
}

// OpenArchive connects to c's database and S3 server for `marquee archive`.
func OpenArchive(ctx context.Context, c Config) (*ArchiveTools, error) {
	if c.S3Endpoint == "" {
		return nil, fmt.Errorf("marquee archive needs --s3-endpoint (and its keys) to reach the buckets")
	}
	objs, err := objstore.New(objstore.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey, Secure: c.S3Secure})
	if err != nil {
		return nil, err
	}
	var buckets []string
	for _, name := range c.Regions() {
		r, _ := regions.ByName(name)
		buckets = append(buckets, r.S3Bucket)
	}
	if err := objs.EnsureBuckets(ctx, buckets...); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.DatabaseURL, 4, platform.SystemClock)
	if err != nil {
		return nil, err
	}
	svc, err := Archive(db, objs, c, platform.SystemClock)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &ArchiveTools{DB: db, Service: svc}, nil
}

// Close closes the database.
func (t *ArchiveTools) Close() { t.DB.Close() }
