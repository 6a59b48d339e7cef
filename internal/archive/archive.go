package archive

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
)

// Defaults of an Archiver.
const (
	// DefaultAfter is how long after its show ends a booking moves to the archive: 13 months.
	DefaultAfter = 13 * 30 * 24 * time.Hour
	// DefaultRetentionYears is how long an archive object is kept after the last show in it ends.
	DefaultRetentionYears = 5
	// DefaultPartRows is the most bookings in one archive object.
	DefaultPartRows = 20000
	// DefaultMinRetain is the least an object is locked for from when it is written.
	DefaultMinRetain = 24 * time.Hour
	// DefaultGroupRows is the most bookings in one Parquet row group: a lookup reads one row group.
	DefaultGroupRows = 500
)

// Object statuses, as archive_objects keeps them.
const (
	StatusUploading = "uploading"
	StatusArchived  = "archived"
	StatusAbandoned = "abandoned"
	StatusPurged    = "purged"
)

// Object is one archive object of a region's bucket, as the database records it.
type Object struct {
	Region, Key       string
	Kind              string // KindBookings or KindAudit
	Year, Month, Part int
	VersionID, SHA256 string
	Size              int64
	Rows              int
	MinCode, MaxCode  string
	BookingIDs        []string
	RetainUntil       time.Time
	LegalHold         bool
	Status            string
	CreatedAt, DoneAt time.Time
}

// Partition is the key prefix of an object's partition, "bookings/region=X/year=YYYY/month=MM".
func (o Object) Partition() string {
	return fmt.Sprintf("%s/region=%s/year=%04d/month=%02d", cmp.Or(o.Kind, KindBookings), o.Region, o.Year, o.Month)
}

// Object kinds: archived bookings, and locked copies of old audit log entries.
const (
	KindBookings = "bookings"
	KindAudit    = "audit"
)

// IndexEntry says where an archived booking is.
type IndexEntry struct {
	Region, BookingID, ConfirmationCode, UserID, TheatreID string
	StartsAt                                               time.Time
	ObjectKey                                              string
	Group, Index                                           int
}

// Candidate is a booking old enough to archive.
type Candidate struct {
	BookingID string
	StartsAt  time.Time
}

// Store is what the archive keeps in the database (internal/store implements it).
type Store interface {
	// CountCandidates counts region's bookings whose show ended before cutoff (they are all still hot).
	CountCandidates(ctx context.Context, region string, cutoff time.Time) (int, error)
	// Candidates returns up to limit of them, earliest show first, leaving out any in an unfinished object.
	Candidates(ctx context.Context, region string, cutoff time.Time, limit int) ([]Candidate, error)
	// Records reads bookings of region from the hot tables, in the order of ids; missing ones are left out.
	Records(ctx context.Context, region string, ids []string) ([]Record, error)
	// WrappedKeys returns the wrapped data keys of those of userIDs that have one.
	WrappedKeys(ctx context.Context, userIDs []string) (map[string][]byte, error)
	// AddWrappedKeys stores data keys for people without one, keeping any already there.
	AddWrappedKeys(ctx context.Context, keys map[string][]byte) error
	// ActiveHolds returns region's legal holds not released.
	ActiveHolds(ctx context.Context, region string) ([]LegalHold, error)
	// Objects returns region's objects with one of statuses (all when none), by key.
	Objects(ctx context.Context, region string, statuses ...string) ([]Object, error)
	// NextPart returns the next unused part number of a partition of objects of kind.
	NextPart(ctx context.Context, region, kind string, year, month int) (int, error)
	// AuditToArchive returns up to limit of region's audit entries from before cutoff not yet copied to the
	// bucket, oldest first.
	AuditToArchive(ctx context.Context, region string, cutoff time.Time, limit int) ([]AuditEntry, error)
	// FinishAudit marks o's audit entries as copied to it and o archived.
	FinishAudit(ctx context.Context, o Object) error
	// BeginObject records o (status uploading) before its upload; Conflict if its part is taken.
	BeginObject(ctx context.Context, o Object) error
	// SetObjectStatus sets the status (and version ID) of an object that has status from.
	SetObjectStatus(ctx context.Context, region, key, from, to, versionID string) error
	// ManifestHead returns region's newest manifest; false when there is none.
	ManifestHead(ctx context.Context, region string) (Manifest, bool, error)
	// ManifestFor returns the manifest written for the archiving (or purge) of objectKey.
	ManifestFor(ctx context.Context, region, objectKey string) (Manifest, bool, error)
	// AddManifest records m, whose Seq must follow the head's; Conflict otherwise.
	AddManifest(ctx context.Context, m Manifest) error
	// ManifestUploaded marks manifest seq of region as in the bucket.
	ManifestUploaded(ctx context.Context, region string, seq int64) error
	// Manifests returns region's manifest chain in order.
	Manifests(ctx context.Context, region string) ([]Manifest, error)
	// PendingManifests returns region's manifests recorded but not yet uploaded.
	PendingManifests(ctx context.Context, region string) ([]Manifest, error)
	// FinishObject, in one transaction: reads o's bookings again and passes them to check (which fails the
	// transaction unless they are what the object holds), indexes them, deletes them from the hot tables, marks o
	// archived and writes ev to the outbox.
	FinishObject(ctx context.Context, o Object, index []IndexEntry, check func([]Record) error, ev events.Event) error
	// PurgeObject marks o purged and deletes its index rows, recording the purge in the audit log.
	PurgeObject(ctx context.Context, o Object, at time.Time) error
}

