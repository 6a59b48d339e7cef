package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/regions"
)

// exportPage is how many bookings an export reads at a time.
const exportPage = 200

// Export writes every record of a person, hot and archived, as one JSON document (GDPR Article 15), in
// pieces to emit as it reads them. An auditor exports what the regions they hold have of the person; the person
// themself (Self) and admins, everything.
func (s *Service) Export(ctx context.Context, a Actor, userID string, emit func([]byte) error) error {
	a = a.called()
	var recs []string
	err := s.export(ctx, a, userID, emit, &recs)
	return s.audit(ctx, a, "", "ExportPerson", "user_id="+userID, recs, err)
}

func (s *Service) export(ctx context.Context, a Actor, userID string, emit func([]byte) error, recs *[]string) error {
	if a.Self && a.UserID != userID {
		return errs.Errorf("archive.Export", errs.Permission, "you may export only your own data")
	}
	var scope []string
	if !a.Self {
		var err error
		if scope, err = s.regionsOf(ctx, a); err != nil {
			return err
		}
	}
	p, err := s.Store.Person(ctx, userID)
	if err != nil {
		return err
	}
	head := map[string]any{"format": "marquee-person-export/v1", "exported_at": s.Now(), "user": map[string]any{
		"id": p.UserID, "email": p.Email, "name": p.Name, "phone": p.Phone, "home_region": p.HomeRegion,
		"role": p.Role, "created_at": p.CreatedAt, "erased_at": zeroNil(p.ErasedAt)}, "records": p.Other}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// The document is the head object with a "bookings" array added before its closing brace.
	if err := emit(append(b[:len(b)-1], []byte(`,"bookings":[`)...)); err != nil {
		return err
	}
	first := true
	for _, r := range regionsIn(scope) {
		q := Query{Region: r, UserID: userID, PageSize: exportPage}
		for {
			page, next, err := s.search(ctx, Actor{Self: true}, q)
			if err != nil {
				return err
			}
			for _, l := range page {
				b, err := json.Marshal(exportRecord(l))
				if err != nil {
					return err
				}
				if !first {
					b = append([]byte{','}, b...)
				}
				first = false
				if err := emit(b); err != nil {
					return err
				}
				*recs = append(*recs, l.BookingID)
			}
			if next == "" {
				break
			}
			q.PageToken = next
		}
	}
	return emit([]byte("]}\n"))
}

// regionsIn returns scope, or every region when scope is nil.
func regionsIn(scope []string) []string {
	if scope != nil {
		return scope
	}
	return allRegions()
}

func zeroNil[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// exportRecord is a record as an export shows it.
func exportRecord(l Located) map[string]any {
	return map[string]any{"source": l.Source, "booking": l.Record}
}

// Erase scrubs a person's personal fields from the hot tables and shreds their data key, so that archived
// copies no longer reveal them (GDPR Article 17); amounts, seats and dates stay. It is refused while a legal
// hold covers the person or any of their bookings. An auditor needs the person's home region.
func (s *Service) Erase(ctx context.Context, a Actor, userID, reason string) error {
	a = a.called()
	err := s.erase(ctx, a, userID, reason)
	return s.audit(ctx, a, "", "ErasePerson", fmt.Sprintf("user_id=%s reason=%q", userID, reason), []string{userID}, err)
}

func (s *Service) erase(ctx context.Context, a Actor, userID, reason string) error {
	const op = "archive.Erase"
	if a.Self && a.UserID != userID {
		return errs.Errorf(op, errs.Permission, "you may erase only your own data")
	}
	if !a.Self {
		if _, err := s.regionsOf(ctx, a); err != nil {
			return err // before any lookup: a caller who may erase nobody learns nothing
		}
		if strings.TrimSpace(reason) == "" {
			return errs.Errorf(op, errs.Invalid, "an erasure needs a reason")
		}
	}
	p, err := s.Store.Person(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.allow(ctx, a, p.HomeRegion); err != nil {
		return err
	}
	if !p.ErasedAt.IsZero() {
		return nil // erased already: nothing more to remove
	}
	subjects, err := s.Store.Subjects(ctx, userID)
	if err != nil {
		return err
	}
	subjects = append(subjects, Subject{UserID: userID})
	for _, r := range allRegions() {
		holds, err := s.Store.ActiveHolds(ctx, r)
		if err != nil {
			return err
		}
		for _, sub := range subjects {
			if id := holdOn(holds, sub); id != "" {
				return errs.Errorf(op, errs.Precondition, "a legal hold (%s) covers this person's records: they cannot be erased until it is released", id)
			}
		}
	}
	return s.Store.ErasePerson(ctx, userID, s.Now(), events.PersonErased(p.HomeRegion, userID, s.Now()))
}

func allRegions() []string {
	var out []string
	for _, r := range regions.All() {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}
