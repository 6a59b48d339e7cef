package search

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// TheatreDoc is a theatre as Build takes it: the theatre and the name of its city. The theatre's TimeZone
// decides the local day of its showtimes.
type TheatreDoc struct {
	Theatre  catalog.Theatre
	CityName string
}

// UpsertMovie adds or replaces a movie; it is searchable when UpsertMovie returns.
func (ix *Index) UpsertMovie(m catalog.Movie) error {
	const op = "search.UpsertMovie"
	return ix.write(op, func(st *state) ([]write, error) { return st.putMovie(op, m) })
}

// UpsertTheatre adds or replaces a theatre of the city named cityName. Its time zone must be a valid IANA name;
// the local days of its showtimes are recomputed.
func (ix *Index) UpsertTheatre(t catalog.Theatre, cityName string) error {
	const op = "search.UpsertTheatre"
	return ix.write(op, func(st *state) ([]write, error) { return st.putTheatre(op, t, cityName) })
}

// UpsertShowtime adds or replaces a showtime; a cancelled showtime is removed. Showtimes may arrive before their
// movie or theatre; they count once both are known.
func (ix *Index) UpsertShowtime(s catalog.Showtime) error {
	const op = "search.UpsertShowtime"
	return ix.write(op, func(st *state) ([]write, error) { return nil, st.putShow(op, s) })
}

// DeleteShowtime removes a showtime. Deleting an unknown showtime is not an error.
func (ix *Index) DeleteShowtime(id string) error {
	const op = "search.DeleteShowtime"
	return ix.write(op, func(st *state) ([]write, error) { st.deleteShow(id); return nil, nil })
}

// PruneBefore drops showtimes starting before t; searches ignore them anyway when given a Now after t.
func (ix *Index) PruneBefore(t time.Time) error {
	const op = "search.PruneBefore"
	return ix.write(op, func(st *state) ([]write, error) {
		for id, s := range st.shows {
			if s.start.Before(t) {
				st.deleteShow(id)
			}
		}
		return nil, nil
	})
}

// write runs fn on the current state and applies the text changes it returns, all under the write lock.
func (ix *Index) write(op string, fn func(*state) ([]write, error)) error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	ws, err := fn(ix.st)
	if err != nil {
		return err
	}
	if err := ix.apply(ws); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// putMovie stores m and returns its text changes, including cast members gained or lost.
func (st *state) putMovie(op string, m catalog.Movie) ([]write, error) {
	if m.ID == "" {
		return nil, errs.Errorf(op, errs.Invalid, "movie ID is required")
	}
	e := newMovieEntry(m)
	old := st.movies[m.ID]
	st.movies[m.ID] = e
	if st.browse != nil {
		st.browse = removeBrowse(st.browse, old)
		st.browse = insertBrowse(st.browse, e)
	}
	ws := []write{e.textWrite(), e.suggestWrite()}
	return append(ws, st.recast(old, e)...), nil
}

// recast updates cast members' reference counts from old's cast to e's and returns the suggestion changes.
func (st *state) recast(old, e *movieEntry) []write {
	var ws []write
	before := castKeys(old)
	for key, name := range castKeys(e) {
		if _, ok := before[key]; ok {
			delete(before, key)
			continue
		}
		p := st.persons[key]
		if p == nil {
			p = &personEntry{key: key, name: name}
			st.persons[key] = p
			ws = append(ws, p.suggestWrite())
		}
		p.refs++
	}
	for key := range before {
		if p := st.persons[key]; p != nil {
			if p.refs--; p.refs <= 0 {
				delete(st.persons, key)
				ws = append(ws, write{text: suggestText, id: "p:" + key})
			}
		}
	}
	return ws
}

// castKeys maps the folded names of e's cast to their names; nil e has no cast.
func castKeys(e *movieEntry) map[string]string {
	keys := map[string]string{}
	if e == nil {
		return keys
	}
	for _, name := range e.m.Cast {
		if key := asciiFold.key(name); key != "" {
			keys[key] = name
		}
	}
	return keys
}

