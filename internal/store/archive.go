package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

// ArchiveStore keeps the compliance archive's records: where archived bookings are, the manifest chain, the
// per-person data keys, legal holds, auditors' regions and the audit log. It implements
// archive.ComplianceStore.
type ArchiveStore struct{ db *DB }

// Archive returns the archive's store.
func (db *DB) Archive() *ArchiveStore { return &ArchiveStore{db: db} }

var _ archive.ComplianceStore = (*ArchiveStore)(nil)

// recordSQL reads bookings with their showtime, movie, theatre and person; a WHERE clause is appended.
const recordSQL = `SELECT b.region, b.id, b.confirmation_code, b.status, b.user_id, u.email, u.display_name, u.phone,
	u.erased_at IS NOT NULL, b.currency, b.total_minor, b.refund_minor, b.discount_minor, b.fees_minor,
	COALESCE(b.promo_code, ''), b.hold_id, b.created_at, b.cancelled_at,
	s.id, s.screen_id, sc.name, s.starts_at, s.ends_at, s.format, s.language, s.base_price_minor, s.premium_price_minor,
	m.id, m.title, m.rating, m.language, m.runtime_minutes,
	t.id, t.name, t.chain_id, ch.name, t.city_id, ci.name, t.address, t.time_zone
FROM bookings b
JOIN users u ON u.id = b.user_id
JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
JOIN screens sc ON sc.region = s.region AND sc.id = s.screen_id
JOIN movies m ON m.id = s.movie_id
JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
JOIN chains ch ON ch.id = t.chain_id
JOIN cities ci ON ci.id = t.city_id
`

