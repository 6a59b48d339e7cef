package search

import (
	"slices"
	"sort"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// maxTextCandidates is how many of the most relevant text matches a movie search considers: filters, facet
// counts and pages cover these only. When a showtime filter leaves at most docIDFilterMax movies, the text
// search runs inside that set, so no eligible movie is crowded out by better matches elsewhere.
const (
	maxTextCandidates = 1000
	docIDFilterMax    = 5000
)

// MovieQuery asks for movies. Zero fields do not filter. Filters on lists match any listed value, ignoring
// case. Near with RadiusKm, City, Day, Formats and NowPlayingDays are showtime filters: a movie matches when
// one of its showtimes (starting at or after Now when Now is set) passes all of them, and Languages then
// applies to that showtime too (its language, or the movie's when it names none). Without a showtime filter,
// Languages matches the movie's language or the language of any of its (upcoming, when Now is set) showtimes.
type MovieQuery struct {
	Query          string   // text; empty lists movies newest release first
	Near           *Point   // with RadiusKm in (0, 500]: a showtime at a theatre within RadiusKm
	RadiusKm       float64  // ignored without Near
	City           string   // a showtime in this city: its ID or name
	Genres         []string // the movie has one of these genres
	Languages      []string // see above
	Formats        []string // a showtime in one of these formats
	Day            string   // "YYYY-MM-DD": a showtime on this local day at its theatre
	Now            time.Time
	NowPlayingDays int // with Now: a showtime in [Now, Now+NowPlayingDays days)
	PageSize       int // 0 means DefaultPageSize; at most MaxPageSize
	PageToken      string
}

// MovieHit is a matching movie. Score is its text relevance (0 without a text query). NextShowtimes holds up
// to 3 showtimes passing the query's showtime filters (or, without any, its next ones), nearest theatre first.
type MovieHit struct {
	Movie         catalog.Movie
	Score         float64
	NextShowtimes []ShowtimeRef
}

// Facets counts the matching movies (all pages) per genre, language, format and rating; a movie counts once
// per value. Formats and languages are those of the movie's showtimes that pass the query's showtime filters
// (upcoming ones when no filter is given; the movie's own language counts too in that case), so a facet
// value, added to the query, finds as many movies as it counts.
type Facets struct {
	Genres, Languages, Formats, Ratings map[string]int
}

// scored is a matching movie, its relevance and the summary of its showtimes passing the query's filter.
type scored struct {
	e     *movieEntry
	score float64
	shows *showSummary
}

// SearchMovies returns a page of movies matching q, with facet counts over all matches and the token of the
// next page ("" on the last). Text matches come by relevance (exact title, then title, cast and synopsis
// matches); without text, newest release first. A text query considers its 1,000 most relevant matches
// (within the showtime filter's movies when those are at most 5,000). Malformed queries fail with errs.Invalid.
func (ix *Index) SearchMovies(q MovieQuery) (hits []MovieHit, facets Facets, nextPageToken string, err error) {
	const op = "search.SearchMovies"
	size, offset, err := checkMovieQuery(op, q)
	if err != nil {
		return nil, Facets{}, "", err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, Facets{}, "", errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	f := ix.st.newShowFilter(q)
	matches, err := ix.st.matchMovies(q, f)
	if err != nil {
		return nil, Facets{}, "", errs.E(op, err)
	}
	page := matches[min(offset, len(matches)):min(offset+size, len(matches))]
	for _, m := range page {
		hits = append(hits, MovieHit{Movie: cloneMovie(m.e.m), Score: m.score, NextShowtimes: ix.st.next(f, m)})
	}
	return hits, countFacets(matches), nextToken(movieTokens, offset, size, len(matches)), nil
}

// checkMovieQuery validates q and returns its page size and offset.
func checkMovieQuery(op string, q MovieQuery) (size, offset int, err error) {
	if err := checkQuery(op, q.Query); err != nil {
		return 0, 0, err
	}
	if q.Near != nil {
		if err := checkNear(op, *q.Near, q.RadiusKm); err != nil {
			return 0, 0, err
		}
	}
	if _, err := time.Parse(time.DateOnly, q.Day); q.Day != "" && err != nil {
		return 0, 0, errs.Errorf(op, errs.Invalid, "day must be YYYY-MM-DD")
	}
	if q.NowPlayingDays < 0 || q.NowPlayingDays > MaxNowPlayingDays || (q.NowPlayingDays > 0 && q.Now.IsZero()) {
		return 0, 0, errs.Errorf(op, errs.Invalid, "now playing needs Now and 1 to %d days", MaxNowPlayingDays)
	}
	if size, err = pageSize(op, q.PageSize); err != nil {
		return 0, 0, err
	}
	offset, err = decodeToken(op, movieTokens, q.PageToken)
	return size, offset, err
}

// matchMovies returns every movie matching q, in result order.
func (st *state) matchMovies(q MovieQuery, f *showFilter) ([]scored, error) {
	eligible := st.eligible(f)
	if f.active && len(eligible) == 0 {
		return nil, nil
	}
	genres, languages := lowerSet(q.Genres), lowerSet(q.Languages)
	match := func(e *movieEntry) (*showSummary, bool) {
		if !anyIn(genres, e.genres...) {
			return nil, false
		}
		if eligible != nil {
			sum, ok := eligible[e.m.ID] // each showtime's language is already checked
			return sum, ok
		}
		sum := st.summarize(f, e)
		return sum, anyIn(languages, sum.languages...)
	}
	if words := asciiFold.words(q.Query); len(words) > 0 {
		return st.textMatches(words, eligible, match)
	}
	return st.browseMatches(eligible, match), nil
}

// matcher reports whether a movie matches and, if so, the summary of its showtimes.
type matcher func(*movieEntry) (*showSummary, bool)

// browseMatches returns the movies matching, newest release first.
func (st *state) browseMatches(eligible map[string]*showSummary, match matcher) []scored {
	var out []scored
	add := func(e *movieEntry) {
		if sum, ok := match(e); ok {
			out = append(out, scored{e: e, shows: sum})
		}
	}
	if eligible == nil {
		for _, e := range st.browse {
			add(e)
		}
		return out
	}
	for id := range eligible {
		if e := st.movies[id]; e != nil {
			add(e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return browseLess(out[i].e, out[j].e) })
	return out
}

// textMatches returns the movies matching words and match, most relevant first.
func (st *state) textMatches(words []string, eligible map[string]*showSummary, match matcher) ([]scored, error) {
	bq := movieTextQuery(words)
	if eligible != nil && len(eligible) <= docIDFilterMax {
		bq.AddFilter(query.NewDocIDQuery(keys(eligible)))
	}
	res, err := st.text[movieText].idx.Search(bleve.NewSearchRequestOptions(bq, maxTextCandidates, 0, false))
	if err != nil {
		return nil, err
	}
	out := make([]scored, 0, len(res.Hits))
	for _, h := range res.Hits {
		if e := st.movies[h.ID]; e != nil {
			if sum, ok := match(e); ok {
				out = append(out, scored{e: e, score: h.Score, shows: sum})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.e.key != b.e.key {
			return a.e.key < b.e.key
		}
		return a.e.m.ID < b.e.m.ID
	})
	return out, nil
}

// countFacets counts matches per genre, language, format and rating. Formats and languages come from the
// showtimes passing the query's filter, so that choosing a facet value finds as many movies as it counted.
func countFacets(matches []scored) Facets {
	fc := Facets{Genres: map[string]int{}, Languages: map[string]int{}, Formats: map[string]int{}, Ratings: map[string]int{}}
	for _, m := range matches {
		for _, v := range m.e.genres {
			fc.Genres[v]++
		}
		for _, v := range m.shows.languages {
			fc.Languages[v]++
		}
		for _, v := range m.shows.formats {
			fc.Formats[v]++
		}
		if m.e.m.Rating != "" {
			fc.Ratings[m.e.m.Rating]++
		}
	}
	return fc
}

func keys[V any](set map[string]V) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// cloneMovie copies m so that callers and the index never share its slices.
func cloneMovie(m catalog.Movie) catalog.Movie {
	m.Genres, m.Cast = slices.Clone(m.Genres), slices.Clone(m.Cast)
	return m
}