// Objects is the S3 bucket API the archive uses (internal/objstore implements it).
type Objects interface {
	Put(ctx context.Context, bucket, key string, data []byte, contentType string, retainUntil time.Time, legalHold bool) (string, error)
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	Open(ctx context.Context, bucket, key string) (io.ReaderAt, int64, func() error, error)
	SetLegalHold(ctx context.Context, bucket, key, versionID string, on bool) error
	Delete(ctx context.Context, bucket, key, versionID string) error
	List(ctx context.Context, bucket, prefix string) ([]objstore.Info, error)
	Stat(ctx context.Context, bucket, key string) (objstore.Info, error)
}

// versionOf returns o's version ID, asking the bucket for a run that died before recording it.
func versionOf(ctx context.Context, objs Objects, bucket string, o Object) (string, error) {
	if o.VersionID != "" {
		return o.VersionID, nil
	}
	in, err := objs.Stat(ctx, bucket, o.Key)
	if err != nil {
		return "", fmt.Errorf("archive: %s: %w", o.Key, err)
	}
	return in.VersionID, nil
}

// Progress is how far a run has got.
type Progress struct {
	Phase       string // "archiving", "resuming", "done"
	Done, Total int    // bookings archived so far, and to archive in all
	Objects     int    // objects written so far
	Current     string // the object being written
}

// Archiver moves one region's old bookings to its bucket.
type Archiver struct {
	Store   Store
	Objects Objects
	Keys    *Keyring
	Region  regions.Region
	Now     platform.Clock
	// After is how long after its show ends a booking is archived (DefaultAfter when zero).
	After time.Duration
	// RetentionYears is how long objects are kept after their last show ends (DefaultRetentionYears when
	// zero); Retention, when set, replaces it (tests).
	RetentionYears int
	Retention      time.Duration
	// MinRetain is the least time from now an object is locked for, whatever its shows (S3 refuses a
	// retention date in the past): DefaultMinRetain when zero.
	MinRetain time.Duration
	// PartRows and GroupRows bound objects and row groups (the defaults when zero).
	PartRows, GroupRows int
	// Progress, when set, is told how the run goes.
	Progress func(Progress)
	// AfterUpload, when set, is called after each object's upload and before it is verified and the hot rows
	// are deleted (fault tests stop the process there).
	AfterUpload func(key string)
}

