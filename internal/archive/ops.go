package archive

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// PlaceHold places a legal hold: the records it covers are kept from erasure and purge, and their archive
// objects get S3 legal hold (objects written later get it when written).
func (s *Service) PlaceHold(ctx context.Context, a Actor, h LegalHold) (LegalHold, error) {
	a = a.called()
	var recs []string
	h, err := s.placeHold(ctx, a, h, &recs)
	detail := fmt.Sprintf("kind=%s user_id=%s booking_id=%s theatre_id=%s from=%s until=%s reason=%q", h.Kind,
		h.UserID, h.BookingID, h.TheatreID, fmtTime(h.From), fmtTime(h.Until), h.Reason)
	return h, s.audit(ctx, a, h.Region, "PlaceLegalHold", detail, append([]string{h.ID}, recs...), err)
}

func (s *Service) placeHold(ctx context.Context, a Actor, h LegalHold, objs *[]string) (LegalHold, error) {
	const op = "archive.PlaceHold"
	if err := s.allow(ctx, a, h.Region); err != nil {
		return h, err
	}
	switch h.Kind {
	case HoldPerson:
		if h.UserID == "" {
			return h, errs.Errorf(op, errs.Invalid, "a hold on a person needs user_id")
		}
	case HoldBooking:
		if h.BookingID == "" {
			return h, errs.Errorf(op, errs.Invalid, "a hold on a booking needs booking_id")
		}
	case HoldTheatre:
		if h.TheatreID == "" || h.From.IsZero() || h.Until.IsZero() {
			return h, errs.Errorf(op, errs.Invalid, "a hold on a theatre needs theatre_id, from and until")
		}
		if !h.Until.After(h.From) {
			return h, errs.Errorf(op, errs.Invalid, "the date range ends before it starts: until must be after from")
		}
	default:
		return h, errs.Errorf(op, errs.Invalid, "a hold is on a person, a booking or a theatre")
	}
	if strings.TrimSpace(h.Reason) == "" {
		return h, errs.Errorf(op, errs.Invalid, "a legal hold needs a reason")
	}
	r, _ := regions.ByName(h.Region)
	h.ID, h.PlacedBy, h.PlacedAt = s.IDs.Regional(r.IDPrefix), a.UserID, s.Now()
	if err := s.Store.AddHold(ctx, h); err != nil {
		return h, err
	}
	held, err := s.Store.HeldObjects(ctx, h)
	if err != nil {
		return h, err
	}
	for _, o := range held {
		v, err := versionOf(ctx, s.Objects, s.bucket(h.Region), o)
		if err != nil {
			return h, err
		}
		if err := s.Objects.SetLegalHold(ctx, s.bucket(h.Region), o.Key, v, true); err != nil {
			return h, fmt.Errorf("archive: legal hold on %s: %w", o.Key, err)
		}
		if err := s.Store.SetObjectLegalHold(ctx, o.Region, o.Key, true); err != nil {
			return h, err
		}
		*objs = append(*objs, o.Key)
	}
	return h, nil
}

// ReleaseHold releases a legal hold; objects no other active hold covers lose their S3 legal hold.
func (s *Service) ReleaseHold(ctx context.Context, a Actor, region, id string) (LegalHold, error) {
	a = a.called()
	var objs []string
	h, err := s.releaseHold(ctx, a, region, id, &objs)
	return h, s.audit(ctx, a, region, "ReleaseLegalHold", "hold_id="+id, append([]string{id}, objs...), err)
}

