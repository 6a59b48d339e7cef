package crdb_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/crdb"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

var update = flag.Bool("update", false, "rewrite "+crdb.OverlayPath+" from the generator")

func TestMain(m *testing.M) { storetest.Main(m) }

func mustOverlay(t *testing.T, rs []regions.Region) string {
	t.Helper()
	sql, err := crdb.Overlay(rs)
	if err != nil {
		t.Fatal(err)
	}
	return sql
}

// TestCommittedOverlayIsCurrent fails when schema/cockroach/multiregion.sql is not what the generator makes from
// regions/ and the table list, for example after a region file or a migration was added.
func TestCommittedOverlayIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", crdb.OverlayPath)
	want := mustOverlay(t, regions.All())
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; create it with: %s", err, crdb.RefreshCommand)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Fatalf("%s is out of date: run `%s` (or go test ./internal/crdb -update) and commit it; mismatch (-want +got):\n%s",
			crdb.OverlayPath, crdb.RefreshCommand, diff)
	}
}

var setLocality = regexp.MustCompile(`(?m)^ALTER TABLE (\w+) SET LOCALITY (.+);$`)

// TestEveryTableHasExactlyOneLocality applies the migrations to PostgreSQL and checks that the overlay sets the
// locality of every table they create exactly once, and of no other table.
func TestEveryTableHasExactlyOneLocality(t *testing.T) {
	tables := migratedTables(t)
	localities := map[string][]string{}
	for _, m := range setLocality.FindAllStringSubmatch(mustOverlay(t, regions.All()), -1) {
		localities[m[1]] = append(localities[m[1]], m[2])
	}
	for name := range tables {
		if n := len(localities[name]); n != 1 {
			t.Errorf("table %s has %d localities in the overlay %v, want exactly 1: add it to crdb.Tables with a reason", name, n, localities[name])
		}
	}
	for name := range localities {
		if _, ok := tables[name]; !ok {
			t.Errorf("the overlay sets the locality of %s, which the migrations do not create", name)
		}
	}
}

// TestRegionalTablesAreHomedByTheirRegionColumn checks, against the migrated schema, that every table with a
// region column in its primary key is regional by that column, and that every regional-by-row table's column
// exists as a NOT NULL text column.
func TestRegionalTablesAreHomedByTheirRegionColumn(t *testing.T) {
	tables := migratedTables(t)
	for _, tb := range crdb.Tables {
		info, ok := tables[tb.Name]
		if !ok {
			continue // TestEveryTableHasExactlyOneLocality reports it
		}
		if info.pk["region"] && (tb.Kind != crdb.RegionalByRow || tb.From != "region") {
			t.Errorf("%s has region in its primary key but is not regional by row from region", tb.Name)
		}
		if tb.Kind != crdb.RegionalByRow {
			continue
		}
		if got := info.columns[tb.From]; got != "text NOT NULL" {
			t.Errorf("%s homes rows by %s, which is %q, want a text NOT NULL column", tb.Name, tb.From, got)
		}
	}
	if users := tables["users"]; users.columns["home_region"] != "text NOT NULL" {
		t.Errorf("users.home_region = %q, want text NOT NULL (migration 00007)", users.columns["home_region"])
	}
}

// TestRegionalByRowStatements checks the statements of a table homed by a column: a stored, hidden crdb_region
// computed from the column, then REGIONAL BY ROW AS it; and that users is homed by home_region.
func TestRegionalByRowStatements(t *testing.T) {
	got, err := crdb.Table{Name: "holds", Kind: crdb.RegionalByRow, From: "region"}.Statements()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALTER TABLE holds ADD COLUMN IF NOT EXISTS crdb_region crdb_internal_region NOT VISIBLE NOT NULL AS (CAST(region AS crdb_internal_region)) STORED",
		"ALTER TABLE holds SET LOCALITY REGIONAL BY ROW AS crdb_region",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("mismatch (-want +got):\n%s", diff)
	}
	if _, err := (crdb.Table{Name: "x", Kind: crdb.RegionalByRow}).Statements(); err == nil {
		t.Fatal("a regional-by-row table without a region column made statements, want an error")
	}
	overlay := mustOverlay(t, regions.All())
	if !strings.Contains(overlay, "ALTER TABLE users ADD COLUMN IF NOT EXISTS crdb_region crdb_internal_region NOT VISIBLE NOT NULL AS (CAST(home_region AS crdb_internal_region)) STORED;\n"+
		"ALTER TABLE users SET LOCALITY REGIONAL BY ROW AS crdb_region;\n") {
		t.Fatal("users is not made REGIONAL BY ROW from home_region")
	}
}

