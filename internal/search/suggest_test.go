package search

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSuggest(t *testing.T) {
	ix := newTestIndex(t)
	movie := func(id, text string) Suggestion { return Suggestion{Kind: KindMovie, Text: text, ID: id} }
	person := func(id, text string) Suggestion { return Suggestion{Kind: KindPerson, Text: text, ID: id} }
	theatre := func(id, text string) Suggestion { return Suggestion{Kind: KindTheatre, Text: text, ID: id} }
	tests := []struct {
		name   string
		prefix string
		near   *Point
		limit  int
		want   []Suggestion
	}{
		{"Title", "inc", nil, 5, []Suggestion{movie("m-inception", "Inception")}},
		{"WholePrefixFirst", "matr", nil, 5,
			[]Suggestion{movie("m-reloaded", "Matrix Reloaded"), movie("m-matrix", "The Matrix")}},
		{"Person", "keanu", nil, 5, []Suggestion{person("keanu reeves", "Keanu Reeves")}},
		{"PersonAccentFolded", "timothee ch", nil, 5,
			[]Suggestion{person("timothee chalamet", "Timothée Chalamet")}},
		{"SeveralWords", "tom h", nil, 5, []Suggestion{person("tom hardy", "Tom Hardy")}},
		{"TheatreName", "le gr", nil, 5, []Suggestion{theatre("t-rex", "Le Grand Rex")}},
		{"TheatreCity", "paris", nil, 5, []Suggestion{theatre("t-odeon", "UGC Odéon"), theatre("t-rex", "Le Grand Rex"),
			theatre("t-versailles", "Pathé Versailles"), theatre("t-villette", "Pathé La Villette")}},
		{"Mixed", "pa", nil, 3, []Suggestion{movie("m-parasite", "Parasite"),
			theatre("t-versailles", "Pathé Versailles"), theatre("t-villette", "Pathé La Villette")}},
		{"NearTheatresFirst", "pa", &chatelet, 6, []Suggestion{theatre("t-odeon", "UGC Odéon"),
			theatre("t-rex", "Le Grand Rex"), theatre("t-villette", "Pathé La Villette"),
			theatre("t-versailles", "Pathé Versailles"), movie("m-parasite", "Parasite"),
			person("elliot page", "Elliot Page")}},
		{"NearButFar", "pa", &timesSquare, 1, []Suggestion{movie("m-parasite", "Parasite")}},
		{"DefaultLimit", "a", nil, 0, nil}, // checked by length below
		{"NoWords", "  !! ", nil, 5, nil},
		{"NoMatch", "zzz", nil, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Suggest(tt.prefix, tt.near, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "DefaultLimit" {
				if len(got) != defaultSuggest {
					t.Errorf("got %d suggestions, want %d", len(got), defaultSuggest)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
