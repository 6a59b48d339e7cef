package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/marqueehq/marquee/internal/catalog"
)

// history generates one history. It is used by one goroutine at a time.
type history struct {
	cat        *hCatalog
	opts       HistoryOptions
	rng        *rand.Rand
	entropy    *rand.ChaCha8 // the random part of IDs
	from, last time.Time     // shows start from from and end by last
	shows      []hShow
	cumWeight  []float64 // running sum of the shows' weights, to draw shows
	users      []hUser
	byRegion   map[string][]int // users by home region
	promos     []hPromo
	credit     map[creditKey][]creditLot
	codeOffset uint64
	charges    int // provider references handed out
	sum        HistorySummary
}

type hShow struct {
	id            string
	screen        *hScreen
	movie         *hMovie
	start, end    time.Time
	format        string
	base, premium int64
	taken         []uint64 // seats sold, by index in screen.seats; nil until the first sale
}

type hUser struct {
	id, email, name, phone, home string
	created                      time.Time
}

type hPromo struct {
	id, chainID, code, description, kind, currency string
	percent, minSeats                              int
	amount                                         int64
	from, until                                    time.Time
	redemptions                                    int
}

// creditKey is a user's store credit in one currency.
type creditKey struct {
	user     int
	currency string
}

// creditLot is store credit a refund granted at a time, and how much of it is left.
type creditLot struct {
	at   time.Time
	left int64
}

func newHistory(cat *hCatalog, opts HistoryOptions) *history {
	seed := uint64(opts.Seed)
	var key [32]byte
	for i := range key {
		key[i] = byte(seed >> (8 * (i % 8)))
		key[i] ^= byte(i * 37)
	}
	h := &history{cat: cat, opts: opts, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		entropy: rand.NewChaCha8(key), byRegion: map[string][]int{}, credit: map[creditKey][]creditLot{}}
	h.last = opts.Now.Add(-48 * time.Hour)
	h.from = opts.Now.AddDate(0, -opts.Months, 0)
	h.codeOffset = h.rng.Uint64()
	for i := range cat.movies {
		cat.movies[i].weight = 0
	}
	for i, p := range h.rng.Perm(len(cat.movies)) {
		cat.movies[p].weight = 1 / math.Pow(float64(i+2), 0.8) // a few hits, a long tail
	}
	return h
}

// id returns a ULID made at t, with a region prefix when prefix is set, so history IDs sort by time.
func (h *history) id(prefix string, t time.Time) string {
	id := ulid.MustNew(ulid.Timestamp(t), h.entropy).String()
	if prefix == "" {
		return id
	}
	return prefix + "_" + id
}

// between returns a time uniformly in [a, b).
func (h *history) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(h.rng.Int64N(int64(b.Sub(a))))).Truncate(time.Microsecond)
}

// schedule makes the shows of every screen: from opening at 11:00-12:50, one after the other with cleaning
// between them until 22:30, every local day of the history, each weighted for how well it sells.
func (h *history) schedule() {
	for _, t := range h.cat.theatres {
		for k, sc := range t.screens {
			h.scheduleScreen(t, sc, k)
		}
	}
	for i, s := range h.shows {
		w := h.showWeight(s)
		if i > 0 {
			w += h.cumWeight[i-1]
		}
		h.cumWeight = append(h.cumWeight, w)
	}
	h.sum.Showtimes = len(h.shows)
	if len(h.shows) > 0 {
		h.sum.From, h.sum.To = h.shows[0].start, h.shows[0].end
		for _, s := range h.shows {
			h.sum.From, h.sum.To = minTime(h.sum.From, s.start), maxTime(h.sum.To, s.end)
		}
	}
}

func (h *history) scheduleScreen(t *hTheatre, sc *hScreen, k int) {
	first := h.from.In(t.loc)
	day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, t.loc)
	for ; day.Before(h.last); day = day.AddDate(0, 0, 1) {
		start := time.Date(day.Year(), day.Month(), day.Day(), 11+h.rng.IntN(2), 10*(k+h.rng.IntN(3)), 0, 0, t.loc)
		for start.Day() == day.Day() && start.Hour()*60+start.Minute() <= 22*60+30 {
			s := h.show(t, sc, k, start.UTC())
			if s.end.After(h.last) || s.start.Before(h.from) {
				break
			}
			h.shows = append(h.shows, s)
			next := s.end.Add(catalog.Cleaning + time.Duration(h.rng.IntN(3))*10*time.Minute)
			start = next.Truncate(10 * time.Minute).Add(10 * time.Minute).In(t.loc)
		}
	}
}

