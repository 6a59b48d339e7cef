package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

// UserRole returns a user's role.
func (s *ArchiveStore) UserRole(ctx context.Context, userID string) (string, error) {
	var role string
	err := s.db.Pool.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errs.Errorf("store.UserRole", errs.Unauthenticated, "your account no longer exists")
	}
	return role, wrap("store.UserRole", err)
}

// AuditorRegions returns the regions granted to an auditor.
func (s *ArchiveStore) AuditorRegions(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT scope FROM auditor_regions WHERE user_id = $1 ORDER BY scope`, userID)
	if err != nil {
		return nil, wrap("store.AuditorRegions", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if out == nil {
		out = []string{}
	}
	return out, wrap("store.AuditorRegions", err)
}

// SetAuditorRegions makes a customer (or auditor) an auditor of exactly regions; none makes them a customer
// again. Admins and operators keep their roles: Precondition.
func (s *ArchiveStore) SetAuditorRegions(ctx context.Context, userID string, regions []string, by string, at time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var role string
		err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&role)
		if err != nil {
			return notFound("store.SetAuditorRegions", err, "user")
		}
		if role != "customer" && role != archive.RoleAuditor {
			return errs.Errorf("store.SetAuditorRegions", errs.Precondition, "that user is an %s: only customers become auditors", role)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM auditor_regions WHERE user_id = $1`, userID); err != nil {
			return wrap("store.SetAuditorRegions", err)
		}
		newRole := "customer"
		if len(regions) > 0 {
			newRole = archive.RoleAuditor
			if _, err := tx.Exec(ctx, `INSERT INTO auditor_regions (user_id, scope, granted_by, granted_at)
				SELECT $1, r, $3, $4 FROM unnest($2::TEXT[]) AS r`, userID, regions, by, at); err != nil {
				return wrap("store.SetAuditorRegions", err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE users SET role = $2, chain_id = NULL WHERE id = $1`, userID, newRole)
		return wrap("store.SetAuditorRegions", err)
	})
}

// Audit appends an entry to the audit log.
func (s *ArchiveStore) Audit(ctx context.Context, e archive.AuditEntry) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO audit_log (region, id, actor_id, actor_role, action, detail, records,
		outcome, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Region, e.ID, e.ActorID, e.ActorRole, e.Action,
		e.Detail, e.Records, e.Outcome, e.At)
	return wrap("store.Audit", err)
}

// AuditLog returns up to limit of region's audit entries before (at, id), newest first.
func (s *ArchiveStore) AuditLog(ctx context.Context, region string, before time.Time, beforeID string, limit int) ([]archive.AuditEntry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+auditCols+`
		FROM audit_log WHERE region = $1 AND (at < $2 OR (at = $2 AND id < $3)) ORDER BY at DESC, id DESC LIMIT $4`,
		region, before, beforeID, limit)
	if err != nil {
		return nil, wrap("store.AuditLog", err)
	}
	out, err := pgx.CollectRows(rows, scanAudit)
	return out, wrap("store.AuditLog", err)
}

// UserIDByEmail finds a user by email.
func (s *ArchiveStore) UserIDByEmail(ctx context.Context, email string) (string, bool, error) {
	var id string
	err := s.db.Pool.QueryRow(ctx, `SELECT id FROM users WHERE lower(email) = $1`, email).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, wrap("store.UserIDByEmail", err)
}

// Person returns what the hot tables hold on a person besides their bookings.
func (s *ArchiveStore) Person(ctx context.Context, userID string) (archive.PersonData, error) {
	var p archive.PersonData
	var erased *time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT id, email, display_name, phone, home_region, role, created_at, erased_at
		FROM users WHERE id = $1`, userID).Scan(&p.UserID, &p.Email, &p.Name, &p.Phone, &p.HomeRegion, &p.Role,
		&p.CreatedAt, &erased)
	if err != nil {
		return p, notFound("store.Person", err, "person")
	}
	if erased != nil {
		p.ErasedAt = erased.UTC()
		p.Email, p.Name, p.Phone = "", "", ""
	}
	p.Other = map[string]any{}
	for _, part := range []struct {
		kind, sql string
		cols      []string
	}{
		{"store_credit_balances", `SELECT currency, balance_minor FROM store_credit_balances WHERE user_id = $1 ORDER BY currency`,
			[]string{"currency", "balance_minor"}},
		{"store_credit_entries", `SELECT id, currency, amount_minor, reason, COALESCE(booking_id, ''), created_at
			FROM store_credit_entries WHERE user_id = $1 ORDER BY created_at, id`,
			[]string{"id", "currency", "amount_minor", "reason", "booking_id", "created_at"}},
		{"standby_entries", `SELECT region, id, showtime_id, seat_count, status, joined_at FROM standby_entries
			WHERE user_id = $1 ORDER BY joined_at, id`, []string{"region", "id", "showtime_id", "seat_count", "status", "joined_at"}},
		{"notification_prefs", `SELECT kind, channels FROM notification_prefs WHERE user_id = $1 ORDER BY kind`,
			[]string{"kind", "channels"}},
	} {
		rows, err := s.db.Pool.Query(ctx, part.sql, userID)
		if err != nil {
			return p, wrap("store.Person", err)
		}
		list := []map[string]any{}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return p, wrap("store.Person", err)
			}
			m := map[string]any{}
			for i, c := range part.cols {
				m[c] = vals[i]
			}
			list = append(list, m)
		}
		if err := rows.Err(); err != nil {
			return p, wrap("store.Person", err)
		}
		p.Other[part.kind] = list
	}
	return p, nil
}

