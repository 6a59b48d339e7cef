package archive_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/objstore/s3test"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) {
	if os.Getenv("ARCHIVE_CHILD_DB") != "" {
		archiveChild()
	}
	storetest.Main(m)
}

var testKey = bytes.Repeat([]byte("k"), 32)

// Small objects and row groups, so that a small history makes several of each.
const testPartRows, testGroupRows = 60, 16

// env is a database with the demo catalog and a small history, a bucket per region on a real S3 server, and
// the archive wired on them.
type env struct {
	db      *store.DB
	url     string
	objects *objstore.Store
	buckets map[string]string
	svc     *archive.Service
	admin   archive.Actor
	now     time.Time
	cutoff  time.Time
	// Tweak, when set, changes every archiver made.
	tweak func(*archive.Archiver)
}

const historyBookings = 1500

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	url := storetest.NewURL(t)
	db, err := store.Open(ctx, url, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := seed.Demo(ctx, db.Catalog(), db.IDs, now); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.History(ctx, db, seed.HistoryOptions{Now: now, Months: 18, Bookings: historyBookings, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	objs, _ := s3test.Store(t)
	e := &env{db: db, url: url, objects: objs, buckets: map[string]string{}, now: now, cutoff: now.Add(-archive.DefaultAfter)}
	for _, r := range regions.All() {
		_, bucket := s3test.Store(t)
		e.buckets[r.Name] = bucket
	}
	keys, err := archive.NewKeyring(testKey)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = &archive.Service{Store: db.Archive(), Objects: objs, Keys: keys, Now: db.Now, IDs: db.IDs,
		Region: "europe-west1", Bucket: func(r string) string { return e.buckets[r] },
		Archiver: func(name string) (*archive.Archiver, error) { return e.archiver(name), nil }}
	var adminID string
	if err := db.Pool.QueryRow(ctx, `INSERT INTO users (id, email, password_hash, display_name, created_at, role)
		VALUES ('admin-1', 'root@example.test', '!', 'Root', now(), 'admin') RETURNING id`).Scan(&adminID); err != nil {
		t.Fatal(err)
	}
	e.admin = archive.Actor{UserID: adminID}
	return e
}

func (e *env) archiver(name string) *archive.Archiver {
	r, _ := regions.ByName(name)
	r.S3Bucket = e.buckets[name]
	a := &archive.Archiver{Store: e.db.Archive(), Objects: e.objects, Keys: e.svc.Keys, Region: r, Now: e.db.Now,
		PartRows: testPartRows, GroupRows: testGroupRows}
	if e.tweak != nil {
		e.tweak(a)
	}
	return a
}

// old returns every hot booking of region whose show ended before the cutoff, as Records.
func (e *env) old(t *testing.T, region string) []archive.Record {
	t.Helper()
	ctx := context.Background()
	cands, err := e.db.Archive().Candidates(ctx, region, e.cutoff, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cands {
		ids = append(ids, c.BookingID)
	}
	recs, err := e.db.Archive().Records(ctx, region, ids)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestArchiveMovesOldBookingsAndFindsThemAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const region = "europe-west1"
	before := e.old(t, region)
	if len(before) < 100 {
		t.Fatalf("only %d bookings old enough to archive; the history seed should give hundreds", len(before))
	}
	hotBefore := e.count(t, `SELECT count(*) FROM bookings WHERE region = $1`, region)
	var progress []archive.Progress
	a := e.archiver(region)
	a.Progress = func(p archive.Progress) { progress = append(progress, p) }
	sum, err := a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bookings != len(before) || sum.Objects < 2 {
		t.Fatalf("run archived %d bookings in %d objects, want %d in several", sum.Bookings, sum.Objects, len(before))
	}
	if last := progress[len(progress)-1]; last.Phase != "done" || last.Done != len(before) || last.Total != len(before) {
		t.Errorf("last progress %+v, want done %d of %d", last, len(before), len(before))
	}
	// Committed state: the old bookings left the hot tables (seats and payments too), the rest stayed.
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE region = $1`, region); n != hotBefore-len(before) {
		t.Errorf("%d hot bookings left, want %d", n, hotBefore-len(before))
	}
	var ids []string
	for _, r := range before {
		ids = append(ids, r.BookingID)
	}
	for _, tbl := range []string{"booking_seats", "payments"} {
		if n := e.count(t, `SELECT count(*) FROM `+tbl+` WHERE region = $1 AND booking_id = ANY($2)`, region, ids); n != 0 {
			t.Errorf("%d %s rows of archived bookings are still hot", n, tbl)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM archived_bookings WHERE region = $1`, region); n != len(before) {
		t.Errorf("%d index rows, want %d", n, len(before))
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE region = $1 AND subject LIKE '%.archive.archived'`, region); n != sum.Objects {
		t.Errorf("%d archive events, want one per object (%d)", n, sum.Objects)
	}
	// Nothing of another region moved.
	if n := e.count(t, `SELECT count(*) FROM archived_bookings WHERE region <> $1`, region); n != 0 {
		t.Errorf("%d bookings of other regions archived", n)
	}

	// Every archived booking is found by its code, exactly as it was.
	for _, want := range before {
		got, err := e.svc.Lookup(ctx, e.admin, want.ConfirmationCode)
		if err != nil {
			t.Fatalf("lookup %s: %v", want.ConfirmationCode, err)
		}
		if !strings.HasPrefix(got.Source, "bookings/region="+region+"/year=") {
			t.Errorf("%s found in %q, want an archive object", want.ConfirmationCode, got.Source)
		}
		if d := cmp.Diff(want, got.Record); d != "" {
			t.Fatalf("archived %s differs from the hot row it was (-hot +archived):\n%s", want.ConfirmationCode, d)
		}
	}
	// By user and by theatre range, paging through hot and archived together.
	byID := map[string]archive.Record{}
	for _, r := range before {
		byID[r.BookingID] = r
	}
	user := before[0].UserID
	found := search(t, e, archive.Query{Region: region, UserID: user, PageSize: 3})
	hotOfUser := e.count(t, `SELECT count(*) FROM bookings WHERE region = $1 AND user_id = $2`, region, user)
	var archivedOfUser int
	for _, r := range before {
		if r.UserID == user {
			archivedOfUser++
		}
	}
	if len(found) != hotOfUser+archivedOfUser {
		t.Errorf("user search found %d, want %d hot + %d archived", len(found), hotOfUser, archivedOfUser)
	}
	for _, l := range found {
		if w, ok := byID[l.BookingID]; ok {
			if d := cmp.Diff(w, l.Record); d != "" {
				t.Errorf("search result %s (-hot +archived):\n%s", l.BookingID, d)
			}
		}
	}
	th := before[len(before)/2]
	from, until := th.Showtime.StartsAt.AddDate(0, 0, -20), th.Showtime.StartsAt.AddDate(0, 0, 20)
	got := search(t, e, archive.Query{Region: region, TheatreID: th.Theatre.ID, From: from, Until: until, PageSize: 7})
	var want []string
	for _, r := range before {
		if r.Theatre.ID == th.Theatre.ID && !r.Showtime.StartsAt.Before(from) && r.Showtime.StartsAt.Before(until) {
			want = append(want, r.BookingID)
		}
	}
	var gotIDs []string
	for _, l := range got {
		gotIDs = append(gotIDs, l.BookingID)
	}
	slices.Sort(want)
	slices.Sort(gotIDs)
	if d := cmp.Diff(want, gotIDs); d != "" {
		t.Errorf("theatre range search (-want +got):\n%s", d)
	}

	// Object lock: every object is locked in COMPLIANCE mode until 5 years after its last show; an early
	// delete is refused by the bucket, not only by us.
	objs, err := e.db.Archive().Objects(ctx, region, archive.StatusArchived)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		info, err := e.objects.Stat(ctx, e.buckets[region], o.Key)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode != "COMPLIANCE" || info.RetainUntil.Before(e.now.AddDate(3, 6, 0)) {
			t.Errorf("%s: lock %s until %s, want COMPLIANCE until about 5 years after its shows", o.Key, info.Mode, info.RetainUntil)
		}
	}
	err = e.objects.Delete(ctx, e.buckets[region], objs[0].Key, objs[0].VersionID)
	if !errors.Is(err, objstore.ErrLocked) {
		t.Errorf("early delete of %s: %v, want ErrLocked", objs[0].Key, err)
	}
	if rep, err := e.archiver(region).Verify(ctx, nil); err != nil || !rep.OK() || rep.Rows != len(before) {
		t.Errorf("verify after the run: %+v, %v", rep, err)
	}
	// A second run finds nothing to do and changes nothing.
	again, err := e.archiver(region).Run(ctx)
	if err != nil || again.Bookings != 0 || again.Objects != 0 {
		t.Errorf("second run: %+v, %v; want nothing done", again, err)
	}
}

func search(t *testing.T, e *env, q archive.Query) []archive.Located {
	t.Helper()
	var out []archive.Located
	for page := 0; ; page++ {
		got, next, err := e.svc.Search(context.Background(), e.admin, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > q.PageSize {
			t.Fatalf("page of %d, asked for %d", len(got), q.PageSize)
		}
		out = append(out, got...)
		if next == "" {
			return out
		}
		if page > 1000 {
			t.Fatal("search does not end")
		}
		q.PageToken = next
	}
}

// TestKilledBetweenUploadAndDeleteLosesAndDuplicatesNothing runs the archive job in a child process (this test
// binary again) that is SIGKILLed after its second object is uploaded and before that object is verified and
// its rows deleted; a new run must finish the job with every booking archived exactly once.
func TestKilledBetweenUploadAndDeleteLosesAndDuplicatesNothing(t *testing.T) {
	e := newEnv(t)
	const region = "us-east1"
	before := e.old(t, region)
	srv := s3test.Server(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ARCHIVE_CHILD_DB="+e.url, "ARCHIVE_CHILD_S3="+srv.Endpoint(),
		"ARCHIVE_CHILD_KEYS="+srv.AccessKey()+":"+srv.SecretKey(), "ARCHIVE_CHILD_BUCKET="+e.buckets[region])
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	uploads := 0
	for uploads < 2 && lines.Scan() {
		if strings.HasPrefix(lines.Text(), "uploaded ") {
			uploads++
		}
	}
	if uploads < 2 {
		_ = cmd.Process.Kill()
		t.Fatalf("the child archiver stopped before its second upload: %v", cmd.Wait())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := e.count(t, `SELECT count(*) FROM archive_objects WHERE region = $1 AND status = 'uploading'`, region); n != 1 {
		t.Fatalf("%d objects left uploading by the killed job, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM archive_objects WHERE region = $1 AND status = 'archived'`, region); n != 1 {
		t.Fatalf("%d objects finished by the killed job, want 1", n)
	}
	// And a run that died after recording an object but before uploading it: the next run abandons it (its
	// part number stays taken) and archives its bookings anew.
	objs, err := e.db.Archive().Objects(context.Background(), region, archive.StatusArchived)
	if err != nil {
		t.Fatal(err)
	}
	ghost := objs[0]
	ghost.Key, ghost.Part, ghost.Status = ghost.Partition()+"/part-09999.parquet", 9999, archive.StatusUploading
	ghost.BookingIDs = []string{before[len(before)-1].BookingID}
	if err := e.db.Archive().BeginObject(context.Background(), ghost); err != nil {
		t.Fatal(err)
	}
	sum, err := e.archiver(region).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed != 1 || sum.Abandoned != 1 {
		t.Errorf("the next run resumed %d objects and abandoned %d, want 1 and 1", sum.Resumed, sum.Abandoned)
	}
	if n := e.count(t, `SELECT count(*) FROM archive_objects WHERE key = $1 AND status = 'abandoned'`, ghost.Key); n != 1 {
		t.Errorf("the never-uploaded object is not marked abandoned")
	}
	assertArchivedOnce(t, e, region, before)
}

// archiveChild is the archive job of TestKilledBetweenUploadAndDeleteLosesAndDuplicatesNothing: it archives
// us-east1 with the archivers' test settings, printing each upload and stopping for good after the second.
func archiveChild() {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("ARCHIVE_CHILD_DB"), 4, nil)
	if err != nil {
		panic(err)
	}
	access, secret, _ := strings.Cut(os.Getenv("ARCHIVE_CHILD_KEYS"), ":")
	objs, err := objstore.New(objstore.Config{Endpoint: os.Getenv("ARCHIVE_CHILD_S3"), AccessKey: access, SecretKey: secret})
	if err != nil {
		panic(err)
	}
	keys, _ := archive.NewKeyring(testKey)
	r, _ := regions.ByName("us-east1")
	r.S3Bucket = os.Getenv("ARCHIVE_CHILD_BUCKET")
	uploads := 0
	a := &archive.Archiver{Store: db.Archive(), Objects: objs, Keys: keys, Region: r, Now: db.Now, PartRows: testPartRows,
		GroupRows: testGroupRows, AfterUpload: func(key string) {
			fmt.Println("uploaded", key)
			if uploads++; uploads == 2 {
				select {} // wait to be killed
			}
		}}
	if _, err := a.Run(ctx); err != nil {
		panic(err)
	}
	fmt.Println("finished without being killed")
	os.Exit(3)
}

// assertArchivedOnce checks that every one of recs is archived exactly once and no longer hot.
func assertArchivedOnce(t *testing.T, e *env, region string, recs []archive.Record) {
	t.Helper()
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.BookingID)
	}
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE region = $1 AND id = ANY($2)`, region, ids); n != 0 {
		t.Errorf("%d archived bookings still hot", n)
	}
	if n := e.count(t, `SELECT count(*) FROM archived_bookings WHERE region = $1 AND booking_id = ANY($2)`, region, ids); n != len(ids) {
		t.Errorf("%d of %d bookings indexed", n, len(ids))
	}
	// Every booking is in exactly one object of the bucket: the objects' rows add up to the bookings.
	if n := e.count(t, `SELECT COALESCE(sum(row_count), 0) FROM archive_objects WHERE region = $1 AND status = 'archived'`, region); n != len(ids) {
		t.Errorf("archived objects hold %d rows, want %d", n, len(ids))
	}
	rep, err := e.archiver(region).Verify(context.Background(), nil)
	if err != nil || !rep.OK() || rep.Rows != len(ids) {
		t.Errorf("verify: %+v, %v", rep, err)
	}
	for _, want := range recs[:min(len(recs), 20)] {
		got, err := e.svc.Lookup(context.Background(), e.admin, want.ConfirmationCode)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got.Record); d != "" {
			t.Fatalf("%s (-hot +archived):\n%s", want.ConfirmationCode, d)
		}
	}
}

func TestEraseShredsArchivedPersonalData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const region = "europe-west1"
	before := e.old(t, region)
	// A person with bookings old enough to archive now and others that are archived only after the erasure
	// (shows that ended between 13 months and 2 days ago).
	var users []string
	email, names := map[string]string{}, map[string]string{}
	for _, r := range before {
		users = append(users, r.UserID)
		email[r.UserID], names[r.UserID] = r.Person.Email, r.Person.Name
	}
	var user string
	if err := e.db.Pool.QueryRow(ctx, `SELECT b.user_id FROM bookings b
		JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
		WHERE b.region = $1 AND b.user_id = ANY($2) AND s.ends_at >= $3 AND s.ends_at < $4
		ORDER BY b.user_id LIMIT 1`, region, users, e.cutoff, e.now.Add(-48*time.Hour)).Scan(&user); err != nil {
		t.Fatalf("no person with both old and newer bookings in the history: %v", err)
	}
	userEmail := email[user]
	if _, err := e.archiver(region).Run(ctx); err != nil {
		t.Fatal(err)
	}
	objsBefore := objectBytes(t, e, region)
	exportBefore := export(t, e, e.admin, user)
	if userEmail == "" || !strings.Contains(exportBefore, userEmail) {
		t.Fatalf("export before erasure does not show the email %q", userEmail)
	}
	if err := e.svc.Erase(ctx, e.admin, user, "GDPR request #1"); err != nil {
		t.Fatal(err)
	}
	// Hot rows scrubbed in place; the key is gone.
	var gotEmail, name, phone string
	if err := e.db.Pool.QueryRow(ctx, `SELECT email, display_name, phone FROM users WHERE id = $1`, user).Scan(&gotEmail, &name, &phone); err != nil {
		t.Fatal(err)
	}
	if gotEmail == userEmail || name != "" || phone != "" || !strings.HasSuffix(gotEmail, "@erased.invalid") {
		t.Errorf("hot row after erasure: %q %q %q", gotEmail, name, phone)
	}
	if n := e.count(t, `SELECT count(*) FROM person_keys WHERE user_id = $1`, user); n != 0 {
		t.Errorf("the data key survived the erasure")
	}
	// The export shows nothing personal, hot or archived; the archive objects are byte for byte what they were.
	after := export(t, e, e.admin, user)
	for _, p := range []string{userEmail, names[user]} {
		if p != "" && strings.Contains(after, p) {
			t.Errorf("export after erasure still shows %q", p)
		}
	}
	if d := cmp.Diff(objsBefore, objectBytes(t, e, region)); d != "" {
		t.Errorf("archive objects changed by the erasure")
	}
	// Archived records: personal fields no longer decrypt, amounts are all there and add up.
	var archivedTotal, wantTotal int64
	for _, r := range before {
		got, err := e.svc.Lookup(ctx, e.admin, r.ConfirmationCode)
		if err != nil {
			t.Fatal(err)
		}
		archivedTotal += got.TotalMinor - got.RefundMinor
		wantTotal += r.TotalMinor - r.RefundMinor
		if r.UserID == user {
			if got.Person != (archive.Person{Erased: true}) {
				t.Errorf("%s: person after erasure %+v", r.ConfirmationCode, got.Person)
			}
			r.Person = archive.Person{Erased: true}
		}
		if d := cmp.Diff(r, got.Record); d != "" {
			t.Fatalf("%s after erasure (-want +got):\n%s", r.ConfirmationCode, d)
		}
	}
	if archivedTotal != wantTotal {
		t.Errorf("archived net amounts %d, want %d", archivedTotal, wantTotal)
	}
	// Their bookings archived after the erasure carry no personal fields at all.
	e.tweak = func(a *archive.Archiver) { a.After = 48 * time.Hour }
	archivedBefore := e.count(t, `SELECT count(*) FROM archived_bookings WHERE user_id = $1`, user)
	if _, err := e.archiver(region).Run(ctx); err != nil {
		t.Fatalf("archiving after an erasure: %v", err)
	}
	if e.count(t, `SELECT count(*) FROM archived_bookings WHERE user_id = $1`, user) <= archivedBefore {
		t.Fatalf("the erased person had no bookings left to archive; pick one who does")
	}
	var later string
	if err := e.db.Pool.QueryRow(ctx, `SELECT confirmation_code FROM archived_bookings WHERE user_id = $1
		ORDER BY starts_at DESC LIMIT 1`, user).Scan(&later); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Lookup(ctx, e.admin, later); err != nil || got.Person != (archive.Person{Erased: true}) {
		t.Errorf("booking archived after the erasure: %+v, %v", got.Person, err)
	}
	// The person may ask themself: the same code; and a second erasure changes nothing.
	if err := e.svc.Erase(ctx, archive.Actor{UserID: user, Self: true}, user, ""); err != nil {
		t.Errorf("second erasure: %v", err)
	}
	if err := e.svc.Erase(ctx, archive.Actor{UserID: user, Self: true}, before[len(before)-1].UserID, ""); !errs.Is(err, errs.Permission) && before[len(before)-1].UserID != user {
		t.Errorf("erasing someone else as self: %v, want permission", err)
	}
}

func objectBytes(t *testing.T, e *env, region string) map[string][]byte {
	t.Helper()
	infos, err := e.objects.List(context.Background(), e.buckets[region], "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, in := range infos {
		if out[in.Key], err = e.objects.Get(context.Background(), e.buckets[region], in.Key); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func export(t *testing.T, e *env, a archive.Actor, user string) string {
	t.Helper()
	var buf bytes.Buffer
	chunks := 0
	if err := e.svc.Export(context.Background(), a, user, func(b []byte) error { chunks++; _, err := buf.Write(b); return err }); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		User     map[string]any   `json:"user"`
		Bookings []map[string]any `json:"bookings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("export is not one JSON document: %v\n%.300s", err, buf.String())
	}
	if doc.User["id"] != user || len(doc.Bookings) == 0 || chunks < len(doc.Bookings) {
		t.Fatalf("export: user %v, %d bookings in %d chunks", doc.User["id"], len(doc.Bookings), chunks)
	}
	return buf.String()
}

