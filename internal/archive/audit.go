package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// auditPartRows is the most audit entries in one object.
const auditPartRows = 50000

// auditRow is an audit log entry as an archive object stores it.
type auditRow struct {
	Region    string   `parquet:"region,dict"`
	ID        string   `parquet:"id"`
	ActorID   string   `parquet:"actor_id,dict"`
	ActorRole string   `parquet:"actor_role,dict"`
	Action    string   `parquet:"action,dict"`
	Detail    string   `parquet:"detail"`
	Records   []string `parquet:"records,list"`
	Outcome   string   `parquet:"outcome,dict"`
	At        int64    `parquet:"at,timestamp(microsecond)"`
}

// archiveAudit copies the region's audit entries older than cutoff to locked objects of its bucket, a month
// per object, in the manifest chain like bookings. The entries stay readable in the database (ListAuditLog);
// the copy is what no one can change.
func (a *Archiver) archiveAudit(ctx context.Context, cutoff time.Time, sum *Summary) error {
	for {
		entries, err := a.Store.AuditToArchive(ctx, a.Region.Name, cutoff, auditPartRows)
		if err != nil || len(entries) == 0 {
			return err
		}
		y, m := yearMonth(entries[0].At)
		var rows []auditRow
		o := Object{Region: a.Region.Name, Kind: KindAudit, Year: y, Month: m, Status: StatusUploading, CreatedAt: a.Now()}
		var last time.Time
		for _, e := range entries {
			if ey, em := yearMonth(e.At); ey != y || em != m {
				break
			}
			rows = append(rows, auditRow{Region: e.Region, ID: e.ID, ActorID: e.ActorID, ActorRole: e.ActorRole,
				Action: e.Action, Detail: e.Detail, Records: e.Records, Outcome: e.Outcome, At: micros(e.At)})
			o.BookingIDs = append(o.BookingIDs, e.ID)
			last = e.At
		}
		var buf bytes.Buffer
		if err := parquet.Write(&buf, rows, parquet.Compression(&zstd.Codec{})); err != nil {
			return fmt.Errorf("archive: audit parquet: %w", err)
		}
		data := buf.Bytes()
		o.Rows, o.MinCode, o.MaxCode = len(rows), rows[0].ID, rows[len(rows)-1].ID
		o.SHA256, o.Size, o.RetainUntil = sha256Hex(data), int64(len(data)), a.retainUntil(last)
		if o.Part, err = a.Store.NextPart(ctx, a.Region.Name, KindAudit, y, m); err != nil {
			return err
		}
		o.Key = fmt.Sprintf("%s/part-%05d.parquet", o.Partition(), o.Part)
		if o, err = a.upload(ctx, o, data); err != nil {
			return err
		}
		if err := a.completeAudit(ctx, o); err != nil {
			return err
		}
		sum.AuditEntries += o.Rows
		sum.Objects++
	}
}

// completeAudit reads an audit object back, checks it, records it in the manifest chain and marks its entries
// copied.
func (a *Archiver) completeAudit(ctx context.Context, o Object) error {
	data, err := a.readBack(ctx, o)
	if err != nil {
		return err
	}
	entries, err := ReadAuditObject(data)
	if err != nil {
		return err
	}
	if len(entries) != len(o.BookingIDs) {
		return fmt.Errorf("%w: %s holds %d entries, %d were written", errAbandon, o.Key, len(entries), len(o.BookingIDs))
	}
	for i, e := range entries {
		if e.ID != o.BookingIDs[i] {
			return fmt.Errorf("%w: entry %d of %s is %s, not %s", errAbandon, i, o.Key, e.ID, o.BookingIDs[i])
		}
	}
	if err := a.writeManifest(ctx, o); err != nil {
		return err
	}
	return a.Store.FinishAudit(ctx, o)
}

// ReadAuditObject decodes an archived audit log object.
func ReadAuditObject(data []byte) ([]AuditEntry, error) {
	rows, err := parquet.Read[auditRow](bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("archive: not a readable audit object: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{Region: r.Region, ID: r.ID, ActorID: r.ActorID, ActorRole: r.ActorRole, Action: r.Action,
			Detail: r.Detail, Records: r.Records, Outcome: r.Outcome, At: fromMicros(r.At)}
		if out[i].Records == nil {
			out[i].Records = []string{}
		}
	}
	return out, nil
}
