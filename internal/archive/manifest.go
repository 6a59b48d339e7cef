package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Manifest is one link of a region's manifest chain: the state of one partition after an object was added to
// it (or purged from it), with the SHA-256 of the region's previous manifest.
type Manifest struct {
	Region     string
	Seq        int64
	Key        string // "bookings/region=X/year=YYYY/month=MM/manifest-000042.json"
	ObjectKey  string // the object whose archiving or purge it records
	SHA256     string // of Body
	PrevSHA256 string
	Body       []byte
	Uploaded   bool
	CreatedAt  time.Time
}

// ManifestBody is what a manifest object holds (JSON).
type ManifestBody struct {
	Version    int            `json:"version"`
	Region     string         `json:"region"`
	Partition  string         `json:"partition"`
	Seq        int64          `json:"seq"`
	PrevSHA256 string         `json:"prev_sha256"`
	CreatedAt  time.Time      `json:"created_at"`
	Rows       int            `json:"rows"`
	Parts      []ManifestPart `json:"parts"`
}

// ManifestPart is one object of a partition as its manifest lists it.
type ManifestPart struct {
	Key         string    `json:"key"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Rows        int       `json:"rows"`
	MinCode     string    `json:"min_confirmation_code"`
	MaxCode     string    `json:"max_confirmation_code"`
	RetainUntil time.Time `json:"retain_until"`
	Purged      bool      `json:"purged,omitempty"`
}

// writeManifest records and uploads the manifest of o's partition with o in it, unless one was made for o
// already (a resumed run).
func (a *Archiver) writeManifest(ctx context.Context, o Object) error {
	for {
		m, ok, err := a.Store.ManifestFor(ctx, o.Region, o.Key)
		if err != nil {
			return err
		}
		if !ok {
			m, err = a.newManifest(ctx, o, nil)
			if err != nil {
				return err
			}
			if err := a.Store.AddManifest(ctx, m); errs.Is(err, errs.Conflict) {
				continue // another run took this place in the chain; build on its manifest
			} else if err != nil {
				return err
			}
		}
		if m.Uploaded {
			return nil
		}
		return a.uploadManifest(ctx, m)
	}
}

// newManifest builds the next manifest of the region's chain for o's partition: its archived objects, o with
// them, and any purged ones marked so.
func (a *Archiver) newManifest(ctx context.Context, o Object, purged map[string]bool) (Manifest, error) {
	head, ok, err := a.Store.ManifestHead(ctx, o.Region)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{Region: o.Region, Seq: 1, ObjectKey: o.Key, CreatedAt: a.Now()}
	if ok {
		m.Seq, m.PrevSHA256 = head.Seq+1, head.SHA256
	}
	m.Key = fmt.Sprintf("%s/manifest-%06d.json", o.Partition(), m.Seq)
	all, err := a.Store.Objects(ctx, o.Region, StatusArchived, StatusPurged)
	if err != nil {
		return Manifest{}, err
	}
	body := ManifestBody{Version: 1, Region: o.Region, Partition: o.Partition(), Seq: m.Seq, PrevSHA256: m.PrevSHA256,
		CreatedAt: m.CreatedAt}
	add := func(x Object) {
		part := ManifestPart{Key: x.Key, SHA256: x.SHA256, Size: x.Size, Rows: x.Rows, MinCode: x.MinCode,
			MaxCode: x.MaxCode, RetainUntil: x.RetainUntil.UTC(), Purged: x.Status == StatusPurged || purged[x.Key]}
		body.Parts = append(body.Parts, part)
		if !part.Purged {
			body.Rows += x.Rows
		}
	}
	for _, x := range all {
		if x.Partition() == o.Partition() && x.Key != o.Key {
			add(x)
		}
	}
	add(o)
	if m.Body, err = json.MarshalIndent(body, "", "  "); err != nil {
		return Manifest{}, err
	}
	m.SHA256 = sha256Hex(m.Body)
	return m, nil
}

// uploadManifest puts m in the bucket, kept as long as the longest-kept object of its partition, and marks it
// uploaded.
func (a *Archiver) uploadManifest(ctx context.Context, m Manifest) error {
	var body ManifestBody
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return fmt.Errorf("archive: manifest %s: %w", m.Key, err)
	}
	retain := m.CreatedAt
	for _, p := range body.Parts {
		if p.RetainUntil.After(retain) {
			retain = p.RetainUntil
		}
	}
	if _, err := a.Objects.Put(ctx, a.Region.S3Bucket, m.Key, m.Body, "application/json", retain, false); err != nil {
		return fmt.Errorf("archive: uploading manifest %s: %w", m.Key, err)
	}
	return a.Store.ManifestUploaded(ctx, m.Region, m.Seq)
}

// equalRecords compares two records, an empty list equal to none.
func equalRecords(x, y Record) bool {
	norm := func(r Record) Record {
		if len(r.Seats) == 0 {
			r.Seats = nil
		}
		if len(r.Payments) == 0 {
			r.Payments = nil
		}
		return r
	}
	return reflect.DeepEqual(norm(x), norm(y))
}
