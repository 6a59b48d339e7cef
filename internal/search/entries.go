package search

import (
	"sort"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
)

// movieEntry is a movie with the keys searches need.
type movieEntry struct {
	m      catalog.Movie
	key    string   // folded title
	genres []string // distinct genres, sorted
}

// theatreEntry is a theatre with its city name and time zone.
type theatreEntry struct {
	t        catalog.Theatre
	cityName string
	cityKey  string // folded city name
	loc      *time.Location
}

// showEntry is what the index keeps of a scheduled showtime.
type showEntry struct {
	id, movieID, theatreID string
	region, screenID       string
	start, end             time.Time
	day                    string // local date at the theatre, "YYYY-MM-DD" (UTC until the theatre is known)
	format, language       string
}

// personEntry is a cast member suggested by autocomplete; refs counts the movies naming them.
type personEntry struct {
	key, name string
	refs      int
}

func newMovieEntry(m catalog.Movie) *movieEntry {
	m = cloneMovie(m)
	return &movieEntry{m: m, key: asciiFold.key(m.Title), genres: distinctSorted(m.Genres)}
}

// textWrite indexes the movie's text.
func (e *movieEntry) textWrite() write {
	return write{text: movieText, id: e.m.ID, doc: map[string]any{
		"title": e.m.Title, "title_key": e.key, "cast": e.m.Cast, "synopsis": e.m.Synopsis,
	}}
}

// suggestWrite indexes the movie's title for autocomplete.
func (e *movieEntry) suggestWrite() write {
	return suggestDoc("m:"+e.m.ID, KindMovie, e.m.Title, e.key, nil)
}

// textWrite indexes the theatre's name, address, city, amenities and location.
func (e *theatreEntry) textWrite() write {
	amenities := make([]string, len(e.t.Amenities))
	for i, a := range e.t.Amenities {
		amenities[i] = asciiFold.key(a)
	}
	return write{text: theatreText, id: e.t.ID, doc: map[string]any{
		"name": e.t.Name, "address": e.t.Address, "city": e.cityName, "amenities": amenities,
		"location": e.location(),
	}}
}

// suggestWrite indexes the theatre's name and city for autocomplete.
func (e *theatreEntry) suggestWrite() write {
	return suggestDoc("t:"+e.t.ID, KindTheatre, e.t.Name+" "+e.cityName, asciiFold.key(e.t.Name), e.location())
}

func (e *theatreEntry) location() map[string]any {
	return map[string]any{"lat": e.t.Latitude, "lon": e.t.Longitude}
}

func (e *theatreEntry) point() Point { return Point{Latitude: e.t.Latitude, Longitude: e.t.Longitude} }

// suggestWrite indexes the person's name for autocomplete.
func (p *personEntry) suggestWrite() write {
	return suggestDoc("p:"+p.key, KindPerson, p.name, p.key, nil)
}

func suggestDoc(id, kind, words, key string, loc map[string]any) write {
	doc := map[string]any{"kind": kind, "words": words, "whole": key}
	if loc != nil {
		doc["location"] = loc
	}
	return write{text: suggestText, id: id, doc: doc}
}

// localDay returns the date of t at the theatre, or in UTC when the theatre is unknown.
func localDay(t time.Time, th *theatreEntry) string {
	if th == nil {
		return t.UTC().Format(time.DateOnly)
	}
	return t.In(th.loc).Format(time.DateOnly)
}

// language returns the showtime's language, defaulting to the movie's.
func (s *showEntry) effectiveLanguage(m *movieEntry) string {
	if s.language == "" && m != nil {
		return m.m.Language
	}
	return s.language
}

// browseLess orders movies for browsing without a text query: newest release first, then title, then ID.
func browseLess(a, b *movieEntry) bool {
	if !a.m.ReleaseDate.Equal(b.m.ReleaseDate) {
		return a.m.ReleaseDate.After(b.m.ReleaseDate)
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.m.ID < b.m.ID
}

// distinctSorted returns the distinct non-empty values of ss, sorted.
func distinctSorted(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// lowerSet returns the lower-cased values of ss as a set, or nil when ss is empty.
func lowerSet(ss []string) map[string]bool {
	if len(ss) == 0 {
		return nil
	}
	set := make(map[string]bool, len(ss))
	for _, s := range ss {
		set[strings.ToLower(s)] = true
	}
	return set
}

// anyIn reports whether set is nil (no filter) or holds one of vals, compared in lower case.
func anyIn(set map[string]bool, vals ...string) bool {
	if set == nil {
		return true
	}
	for _, v := range vals {
		if set[strings.ToLower(v)] {
			return true
		}
	}
	return false
}