// readRecords runs recordSQL with where and args, then reads the seats and payments of what it found.
func readRecords(ctx context.Context, db q, where string, args ...any) ([]archive.Record, error) {
	rows, err := db.Query(ctx, recordSQL+where, args...)
	if err != nil {
		return nil, wrap("store.readRecords", err)
	}
	var out []archive.Record
	for rows.Next() {
		var r archive.Record
		var erased bool
		var cancelled *time.Time
		if err := rows.Scan(&r.Region, &r.BookingID, &r.ConfirmationCode, &r.Status, &r.UserID, &r.Person.Email,
			&r.Person.Name, &r.Person.Phone, &erased, &r.Currency, &r.TotalMinor, &r.RefundMinor, &r.DiscountMinor,
			&r.FeesMinor, &r.PromoCode, &r.HoldID, &r.CreatedAt, &cancelled,
			&r.Showtime.ID, &r.Showtime.ScreenID, &r.Showtime.ScreenName, &r.Showtime.StartsAt, &r.Showtime.EndsAt,
			&r.Showtime.Format, &r.Showtime.Language, &r.Showtime.BasePriceMinor, &r.Showtime.PremiumPriceMinor,
			&r.Movie.ID, &r.Movie.Title, &r.Movie.Rating, &r.Movie.Language, &r.Movie.RuntimeMinutes,
			&r.Theatre.ID, &r.Theatre.Name, &r.Theatre.ChainID, &r.Theatre.ChainName, &r.Theatre.CityID,
			&r.Theatre.CityName, &r.Theatre.Address, &r.Theatre.TimeZone); err != nil {
			rows.Close()
			return nil, wrap("store.readRecords", err)
		}
		if erased {
			r.Person = archive.Person{Erased: true}
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if cancelled != nil {
			r.CancelledAt = cancelled.UTC()
		}
		r.Showtime.StartsAt, r.Showtime.EndsAt = r.Showtime.StartsAt.UTC(), r.Showtime.EndsAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("store.readRecords", err)
	}
	return out, fillRecords(ctx, db, out)
}

// fillRecords reads the seats and payments of recs, one query of each per region.
func fillRecords(ctx context.Context, db q, recs []archive.Record) error {
	at := map[string]int{}
	byRegion := map[string][]string{}
	for i, r := range recs {
		at[r.BookingID] = i
		byRegion[r.Region] = append(byRegion[r.Region], r.BookingID)
	}
	for region, ids := range byRegion {
		rows, err := db.Query(ctx, `SELECT bs.booking_id, bs.seat_id, se.row_label, se.number, se.seat_type, bs.status,
				bs.price_minor, bs.discount_minor, bs.fee_minor, COALESCE(bs.refund_minor, 0)
			FROM booking_seats bs
			JOIN showtimes s ON s.region = bs.region AND s.id = bs.showtime_id
			JOIN seats se ON se.region = bs.region AND se.screen_id = s.screen_id AND se.id = bs.seat_id
			WHERE bs.region = $1 AND bs.booking_id = ANY($2) ORDER BY bs.booking_id, bs.seat_id, bs.attempt_id`, region, ids)
		if err != nil {
			return wrap("store.fillRecords", err)
		}
		for rows.Next() {
			var id string
			var s archive.Seat
			if err := rows.Scan(&id, &s.ID, &s.Row, &s.Number, &s.Type, &s.Status, &s.PriceMinor, &s.DiscountMinor,
				&s.FeeMinor, &s.RefundMinor); err != nil {
				rows.Close()
				return wrap("store.fillRecords", err)
			}
			recs[at[id]].Seats = append(recs[at[id]].Seats, s)
		}
		if err := rows.Err(); err != nil {
			return wrap("store.fillRecords", err)
		}
		rows, err = db.Query(ctx, `SELECT booking_id, id, kind, method, provider, COALESCE(provider_ref, ''), status,
				amount_minor, COALESCE(refund_of, ''), COALESCE(gift_card_id, ''), COALESCE(failure_reason, ''),
				created_at, updated_at
			FROM payments WHERE region = $1 AND booking_id = ANY($2) ORDER BY booking_id, created_at, id`, region, ids)
		if err != nil {
			return wrap("store.fillRecords", err)
		}
		for rows.Next() {
			var id string
			var p archive.Payment
			if err := rows.Scan(&id, &p.ID, &p.Kind, &p.Method, &p.Provider, &p.ProviderRef, &p.Status, &p.AmountMinor,
				&p.RefundOf, &p.GiftCardID, &p.FailureReason, &p.CreatedAt, &p.UpdatedAt); err != nil {
				rows.Close()
				return wrap("store.fillRecords", err)
			}
			p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
			recs[at[id]].Payments = append(recs[at[id]].Payments, p)
		}
		if err := rows.Err(); err != nil {
			return wrap("store.fillRecords", err)
		}
	}
	return nil
}

// CountCandidates counts region's bookings whose show ended before cutoff.
func (s *ArchiveStore) CountCandidates(ctx context.Context, region string, cutoff time.Time) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM bookings b
		JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
		WHERE b.region = $1 AND s.ends_at < $2`, region, cutoff).Scan(&n)
	return n, wrap("store.CountCandidates", err)
}

// Candidates returns up to limit bookings of region whose show ended before cutoff, earliest show first,
// leaving out those in an object still being uploaded.
func (s *ArchiveStore) Candidates(ctx context.Context, region string, cutoff time.Time, limit int) ([]archive.Candidate, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT b.id, s.starts_at FROM bookings b
		JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
		WHERE b.region = $1 AND s.ends_at < $2
		AND NOT EXISTS (SELECT 1 FROM archive_objects o
			WHERE o.region = b.region AND o.status = 'uploading' AND b.id = ANY(o.booking_ids))
		ORDER BY s.starts_at, b.id LIMIT $3`, region, cutoff, limit)
	if err != nil {
		return nil, wrap("store.Candidates", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (archive.Candidate, error) {
		var c archive.Candidate
		err := r.Scan(&c.BookingID, &c.StartsAt)
		return c, err
	})
}

// Records reads bookings of region from the hot tables, in the order of ids.
func (s *ArchiveStore) Records(ctx context.Context, region string, ids []string) ([]archive.Record, error) {
	return recordsInOrder(ctx, s.db.Pool, region, ids)
}