// Summary is what a run did.
type Summary struct {
	Bookings, Objects, Resumed, Abandoned int
	// AuditEntries is how many audit log entries were copied to the bucket.
	AuditEntries int
}

func (a *Archiver) after() time.Duration { return cmp.Or(a.After, DefaultAfter) }

// retainUntil is when an object whose last show ends at end may be deleted.
func (a *Archiver) retainUntil(end time.Time) time.Time {
	until := end.AddDate(cmp.Or(a.RetentionYears, DefaultRetentionYears), 0, 0)
	if a.Retention > 0 {
		until = end.Add(a.Retention)
	}
	if floor := a.Now().Add(cmp.Or(a.MinRetain, DefaultMinRetain)); until.Before(floor) {
		return floor
	}
	return until.UTC()
}

func (a *Archiver) report(p Progress) {
	if a.Progress != nil {
		a.Progress(p)
	}
}

// Run finishes what an earlier run left half done, then archives every booking of the region whose show ended
// more than After ago.
func (a *Archiver) Run(ctx context.Context) (Summary, error) {
	var sum Summary
	if a.Region.S3Bucket == "" {
		return sum, fmt.Errorf("archive: region %q has no bucket", a.Region.Name)
	}
	if err := a.resume(ctx, &sum); err != nil {
		return sum, err
	}
	cutoff := a.Now().Add(-a.after())
	total, err := a.Store.CountCandidates(ctx, a.Region.Name, cutoff)
	if err != nil {
		return sum, err
	}
	p := Progress{Phase: "archiving", Total: total}
	a.report(p)
	partRows := cmp.Or(a.PartRows, DefaultPartRows)
	for {
		cands, err := a.Store.Candidates(ctx, a.Region.Name, cutoff, partRows)
		if err == nil && len(cands) == 0 {
			err = a.archiveAudit(ctx, cutoff, &sum)
		}
		if err != nil || len(cands) == 0 {
			p.Phase = "done"
			a.report(p)
			return sum, err
		}
		// One partition per object: the earliest show's month.
		y, m := yearMonth(cands[0].StartsAt)
		var ids []string
		for _, c := range cands {
			if cy, cm := yearMonth(c.StartsAt); cy == y && cm == m {
				ids = append(ids, c.BookingID)
			}
		}
		o, err := a.write(ctx, y, m, ids, &p)
		if err != nil {
			return sum, err
		}
		if err := a.complete(ctx, o); err != nil {
			return sum, err
		}
		sum.Bookings += o.Rows
		sum.Objects++
		p.Done += o.Rows
		p.Objects++
		a.report(p)
	}
}

func yearMonth(t time.Time) (int, int) {
	t = t.UTC()
	return t.Year(), int(t.Month())
}

// write encodes the bookings ids of partition (y, m) as a new object and uploads it.
func (a *Archiver) write(ctx context.Context, y, m int, ids []string, p *Progress) (Object, error) {
	recs, err := a.Store.Records(ctx, a.Region.Name, ids)
	if err != nil {
		return Object{}, err
	}
	if len(recs) == 0 {
		return Object{}, fmt.Errorf("archive: none of %d candidate bookings could be read", len(ids))
	}
	slices.SortFunc(recs, func(x, y Record) int { return cmp.Compare(x.ConfirmationCode, y.ConfirmationCode) })
	keys, err := a.dataKeys(ctx, recs)
	if err != nil {
		return Object{}, err
	}
	holds, err := a.Store.ActiveHolds(ctx, a.Region.Name)
	if err != nil {
		return Object{}, err
	}
	rows := make([]row, len(recs))
	o := Object{Region: a.Region.Name, Kind: KindBookings, Year: y, Month: m, Rows: len(recs), Status: StatusUploading, CreatedAt: a.Now(),
		MinCode: recs[0].ConfirmationCode, MaxCode: recs[len(recs)-1].ConfirmationCode}
	var lastEnd time.Time
	for i, r := range recs {
		if rows[i], err = toRow(r, keys[r.UserID]); err != nil {
			return Object{}, err
		}
		o.BookingIDs = append(o.BookingIDs, r.BookingID)
		if r.Showtime.EndsAt.After(lastEnd) {
			lastEnd = r.Showtime.EndsAt
		}
		o.LegalHold = o.LegalHold || coveredBy(holds, r) != ""
	}
	data, err := encode(rows, cmp.Or(a.GroupRows, DefaultGroupRows))
	if err != nil {
		return Object{}, err
	}
	o.SHA256, o.Size, o.RetainUntil = sha256Hex(data), int64(len(data)), a.retainUntil(lastEnd)
	if o.Part, err = a.Store.NextPart(ctx, a.Region.Name, KindBookings, y, m); err != nil {
		return Object{}, err
	}
	o.Key = fmt.Sprintf("%s/part-%05d.parquet", o.Partition(), o.Part)
	p.Current = o.Key
	a.report(*p)
	return a.upload(ctx, o, data)
}