// Subjects returns every booking of a person, hot and archived, in every region.
func (s *ArchiveStore) Subjects(ctx context.Context, userID string) ([]archive.Subject, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT b.region, b.id, b.user_id, s.theatre_id, s.starts_at FROM bookings b
			JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id WHERE b.user_id = $1
		UNION ALL
		SELECT region, booking_id, user_id, theatre_id, starts_at FROM archived_bookings WHERE user_id = $1`, userID)
	if err != nil {
		return nil, wrap("store.Subjects", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (archive.Subject, error) {
		var sub archive.Subject
		err := r.Scan(&sub.Region, &sub.BookingID, &sub.UserID, &sub.TheatreID, &sub.StartsAt)
		return sub, err
	})
	return out, wrap("store.Subjects", err)
}

// ErasePerson scrubs a person's personal fields in place (the account can no longer sign in), removes their
// notification settings and the personal content of their queued notifications, and deletes their data key, in
// one transaction with ev.
func (s *ArchiveStore) ErasePerson(ctx context.Context, userID string, at time.Time, ev events.Event) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var email, phone, push string
		if err := tx.QueryRow(ctx, `SELECT email, phone, push_token FROM users WHERE id = $1`, userID).Scan(&email, &phone, &push); err != nil {
			return notFound("store.ErasePerson", err, "person")
		}
		recipients := []string{email}
		for _, r := range []string{phone, push} {
			if r != "" {
				recipients = append(recipients, r)
			}
		}
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE users SET email = 'erased-' || id || '@erased.invalid', display_name = '', phone = '', push_token = '',
				password_hash = '!', erased_at = $2 WHERE id = $1`, []any{userID, at}},
			{`DELETE FROM person_keys WHERE user_id = $1`, []any{userID}},
			{`DELETE FROM notification_prefs WHERE user_id = $1`, []any{userID}},
			{`UPDATE deliveries SET recipient = '', message = '{"erased": true}',
				status = CASE WHEN status IN ('pending', 'failed') THEN 'dead' ELSE status END WHERE recipient = ANY($1)`, []any{recipients}},
		} {
			if _, err := tx.Exec(ctx, stmt.sql, stmt.args...); err != nil {
				return wrap("store.ErasePerson", err)
			}
		}
		return s.db.insertEvent(ctx, tx, at, ev)
	})
}

const auditCols = `region, id, actor_id, actor_role, action, detail, records, outcome, at, COALESCE(archive_key, '')`

func scanAudit(r pgx.CollectableRow) (archive.AuditEntry, error) {
	var e archive.AuditEntry
	err := r.Scan(&e.Region, &e.ID, &e.ActorID, &e.ActorRole, &e.Action, &e.Detail, &e.Records, &e.Outcome, &e.At, &e.ArchiveKey)
	e.At = e.At.UTC()
	return e, err
}
