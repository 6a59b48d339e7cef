package archive

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
)

// Roles that reach the compliance service.
const (
	RoleAdmin   = "admin"   // every region; grants auditors their regions
	RoleAuditor = "auditor" // the regions granted
)

// MaxPageSize bounds a page of search results or audit entries.
const MaxPageSize = 500

// Actor is who calls: a platform admin, an auditor, or a person acting on their own data (Self). The service
// looks up Role itself.
type Actor struct {
	UserID, Role string
	Self         bool
	// scope keeps, for one call, what the database said of the caller's role and regions (see called).
	scope *scope
}

type scope struct {
	role    string
	regions []string
	err     error
	done    bool
}

// called gives a its own memo of role and regions for one call, so that the checks and the audit entry of a
// call look them up once.
func (a Actor) called() Actor {
	a.scope = &scope{}
	return a
}

// role returns a's role, from the database unless given.
func (s *Service) role(ctx context.Context, a Actor) (string, error) {
	if a.Role != "" || a.Self {
		return a.Role, nil
	}
	if a.UserID == "" {
		return "", errs.Errorf("archive.authorize", errs.Unauthenticated, "sign in first")
	}
	if a.scope == nil {
		return s.Store.UserRole(ctx, a.UserID)
	}
	s.loadScope(ctx, a)
	return a.scope.role, a.scope.err
}

// loadScope reads a's role and, for an auditor, regions into its memo, once.
func (s *Service) loadScope(ctx context.Context, a Actor) {
	sc := a.scope
	if sc.done {
		return
	}
	sc.done = true
	if sc.role, sc.err = s.Store.UserRole(ctx, a.UserID); sc.err == nil && sc.role == RoleAuditor {
		sc.regions, sc.err = s.Store.AuditorRegions(ctx, a.UserID)
	}
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Region, ID, ActorID, ActorRole, Action, Detail, Outcome string
	Records                                                 []string
	At                                                      time.Time
	// ArchiveKey is the archive object holding a locked copy of the entry, once it is older than the archive's
	// threshold.
	ArchiveKey string
}

// Query selects bookings: of a person (UserID, or Email resolved to one) or of a theatre whose shows start in
// [From, Until), in Region, after the cursor of an earlier page.
type Query struct {
	Region, UserID, Email, TheatreID string
	From, Until                      time.Time
	PageSize                         int
	PageToken                        string
	after                            cursor
}

// cursor is the last (show start, booking ID) of a page; results are in that order.
type cursor struct {
	StartsAt  time.Time `json:"s"`
	BookingID string    `json:"b"`
}

// SearchQuery is what a Store is asked for: at most Limit bookings after After.
type SearchQuery struct {
	Region, UserID, TheatreID string
	From, Until               time.Time
	AfterStartsAt             time.Time
	AfterBookingID            string
	Limit                     int
}

// PersonData is what the hot tables hold on a person beyond their bookings, for an export.
type PersonData struct {
	UserID, Email, Name, Phone, HomeRegion, Role string
	CreatedAt                                    time.Time
	ErasedAt                                     time.Time
	// Other is every other record, by kind ("store_credit", "standby", "notification_prefs", ...), as JSON
	// values.
	Other map[string]any
}

// ComplianceStore is what the compliance service keeps in and reads from the database.
type ComplianceStore interface {
	Store
	// UserRole returns a user's role; NotFound for no such user.
	UserRole(ctx context.Context, userID string) (string, error)
	AuditorRegions(ctx context.Context, userID string) ([]string, error)
	SetAuditorRegions(ctx context.Context, userID string, regions []string, by string, at time.Time) error
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, region string, before time.Time, beforeID string, limit int) ([]AuditEntry, error)
	HotByCode(ctx context.Context, code string) (Record, bool, error)
	IndexByCode(ctx context.Context, code string) (IndexEntry, bool, error)
	SearchHot(ctx context.Context, q SearchQuery) ([]Record, error)
	SearchIndex(ctx context.Context, q SearchQuery) ([]IndexEntry, error)
	UserIDByEmail(ctx context.Context, email string) (string, bool, error)
	Person(ctx context.Context, userID string) (PersonData, error)
	// Subjects returns every booking of a person, hot and archived, in every region.
	Subjects(ctx context.Context, userID string) ([]Subject, error)
	AddHold(ctx context.Context, h LegalHold) error
	ReleaseHold(ctx context.Context, region, id, by string, at time.Time) (LegalHold, error)
	// HeldObjects returns the archived objects of region holding a booking h covers.
	HeldObjects(ctx context.Context, h LegalHold) ([]Object, error)
	SetObjectLegalHold(ctx context.Context, region, key string, on bool) error
	Entries(ctx context.Context, region, key string) ([]IndexEntry, error)
	ErasePerson(ctx context.Context, userID string, at time.Time, ev events.Event) error
}

