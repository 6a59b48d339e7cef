package search

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// theatreIDs returns the IDs of hits with their distance rounded to 0.1 km.
func theatreIDs(hits []TheatreHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s %.1f", h.Theatre.ID, h.DistanceKm))
	}
	return out
}

func TestSearchTheatres(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name string
		q    TheatreQuery
		want []string
	}{
		{"ByDistance", TheatreQuery{Near: chatelet, RadiusKm: 25},
			[]string{"t-odeon 0.9", "t-rex 1.4", "t-villette 5.1", "t-versailles 17.1"}},
		{"Radius", TheatreQuery{Near: chatelet, RadiusKm: 3}, []string{"t-odeon 0.9", "t-rex 1.4"}},
		{"Amenity", TheatreQuery{Near: chatelet, RadiusKm: 25, Amenities: []string{"imax"}},
			[]string{"t-villette 5.1"}},
		{"AmenitiesAll", TheatreQuery{Near: chatelet, RadiusKm: 25, Amenities: []string{"Accessible", "4DX"}},
			[]string{"t-villette 5.1"}},
		{"NameFolded", TheatreQuery{Query: "pathe", Near: chatelet, RadiusKm: 25},
			[]string{"t-villette 5.1", "t-versailles 17.1"}},
		{"NameTypo", TheatreQuery{Query: "Odoen", Near: chatelet, RadiusKm: 25}, []string{"t-odeon 0.9"}},
		{"Elsewhere", TheatreQuery{Query: "odeon", Near: Point{Latitude: 51.5074, Longitude: -0.1278}, RadiusKm: 5},
			[]string{"t-leicester 0.4"}},
		{"None", TheatreQuery{Near: Point{Latitude: 0, Longitude: 0}, RadiusKm: 500}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, _, err := ix.SearchTheatres(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, theatreIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchTheatresPaging(t *testing.T) {
	ix := newTestIndex(t)
	q := TheatreQuery{Near: chatelet, RadiusKm: 25, PageSize: 3}
	var got [][]string
	for {
		hits, next, err := ix.SearchTheatres(q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, theatreIDs(hits))
		if next == "" {
			break
		}
		q.PageToken = next
	}
	want := [][]string{{"t-odeon 0.9", "t-rex 1.4", "t-villette 5.1"}, {"t-versailles 17.1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