func TestLegalHoldKeepsObjectsThroughPurge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const region = "asia-south1"
	// Objects locked for only a few seconds, so that their retention passes within the test.
	e.tweak = func(a *archive.Archiver) { a.Retention, a.MinRetain = time.Nanosecond, 3*time.Second }
	before := e.old(t, region)
	if _, err := e.archiver(region).Run(ctx); err != nil {
		t.Fatal(err)
	}
	held := before[0]
	h, err := e.svc.PlaceHold(ctx, e.admin, archive.LegalHold{Region: region, Kind: archive.HoldPerson, UserID: held.UserID, Reason: "litigation 42"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Erase(ctx, e.admin, held.UserID, "asked"); !errs.Is(err, errs.Precondition) {
		t.Errorf("erasure under legal hold: %v, want precondition", err)
	}
	heldObjects := e.count(t, `SELECT count(*) FROM archive_objects WHERE region = $1 AND legal_hold`, region)
	if heldObjects == 0 {
		t.Fatal("no object got legal hold")
	}
	objs, _ := e.db.Archive().Objects(ctx, region, archive.StatusArchived)
	for _, o := range objs {
		info, err := e.objects.Stat(ctx, e.buckets[region], o.Key)
		if err != nil {
			t.Fatal(err)
		}
		if info.LegalHold != o.LegalHold {
			t.Errorf("%s: bucket legal hold %v, database says %v", o.Key, info.LegalHold, o.LegalHold)
		}
	}
	// Wait until every object's retention has passed (a condition, not a guess).
	var last time.Time
	for _, o := range objs {
		if o.RetainUntil.After(last) {
			last = o.RetainUntil
		}
	}
	waitUntil(t, last)
	sum, err := e.svc.Purge(ctx, e.admin, region, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Held) != heldObjects || sum.Purged != len(objs)-heldObjects {
		t.Fatalf("purge: %+v; want %d kept for the hold and %d deleted", sum, heldObjects, len(objs)-heldObjects)
	}
	for _, key := range sum.Deleted {
		if _, err := e.objects.Stat(ctx, e.buckets[region], key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("purged %s still in the bucket (%v)", key, err)
		}
	}
	if _, err := e.svc.Lookup(ctx, e.admin, held.ConfirmationCode); err != nil {
		t.Errorf("held booking after purge: %v", err)
	}
	var gone archive.Record
	for _, r := range before {
		if r.UserID != held.UserID && e.count(t, `SELECT count(*) FROM archived_bookings WHERE booking_id = $1`, r.BookingID) == 0 {
			gone = r
			break
		}
	}
	if _, err := e.svc.Lookup(ctx, e.admin, gone.ConfirmationCode); !errs.Is(err, errs.NotFound) {
		t.Errorf("purged booking %s: %v, want not found", gone.ConfirmationCode, err)
	}
	if _, err := e.svc.ReleaseHold(ctx, e.admin, region, h.ID); err != nil {
		t.Fatal(err)
	}
	sum, err = e.svc.Purge(ctx, e.admin, region, nil)
	if err != nil || sum.Purged != heldObjects {
		t.Errorf("purge after release: %+v, %v; want the %d held objects deleted", sum, err, heldObjects)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'Purge' AND outcome = 'ok'`); n != 2 {
		t.Errorf("%d purges in the audit log, want 2", n)
	}
	if rep, err := e.archiver(region).Verify(ctx, nil); err != nil || !rep.OK() || rep.Rows != 0 {
		t.Errorf("verify after purging everything: %+v, %v", rep, err)
	}
}

func waitUntil(t *testing.T, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(at.Add(time.Second)) {
		if time.Now().After(deadline) {
			t.Fatalf("retention until %s did not pass", at)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAuditorsSeeOnlyTheirRegions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Audit entries older than the archive threshold are copied to a locked object of the region's bucket.
	old := e.now.AddDate(0, -14, 0)
	for i, at := range []time.Time{old, old.Add(time.Minute), old.Add(2 * time.Minute), e.now.Add(-time.Hour)} {
		if err := e.db.Archive().Audit(ctx, archive.AuditEntry{Region: "europe-west1", ID: fmt.Sprintf("old-%d", i),
			ActorID: "aud-0", ActorRole: "auditor", Action: "LookupBooking", Detail: "confirmation_code=X",
			Records: []string{"b1"}, Outcome: "ok", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []string{"europe-west1", "us-east1"} {
		if _, err := e.archiver(r).Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var auditKey string
	if err := e.db.Pool.QueryRow(ctx, `SELECT archive_key FROM audit_log WHERE id = 'old-0'`).Scan(&auditKey); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(auditKey, "audit/region=europe-west1/year=") || e.count(t, `SELECT count(*) FROM audit_log WHERE archive_key = $1`, auditKey) != 3 ||
		e.count(t, `SELECT count(*) FROM audit_log WHERE id = 'old-3' AND archive_key IS NULL`) != 1 {
		t.Fatalf("old audit entries copied to %q; want the three old ones there and the recent one not", auditKey)
	}
	data, err := e.objects.Get(ctx, e.buckets["europe-west1"], auditKey)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := archive.ReadAuditObject(data)
	if err != nil || len(copied) != 3 || copied[2].ID != "old-2" || !copied[0].At.Equal(old) || copied[1].Records[0] != "b1" {
		t.Fatalf("audit object %s: %+v, %v", auditKey, copied, err)
	}
	if info, err := e.objects.Stat(ctx, e.buckets["europe-west1"], auditKey); err != nil || info.Mode != "COMPLIANCE" {
		t.Errorf("audit object lock: %+v, %v", info, err)
	}
	if rep, err := e.archiver("europe-west1").Verify(ctx, nil); err != nil || !rep.OK() {
		t.Errorf("verify with the audit object: %+v, %v", rep, err)
	}
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, display_name, created_at)
		VALUES ('aud-1', 'auditor@example.test', '!', 'Eve', now()), ('cust-1', 'c@example.test', '!', 'C', now())`); err != nil {
		t.Fatal(err)
	}
	auditor := archive.Actor{UserID: "aud-1"}
	if _, err := e.svc.Lookup(ctx, auditor, "AAAA-AAAA"); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Permission) {
		t.Errorf("lookup before being granted: %v", err)
	}
	if err := e.svc.SetAuditorRegions(ctx, auditor, "aud-1", []string{"europe-west1"}); !errs.Is(err, errs.Permission) {
		t.Errorf("auditor granting themself: %v, want permission", err)
	}
	if err := e.svc.SetAuditorRegions(ctx, e.admin, "aud-1", []string{"europe-west1"}); err != nil {
		t.Fatal(err)
	}
	var eu, us archive.Record
	for _, r := range e.archivedSample(t) {
		switch r.Region {
		case "europe-west1":
			eu = r
		case "us-east1":
			us = r
		}
	}
	if _, err := e.svc.Lookup(ctx, auditor, eu.ConfirmationCode); err != nil {
		t.Errorf("auditor of europe-west1 looking up its booking: %v", err)
	}
	if _, err := e.svc.Lookup(ctx, auditor, us.ConfirmationCode); !errs.Is(err, errs.Permission) {
		t.Errorf("auditor of europe-west1 looking up a us-east1 booking: %v, want permission", err)
	}
	if _, _, err := e.svc.Search(ctx, auditor, archive.Query{Region: "us-east1", UserID: us.UserID}); !errs.Is(err, errs.Permission) {
		t.Errorf("auditor searching us-east1: %v, want permission", err)
	}
	if _, err := e.svc.Lookup(ctx, archive.Actor{UserID: "cust-1"}, eu.ConfirmationCode); !errs.Is(err, errs.Permission) {
		t.Errorf("customer lookup: %v, want permission", err)
	}
	if _, err := e.svc.Lookup(ctx, archive.Actor{UserID: "cust-1"}, "ZZZZ-ZZZZ"); !errs.Is(err, errs.Permission) {
		t.Errorf("customer lookup of an unknown code: %v, want permission (no hint whether it exists)", err)
	}
	// Bad input: clear errors, nothing read.
	for name, tc := range map[string]struct {
		q    archive.Query
		kind errs.Kind
	}{
		"reversed range": {archive.Query{Region: "europe-west1", TheatreID: eu.Theatre.ID, From: e.now, Until: e.now.AddDate(0, -1, 0)}, errs.Invalid},
		"huge page":      {archive.Query{Region: "europe-west1", UserID: eu.UserID, PageSize: 100000}, errs.Invalid},
		"no criterion":   {archive.Query{Region: "europe-west1"}, errs.Invalid},
		"two criteria":   {archive.Query{Region: "europe-west1", UserID: eu.UserID, Email: "x@y.z"}, errs.Invalid},
		"bad token":      {archive.Query{Region: "europe-west1", UserID: eu.UserID, PageToken: "not-a-token"}, errs.Invalid},
		"no range":       {archive.Query{Region: "europe-west1", TheatreID: eu.Theatre.ID}, errs.Invalid},
		"unknown region": {archive.Query{Region: "mars-north1", UserID: eu.UserID}, errs.Invalid},
	} {
		if _, _, err := e.svc.Search(ctx, auditor, tc.q); !errs.Is(err, tc.kind) || errs.Message(err) == "" {
			t.Errorf("%s: %v, want %v with a message", name, err, tc.kind)
		}
	}
	if _, err := e.svc.Lookup(ctx, auditor, "ZZZZ-ZZZZ"); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown code: %v, want not found", err)
	}
	// Every call is in the audit log, with who, what, when, which records and how it ended; auditors read it.
	entries, _, err := e.svc.AuditLog(ctx, auditor, "europe-west1", 500, "")
	if err != nil {
		t.Fatal(err)
	}
	var okLookups int
	for _, en := range entries {
		if en.Action == "LookupBooking" && en.ActorID == "aud-1" && en.Outcome == "ok" && slices.Equal(en.Records, []string{eu.BookingID}) {
			okLookups++
		}
	}
	if okLookups != 1 {
		t.Errorf("audit log has %d ok lookups of %s by the auditor, want 1: %+v", okLookups, eu.BookingID, entries)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE actor_id = 'aud-1' AND outcome = 'permission'`); n < 2 {
		t.Errorf("%d refused calls logged, want at least 2", n)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE actor_id = 'aud-1'`); n < 13 {
		t.Errorf("%d of the auditor's calls logged, want every one (13)", n)
	}
	if _, _, err := e.svc.AuditLog(ctx, auditor, "us-east1", 10, ""); !errs.Is(err, errs.Permission) {
		t.Errorf("auditor reading us-east1's audit log: %v, want permission", err)
	}
}