func (s *Service) releaseHold(ctx context.Context, a Actor, region, id string, objs *[]string) (LegalHold, error) {
	if err := s.allow(ctx, a, region); err != nil {
		return LegalHold{}, err
	}
	h, err := s.Store.ReleaseHold(ctx, region, id, a.UserID, s.Now())
	if err != nil {
		return h, err
	}
	held, err := s.Store.HeldObjects(ctx, h)
	if err != nil {
		return h, err
	}
	others, err := s.Store.ActiveHolds(ctx, region)
	if err != nil {
		return h, err
	}
	for _, o := range held {
		still, err := s.stillHeld(ctx, o, others)
		if err != nil || still {
			if err != nil {
				return h, err
			}
			continue
		}
		v, err := versionOf(ctx, s.Objects, s.bucket(h.Region), o)
		if err != nil {
			return h, err
		}
		if err := s.Objects.SetLegalHold(ctx, s.bucket(h.Region), o.Key, v, false); err != nil {
			return h, fmt.Errorf("archive: lifting legal hold on %s: %w", o.Key, err)
		}
		if err := s.Store.SetObjectLegalHold(ctx, o.Region, o.Key, false); err != nil {
			return h, err
		}
		*objs = append(*objs, o.Key)
	}
	return h, nil
}

// stillHeld reports whether any of holds covers a booking of o.
func (s *Service) stillHeld(ctx context.Context, o Object, holds []LegalHold) (bool, error) {
	if len(holds) == 0 {
		return false, nil
	}
	entries, err := s.Store.Entries(ctx, o.Region, o.Key)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if holdOn(holds, SubjectOfEntry(e)) != "" {
			return true, nil
		}
	}
	return false, nil
}

// PurgeSummary is what a purge did.
type PurgeSummary struct {
	Purged, Bookings int
	Held             []string // objects past retention kept for a legal hold
	Deleted          []string
}

// Purge deletes region's archive objects whose retention has passed and that no legal hold covers, with their
// index rows, recording each in the manifest chain and the audit log.
func (s *Service) Purge(ctx context.Context, a Actor, region string, progress func(done, total int)) (PurgeSummary, error) {
	a = a.called()
	sum, err := s.purge(ctx, a, region, progress)
	return sum, s.audit(ctx, a, region, "Purge", fmt.Sprintf("deleted=%d kept_for_hold=%d", len(sum.Deleted), len(sum.Held)), sum.Deleted, err)
}

func (s *Service) purge(ctx context.Context, a Actor, region string, progress func(done, total int)) (PurgeSummary, error) {
	var sum PurgeSummary
	if err := s.allow(ctx, a, region); err != nil {
		return sum, err
	}
	arch, err := s.Archiver(region)
	if err != nil {
		return sum, err
	}
	objs, err := s.Store.Objects(ctx, region, StatusArchived)
	if err != nil {
		return sum, err
	}
	holds, err := s.Store.ActiveHolds(ctx, region)
	if err != nil {
		return sum, err
	}
	now := s.Now()
	for i, o := range objs {
		if progress != nil {
			progress(i, len(objs))
		}
		if o.RetainUntil.After(now) {
			continue
		}
		held, err := s.stillHeld(ctx, o, holds)
		if err != nil {
			return sum, err
		}
		if held || o.LegalHold {
			sum.Held = append(sum.Held, o.Key)
			continue
		}
		if err := arch.purgeObject(ctx, o); err != nil {
			return sum, err
		}
		sum.Purged++
		sum.Bookings += o.Rows
		sum.Deleted = append(sum.Deleted, o.Key)
	}
	if progress != nil {
		progress(len(objs), len(objs))
	}
	return sum, nil
}

// purgeObject records the purge in the manifest chain, deletes the object from the bucket (which refuses while
// it is locked) and then its index rows.
func (a *Archiver) purgeObject(ctx context.Context, o Object) error {
	purgeKey := "purge:" + o.Key
	m, ok, err := a.Store.ManifestFor(ctx, o.Region, purgeKey)
	if err != nil {
		return err
	}
	if !ok {
		if m, err = a.newManifest(ctx, o, map[string]bool{o.Key: true}); err != nil {
			return err
		}
		m.ObjectKey = purgeKey
		if err := a.Store.AddManifest(ctx, m); err != nil {
			return err
		}
	}
	v, err := versionOf(ctx, a.Objects, a.Region.S3Bucket, o)
	if err != nil {
		return err
	}
	if err := a.Objects.Delete(ctx, a.Region.S3Bucket, o.Key, v); err != nil {
		return fmt.Errorf("archive: purging %s: %w", o.Key, err)
	}
	if !m.Uploaded {
		if err := a.uploadManifest(ctx, m); err != nil {
			return err
		}
	}
	return a.Store.PurgeObject(ctx, o, a.Now())
}

