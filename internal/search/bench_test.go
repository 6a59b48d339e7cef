package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
)

// genConfig sizes a generated catalog.
type genConfig struct {
	movies, theatres, cities, showsPerTheatre int
	seed                                      uint64
}

var (
	syllables  = strings.Fields("ka lo mi ne ra to vi sha dor len mar tin el ba qu zen fi go pe ru an sel bor kim")
	firstNames = strings.Fields("Anna Ben Chloe David Emma Felix Grace Hugo Iris Jack Kate Liam Mia Noah Olga Paul Rosa Sam Tara Victor")
	genres     = strings.Fields("Action Adventure Animation Comedy Crime Documentary Drama Family Fantasy History Horror Musical Romance Sci-Fi Thriller")
	ratings    = strings.Fields("G PG PG-13 R NC-17")
	languages  = strings.Fields("en fr es de it ja ko hi")
	formats    = []string{"2D", "2D", "2D", "IMAX", "4DX", "Dolby Cinema"}
	amenities  = []string{"IMAX", "4DX", "Dolby Atmos", "Recliners", "Bar", "Accessible", "Parking"}
	zones      = []string{"UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"}
)

// generator draws a deterministic catalog.
type generator struct {
	r      *rand.Rand
	vocab  []string
	people []string
}

func newGenerator(seed uint64, people int) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	seen := map[string]bool{}
	for len(g.vocab) < 3000 {
		w := ""
		for range 2 + g.r.IntN(3) {
			w += syllables[g.r.IntN(len(syllables))]
		}
		if !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	for range people {
		g.people = append(g.people, g.pick(firstNames)+" "+capitalize(g.word()))
	}
	return g
}

func (g *generator) pick(ss []string) string { return ss[g.r.IntN(len(ss))] }
func (g *generator) word() string            { return g.vocab[g.r.IntN(len(g.vocab))] }
func capitalize(w string) string             { return strings.ToUpper(w[:1]) + w[1:] }

func (g *generator) words(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.word()
	}
	return strings.Join(ws, " ")
}

func (g *generator) movie(i int, titles map[string]bool) catalog.Movie {
	title := capitalize(g.words(1 + g.r.IntN(3)))
	for titles[title] {
		title += " " + capitalize(g.word())
	}
	titles[title] = true
	m := catalog.Movie{
		ID: fmt.Sprintf("m%06d", i), Title: title, RuntimeMinutes: 80 + g.r.IntN(100), Rating: g.pick(ratings),
		Language: g.pick(languages), Synopsis: g.words(15 + g.r.IntN(15)),
		ReleaseDate: time.Date(1950+g.r.IntN(76), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC),
	}
	for range 1 + g.r.IntN(3) {
		m.Genres = append(m.Genres, g.pick(genres))
	}
	for range 2 + g.r.IntN(4) {
		m.Cast = append(m.Cast, g.pick(g.people))
	}
	return m
}

// generate returns cfg.movies movies, cfg.theatres theatres spread over cfg.cities cities (within about 15 km
// of each centre) and cfg.showsPerTheatre showtimes per theatre over three days, mostly of the first 3,000
// movies (the ones "playing"), popular ones more often.
func generate(cfg genConfig) ([]catalog.Movie, []TheatreDoc, []catalog.Showtime) {
	g := newGenerator(cfg.seed, max(cfg.movies/3, 10))
	movies, titles := make([]catalog.Movie, cfg.movies), map[string]bool{}
	for i := range movies {
		movies[i] = g.movie(i, titles)
	}
	centres := g.cities(cfg.cities)
	var theatres []TheatreDoc
	var shows []catalog.Showtime
	playing := min(cfg.movies, 3000)
	for i := range cfg.theatres {
		c := i % len(centres)
		theatres = append(theatres, g.theatre(i, c, centres[c]))
		for j := range cfg.showsPerTheatre {
			movieID := movies[g.r.IntN(g.r.IntN(playing)+1)].ID
			shows = append(shows, g.show(fmt.Sprintf("s%07d", i*cfg.showsPerTheatre+j), movieID, theatres[i].Theatre.ID))
		}
	}
	return movies, theatres, shows
}

func (g *generator) cities(n int) []Point {
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{Latitude: -45 + 105*g.r.Float64(), Longitude: -180 + 360*g.r.Float64()}
	}
	return out
}

func (g *generator) theatre(i, city int, centre Point) TheatreDoc {
	lat := centre.Latitude + g.r.NormFloat64()*0.07
	lon := centre.Longitude + g.r.NormFloat64()*0.07/math.Cos(centre.Latitude*math.Pi/180)
	var am []string
	for _, a := range amenities {
		if g.r.IntN(3) == 0 {
			am = append(am, a)
		}
	}
	return TheatreDoc{CityName: "City " + capitalize(g.vocab[city]), Theatre: catalog.Theatre{
		ID: fmt.Sprintf("t%05d", i), CityID: fmt.Sprintf("c%04d", city), Name: capitalize(g.words(2)) + " Cinema",
		Address: fmt.Sprintf("%d %s Street", 1+g.r.IntN(200), capitalize(g.word())), Latitude: lat,
		Longitude: math.Mod(lon+540, 360) - 180, Amenities: am, TimeZone: zones[city%len(zones)],
	}}
}

func (g *generator) show(id, movieID, theatreID string) catalog.Showtime {
	start := testNow.Add(time.Duration(g.r.IntN(72*4)) * 15 * time.Minute)
	lang := ""
	if g.r.IntN(4) == 0 {
		lang = g.pick(languages)
	}
	return catalog.Showtime{ID: id, MovieID: movieID, TheatreID: theatreID, StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), Format: g.pick(formats), Language: lang, Status: catalog.ShowtimeScheduled}
}