func recordsInOrder(ctx context.Context, db q, region string, ids []string) ([]archive.Record, error) {
	recs, err := readRecords(ctx, db, `WHERE b.region = $1 AND b.id = ANY($2)`, region, ids)
	if err != nil {
		return nil, err
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]archive.Record, 0, len(recs))
	slot := make([]*archive.Record, len(ids))
	for i := range recs {
		slot[pos[recs[i].BookingID]] = &recs[i]
	}
	for _, r := range slot {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// WrappedKeys returns the wrapped data keys of those of userIDs that have one.
func (s *ArchiveStore) WrappedKeys(ctx context.Context, userIDs []string) (map[string][]byte, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT user_id, wrapped_key FROM person_keys WHERE user_id = ANY($1)`, userIDs)
	if err != nil {
		return nil, wrap("store.WrappedKeys", err)
	}
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var k []byte
		if err := rows.Scan(&id, &k); err != nil {
			rows.Close()
			return nil, wrap("store.WrappedKeys", err)
		}
		out[id] = k
	}
	return out, wrap("store.WrappedKeys", rows.Err())
}

// AddWrappedKeys stores data keys for people without one; an erased person gets none (their records are
// archived with no readable personal fields).
func (s *ArchiveStore) AddWrappedKeys(ctx context.Context, keys map[string][]byte) error {
	ids := make([]string, 0, len(keys))
	wrapped := make([][]byte, 0, len(keys))
	for id, k := range keys {
		ids, wrapped = append(ids, id), append(wrapped, k)
	}
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO person_keys (user_id, wrapped_key, created_at)
		SELECT k.user_id, k.wrapped_key, $3 FROM unnest($1::TEXT[], $2::BYTEA[]) AS k (user_id, wrapped_key)
		JOIN users u ON u.id = k.user_id AND u.erased_at IS NULL
		ON CONFLICT (user_id) DO NOTHING`, ids, wrapped, s.db.Now())
	return wrap("store.AddWrappedKeys", err)
}

const objectCols = `region, key, kind, year, month, part, version_id, sha256, size_bytes, row_count, min_code, max_code,
	booking_ids, retain_until, legal_hold, status, created_at, COALESCE(archived_at, purged_at, created_at)`

func scanObject(r pgx.CollectableRow) (archive.Object, error) {
	var o archive.Object
	err := r.Scan(&o.Region, &o.Key, &o.Kind, &o.Year, &o.Month, &o.Part, &o.VersionID, &o.SHA256, &o.Size, &o.Rows,
		&o.MinCode, &o.MaxCode, &o.BookingIDs, &o.RetainUntil, &o.LegalHold, &o.Status, &o.CreatedAt, &o.DoneAt)
	o.RetainUntil, o.CreatedAt, o.DoneAt = o.RetainUntil.UTC(), o.CreatedAt.UTC(), o.DoneAt.UTC()
	return o, err
}

// Objects returns region's objects with one of statuses (all when none), by key.
func (s *ArchiveStore) Objects(ctx context.Context, region string, statuses ...string) ([]archive.Object, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+objectCols+` FROM archive_objects
		WHERE region = $1 AND (cardinality($2::TEXT[]) = 0 OR status = ANY($2)) ORDER BY key`, region, statuses)
	if err != nil {
		return nil, wrap("store.Objects", err)
	}
	out, err := pgx.CollectRows(rows, scanObject)
	return out, wrap("store.Objects", err)
}

// NextPart returns the next unused part number of a partition.
func (s *ArchiveStore) NextPart(ctx context.Context, region, kind string, year, month int) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT COALESCE(max(part), 0) + 1 FROM archive_objects
		WHERE region = $1 AND kind = $2 AND year = $3 AND month = $4`, region, kind, year, month).Scan(&n)
	return n, wrap("store.NextPart", err)
}

// BeginObject records o before its upload; Conflict if its key or part is taken.
func (s *ArchiveStore) BeginObject(ctx context.Context, o archive.Object) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO archive_objects (region, key, kind, year, month, part, version_id, sha256,
			size_bytes, row_count, min_code, max_code, booking_ids, retain_until, legal_hold, status, created_at)
		VALUES ($1, $2, $16, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'uploading', $15)`,
		o.Region, o.Key, o.Year, o.Month, o.Part, o.VersionID, o.SHA256, o.Size, o.Rows, o.MinCode, o.MaxCode,
		o.BookingIDs, o.RetainUntil, o.LegalHold, o.CreatedAt, o.Kind)
	if isUniqueViolation(err, "") {
		return errs.E("store.BeginObject", errs.Conflict, "that archive part is taken", err)
	}
	return wrap("store.BeginObject", err)
}

