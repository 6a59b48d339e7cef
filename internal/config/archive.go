package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Archive configures the compliance archive.
type Archive struct {
	// After is how long after its show ends a booking moves to its region's bucket (13 months).
	After time.Duration
	// Every is how often a region's archive job runs (daily).
	Every time.Duration
	// Key is the key that wraps people's data keys; generated and kept under DataDir/keys when empty.
	Key string
}

func (a *Archive) flags(fs *flag.FlagSet) {
	fs.DurationVar(&a.After, "archive-after", a.After, "archive bookings whose show ended this long ago (default 13 months)")
	fs.DurationVar(&a.Every, "archive-every", a.Every, "how often each region's archive job runs")
}

func (a Archive) check() error {
	if a.After < 24*time.Hour {
		return fmt.Errorf("--archive-after %s: bookings are archived a day after their show at the earliest", a.After)
	}
	if a.Every < time.Minute {
		return fmt.Errorf("--archive-every %s is shorter than a minute", a.Every)
	}
	return nil
}

func defaultArchive(after, every time.Duration) Archive {
	return Archive{After: after, Every: every, Key: os.Getenv("MARQUEE_ARCHIVE_KEY")}
}

// ArchiveKeyPath is where the archive key is kept when none is configured.
func (c Config) ArchiveKeyPath() string { return filepath.Join(c.DataDir, "keys", "archive-key") }