// benchData is a built index with what the benchmark queries draw from.
type benchData struct {
	ix             *Index
	movies         []catalog.Movie
	theatres       []TheatreDoc
	buildS, heapMB float64
}

var (
	benchMu    sync.Mutex
	benchCache = map[bool]*benchData{}
)

// benchIndex builds the benchmark index once per size: 100k movies and 10k theatres (10k and 1k with -short).
func benchIndex(b *testing.B) *benchData {
	benchMu.Lock()
	defer benchMu.Unlock()
	if d := benchCache[testing.Short()]; d != nil {
		return d
	}
	cfg := genConfig{movies: 100_000, theatres: 10_000, cities: 200, showsPerTheatre: 20, seed: 1}
	if testing.Short() {
		cfg = genConfig{movies: 10_000, theatres: 1_000, cities: 20, showsPerTheatre: 20, seed: 1}
	}
	movies, theatres, shows := generate(cfg)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := New()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := ix.Build(movies, theatres, shows, nil); err != nil {
		b.Fatal(err)
	}
	d := &benchData{ix: ix, movies: movies, theatres: theatres, buildS: time.Since(start).Seconds()}
	runtime.GC()
	runtime.ReadMemStats(&after)
	d.heapMB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	benchCache[testing.Short()] = d
	return d
}

// benchQuery is one kind of query of the benchmark mix.
type benchQuery struct {
	name string
	run  func(r *rand.Rand) error
}

// BenchmarkSearch runs a mix of queries per iteration and reports, besides build time and heap growth, the
// p50 and p99 latency of each kind.
func BenchmarkSearch(b *testing.B) {
	d := benchIndex(b)
	hits, tries := 0, 0
	queries := d.queries(&hits, &tries)
	lat := make([][]time.Duration, len(queries))
	r := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		for k, q := range queries {
			start := time.Now()
			if err := q.run(r); err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], time.Since(start))
		}
	}
	b.StopTimer()
	b.ReportMetric(d.buildS, "build-s")
	b.ReportMetric(d.heapMB, "heap-MB")
	b.ReportMetric(100*float64(hits)/float64(max(tries, 1)), "typo-found-%")
	for k, q := range queries {
		b.ReportMetric(percentileMs(lat[k], 50), q.name+"-p50-ms")
		b.ReportMetric(percentileMs(lat[k], 99), q.name+"-p99-ms")
	}
}

// queries returns the benchmark mix; the typo queries count in found/tries how often the misspelt movie is
// among the first ten hits.
func (d *benchData) queries(found, tries *int) []benchQuery {
	near := func(r *rand.Rand) *Point {
		p := d.theatres[r.IntN(len(d.theatres))].Theatre
		return &Point{Latitude: p.Latitude + 0.01, Longitude: p.Longitude - 0.01}
	}
	day := func(r *rand.Rand) string { return testNow.AddDate(0, 0, r.IntN(3)).Format(time.DateOnly) }
	return []benchQuery{
		{"geo-filters", func(r *rand.Rand) error {
			_, _, _, err := d.ix.SearchMovies(MovieQuery{Near: near(r), RadiusKm: 20, Genres: []string{genres[r.IntN(len(genres))]},
				Formats: []string{"2D", "IMAX"}, Day: day(r), Now: testNow})
			return err
		}},
		{"now-playing", func(r *rand.Rand) error {
			_, _, _, err := d.ix.SearchMovies(MovieQuery{Near: near(r), RadiusKm: 15, Now: testNow, NowPlayingDays: 7})
			return err
		}},
		{"geo-text", func(r *rand.Rand) error {
			m := d.movies[r.IntN(3000)]
			_, _, _, err := d.ix.SearchMovies(MovieQuery{Query: m.Title, Near: near(r), RadiusKm: 30, Now: testNow})
			return err
		}},
		{"text-typo", func(r *rand.Rand) error {
			m := d.movies[r.IntN(len(d.movies))]
			hits, _, _, err := d.ix.SearchMovies(MovieQuery{Query: misspell(r, m.Title), PageSize: 10})
			*tries++
			if slices.ContainsFunc(hits, func(h MovieHit) bool { return h.Movie.ID == m.ID }) {
				*found++
			}
			return err
		}},
		{"suggest", func(r *rand.Rand) error {
			m := d.movies[r.IntN(len(d.movies))]
			_, err := d.ix.Suggest(m.Title[:min(len(m.Title), 3+r.IntN(4))], near(r), 10)
			return err
		}},
		{"theatres", func(r *rand.Rand) error {
			_, _, err := d.ix.SearchTheatres(TheatreQuery{Near: *near(r), RadiusKm: 10, Amenities: []string{"Bar"}})
			return err
		}},
	}
}

// misspell swaps two adjacent letters of the title's longest word, or deletes one letter of it.
func misspell(r *rand.Rand, title string) string {
	words := strings.Fields(title)
	longest := 0
	for i, w := range words {
		if len(w) > len(words[longest]) {
			longest = i
		}
	}
	w := []byte(words[longest])
	if len(w) < 4 {
		return title
	}
	if i := 1 + r.IntN(len(w)-2); r.IntN(2) == 0 {
		w[i], w[i+1] = w[i+1], w[i]
	} else {
		w = append(w[:i], w[i+1:]...)
	}
	words[longest] = string(w)
	return strings.Join(words, " ")
}

func percentileMs(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return float64(s[max(i, 0)]) / float64(time.Millisecond)
}