// RunArchive runs region's archive now, telling progress how it goes.
func (s *Service) RunArchive(ctx context.Context, a Actor, region string, progress func(Progress)) (Summary, error) {
	a = a.called()
	sum, err := s.runArchive(ctx, a, region, progress)
	return sum, s.audit(ctx, a, region, "RunArchive", fmt.Sprintf("bookings=%d objects=%d", sum.Bookings, sum.Objects), nil, err)
}

func (s *Service) runArchive(ctx context.Context, a Actor, region string, progress func(Progress)) (Summary, error) {
	if err := s.allow(ctx, a, region); err != nil {
		return Summary{}, err
	}
	arch, err := s.Archiver(region)
	if err != nil {
		return Summary{}, err
	}
	run := *arch
	run.Progress = progress
	return run.Run(ctx)
}

// AuditLog returns a page of region's audit log, newest first, and the next page's token. Reading it is
// itself audited.
func (s *Service) AuditLog(ctx context.Context, a Actor, region string, pageSize int, pageToken string) ([]AuditEntry, string, error) {
	a = a.called()
	out, next, err := s.auditLog(ctx, a, region, pageSize, pageToken)
	return out, next, s.audit(ctx, a, region, "ListAuditLog", "page_token="+pageToken, nil, err)
}

func (s *Service) auditLog(ctx context.Context, a Actor, region string, pageSize int, pageToken string) ([]AuditEntry, string, error) {
	if err := s.allow(ctx, a, region); err != nil {
		return nil, "", err
	}
	if pageSize < 0 || pageSize > MaxPageSize {
		return nil, "", errs.Errorf("archive.AuditLog", errs.Invalid, "page_size must be at most %d (0 means 50)", MaxPageSize)
	}
	size := pageSize
	if size == 0 {
		size = 50
	}
	var after cursor
	if pageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(pageToken)
		if err != nil || json.Unmarshal(b, &after) != nil || after.BookingID == "" {
			return nil, "", errs.Errorf("archive.AuditLog", errs.Invalid, "page_token is not one this service returned")
		}
	}
	before := after.StartsAt
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	out, err := s.Store.AuditLog(ctx, region, before, after.BookingID, size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		b, _ := json.Marshal(cursor{StartsAt: out[size-1].At, BookingID: out[size-1].ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, next, nil
}

// SetAuditorRegions makes a user an auditor of regions (platform admins only); no regions leaves them none.
func (s *Service) SetAuditorRegions(ctx context.Context, a Actor, userID string, rs []string) error {
	a = a.called()
	err := s.setAuditorRegions(ctx, a, userID, rs)
	return s.audit(ctx, a, "", "SetAuditorRegions", fmt.Sprintf("user_id=%s regions=%s", userID, strings.Join(rs, ",")), []string{userID}, err)
}

func (s *Service) setAuditorRegions(ctx context.Context, a Actor, userID string, rs []string) error {
	if role, err := s.role(ctx, a); err != nil {
		return err
	} else if role != RoleAdmin || a.Self {
		return errs.Errorf("archive.SetAuditorRegions", errs.Permission, "only platform admins grant auditors their regions")
	}
	for _, r := range rs {
		if _, ok := regions.ByName(r); !ok {
			return errs.Errorf("archive.SetAuditorRegions", errs.Invalid, "no region %q", r)
		}
	}
	return s.Store.SetAuditorRegions(ctx, userID, rs, a.UserID, s.Now())
}
