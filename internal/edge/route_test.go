package edge

import (
	"math"
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/regions"
)

// TestLocationRouting routes SearchTheatres by its near field and the hint header: a location off the globe
// (NaN and infinities included, which FuzzRoutingField found routed to the zero Region) counts as absent.
func TestLocationRouting(t *testing.T) {
	rules, err := Rules(APIFiles())
	if err != nil {
		t.Fatal(err)
	}
	rule := rules["/marquee.v1.SearchService/SearchTheatres"]
	self, _ := regions.ByName("us-east1")
	for _, tc := range []struct {
		name     string
		near     *marqueev1.GeoPoint
		hint     string
		wantName string
	}{
		{"Field", &marqueev1.GeoPoint{Latitude: 48.86, Longitude: 2.35}, "19.07,72.87", "europe-west1"},
		{"Hint", nil, "19.07,72.87", "asia-south1"},
		{"Neither", nil, "", "us-east1"},
		{"FieldNaN", &marqueev1.GeoPoint{Latitude: math.NaN()}, "", "us-east1"},
		{"FieldNaNHint", &marqueev1.GeoPoint{Longitude: math.NaN()}, "48.86,2.35", "europe-west1"},
		{"FieldInf", &marqueev1.GeoPoint{Latitude: math.Inf(1)}, "", "us-east1"},
		{"FieldOffGlobe", &marqueev1.GeoPoint{Latitude: 1000}, "19.07,72.87", "asia-south1"},
		{"HintNaN", nil, "NaN,0", "us-east1"},
		{"HintInf", nil, "0,-Inf", "us-east1"},
		{"HintOffGlobe", nil, "91,0", "us-east1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := (&marqueev1.SearchTheatresRequest{Near: proto.CloneOf(tc.near)}).ProtoReflect()
			h := http.Header{}
			if tc.hint != "" {
				h.Set(LocationHeader, tc.hint)
			}
			got, err := rule.target(msg, h, self)
			if err != nil || got.Name != tc.wantName {
				t.Fatalf("target = %q, %v; want %q", got.Name, err, tc.wantName)
			}
		})
	}
}
