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

// Deploy is where a region runs in the cloud, read by terraform/ (the Go code does not use it).
type Deploy struct {
	AWSRegion string `json:"awsRegion"` // the cloud region its resources are created in, for example "us-east-1"
	VPCCIDR   string `json:"vpcCidr"`   // its network's address range, distinct from every other region's
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
	// Primary marks the one region that is CockroachDB's primary region: it homes the tables that are neither
	// global nor regional by row, and is the default home of accounts.
	Primary bool   `json:"primary,omitempty"`
	Deploy  Deploy `json:"deploy"`
}

var (
	loadOnce sync.Once
	all      []Region
	loadErr  error
)

// All returns every region, sorted by name. It panics if a region file is malformed or if not exactly one region
// is primary, which tests catch.
func All() []Region {
	loadOnce.Do(func() { all, loadErr = load(files) })
	if loadErr != nil {
		panic(loadErr)
	}
	return append([]Region(nil), all...)
}

// Primary returns the primary region.
func Primary() Region {
	for _, r := range All() {
		if r.Primary {
			return r
		}
	}
	panic("regions: no primary region") // load makes sure there is one
}

func load(fsys fs.FS) ([]Region, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	var rs []Region
	seen := map[string]bool{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
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
	if primaries := countPrimary(rs); primaries != 1 {
		return nil, fmt.Errorf("regions: %d regions are marked primary, want exactly one", primaries)
	}
	return rs, nil
}

func countPrimary(rs []Region) int {
	n := 0
	for _, r := range rs {
		if r.Primary {
			n++
		}
	}
	return n
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
