package notify_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/notify"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// golden compares got with testdata/<name>.golden, or with -update rewrites the file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/notify -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// Instants of the sample showtime: 19:30 in New York on 14 March 2026 (EDT, UTC-4), 2h46m long.
var (
	startsAt    = time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC)
	endsAt      = startsAt.Add(166 * time.Minute)
	confirmedAt = time.Date(2026, 3, 10, 16, 5, 9, 0, time.UTC)
)

// show returns the sample showtime in New York, changed by each f.
func show(fs ...func(*notify.Show)) notify.Show {
	s := notify.Show{ShowtimeID: "use1_01JD8SHOW", MovieTitle: "Dune: Part Two", TheatreName: "Marquee Downtown",
		TheatreAddress: "1 Main St, New York, NY 10001", Screen: "Screen 3", StartsAt: startsAt, EndsAt: endsAt,
		TimeZone: "America/New_York"}
	for _, f := range fs {
		f(&s)
	}
	return s
}

// booking returns the sample booking of two seats at show(), changed by each f.
func booking(fs ...func(*notify.Booking)) notify.Booking {
	b := notify.Booking{ID: "use1_01JD8X3V4Q", ConfirmationCode: "K7Q2MP", Name: "Ana", Show: show(),
		Seats: []string{"F7", "F8"}}
	for _, f := range fs {
		f(&b)
	}
	return b
}

// inParis moves a booking to a Paris theatre showing Amélie.
func inParis(b *notify.Booking) {
	b.Show = show(func(s *notify.Show) {
		s.MovieTitle, s.TheatreName, s.TheatreAddress, s.Screen = "Amélie", "Marquee Opéra", "2 rue Scribe, 75009 Paris", "Salle 1"
		s.TimeZone, s.StartsAt, s.EndsAt = "Europe/Paris", time.Date(2026, 3, 14, 19, 0, 0, 0, time.UTC), time.Date(2026, 3, 14, 21, 2, 0, 0, time.UTC)
	})
}
