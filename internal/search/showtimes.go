package search

import (
	"slices"
	"sort"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
)

// maxNextShowtimes is how many showtimes a movie hit carries.
const maxNextShowtimes = 3

// ShowtimeRef is an upcoming showtime of a movie hit, with what a listing shows of it.
type ShowtimeRef struct {
	ShowtimeID       string
	Region           string
	TheatreID        string
	TheatreName      string
	CityName         string
	ScreenID         string
	StartsAt, EndsAt time.Time
	LocalDay         string // "YYYY-MM-DD" at the theatre
	Format           string
	Language         string  // the showtime's language, or the movie's when the showtime names none
	DistanceKm       float64 // from MovieQuery.Near; 0 without it
	// FromPrice is the lowest price a seat sells for now, set by Service from its Prices (not in the index).
	FromPrice *catalog.Price
}

// showFilter is what a movie query asks of showtimes. A showtime counts only when its theatre is known.
type showFilter struct {
	active    bool               // the query restricts movies to those with a matching showtime
	from, to  time.Time          // start in [from, to); zero bounds are open
	day       string             // local day, when set
	formats   map[string]bool    // lower-cased, nil for any
	languages map[string]bool    // lower-cased, nil for any
	theatres  map[string]float64 // allowed theatre IDs with their distance from Near; nil for any theatre
}

// newShowFilter derives the showtime filter of q. Without any showtime filter, Languages is checked per movie
// (see matchMovies); with one, it applies to each showtime.
func (st *state) newShowFilter(q MovieQuery) *showFilter {
	f := &showFilter{
		from: q.Now, day: q.Day, formats: lowerSet(q.Formats), languages: lowerSet(q.Languages),
		theatres: st.theatresFor(q),
	}
	if q.NowPlayingDays > 0 {
		f.to = q.Now.Add(time.Duration(q.NowPlayingDays) * 24 * time.Hour)
	}
	f.active = f.theatres != nil || f.day != "" || f.formats != nil || !f.to.IsZero()
	return f
}

// theatresFor returns the theatres allowed by q's city and location with their distances, or nil when q has
// neither. City matches a theatre's city ID or, folded, its city name.
func (st *state) theatresFor(q MovieQuery) map[string]float64 {
	if q.Near == nil && q.City == "" {
		return nil
	}
	out := map[string]float64{}
	cityKey := asciiFold.key(q.City)
	inCity := func(t *theatreEntry) bool {
		return q.City == "" || t.t.CityID == q.City || (cityKey != "" && t.cityKey == cityKey)
	}
	if q.Near == nil {
		for id, t := range st.theatres {
			if inCity(t) {
				out[id] = 0
			}
		}
		return out
	}
	for _, t := range st.latitudeBand(q.Near.Latitude, q.RadiusKm) {
		if d, ok := within(*q.Near, t.point(), q.RadiusKm); ok && inCity(t) {
			out[t.t.ID] = d
		}
	}
	return out
}

// latitudeBand returns the theatres whose latitude is within radiusKm of lat (one degree of latitude is at
// least 110.5 km), from the latitude-ordered slice.
func (st *state) latitudeBand(lat, radiusKm float64) []*theatreEntry {
	span := radiusKm / 110.5
	lo := sort.Search(len(st.byLat), func(i int) bool { return st.byLat[i].t.Latitude >= lat-span })
	hi := sort.Search(len(st.byLat), func(i int) bool { return st.byLat[i].t.Latitude > lat+span })
	return st.byLat[lo:hi]
}

// within returns the distance from p to t and whether it is at most radiusKm.
func within(p, t Point, radiusKm float64) (float64, bool) {
	d := haversineKm(p, t)
	return d, d <= radiusKm
}

// match reports whether showtime s passes f.
func (st *state) match(f *showFilter, s *showEntry) bool {
	if _, ok := st.theatres[s.theatreID]; !ok {
		return false
	}
	if f.theatres != nil {
		if _, ok := f.theatres[s.theatreID]; !ok {
			return false
		}
	}
	switch {
	case !f.from.IsZero() && s.start.Before(f.from),
		!f.to.IsZero() && !s.start.Before(f.to),
		f.day != "" && s.day != f.day,
		!anyIn(f.formats, s.format):
		return false
	}
	return !f.active || anyIn(f.languages, s.effectiveLanguage(st.movies[s.movieID]))
}

// showSummary is what the showtimes of one movie passing a filter offer: the showtimes, and their distinct
// formats and languages.
type showSummary struct {
	shows              []*showEntry
	formats, languages []string
}

func (sum *showSummary) add(s *showEntry, m *movieEntry) {
	sum.shows = append(sum.shows, s)
	sum.addValues(s.format, s.effectiveLanguage(m))
}

func (sum *showSummary) addValues(format, language string) {
	if format != "" && !slices.Contains(sum.formats, format) {
		sum.formats = append(sum.formats, format)
	}
	if language != "" && !slices.Contains(sum.languages, language) {
		sum.languages = append(sum.languages, language)
	}
}

// eligible returns, for each movie with a showtime passing f, the summary of those showtimes; nil when f is not
// active. It visits only the showtimes of the allowed theatres when f names them.
func (st *state) eligible(f *showFilter) map[string]*showSummary {
	if !f.active {
		return nil
	}
	out := map[string]*showSummary{}
	visit := func(shows map[string]*showEntry) {
		for _, s := range shows {
			if !st.match(f, s) {
				continue
			}
			sum := out[s.movieID]
			if sum == nil {
				sum = &showSummary{}
				out[s.movieID] = sum
			}
			sum.add(s, st.movies[s.movieID])
		}
	}
	if f.theatres == nil {
		visit(st.shows)
		return out
	}
	for id := range f.theatres {
		visit(st.byTheatre[id])
	}
	return out
}

// summarize returns the summary of movie e's showtimes passing an inactive filter f (upcoming ones at known
// theatres), with the movie's own language.
func (st *state) summarize(f *showFilter, e *movieEntry) *showSummary {
	sum := &showSummary{}
	sum.addValues("", e.m.Language)
	for _, s := range st.byMovie[e.m.ID] {
		if st.match(f, s) {
			sum.add(s, e)
		}
	}
	return sum
}

// next returns up to maxNextShowtimes of the showtimes of hit (those passing f): nearest theatre first, then
// soonest.
func (st *state) next(f *showFilter, hit scored) []ShowtimeRef {
	refs := make([]ShowtimeRef, 0, len(hit.shows.shows))
	for _, s := range hit.shows.shows {
		th := st.theatres[s.theatreID]
		refs = append(refs, ShowtimeRef{
			ShowtimeID: s.id, Region: s.region, TheatreID: s.theatreID, TheatreName: th.t.Name,
			CityName: th.cityName, ScreenID: s.screenID, StartsAt: s.start, EndsAt: s.end, LocalDay: s.day,
			Format: s.format, Language: s.effectiveLanguage(hit.e), DistanceKm: f.theatres[s.theatreID],
		})
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.DistanceKm != b.DistanceKm {
			return a.DistanceKm < b.DistanceKm
		}
		if !a.StartsAt.Equal(b.StartsAt) {
			return a.StartsAt.Before(b.StartsAt)
		}
		return a.ShowtimeID < b.ShowtimeID
	})
	return refs[:min(len(refs), maxNextShowtimes)]
}
