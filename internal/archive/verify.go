package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/marqueehq/marquee/internal/objstore"
)

// VerifyReport is what a restore drill found: the manifests and objects it checked and every problem, each a
// sentence naming the key.
type VerifyReport struct {
	// Rows counts the bookings in the objects checked (audit log objects are checked but not counted).
	Manifests, Objects, Rows int
	Problems                 []string
}

// OK reports whether the drill found nothing wrong.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify re-reads every manifest and object of the region's bucket: the manifest chain must be complete and
// unbroken (each manifest names the SHA-256 of the one before it, and the newest is the head the database
// recorded), and every object a partition's newest manifest lists must be there with the size and SHA-256 it
// lists, and read as Parquet with its row count. progress, when set, is told how many objects are done.
func (a *Archiver) Verify(ctx context.Context, progress func(done, total int)) (VerifyReport, error) {
	var rep VerifyReport
	problem := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }
	var infos []objstore.Info
	for _, kind := range []string{KindBookings, KindAudit} {
		in, err := a.Objects.List(ctx, a.Region.S3Bucket, kind+"/region="+a.Region.Name+"/")
		if err != nil {
			return rep, fmt.Errorf("archive: listing %s: %w", a.Region.S3Bucket, err)
		}
		infos = append(infos, in...)
	}
	recorded, err := a.Store.Manifests(ctx, a.Region.Name)
	if err != nil {
		return rep, err
	}
	inBucket := map[string]bool{}
	for _, in := range infos {
		inBucket[in.Key] = true
	}
	// The chain, in the order the database recorded it; each link read from the bucket.
	latest := map[string]ManifestBody{} // partition -> newest manifest
	prevSHA := ""
	for _, m := range recorded {
		if !m.Uploaded {
			problem("manifest %s was recorded but never uploaded (a run has yet to finish)", m.Key)
			continue
		}
		rep.Manifests++
		data, err := a.Objects.Get(ctx, a.Region.S3Bucket, m.Key)
		if err != nil {
			problem("manifest %s (seq %d) cannot be read: %v", m.Key, m.Seq, err)
			prevSHA = m.SHA256
			continue
		}
		got := sha256Hex(data)
		if got != m.SHA256 {
			problem("manifest %s (seq %d) has SHA-256 %s, the chain recorded %s: it was changed", m.Key, m.Seq, got, m.SHA256)
		}
		var body ManifestBody
		if err := json.Unmarshal(data, &body); err != nil {
			problem("manifest %s (seq %d) is not valid JSON: %v", m.Key, m.Seq, err)
			prevSHA = got
			continue
		}
		if body.PrevSHA256 != prevSHA {
			problem("manifest %s (seq %d) names previous SHA-256 %q, but the previous manifest's is %q: the chain is broken", m.Key, m.Seq, body.PrevSHA256, prevSHA)
		}
		if body.Seq != m.Seq || body.Region != a.Region.Name {
			problem("manifest %s says seq %d of %s, the chain has it as seq %d of %s", m.Key, body.Seq, body.Region, m.Seq, a.Region.Name)
		}
		prevSHA = got
		latest[body.Partition] = body
	}
	// Manifests in the bucket the chain does not know.
	known := map[string]bool{}
	for _, m := range recorded {
		known[m.Key] = true
	}
	listed := map[string]bool{}
	for _, body := range latest {
		for _, p := range body.Parts {
			listed[p.Key] = true
		}
	}
	abandoned, err := a.Store.Objects(ctx, a.Region.Name, StatusAbandoned, StatusUploading)
	if err != nil {
		return rep, err
	}
	for _, o := range abandoned {
		listed[o.Key] = true // known to the database; not part of the archive
	}
	for _, in := range infos {
		switch {
		case strings.HasSuffix(in.Key, ".json") && !known[in.Key]:
			problem("manifest %s is in the bucket but not in the chain", in.Key)
		case strings.HasSuffix(in.Key, ".parquet") && !listed[in.Key]:
			problem("object %s is in the bucket but no manifest lists it", in.Key)
		}
	}
	// Every object the newest manifests list.
	var parts []ManifestPart
	partitions := make([]string, 0, len(latest))
	for p := range latest {
		partitions = append(partitions, p)
	}
	slices.Sort(partitions)
	for _, p := range partitions {
		for _, part := range latest[p].Parts {
			if !part.Purged {
				parts = append(parts, part)
			}
		}
	}
	for i, part := range parts {
		if progress != nil {
			progress(i, len(parts))
		}
		rep.Objects++
		data, err := a.Objects.Get(ctx, a.Region.S3Bucket, part.Key)
		if err != nil {
			problem("object %s cannot be read: %v", part.Key, err)
			continue
		}
		if int64(len(data)) != part.Size {
			problem("object %s is %d bytes, its manifest says %d", part.Key, len(data), part.Size)
		}
		if got := sha256Hex(data); got != part.SHA256 {
			problem("object %s has SHA-256 %s, its manifest says %s: it was changed or damaged", part.Key, got, part.SHA256)
			continue
		}
		n := 0
		if strings.HasPrefix(part.Key, KindAudit+"/") {
			entries, err := ReadAuditObject(data)
			if err != nil {
				problem("object %s does not read as Parquet: %v", part.Key, err)
				continue
			}
			n = len(entries)
		} else {
			rows, _, err := decodeAll(data)
			if err != nil {
				problem("object %s does not read as Parquet: %v", part.Key, err)
				continue
			}
			n = len(rows)
			rep.Rows += n
		}
		if n != part.Rows {
			problem("object %s holds %d rows, its manifest says %d", part.Key, n, part.Rows)
		}
	}
	if progress != nil {
		progress(len(parts), len(parts))
	}
	return rep, nil
}