// SetObjectStatus moves an object from one status to another; NotFound when it is not in status from.
func (s *ArchiveStore) SetObjectStatus(ctx context.Context, region, key, from, to, versionID string) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE archive_objects SET status = $4,
			version_id = CASE WHEN $5 = '' THEN version_id ELSE $5 END
		WHERE region = $1 AND key = $2 AND status = $3`, region, key, from, to, versionID)
	if err == nil && tag.RowsAffected() == 0 {
		return errs.Errorf("store.SetObjectStatus", errs.NotFound, "no %s object %s", from, key)
	}
	return wrap("store.SetObjectStatus", err)
}

const manifestCols = `region, seq, key, object_key, sha256, prev_sha256, body, uploaded, created_at`

func scanManifest(r pgx.CollectableRow) (archive.Manifest, error) {
	var m archive.Manifest
	err := r.Scan(&m.Region, &m.Seq, &m.Key, &m.ObjectKey, &m.SHA256, &m.PrevSHA256, &m.Body, &m.Uploaded, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

func (s *ArchiveStore) oneManifest(ctx context.Context, where string, args ...any) (archive.Manifest, bool, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+manifestCols+` FROM archive_manifests `+where, args...)
	if err != nil {
		return archive.Manifest{}, false, wrap("store.manifest", err)
	}
	ms, err := pgx.CollectRows(rows, scanManifest)
	if err != nil || len(ms) == 0 {
		return archive.Manifest{}, false, wrap("store.manifest", err)
	}
	return ms[0], true, nil
}

// ManifestHead returns region's newest manifest.
func (s *ArchiveStore) ManifestHead(ctx context.Context, region string) (archive.Manifest, bool, error) {
	return s.oneManifest(ctx, `WHERE region = $1 ORDER BY seq DESC LIMIT 1`, region)
}

// ManifestFor returns the manifest written for objectKey.
func (s *ArchiveStore) ManifestFor(ctx context.Context, region, objectKey string) (archive.Manifest, bool, error) {
	return s.oneManifest(ctx, `WHERE region = $1 AND object_key = $2 ORDER BY seq DESC LIMIT 1`, region, objectKey)
}

// Manifests returns region's manifests in chain order.
func (s *ArchiveStore) Manifests(ctx context.Context, region string) ([]archive.Manifest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+manifestCols+` FROM archive_manifests WHERE region = $1 ORDER BY seq`, region)
	if err != nil {
		return nil, wrap("store.Manifests", err)
	}
	out, err := pgx.CollectRows(rows, scanManifest)
	return out, wrap("store.Manifests", err)
}

// AddManifest records m, whose Seq must follow the head's (Conflict otherwise: another run added one).
func (s *ArchiveStore) AddManifest(ctx context.Context, m archive.Manifest) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var head int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(seq), 0) FROM archive_manifests WHERE region = $1`, m.Region).Scan(&head); err != nil {
			return wrap("store.AddManifest", err)
		}
		if m.Seq != head+1 {
			return errs.Errorf("store.AddManifest", errs.Conflict, "manifest %d does not follow the head %d", m.Seq, head)
		}
		_, err := tx.Exec(ctx, `INSERT INTO archive_manifests (region, seq, key, object_key, sha256, prev_sha256, body,
				uploaded, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8)`,
			m.Region, m.Seq, m.Key, m.ObjectKey, m.SHA256, m.PrevSHA256, m.Body, m.CreatedAt)
		if isUniqueViolation(err, "") {
			return errs.E("store.AddManifest", errs.Conflict, "manifest taken", err)
		}
		return wrap("store.AddManifest", err)
	})
}

