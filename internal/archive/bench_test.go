package archive_test

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/objstore/s3test"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

var benchBookings = flag.Int("archive-bookings", 1_000_000, "how many history bookings BenchmarkArchive generates and archives")

// BenchmarkArchive generates a history of -archive-bookings bookings (default 1,000,000; all of them old
// enough to archive), gives one person 500 of them, and measures, in this order:
//   - run: archiving all of them, every region (bookings/s), beside the rate the same rows were loaded into
//     PostgreSQL with COPY (the baseline, bookings/s);
//   - lookup: LookupBooking by confirmation code over the archive (p50/p99 ms), beside the same call on hot rows
//     of the same database before they were archived;
//   - export: ExportPerson of the person with 500 archived bookings (ms per export).
func BenchmarkArchive(b *testing.B) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	db := storetest.NewDB(b, nil)
	if _, err := seed.Demo(ctx, db.Catalog(), db.IDs, now); err != nil {
		b.Fatal(err)
	}
	// A history that ended more than 13 months ago, so that every booking is archived.
	start := time.Now()
	sum, err := seed.History(ctx, db, seed.HistoryOptions{Now: now.AddDate(-1, -2, 0), Months: 18, Bookings: *benchBookings, Seed: 11})
	if err != nil {
		b.Fatal(err)
	}
	loadRate := float64(sum.Bookings) / time.Since(start).Seconds()
	if _, err := db.Pool.Exec(ctx, `ANALYZE`); err != nil { // fresh statistics for the hot baseline's plans
		b.Fatal(err)
	}
	var person string
	if err := db.Pool.QueryRow(ctx, `SELECT user_id FROM bookings GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1`).Scan(&person); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE bookings SET user_id = $1 WHERE id IN (
		SELECT id FROM bookings WHERE user_id <> $1 ORDER BY id LIMIT 500 - (SELECT count(*) FROM bookings WHERE user_id = $1))`, person); err != nil {
		b.Fatal(err)
	}
	objs, _ := s3test.Store(b)
	buckets := map[string]string{}
	for _, r := range regions.All() {
		_, buckets[r.Name] = s3test.Store(b)
	}
	keys, _ := archive.NewKeyring(bytes.Repeat([]byte("b"), 32))
	svc := &archive.Service{Store: db.Archive(), Objects: objs, Keys: keys, Now: db.Now, IDs: db.IDs, Region: "us-east1",
		Bucket: func(r string) string { return buckets[r] }}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, display_name, created_at, role)
		VALUES ('bench-admin', 'bench-admin@example.test', '!', 'Admin', now(), 'admin')`); err != nil {
		b.Fatal(err)
	}
	admin := archive.Actor{UserID: "bench-admin"}
	var codes []string
	rows, err := db.Pool.Query(ctx, `SELECT confirmation_code FROM bookings`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		codes = append(codes, c)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lookups := func(b *testing.B, n int) (p50, p99 float64) {
		var ms []float64
		for range n {
			code := codes[rng.IntN(len(codes))]
			t0 := time.Now()
			if _, err := svc.Lookup(ctx, admin, code); err != nil {
				b.Fatal(err)
			}
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
		}
		slices.Sort(ms)
		return ms[len(ms)/2], ms[len(ms)*99/100]
	}
	hot50, hot99 := lookups(b, 2000)

	b.Run("run", func(b *testing.B) {
		for range b.N {
			t0 := time.Now()
			total := 0
			for _, r := range regions.All() {
				reg := r
				reg.S3Bucket = buckets[r.Name]
				a := &archive.Archiver{Store: db.Archive(), Objects: objs, Keys: keys, Region: reg, Now: db.Now}
				s, err := a.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				total += s.Bookings
			}
			if b.N == 1 && total != sum.Bookings {
				b.Fatalf("archived %d of %d bookings", total, sum.Bookings)
			}
			b.ReportMetric(float64(total)/time.Since(t0).Seconds(), "archived-bookings/s")
			b.ReportMetric(loadRate, "baseline-copy-load-bookings/s")
		}
	})
	b.Run("lookup", func(b *testing.B) {
		p50, p99 := lookups(b, max(b.N, 2000))
		b.ReportMetric(p50, "archived-p50-ms")
		b.ReportMetric(p99, "archived-p99-ms")
		b.ReportMetric(hot50, "baseline-hot-p50-ms")
		b.ReportMetric(hot99, "baseline-hot-p99-ms")
	})
	b.Run("export500", func(b *testing.B) {
		n := 0
		for range b.N {
			n = 0
			if err := svc.Export(ctx, admin, person, func(p []byte) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		if n < 500 {
			b.Fatalf("export of %s came in %d pieces, want one per booking (500)", person, n)
		}
	})
}