// TestOverlayAddsEveryRegion checks that every region of regions/ is a database region (the primary one set as
// primary, the others added once each) under the name its nodes' --locality gives it.
func TestOverlayAddsEveryRegion(t *testing.T) {
	overlay := mustOverlay(t, regions.All())
	for _, r := range regions.All() {
		stmt := `ALTER DATABASE marquee ADD REGION IF NOT EXISTS "` + r.Name + `";`
		if r.Primary {
			stmt = `ALTER DATABASE marquee SET PRIMARY REGION "` + r.Name + `";`
		}
		if n := strings.Count(overlay, stmt); n != 1 {
			t.Errorf("%q appears %d times, want once", stmt, n)
		}
		if !strings.Contains(","+r.SQLLocality+",", ",region="+r.Name+",") {
			t.Errorf("region %s: sqlLocality %q does not name region=%s, so CockroachDB would not know the region", r.Name, r.SQLLocality, r.Name)
		}
	}
	if n := strings.Count(overlay, "ALTER DATABASE marquee ADD REGION"); n != len(regions.All())-1 {
		t.Errorf("%d ADD REGION statements, want %d", n, len(regions.All())-1)
	}
}

// TestSurvivalGoal checks that a database of three or more regions survives region failure, and that with fewer
// (CockroachDB refuses REGION FAILURE then) the overlay settles for zone failure.
func TestSurvivalGoal(t *testing.T) {
	region := func(name string, primary bool) regions.Region {
		return regions.Region{Name: name, IDPrefix: name, SQLLocality: "region=" + name, Primary: primary}
	}
	a, b, c := region("region-a", true), region("region-b", false), region("region-c", false)
	for _, tc := range []struct {
		name string
		rs   []regions.Region
		want string
	}{
		{"OneRegion", []regions.Region{a}, "ALTER DATABASE marquee SURVIVE ZONE FAILURE;"},
		{"TwoRegions", []regions.Region{a, b}, "ALTER DATABASE marquee SURVIVE ZONE FAILURE;"},
		{"ThreeRegions", []regions.Region{a, b, c}, "ALTER DATABASE marquee SURVIVE REGION FAILURE;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			overlay := mustOverlay(t, tc.rs)
			var got []string
			for _, line := range strings.Split(overlay, "\n") {
				if strings.HasPrefix(line, "ALTER DATABASE marquee SURVIVE ") {
					got = append(got, line)
				}
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Fatalf("survival statements mismatch (-want +got):\n%s", diff)
			}
			if n := strings.Count(overlay, "ADD REGION IF NOT EXISTS"); n != len(tc.rs)-1 {
				t.Fatalf("%d regions added besides the primary, want %d", n, len(tc.rs)-1)
			}
		})
	}
}

func TestOverlayRejectsBadRegions(t *testing.T) {
	primary := regions.Region{Name: "us-east1", Primary: true}
	for _, tc := range []struct {
		name string
		rs   []regions.Region
	}{
		{"ErrNoPrimary", []regions.Region{{Name: "us-east1"}}},
		{"ErrTwoPrimaries", []regions.Region{primary, {Name: "europe-west1", Primary: true}}},
		{"ErrQuoteInName", []regions.Region{primary, {Name: `eu"; DROP TABLE users; --`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if sql, err := crdb.Overlay(tc.rs); err == nil {
				t.Fatalf("Overlay succeeded, want an error:\n%s", sql)
			}
		})
	}
}

type tableInfo struct {
	pk      map[string]bool   // primary key columns
	columns map[string]string // column -> "type [NOT NULL]"
}

// migratedTables applies the migrations to a fresh PostgreSQL database and describes its tables.
func migratedTables(t *testing.T) map[string]tableInfo {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	tables := map[string]tableInfo{}
	rows, err := conn.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, column, typ, nullable string
		if err := rows.Scan(&table, &column, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		info, ok := tables[table]
		if !ok {
			info = tableInfo{pk: map[string]bool{}, columns: map[string]string{}}
			tables[table] = info
		}
		if nullable == "NO" {
			typ += " NOT NULL"
		}
		info.columns[column] = typ
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.Query(ctx, `SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
		JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
		WHERE c.table_schema = 'public' AND c.constraint_type = 'PRIMARY KEY'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		tables[table].pk[column] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 20 {
		names := make([]string, 0, len(tables))
		for n := range tables {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Fatalf("only %d tables after migrating (%v): the migrations did not run", len(tables), names)
	}
	return tables
}
