package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for name, tt := range map[string]struct {
		args    []string
		wantErr string
	}{
		"OK":               {[]string{"--region", "europe-west1", "--hold-ttl", "6m"}, ""},
		"OKEveryRegion":    {nil, ""},
		"ErrUnknownRegion": {[]string{"--region", "mars-north1"}, `--region "mars-north1" is not a region`},
		"ErrHoldTTL":       {[]string{"--hold-ttl", "30s"}, "--hold-ttl must be between 5m and 10m (shorter only with --allow-short-holds"},
		"OKShortHolds":     {[]string{"--allow-short-holds", "--hold-ttl", "30s"}, ""},
		"OKShortHolds5s":   {[]string{"--allow-short-holds", "--hold-ttl", "5s"}, ""},
		"ErrShortHoldTTL":  {[]string{"--allow-short-holds", "--hold-ttl", "4s"}, "--hold-ttl must be between 5s and 10m with --allow-short-holds"},
		"ErrLongHoldTTL":   {[]string{"--allow-short-holds", "--hold-ttl", "11m"}, "--hold-ttl must be between 5s and 10m"},
		"ErrBcryptCost":    {[]string{"--bcrypt-cost", "3"}, "--bcrypt-cost must be between 4 and 31"},
		"ErrUnknownFlag":   {[]string{"--nope"}, "flag provided but not defined"},
		"OKS3":             {[]string{"--s3-endpoint", "s3:9000", "--s3-access-key", "a", "--s3-secret-key", "s"}, ""},
		"ErrS3NoKeys":      {[]string{"--s3-endpoint", "s3:9000", "--s3-access-key", "a"}, "--s3-endpoint needs --s3-access-key and --s3-secret-key"},
	} {
		t.Run(name, func(t *testing.T) {
			c := Default()
			err := c.Parse("test", tt.args)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Parse(%q) = %v, want %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	one := Config{Region: "asia-south1"}
	if diff := cmp.Diff([]string{"asia-south1"}, one.Regions()); diff != "" {
		t.Errorf("one region mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"asia-south1", "europe-west1", "us-east1"}, Config{}.Regions()); diff != "" {
		t.Errorf("every region mismatch (-want +got):\n%s", diff)
	}
}

func TestBuckets(t *testing.T) {
	if diff := cmp.Diff([]string{"marquee-archive-europe-west1"}, Config{Region: "europe-west1"}.Buckets()); diff != "" {
		t.Errorf("one region mismatch (-want +got):\n%s", diff)
	}
	want := []string{"marquee-archive-asia-south1", "marquee-archive-europe-west1", "marquee-archive-us-east1"}
	if diff := cmp.Diff(want, Config{}.Buckets()); diff != "" {
		t.Errorf("every region mismatch (-want +got):\n%s", diff)
	}
}

func TestOfferWindow(t *testing.T) {
	c := Config{OfferWindowMin: 2 * time.Minute, OfferWindowMax: 20 * time.Minute}
	if w := c.OfferWindow(); w.Min != 2*time.Minute || w.Max != 20*time.Minute {
		t.Errorf("OfferWindow = %+v, want 2m to 20m", w)
	}
	if w := (Config{OfferWindowMin: 30 * time.Minute, OfferWindowMax: time.Minute}).OfferWindow(); w.Max < w.Min {
		t.Errorf("OfferWindow = %+v: the max must not be below the min", w)
	}
}