// ManifestUploaded marks a manifest as in the bucket.
func (s *ArchiveStore) ManifestUploaded(ctx context.Context, region string, seq int64) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE archive_manifests SET uploaded = true WHERE region = $1 AND seq = $2`, region, seq)
	return wrap("store.ManifestUploaded", err)
}

// PendingManifests returns region's manifests not yet uploaded.
func (s *ArchiveStore) PendingManifests(ctx context.Context, region string) ([]archive.Manifest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+manifestCols+` FROM archive_manifests
		WHERE region = $1 AND NOT uploaded ORDER BY seq`, region)
	if err != nil {
		return nil, wrap("store.PendingManifests", err)
	}
	out, err := pgx.CollectRows(rows, scanManifest)
	return out, wrap("store.PendingManifests", err)
}

// FinishObject moves o's bookings out of the hot tables in one transaction (see archive.Store).
func (s *ArchiveStore) FinishObject(ctx context.Context, o archive.Object, index []archive.IndexEntry, check func([]archive.Record) error, ev events.Event) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		hot, err := recordsInOrder(ctx, tx, o.Region, o.BookingIDs)
		if err != nil {
			return err
		}
		if err := check(hot); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"archived_bookings"}, []string{"region", "booking_id",
			"confirmation_code", "user_id", "theatre_id", "starts_at", "object_key", "row_group", "row_index"},
			pgx.CopyFromSlice(len(index), func(i int) ([]any, error) {
				e := index[i]
				return []any{e.Region, e.BookingID, e.ConfirmationCode, e.UserID, e.TheatreID, e.StartsAt, e.ObjectKey,
					e.Group, e.Index}, nil
			})); err != nil {
			return wrap("store.FinishObject", err)
		}
		for _, stmt := range []string{
			`DELETE FROM booking_seats WHERE region = $1 AND booking_id = ANY($2)`,
			`DELETE FROM payments WHERE region = $1 AND booking_id = ANY($2)`,
			`DELETE FROM bookings WHERE region = $1 AND id = ANY($2)`,
		} {
			if _, err := tx.Exec(ctx, stmt, o.Region, o.BookingIDs); err != nil {
				return wrap("store.FinishObject", err)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE archive_objects SET status = 'archived', archived_at = $3
			WHERE region = $1 AND key = $2 AND status = 'uploading'`, o.Region, o.Key, s.db.Now())
		if err != nil {
			return wrap("store.FinishObject", err)
		}
		if tag.RowsAffected() != 1 {
			return errs.Errorf("store.FinishObject", errs.Conflict, "object %s is no longer being uploaded", o.Key)
		}
		return s.db.insertEvent(ctx, tx, s.db.Now(), ev)
	})
}