// Service is the compliance service: lookups, searches, exports and erasure of people's data, legal holds and
// purges, each allowed by the caller's regions and written to the audit log.
type Service struct {
	Store   ComplianceStore
	Objects Objects
	Keys    *Keyring
	Now     platform.Clock
	IDs     *platform.IDs
	// Region is the region this process serves; audit entries of calls not about one region go there.
	Region string
	// Archiver returns the archiver of a region (for RunArchive and Purge).
	Archiver func(region string) (*Archiver, error)
	// Bucket, when set, names a region's bucket instead of regions/ (tests give each their own).
	Bucket func(region string) string
}

// bucket is the bucket of region.
func (s *Service) bucket(region string) string {
	if s.Bucket != nil {
		return s.Bucket(region)
	}
	r, _ := regions.ByName(region)
	return r.S3Bucket
}

// regionsOf returns the regions actor may read and act on.
func (s *Service) regionsOf(ctx context.Context, a Actor) ([]string, error) {
	role, err := s.role(ctx, a)
	if err != nil {
		return nil, err
	}
	switch role {
	case RoleAdmin:
		return allRegions(), nil
	case RoleAuditor:
		if a.scope != nil {
			return a.scope.regions, nil // loaded with the role
		}
		return s.Store.AuditorRegions(ctx, a.UserID)
	}
	return nil, errs.Errorf("archive.authorize", errs.Permission, "compliance calls are for auditors and platform admins")
}

// allow checks that actor may act on region.
func (s *Service) allow(ctx context.Context, a Actor, region string) error {
	if _, ok := regions.ByName(region); !ok {
		return errs.Errorf("archive.authorize", errs.Invalid, "no region %q", region)
	}
	if a.Self {
		return nil
	}
	rs, err := s.regionsOf(ctx, a)
	if err != nil {
		return err
	}
	if !slices.Contains(rs, region) {
		return errs.Errorf("archive.authorize", errs.Permission, "you may not read or act on %s's data", region)
	}
	return nil
}

// audit writes what was done to the audit log, whatever its outcome, and returns err.
func (s *Service) audit(ctx context.Context, a Actor, region, action, detail string, records []string, err error) error {
	outcome := "ok"
	if err != nil {
		outcome = errs.KindOf(err).String()
	}
	role, _ := s.role(ctx, a)
	if a.Self {
		role = "self"
	}
	e := AuditEntry{Region: cmp.Or(region, s.Region), ID: s.IDs.New(), ActorID: a.UserID, ActorRole: role,
		Action: action, Detail: detail, Records: records, Outcome: outcome, At: s.Now()}
	if e.Records == nil {
		e.Records = []string{}
	}
	if aerr := s.Store.Audit(ctx, e); aerr != nil {
		// An action that cannot be audited is not done (reads are returned only once logged).
		return errs.E("archive.audit", errs.Unavailable, "the audit log could not be written", aerr)
	}
	return err
}

// Lookup finds a booking by confirmation code, hot or archived. An auditor must hold the booking's region.
func (s *Service) Lookup(ctx context.Context, a Actor, code string) (Located, error) {
	a = a.called()
	code = normalizeCode(code)
	// The caller's role first: someone who may read no region learns nothing, not even whether a code exists.
	var loc Located
	_, err := s.regionsOf(ctx, a)
	if err == nil {
		loc, err = s.lookup(ctx, code)
	}
	region := loc.Region
	if err == nil {
		err = s.allow(ctx, a, region)
		if err != nil {
			loc = Located{}
		}
	}
	var recs []string
	if err == nil {
		recs = []string{loc.BookingID}
	}
	return loc, s.audit(ctx, a, region, "LookupBooking", "confirmation_code="+code, recs, err)
}