// upload records o (uploading) with the hash of exactly data, then puts data in the bucket under o's lock and
// notes its version: a run that dies during or after the upload finds the record and the object, and finishes
// the job (resume).
func (a *Archiver) upload(ctx context.Context, o Object, data []byte) (Object, error) {
	if err := a.Store.BeginObject(ctx, o); err != nil {
		return Object{}, err
	}
	v, err := a.Objects.Put(ctx, a.Region.S3Bucket, o.Key, data, "application/vnd.apache.parquet", o.RetainUntil, o.LegalHold)
	if err != nil {
		return Object{}, fmt.Errorf("archive: uploading %s: %w", o.Key, err)
	}
	o.VersionID = v
	if err := a.Store.SetObjectStatus(ctx, o.Region, o.Key, StatusUploading, StatusUploading, v); err != nil {
		return Object{}, err
	}
	if a.AfterUpload != nil {
		a.AfterUpload(o.Key)
	}
	return o, nil
}

// dataKeys returns the data key of every person of recs, making keys for those without one.
func (a *Archiver) dataKeys(ctx context.Context, recs []Record) (map[string]DataKey, error) {
	var users []string
	for _, r := range recs {
		users = append(users, r.UserID)
	}
	slices.Sort(users)
	users = slices.Compact(users)
	wrapped, err := a.Store.WrappedKeys(ctx, users)
	if err != nil {
		return nil, err
	}
	fresh := map[string][]byte{}
	for _, u := range users {
		if _, ok := wrapped[u]; !ok {
			if fresh[u], err = a.Keys.NewDataKey(u); err != nil {
				return nil, err
			}
		}
	}
	if len(fresh) > 0 {
		if err := a.Store.AddWrappedKeys(ctx, fresh); err != nil {
			return nil, err
		}
		// Read back: a key another run stored first is the one to use.
		if wrapped, err = a.Store.WrappedKeys(ctx, users); err != nil {
			return nil, err
		}
	}
	erased := map[string]bool{}
	for _, r := range recs {
		erased[r.UserID] = r.Person.Erased
	}
	keys := make(map[string]DataKey, len(users))
	for _, u := range users {
		w, ok := wrapped[u]
		if !ok && erased[u] {
			continue // an erased person gets no key: their records are archived with no personal fields
		}
		if !ok {
			return nil, fmt.Errorf("archive: no data key stored for %s", u)
		}
		if keys[u], err = a.Keys.Unwrap(u, w); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// resume finishes objects an earlier run uploaded but did not complete, abandons those it never uploaded, and
// uploads manifests it recorded but did not send.
func (a *Archiver) resume(ctx context.Context, sum *Summary) error {
	pending, err := a.Store.PendingManifests(ctx, a.Region.Name)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if err := a.uploadManifest(ctx, m); err != nil {
			return err
		}
	}
	unfinished, err := a.Store.Objects(ctx, a.Region.Name, StatusUploading)
	if err != nil {
		return err
	}
	if len(unfinished) > 0 {
		a.report(Progress{Phase: "resuming", Total: len(unfinished)})
	}
	for _, o := range unfinished {
		complete := a.complete
		if o.Kind == KindAudit {
			complete = a.completeAudit
		}
		err := complete(ctx, o)
		if errors.Is(err, errAbandon) {
			if err := a.Store.SetObjectStatus(ctx, o.Region, o.Key, StatusUploading, StatusAbandoned, ""); err != nil {
				return err
			}
			sum.Abandoned++
			continue
		}
		if err != nil {
			return err
		}
		sum.Resumed++
		if o.Kind == KindAudit {
			sum.AuditEntries += o.Rows
		} else {
			sum.Bookings += o.Rows
		}
	}
	return nil
}

// readBack reads o from the bucket: errAbandon when it is not there (the run that recorded it died before the
// upload) or is not the bytes recorded.
func (a *Archiver) readBack(ctx context.Context, o Object) ([]byte, error) {
	data, err := a.Objects.Get(ctx, a.Region.S3Bucket, o.Key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s was never uploaded", errAbandon, o.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: reading back %s: %w", o.Key, err)
	}
	if sha256Hex(data) != o.SHA256 {
		return nil, fmt.Errorf("%w: %s does not have the SHA-256 recorded for it", errAbandon, o.Key)
	}
	return data, nil
}