// PurgeObject marks o purged and deletes its index rows.
func (s *ArchiveStore) PurgeObject(ctx context.Context, o archive.Object, at time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM archived_bookings WHERE region = $1 AND object_key = $2`, o.Region, o.Key); err != nil {
			return wrap("store.PurgeObject", err)
		}
		_, err := tx.Exec(ctx, `UPDATE archive_objects SET status = 'purged', purged_at = $3
			WHERE region = $1 AND key = $2 AND status = 'archived'`, o.Region, o.Key, at)
		return wrap("store.PurgeObject", err)
	})
}

const holdCols = `region, id, kind, user_id, booking_id, theatre_id, from_at, until_at, reason, placed_by, placed_at,
	COALESCE(released_by, ''), released_at`

func scanHold(r pgx.CollectableRow) (archive.LegalHold, error) {
	var h archive.LegalHold
	var from, until, released *time.Time
	err := r.Scan(&h.Region, &h.ID, &h.Kind, &h.UserID, &h.BookingID, &h.TheatreID, &from, &until, &h.Reason,
		&h.PlacedBy, &h.PlacedAt, &h.ReleasedBy, &released)
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{from, &h.From}, {until, &h.Until}, {released, &h.ReleasedAt}} {
		if p.from != nil {
			*p.to = p.from.UTC()
		}
	}
	h.PlacedAt = h.PlacedAt.UTC()
	return h, err
}

// ActiveHolds returns region's legal holds not released.
func (s *ArchiveStore) ActiveHolds(ctx context.Context, region string) ([]archive.LegalHold, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+holdCols+` FROM legal_holds
		WHERE region = $1 AND released_at IS NULL ORDER BY placed_at, id`, region)
	if err != nil {
		return nil, wrap("store.ActiveHolds", err)
	}
	out, err := pgx.CollectRows(rows, scanHold)
	return out, wrap("store.ActiveHolds", err)
}

// AddHold records a legal hold.
func (s *ArchiveStore) AddHold(ctx context.Context, h archive.LegalHold) error {
	var from, until *time.Time
	if !h.From.IsZero() {
		from, until = &h.From, &h.Until
	}
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO legal_holds (region, id, kind, user_id, booking_id, theatre_id, from_at,
		until_at, reason, placed_by, placed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		h.Region, h.ID, h.Kind, h.UserID, h.BookingID, h.TheatreID, from, until, h.Reason, h.PlacedBy, h.PlacedAt)
	return wrap("store.AddHold", err)
}

// ReleaseHold releases an active hold; NotFound when region has no active hold id.
func (s *ArchiveStore) ReleaseHold(ctx context.Context, region, id, by string, at time.Time) (archive.LegalHold, error) {
	rows, err := s.db.Pool.Query(ctx, `UPDATE legal_holds SET released_by = $3, released_at = $4
		WHERE region = $1 AND id = $2 AND released_at IS NULL RETURNING `+holdCols, region, id, by, at)
	if err != nil {
		return archive.LegalHold{}, wrap("store.ReleaseHold", err)
	}
	hs, err := pgx.CollectRows(rows, scanHold)
	if err != nil {
		return archive.LegalHold{}, wrap("store.ReleaseHold", err)
	}
	if len(hs) == 0 {
		return archive.LegalHold{}, errs.Errorf("store.ReleaseHold", errs.NotFound, "no active legal hold %s in %s", id, region)
	}
	return hs[0], nil
}

// HeldObjects returns the archived objects of h's region holding a booking h covers.
func (s *ArchiveStore) HeldObjects(ctx context.Context, h archive.LegalHold) ([]archive.Object, error) {
	var cond string
	args := []any{h.Region}
	switch h.Kind {
	case archive.HoldPerson:
		cond, args = `a.user_id = $2`, append(args, h.UserID)
	case archive.HoldBooking:
		cond, args = `a.booking_id = $2`, append(args, h.BookingID)
	case archive.HoldTheatre:
		cond, args = `a.theatre_id = $2 AND a.starts_at >= $3 AND a.starts_at < $4`, append(args, h.TheatreID, h.From, h.Until)
	default:
		return nil, errs.Errorf("store.HeldObjects", errs.Invalid, "unknown hold kind %q", h.Kind)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+objectCols+` FROM archive_objects WHERE region = $1 AND status = 'archived'
		AND key IN (SELECT a.object_key FROM archived_bookings a WHERE a.region = $1 AND `+cond+`) ORDER BY key`, args...)
	if err != nil {
		return nil, wrap("store.HeldObjects", err)
	}
	out, err := pgx.CollectRows(rows, scanObject)
	return out, wrap("store.HeldObjects", err)
}

// SetObjectLegalHold records whether an object carries S3 legal hold.
func (s *ArchiveStore) SetObjectLegalHold(ctx context.Context, region, key string, on bool) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE archive_objects SET legal_hold = $3 WHERE region = $1 AND key = $2`, region, key, on)
	return wrap("store.SetObjectLegalHold", err)
}

const entryCols = `region, booking_id, confirmation_code, user_id, theatre_id, starts_at, object_key, row_group, row_index`

func scanIndexEntry(r pgx.CollectableRow) (archive.IndexEntry, error) {
	var e archive.IndexEntry
	err := r.Scan(&e.Region, &e.BookingID, &e.ConfirmationCode, &e.UserID, &e.TheatreID, &e.StartsAt, &e.ObjectKey,
		&e.Group, &e.Index)
	e.StartsAt = e.StartsAt.UTC()
	return e, err
}

// Entries returns the index rows of an object.
func (s *ArchiveStore) Entries(ctx context.Context, region, key string) ([]archive.IndexEntry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+entryCols+` FROM archived_bookings WHERE region = $1 AND object_key = $2`, region, key)
	if err != nil {
		return nil, wrap("store.Entries", err)
	}
	out, err := pgx.CollectRows(rows, scanIndexEntry)
	return out, wrap("store.Entries", err)
}