// show returns a show of a random movie on sc at start, priced as the demo prices its shows.
func (h *history) show(t *hTheatre, sc *hScreen, k int, start time.Time) hShow {
	m := &h.cat.movies[h.rng.IntN(len(h.cat.movies))]
	format := "2D"
	if h.rng.IntN(4) == 0 {
		format = "3D"
	}
	if t.imax && k == 0 {
		format = "IMAX"
	}
	scale := scaleOf(t.currency)
	base := scale * int64(1000+50*h.rng.IntN(11))
	premium := base + scale*int64(400+50*h.rng.IntN(5))
	return hShow{id: h.id(t.region.IDPrefix, start.AddDate(0, 0, -28)), screen: sc, movie: m, start: start,
		end: start.Add(catalog.Trailers + m.runtime), format: format, base: base, premium: premium}
}

func scaleOf(currency string) int64 {
	if s := priceScale[currency]; s != 0 {
		return s
	}
	return 1
}

// dayWeights and hourWeight make weekends and evenings sell best.
var dayWeights = [7]float64{time.Sunday: 1.3, time.Monday: 0.6, time.Tuesday: 0.8, time.Wednesday: 0.8,
	time.Thursday: 0.9, time.Friday: 1.5, time.Saturday: 1.8}

func hourWeight(hour int) float64 {
	switch {
	case hour < 14:
		return 0.4
	case hour < 17:
		return 0.8
	case hour < 21:
		return 1.7
	}
	return 1.0
}

func (h *history) showWeight(s hShow) float64 {
	local := s.start.In(s.screen.theatre.loc)
	return dayWeights[local.Weekday()] * hourWeight(local.Hour()) * s.movie.weight
}

// drawShow returns the index of a show drawn by weight.
func (h *history) drawShow() int {
	total := h.cumWeight[len(h.cumWeight)-1]
	return min(sort.SearchFloat64s(h.cumWeight, h.rng.Float64()*total), len(h.shows)-1)
}

// customers makes one customer per 12 bookings (at least 20), homed in the regions in proportion to their
// screens, all registered before the history starts.
func (h *history) customers() {
	n := max(h.opts.Bookings/12, 20)
	var theatres []*hTheatre
	for _, t := range h.cat.theatres {
		for range t.screens {
			theatres = append(theatres, t)
		}
	}
	for i := range n {
		t := theatres[h.rng.IntN(len(theatres))]
		first, last := h.name(t.country)
		u := hUser{home: t.region.Name, name: first + " " + last, phone: h.phone(t.country),
			email:   fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i+1),
			created: h.between(h.from.AddDate(-1, 0, 0), h.from)}
		u.id = h.id("", u.created)
		h.byRegion[u.home] = append(h.byRegion[u.home], len(h.users))
		h.users = append(h.users, u)
	}
	h.sum.Customers = n
}

// userFor returns a customer for a booking in region: mostly one who lives there, sometimes a visitor.
func (h *history) userFor(region string) int {
	local := h.byRegion[region]
	if len(local) > 0 && h.rng.IntN(100) < 85 {
		return local[h.rng.IntN(len(local))]
	}
	return h.rng.IntN(len(h.users))
}

// makePromotions makes, per chain, a percentage code for a few weeks of every quarter, and a fixed discount
// for parties of two or more per currency the chain sells in, valid all along.
func (h *history) makePromotions() {
	for _, chain := range h.cat.chains {
		brand := strings.ToUpper(strings.TrimPrefix(chain, "chain-"))
		for q := time.Date(h.from.Year(), h.from.Month()-(h.from.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC); q.Before(h.last); q = q.AddDate(0, 3, 0) {
			from := q.AddDate(0, 0, h.rng.IntN(21))
			p := hPromo{chainID: chain, kind: "percent", percent: 10 + 5*h.rng.IntN(4), from: from,
				until: from.AddDate(0, 0, 28+h.rng.IntN(29)),
				code:  fmt.Sprintf("%s-%s%02d", brand, seasons[int(q.Month()-1)/3], q.Year()%100)}
			p.description = fmt.Sprintf("%d%% off every seat", p.percent)
			h.addPromo(p)
		}
		for _, cur := range h.currencies(chain) {
			amount := 300 * scaleOf(cur)
			h.addPromo(hPromo{chainID: chain, kind: "fixed", currency: cur, amount: amount, minSeats: 2,
				from: h.from.AddDate(0, 0, -7), until: h.last, code: fmt.Sprintf("%s-DUO-%s", brand, cur),
				description: fmt.Sprintf("%s %d.%02d off a booking of two seats or more", cur, amount/100, amount%100)})
		}
	}
	h.sum.Promotions = len(h.promos)
}

var seasons = [4]string{"WINTER", "SPRING", "SUMMER", "AUTUMN"}

func (h *history) addPromo(p hPromo) {
	p.id = h.id("", p.from.AddDate(0, 0, -7))
	h.promos = append(h.promos, p)
}

// currencies returns the currencies chain's theatres sell in, in theatre order.
func (h *history) currencies(chain string) []string {
	var out []string
	for _, t := range h.cat.theatres {
		if t.chainID == chain && !slices.Contains(out, t.currency) {
			out = append(out, t.currency)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
