package search

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServiceNowPlaying(t *testing.T) {
	svc := &Service{Index: newTestIndex(t), Now: func() time.Time { return testNow }}
	tests := []struct {
		name string
		q    MovieQuery
		want []string
	}{
		{"OKNoTextIsTheComingWeek", MovieQuery{Near: &timesSquare, RadiusKm: 10},
			[]string{"m-poorthings", "m-barbie", "m-parasite", "m-inception"}},
		{"OKNoTextOtherWindow", MovieQuery{Near: &timesSquare, RadiusKm: 10, NowPlayingDays: 1},
			[]string{"m-barbie", "m-inception"}},
		{"OKTextIgnoresWindow", MovieQuery{Query: "Oppenheimer", Near: &timesSquare, RadiusKm: 10, NowPlayingDays: 1},
			[]string{"m-oppenheimer"}},
		{"OKNowIsTheClock", MovieQuery{Near: &timesSquare, RadiusKm: 10, Now: testNow.AddDate(-1, 0, 0)},
			[]string{"m-poorthings", "m-barbie", "m-parasite", "m-inception"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, _, _, err := svc.SearchMovies(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, movieIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