// normalizeCode writes a confirmation code the way bookings carry it, "7KQ2-M9XD", whatever its case, spaces
// and dash.
func normalizeCode(code string) string {
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

func (s *Service) lookup(ctx context.Context, code string) (Located, error) {
	if code == "" {
		return Located{}, errs.Errorf("archive.Lookup", errs.Invalid, "a confirmation code is required")
	}
	if r, ok, err := s.Store.HotByCode(ctx, code); err != nil || ok {
		return Located{Record: r, Source: SourceHot}, err
	}
	e, ok, err := s.Store.IndexByCode(ctx, code)
	if err != nil {
		return Located{}, err
	}
	if !ok {
		return Located{}, errs.Errorf("archive.Lookup", errs.NotFound, "no booking has confirmation code %s", code)
	}
	locs, err := readArchived(ctx, s.Store, s.Objects, s.Keys, s.bucket, []IndexEntry{e})
	if err != nil {
		return Located{}, err
	}
	return locs[0], nil
}

// Search returns a page of bookings, hot and archived together, by show start, and the token of the next page
// ("" at the end).
func (s *Service) Search(ctx context.Context, a Actor, q Query) ([]Located, string, error) {
	a = a.called()
	detail := fmt.Sprintf("region=%s user_id=%s email=%s theatre_id=%s from=%s until=%s", q.Region, q.UserID,
		q.Email, q.TheatreID, fmtTime(q.From), fmtTime(q.Until))
	out, next, err := s.search(ctx, a, q)
	var recs []string
	for _, l := range out {
		recs = append(recs, l.BookingID)
	}
	return out, next, s.audit(ctx, a, q.Region, "SearchBookings", detail, recs, err)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Service) search(ctx context.Context, a Actor, q Query) ([]Located, string, error) {
	const op = "archive.Search"
	if err := s.allow(ctx, a, q.Region); err != nil {
		return nil, "", err
	}
	n := 0
	for _, set := range []bool{q.UserID != "", q.Email != "", q.TheatreID != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, "", errs.Errorf(op, errs.Invalid, "give exactly one of user_id, email or theatre_id")
	}
	if q.TheatreID != "" && (q.From.IsZero() || q.Until.IsZero()) {
		return nil, "", errs.Errorf(op, errs.Invalid, "a theatre search needs a date range (from and until)")
	}
	if !q.From.IsZero() && !q.Until.IsZero() && !q.Until.After(q.From) {
		return nil, "", errs.Errorf(op, errs.Invalid, "the date range ends before it starts: until must be after from")
	}
	if q.PageSize < 0 || q.PageSize > MaxPageSize {
		return nil, "", errs.Errorf(op, errs.Invalid, "page_size must be at most %d (0 means 50)", MaxPageSize)
	}
	size := cmp.Or(q.PageSize, 50)
	var after cursor
	if q.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.PageToken)
		if err != nil || json.Unmarshal(b, &after) != nil || after.BookingID == "" {
			return nil, "", errs.Errorf(op, errs.Invalid, "page_token is not one this service returned")
		}
	}
	if q.Email != "" {
		id, ok, err := s.Store.UserIDByEmail(ctx, strings.ToLower(strings.TrimSpace(q.Email)))
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", nil
		}
		q.UserID = id
	}
	sq := SearchQuery{Region: q.Region, UserID: q.UserID, TheatreID: q.TheatreID, From: q.From, Until: q.Until,
		AfterStartsAt: after.StartsAt, AfterBookingID: after.BookingID, Limit: size + 1}
	hot, err := s.Store.SearchHot(ctx, sq)
	if err != nil {
		return nil, "", err
	}
	idx, err := s.Store.SearchIndex(ctx, sq)
	if err != nil {
		return nil, "", err
	}
	// Merge the two ordered lists, reading from the archive only the entries that make the page.
	type item struct {
		at  time.Time
		id  string
		hot *Record
		idx *IndexEntry
	}
	var items []item
	for i := range hot {
		items = append(items, item{at: hot[i].Showtime.StartsAt, id: hot[i].BookingID, hot: &hot[i]})
	}
	for i := range idx {
		items = append(items, item{at: idx[i].StartsAt, id: idx[i].BookingID, idx: &idx[i]})
	}
	slices.SortFunc(items, func(x, y item) int { return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.id, y.id)) })
	next := ""
	if len(items) > size {
		items = items[:size]
		last := items[size-1]
		b, _ := json.Marshal(cursor{StartsAt: last.at.UTC(), BookingID: last.id})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	var want []IndexEntry
	for _, it := range items {
		if it.idx != nil {
			want = append(want, *it.idx)
		}
	}
	archived, err := readArchived(ctx, s.Store, s.Objects, s.Keys, s.bucket, want)
	if err != nil {
		return nil, "", err
	}
	out := make([]Located, 0, len(items))
	for _, it := range items {
		if it.hot != nil {
			out = append(out, Located{Record: *it.hot, Source: SourceHot})
		} else {
			out, archived = append(out, archived[0]), archived[1:]
		}
	}
	return out, next, nil
}