// archivedSample returns one archived record per region (read from the index).
func (e *env) archivedSample(t *testing.T) []archive.Record {
	t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT DISTINCT ON (region) confirmation_code FROM archived_bookings ORDER BY region, booking_id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []archive.Record
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		l, err := e.svc.Lookup(context.Background(), e.admin, code)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Record)
	}
	return out
}

func TestVerifyReportsACorruptObjectAndManifest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const region = "europe-west1"
	if _, err := e.archiver(region).Run(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := e.archiver(region).Verify(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify before: %+v, %v", rep, err)
	}
	objs, _ := e.db.Archive().Objects(ctx, region, archive.StatusArchived)
	ms, _ := e.db.Archive().Manifests(ctx, region)
	if len(objs) < 2 || len(ms) < 2 {
		t.Fatalf("%d objects, %d manifests; want several", len(objs), len(ms))
	}
	obj, man := objs[1].Key, ms[0].Key
	srv := s3test.Server(t)
	s3test.Corrupt(t, srv, e.buckets[region], obj)
	s3test.Corrupt(t, srv, e.buckets[region], man)
	rep, err = e.archiver(region).Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sawObj, sawMan bool
	for _, p := range rep.Problems {
		sawObj = sawObj || strings.Contains(p, obj)
		sawMan = sawMan || strings.Contains(p, man)
	}
	if !sawObj || !sawMan || rep.OK() {
		t.Errorf("verify after corrupting %s and %s reported:\n%s", obj, man, strings.Join(rep.Problems, "\n"))
	}
}