// IndexByCode returns where the archived booking with a confirmation code is.
func (s *ArchiveStore) IndexByCode(ctx context.Context, code string) (archive.IndexEntry, bool, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+entryCols+` FROM archived_bookings WHERE confirmation_code = $1`, code)
	if err != nil {
		return archive.IndexEntry{}, false, wrap("store.IndexByCode", err)
	}
	es, err := pgx.CollectRows(rows, scanIndexEntry)
	if err != nil || len(es) == 0 {
		return archive.IndexEntry{}, false, wrap("store.IndexByCode", err)
	}
	return es[0], true, nil
}

// HotByCode returns the hot booking with a confirmation code.
func (s *ArchiveStore) HotByCode(ctx context.Context, code string) (archive.Record, bool, error) {
	recs, err := readRecords(ctx, s.db.Pool, `WHERE b.confirmation_code = $1`, code)
	if err != nil || len(recs) == 0 {
		return archive.Record{}, false, err
	}
	return recs[0], true, nil
}

// searchCond is the WHERE clause of a search over columns of the given show start, user and theatre, with
// arguments from $2 (after the region).
func searchCond(q archive.SearchQuery, startsAt, id, user, theatre string) (string, []any) {
	conds := []string{fmt.Sprintf("(%s, %s) > ($2, $3)", startsAt, id)}
	args := []any{q.AfterStartsAt, q.AfterBookingID}
	add := func(c string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(c, len(args)+1))
	}
	if q.UserID != "" {
		add(user+" = $%d", q.UserID)
	}
	if q.TheatreID != "" {
		add(theatre+" = $%d", q.TheatreID)
	}
	if !q.From.IsZero() {
		add(startsAt+" >= $%d", q.From)
	}
	if !q.Until.IsZero() {
		add(startsAt+" < $%d", q.Until)
	}
	return strings.Join(conds, " AND "), args
}

// SearchHot returns hot bookings of a search, by show start then ID.
func (s *ArchiveStore) SearchHot(ctx context.Context, q archive.SearchQuery) ([]archive.Record, error) {
	cond, args := searchCond(q, "s.starts_at", "b.id", "b.user_id", "s.theatre_id")
	args = append([]any{q.Region}, args...)
	return readRecords(ctx, s.db.Pool, fmt.Sprintf(`WHERE b.region = $1 AND %s ORDER BY s.starts_at, b.id LIMIT %d`,
		cond, q.Limit), args...)
}

// SearchIndex returns archived bookings of a search, by show start then ID.
func (s *ArchiveStore) SearchIndex(ctx context.Context, q archive.SearchQuery) ([]archive.IndexEntry, error) {
	cond, args := searchCond(q, "starts_at", "booking_id", "user_id", "theatre_id")
	args = append([]any{q.Region}, args...)
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(`SELECT `+entryCols+` FROM archived_bookings
		WHERE region = $1 AND %s ORDER BY starts_at, booking_id LIMIT %d`, cond, q.Limit), args...)
	if err != nil {
		return nil, wrap("store.SearchIndex", err)
	}
	out, err := pgx.CollectRows(rows, scanIndexEntry)
	return out, wrap("store.SearchIndex", err)
}

// AuditToArchive returns up to limit of region's audit entries from before cutoff not yet copied to the bucket.
func (s *ArchiveStore) AuditToArchive(ctx context.Context, region string, cutoff time.Time, limit int) ([]archive.AuditEntry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+auditCols+` FROM audit_log
		WHERE region = $1 AND at < $2 AND archive_key IS NULL ORDER BY at, id LIMIT $3`, region, cutoff, limit)
	if err != nil {
		return nil, wrap("store.AuditToArchive", err)
	}
	out, err := pgx.CollectRows(rows, scanAudit)
	return out, wrap("store.AuditToArchive", err)
}

// FinishAudit notes in each of o's audit entries the object holding its copy, and marks o archived.
func (s *ArchiveStore) FinishAudit(ctx context.Context, o archive.Object) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE audit_log SET archive_key = $3 WHERE region = $1 AND id = ANY($2)`,
			o.Region, o.BookingIDs, o.Key); err != nil {
			return wrap("store.FinishAudit", err)
		}
		_, err := tx.Exec(ctx, `UPDATE archive_objects SET status = 'archived', archived_at = $3
			WHERE region = $1 AND key = $2 AND status = 'uploading'`, o.Region, o.Key, s.db.Now())
		return wrap("store.FinishAudit", err)
	})
}