// putTheatre stores a theatre and recomputes the local days of its showtimes.
func (st *state) putTheatre(op string, t catalog.Theatre, cityName string) ([]write, error) {
	if t.ID == "" {
		return nil, errs.Errorf(op, errs.Invalid, "theatre ID is required")
	}
	if err := checkPoint(op, Point{Latitude: t.Latitude, Longitude: t.Longitude}); err != nil {
		return nil, err
	}
	loc, err := loadLocation(t.TimeZone)
	if err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "theatre %s: unknown time zone %q", t.ID, t.TimeZone)
	}
	e := &theatreEntry{t: t, cityName: cityName, cityKey: asciiFold.key(cityName), loc: loc}
	if old := st.theatres[t.ID]; old != nil {
		st.byLat = slices.DeleteFunc(st.byLat, func(x *theatreEntry) bool { return x == old })
	}
	i := sort.Search(len(st.byLat), func(i int) bool { return st.byLat[i].t.Latitude >= t.Latitude })
	st.byLat = slices.Insert(st.byLat, i, e)
	st.theatres[t.ID] = e
	for _, s := range st.byTheatre[t.ID] {
		s.day = localDay(s.start, e)
	}
	return []write{e.textWrite(), e.suggestWrite()}, nil
}

// putShow stores a scheduled showtime, or removes a cancelled one.
func (st *state) putShow(op string, s catalog.Showtime) error {
	if s.ID == "" {
		return errs.Errorf(op, errs.Invalid, "showtime ID is required")
	}
	st.deleteShow(s.ID)
	if s.Status == catalog.ShowtimeCancelled {
		return nil
	}
	e := &showEntry{
		id: s.ID, movieID: s.MovieID, theatreID: s.TheatreID, region: s.Region, screenID: s.ScreenID,
		start: s.StartsAt, end: s.EndsAt, day: localDay(s.StartsAt, st.theatres[s.TheatreID]),
		format: s.Format, language: s.Language,
	}
	st.shows[s.ID] = e
	addTo2(st.byMovie, s.MovieID, e)
	addTo2(st.byTheatre, s.TheatreID, e)
	return nil
}

// deleteShow removes a showtime if present.
func (st *state) deleteShow(id string) {
	e := st.shows[id]
	if e == nil {
		return
	}
	delete(st.shows, id)
	removeFrom2(st.byMovie, e.movieID, id)
	removeFrom2(st.byTheatre, e.theatreID, id)
}

func addTo2(m map[string]map[string]*showEntry, key string, e *showEntry) {
	if m[key] == nil {
		m[key] = map[string]*showEntry{}
	}
	m[key][e.id] = e
}

func removeFrom2(m map[string]map[string]*showEntry, key, id string) {
	delete(m[key], id)
	if len(m[key]) == 0 {
		delete(m, key)
	}
}

// insertBrowse inserts e into the browse-ordered slice b.
func insertBrowse(b []*movieEntry, e *movieEntry) []*movieEntry {
	i := sort.Search(len(b), func(i int) bool { return !browseLess(b[i], e) })
	b = append(b, nil)
	copy(b[i+1:], b[i:])
	b[i] = e
	return b
}

// removeBrowse removes e (when not nil) from the browse-ordered slice b.
func removeBrowse(b []*movieEntry, e *movieEntry) []*movieEntry {
	if e == nil {
		return b
	}
	i := sort.Search(len(b), func(i int) bool { return !browseLess(b[i], e) })
	if i < len(b) && b[i] == e {
		b = append(b[:i], b[i+1:]...)
	}
	return b
}

var locations sync.Map // IANA name -> *time.Location

// loadLocation loads and caches a time zone; the empty name is refused rather than read as UTC.
func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" {
		return nil, errs.E("search.loadLocation", errs.Invalid)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

// haversineKm returns the great-circle distance between a and b in kilometres.
func haversineKm(a, b Point) float64 {
	return regions.DistanceKm(a.Latitude, a.Longitude, b.Latitude, b.Longitude)
}