// errAbandon marks an unfinished object that cannot be completed: never uploaded, or not what was recorded.
// Its bookings are still hot and go into a new object.
var errAbandon = errors.New("archive: object abandoned")

// complete reads o back from the bucket, checks it against what was recorded and against the hot rows, writes
// the partition's manifest, and only then deletes the hot rows, in a transaction that indexes them and
// announces the move.
func (a *Archiver) complete(ctx context.Context, o Object) error {
	data, err := a.readBack(ctx, o)
	if err != nil {
		return err
	}
	rows, pos, err := decodeAll(data)
	if err != nil {
		return err
	}
	if len(rows) != o.Rows || len(rows) != len(o.BookingIDs) {
		return fmt.Errorf("%w: %s holds %d rows, %d were written", errAbandon, o.Key, len(rows), o.Rows)
	}
	index := make([]IndexEntry, len(rows))
	byID := make(map[string]Record, len(rows))
	for i, w := range rows {
		if w.BookingID != o.BookingIDs[i] {
			return fmt.Errorf("%w: row %d of %s is booking %s, not %s", errAbandon, i, o.Key, w.BookingID, o.BookingIDs[i])
		}
		index[i] = IndexEntry{Region: o.Region, BookingID: w.BookingID, ConfirmationCode: w.ConfirmationCode,
			UserID: w.UserID, TheatreID: w.TheatreID, StartsAt: fromMicros(w.StartsAt), ObjectKey: o.Key,
			Group: pos[i].Group, Index: pos[i].Index}
		r, err := w.record(DataKey{}, false)
		if err != nil {
			return err
		}
		byID[r.BookingID] = r
	}
	if err := a.writeManifest(ctx, o); err != nil {
		return err
	}
	check := func(hot []Record) error {
		if len(hot) != len(byID) {
			return fmt.Errorf("%w: %d of the %d bookings of %s are no longer hot", errAbandon, len(byID)-len(hot), len(byID), o.Key)
		}
		for _, h := range hot {
			h.Person = Person{Erased: true}
			if !equalRecords(h, byID[h.BookingID]) {
				return fmt.Errorf("%w: booking %s changed while %s was written", errAbandon, h.BookingID, o.Key)
			}
		}
		return nil
	}
	ev := events.BookingsArchived(o.Region, o.Key, o.BookingIDs, a.Now())
	return a.Store.FinishObject(ctx, o, index, check, ev)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// conflictOrNil turns a Conflict (someone else did it first) into nil.
func conflictOrNil(err error) error {
	if errs.Is(err, errs.Conflict) {
		return nil
	}
	return err
}
