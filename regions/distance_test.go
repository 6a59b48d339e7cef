package regions

import (
	"math"
	"testing"
)

func TestDistanceKm(t *testing.T) {
	// London to Mumbai is about 7,190 km; a point to itself is 0.
	if d := DistanceKm(51.5074, -0.1278, 19.0760, 72.8777); math.Abs(d-7190) > 30 {
		t.Errorf("London-Mumbai = %.0f km, want about 7190", d)
	}
	if d := DistanceKm(10, 20, 10, 20); d != 0 {
		t.Errorf("distance to itself = %v", d)
	}
}

func TestNearest(t *testing.T) {
	all := All()
	for name, tt := range map[string]struct {
		lat, lon float64
		want     string
	}{
		"OKNewYork": {40.71, -74.01, "us-east1"},
		"OKParis":   {48.86, 2.35, "europe-west1"},
	} {
		t.Run(name, func(t *testing.T) {
			r, ok := Nearest(tt.lat, tt.lon, all)
			if !ok || r.Name != tt.want {
				t.Fatalf("Nearest = %q, %v; want %q", r.Name, ok, tt.want)
			}
		})
	}
	if _, ok := Nearest(0, 0, nil); ok {
		t.Error("Nearest of no regions reported one")
	}
}
