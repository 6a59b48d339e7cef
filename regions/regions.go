// Package regions describes the regions Marquee runs in, one JSON file per region in this folder.
package regions

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

//go:embed *.json
var files embed.FS

// Location is where a region's data centre is.
type Location struct {
	Description string  `json:"description"`
	Latitude    float64 `json:"latitude"`
	Longitude   float64 `json:"longitude"`
}

// Region is one deployment region: its SQL locality, NATS cluster and S3 bucket.
type Region struct {
	Name        string   `json:"name"`        // the value of the region column, for example "us-east1"
	IDPrefix    string   `json:"idPrefix"`    // prefix of IDs of rows homed here, for example "use1"
	DisplayName string   `json:"displayName"` // for people
	Location    Location `json:"location"`
	SQLLocality string   `json:"sqlLocality"` // CockroachDB --locality of the region's nodes
	NATSCluster string   `json:"natsCluster"` // name of the region's NATS cluster in the supercluster
	S3Bucket    string   `json:"s3Bucket"`    // archive bucket
	Currency    string   `json:"currency"`    // default ISO 4217 currency of its theatres
	// Primary marks the one primary region: CockroachDB's PRIMARY REGION, and the home of global rows' jobs
	// (the outbox of movie changes, pruning) while it is alive.
	Primary bool `json:"primary,omitempty"`
}

var (
	loadOnce sync.Once
	all      []Region
	loadErr  error
)

// All returns every region, sorted by name. It panics if a region file is malformed, which tests catch.
func All() []Region {
	loadOnce.Do(func() { all, loadErr = load() })
	if loadErr != nil {
		panic(loadErr)
	}
	return append([]Region(nil), all...)
}

func load() ([]Region, error) {
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	var rs []Region
	seen := map[string]bool{}
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var r Region
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("regions/%s: %w", n, err)
		}
		if r.Name == "" || r.IDPrefix == "" || seen[r.Name] || seen["prefix:"+r.IDPrefix] {
			return nil, fmt.Errorf("regions/%s: missing or duplicate name or idPrefix", n)
		}
		seen[r.Name], seen["prefix:"+r.IDPrefix] = true, true
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	return rs, nil
}

// Primary returns the primary region (the first by name if no file says).
func Primary() Region {
	rs := All()
	for _, r := range rs {
		if r.Primary {
			return r
		}
	}
	return rs[0]
}

// ByName returns the region called name.
func ByName(name string) (Region, bool) {
	for _, r := range All() {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// ByPrefix returns the region whose IDs start with prefix.
func ByPrefix(prefix string) (Region, bool) {
	for _, r := range All() {
		if r.IDPrefix == prefix {
			return r, true
		}
	}
	return Region{}, false
}

// OfID returns the region a regional ID (for example "use1_01JD...") is homed in.
func OfID(id string) (Region, bool) {
	for i := 0; i < len(id); i++ {
		if id[i] == '_' {
			return ByPrefix(id[:i])
		}
	}
	return Region{}, false
}
