package seed

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
	_ "time/tzdata" // the demo's time zones must load even in images without /usr/share/zoneinfo

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

// Summary counts what Demo created.
type Summary struct {
	Regions, Cities, Chains, Theatres, Screens, Seats, Movies, Showtimes int
	// AlreadySeeded is set when the database already had theatres, so Demo created nothing.
	AlreadySeeded bool
}

// demoDays is how many local days of showtimes each theatre gets, starting with today.
const demoDays = 7

// trailers is the time between a showtime's start and its feature's start.
const trailers = 20 * time.Minute

var demoCities = []catalog.City{
	{ID: "new-york", Region: "us-east1", Name: "New York", Country: "US", Latitude: 40.7128, Longitude: -74.0060,
		TimeZone: "America/New_York"},
	{ID: "boston", Region: "us-east1", Name: "Boston", Country: "US", Latitude: 42.3601, Longitude: -71.0589,
		TimeZone: "America/New_York"},
	{ID: "chicago", Region: "us-east1", Name: "Chicago", Country: "US", Latitude: 41.8781, Longitude: -87.6298,
		TimeZone: "America/Chicago"},
	{ID: "london", Region: "europe-west1", Name: "London", Country: "GB", Latitude: 51.5074, Longitude: -0.1278,
		TimeZone: "Europe/London"},
	{ID: "paris", Region: "europe-west1", Name: "Paris", Country: "FR", Latitude: 48.8566, Longitude: 2.3522,
		TimeZone: "Europe/Paris"},
	{ID: "berlin", Region: "europe-west1", Name: "Berlin", Country: "DE", Latitude: 52.5200, Longitude: 13.4050,
		TimeZone: "Europe/Berlin"},
	{ID: "mumbai", Region: "asia-south1", Name: "Mumbai", Country: "IN", Latitude: 19.0760, Longitude: 72.8777,
		TimeZone: "Asia/Kolkata"},
	{ID: "bengaluru", Region: "asia-south1", Name: "Bengaluru", Country: "IN", Latitude: 12.9716,
		Longitude: 77.5946, TimeZone: "Asia/Kolkata"},
}

// demoChains are the operators; a theatre's name is its chain's brand followed by its neighbourhood.
var demoChains = []struct {
	catalog.Chain
	brand string
}{
	{catalog.Chain{ID: "chain-marquee", Name: "Marquee Cinemas"}, "Marquee"},
	{catalog.Chain{ID: "chain-starlight", Name: "Starlight Pictures"}, "Starlight"},
	{catalog.Chain{ID: "chain-lumiere", Name: "Lumière Screens"}, "Lumière"},
}

// demoTheatres are the theatres by city; those marked imax have an IMAX auditorium as Screen 1.
var demoTheatres = []struct {
	city, place, address string
	imax                 bool
}{
	{"new-york", "Chelsea", "212 W 23rd St, New York, NY 10011", true},
	{"new-york", "Williamsburg", "145 Bedford Ave, Brooklyn, NY 11211", false},
	{"new-york", "Upper West Side", "2310 Broadway, New York, NY 10024", false},
	{"new-york", "Astoria", "31-08 Steinway St, Astoria, NY 11103", false},
	{"boston", "Back Bay", "455 Boylston St, Boston, MA 02116", true},
	{"boston", "Seaport", "88 Seaport Blvd, Boston, MA 02210", false},
	{"boston", "Cambridgeside", "120 Hampshire St, Cambridge, MA 02139", false},
	{"chicago", "River North", "600 N Wells St, Chicago, IL 60654", true},
	{"chicago", "Wicker Park", "1548 N Milwaukee Ave, Chicago, IL 60622", false},
	{"chicago", "Hyde Park", "1320 E 53rd St, Chicago, IL 60615", false},
	{"london", "Shoreditch", "48 Great Eastern St, London EC2A 3EP", true},
	{"london", "Southbank", "27 Belvedere Rd, London SE1 8XX", false},
	{"london", "Camden", "112 Parkway, London NW1 7AN", false},
	{"london", "Brixton", "9 Coldharbour Ln, London SW9 8PR", false},
	{"paris", "Bastille", "14 Rue de la Roquette, 75011 Paris", true},
	{"paris", "Montparnasse", "62 Boulevard du Montparnasse, 75015 Paris", false},
	{"paris", "Pigalle", "31 Rue des Martyrs, 75009 Paris", false},
	{"berlin", "Kreuzberg", "Oranienstraße 163, 10969 Berlin", true},
	{"berlin", "Prenzlauer Berg", "Kastanienallee 41, 10119 Berlin", false},
	{"berlin", "Mitte", "Rosenthaler Straße 52, 10178 Berlin", false},
	{"mumbai", "Lower Parel", "Senapati Bapat Marg, Lower Parel, Mumbai 400013", true},
	{"mumbai", "Bandra West", "Linking Road, Bandra West, Mumbai 400050", false},
	{"mumbai", "Andheri", "Veera Desai Road, Andheri West, Mumbai 400053", false},
	{"bengaluru", "Indiranagar", "100 Feet Road, Indiranagar, Bengaluru 560038", true},
	{"bengaluru", "Koramangala", "80 Feet Road, Koramangala, Bengaluru 560034", false},
	{"bengaluru", "Whitefield", "ITPL Main Road, Whitefield, Bengaluru 560066", false},
}

// demoAmenities are the optional amenities a theatre may have besides "imax" and "wheelchair-access", which every
// demo theatre has since every screen has wheelchair spaces.
var demoAmenities = []string{"dolby-atmos", "recliners", "parking", "bar"}

var demoMovies = []struct{ title, language, synopsis string }{
	{"The Lantern Keeper", "en", "A reclusive lighthouse keeper discovers the beam she tends is guiding something other than ships."},
	{"Paper Satellites", "en", "Two rival high-school inventors race to launch a homemade satellite before graduation."},
	{"Midnight at the Rialto", "en", "A projectionist finds that the last reel of an old film changes every night it is shown."},
	{"Iron Orchard", "en", "A family of farmers defends the last working orchard in a drought-stricken valley."},
	{"Quiet Hours", "en", "A night-shift nurse begins to suspect the patients on her ward are not who they say they are."},
	{"The Cartographer's Daughter", "en", "A young mapmaker follows her missing father's notes to an island on no chart."},
	{"Velocity Run", "en", "A disgraced courier gets one night to cross the city with a package everyone wants."},
	{"Sugar and Static", "en", "A washed-up radio host and a teenage baker team up to save a small-town station."},
	{"Northbound", "en", "Three estranged siblings drive their mother's ashes to the Arctic Circle."},
	{"Glass Harbor", "en", "A harbor detective untangles a smuggling ring hidden inside a glassworks."},
	{"The Long Recess", "en", "Fifth graders stage a playground revolution when their school cancels recess."},
	{"Ember Protocol", "en", "A rookie firefighter and an AI dispatcher confront a wildfire that seems to think."},
	{"A Room Above the Bakery", "en", "A widowed pianist rents a room above a bakery and slowly rejoins her neighborhood."},
	{"Starfall Academy", "en", "A clumsy cadet at a school for young astronauts must land a crippled training ship."},
	{"The Ninth Tenant", "en", "Each new tenant of apartment nine vanishes exactly one month after moving in."},
	{"Borrowed Thunder", "en", "A retired stuntman returns for one last impossible jump to pay his granddaughter's tuition."},
	{"Marigold Season", "en", "Two wedding planners fall for each other while running rival weddings at the same venue."},
	{"Under the Salt Flats", "en", "Geologists drilling in a desert salt flat break into a cavern that should not exist."},
	{"Copper Moon", "en", "A heist crew plans to steal a famous coin during a total lunar eclipse."},
	{"Tiny Giants", "en", "A colony of ants must move house before a family picnic turns into a catastrophe."},
	{"Whistle Stop", "en", "A train conductor on her last route before retirement meets passengers from her past."},
	{"The Orbiting Kitchen", "en", "A celebrity chef is sent to cook for the crew of an orbiting research station."},
	{"Les Heures Bleues", "fr", "A photographer returns to her Breton village to capture the blue hour her mother painted."},
	{"Le Jardin d'Hiver", "fr", "An elderly botanist and a runaway teenager tend a winter garden in a Paris greenhouse."},
	{"Rue des Lanternes", "fr", "A Montmartre street musician becomes the unlikely witness to an art forgery."},
	{"Der stille Hafen", "de", "A Baltic ferry captain hides a refugee family aboard through a long winter."},
	{"Zwischen den Gleisen", "de", "A Berlin S-Bahn driver keeps seeing the same stranger on every platform."},
	{"Das Uhrwerk", "de", "A Black Forest clockmaker builds a clock that runs exactly one day ahead."},
	{"El Verano de Lucía", "es", "A girl spends a summer at her grandmother's vineyard uncovering a family secret."},
	{"Cielo de Plomo", "es", "A Madrid reporter investigates a blackout that silenced the city for exactly one hour."},
	{"Monsoon Express", "hi", "A Mumbai dabbawala races the first monsoon flood to deliver one last lunchbox."},
	{"Chandni Raat", "hi", "Two childhood friends reunite in Bengaluru on the night of a rare lunar eclipse."},
}

var (
	demoGenres = []string{"action", "adventure", "animation", "comedy", "crime", "documentary", "drama", "family",
		"fantasy", "horror", "mystery", "romance", "sci-fi", "thriller"}
	demoRatings    = []string{"G", "PG", "PG-13", "R"}
	demoFirstNames = []string{"Ava", "Marcus", "Priya", "Tomás", "Ingrid", "Kofi", "Léa", "Jonah", "Mei", "Rafael",
		"Sofia", "Elliot", "Nadia", "Oskar", "Camille", "Dev"}
	demoLastNames = []string{"Hartwell", "Okafor", "Lindqvist", "Moreau", "Castellanos", "Brennan", "Varga",
		"Nakamura", "Whitlock", "Delacroix", "Albrecht", "Sørensen", "Quinlan", "Adeyemi", "Ferreira", "Kowalski"}
)

// showSlots are the local start times of a screen's showtimes; a day with three showtimes drops the first.
// Screen n starts 10*(n-1) minutes later so a theatre's screens are staggered. Slots are 200 minutes apart, so
// the longest feature (170 minutes plus trailers) ends before the next slot starts.
var showSlots = []struct{ hour, minute int }{{12, 0}, {15, 20}, {18, 40}, {22, 0}}

// demo is one run of Demo: its inputs, the random source and what it has created so far.
type demo struct {
	cat    *store.CatalogStore
	ids    *platform.IDs
	now    time.Time
	rng    *rand.Rand
	cities map[string]catalog.City
	movies []catalog.Movie
	sum    Summary
}

// Demo loads the demo catalog unless the database already has theatres (then it returns
// Summary{AlreadySeeded: true} and changes nothing): the regions, 8 cities, 3 chains, 26 theatres with 2-4 screens
// each, 32 movies, and 3-4 showtimes a day per screen for 7 local days starting with the local day of now,
// leaving out showtimes that start before now. Everything but the IDs is drawn from a fixed random seed, so every
// run creates the same catalog shape. Demo is not atomic: if it fails part way, the rows it wrote stay.
func Demo(ctx context.Context, cat *store.CatalogStore, ids *platform.IDs, now time.Time) (Summary, error) {
	existing, err := cat.ListTheatres(ctx, "")
	if err != nil {
		return Summary{}, fmt.Errorf("seed: list theatres: %w", err)
	}
	if len(existing) > 0 {
		return Summary{AlreadySeeded: true}, nil
	}
	d := &demo{cat: cat, ids: ids, now: now, rng: rand.New(rand.NewPCG(1, 2)), cities: map[string]catalog.City{}}
	for _, step := range []func(context.Context) error{d.regions, d.insertCities, d.insertChains, d.insertMovies,
		d.insertTheatres} {
		if err := step(ctx); err != nil {
			return d.sum, err
		}
	}
	return d.sum, nil
}

func (d *demo) regions(ctx context.Context) error {
	if err := d.cat.EnsureRegions(ctx); err != nil {
		return fmt.Errorf("seed: ensure regions: %w", err)
	}
	d.sum.Regions = len(regions.All())
	return nil
}

func (d *demo) insertCities(ctx context.Context) error {
	for _, c := range demoCities {
		if err := d.cat.InsertCity(ctx, c); err != nil {
			return fmt.Errorf("seed: insert city %s: %w", c.ID, err)
		}
		d.cities[c.ID] = c
		d.sum.Cities++
	}
	return nil
}

func (d *demo) insertChains(ctx context.Context) error {
	for _, c := range demoChains {
		if err := d.cat.InsertChain(ctx, c.Chain); err != nil {
			return fmt.Errorf("seed: insert chain %s: %w", c.ID, err)
		}
		d.sum.Chains++
	}
	return nil
}

func (d *demo) insertMovies(ctx context.Context) error {
	for _, dm := range demoMovies {
		m := catalog.Movie{
			ID:             d.ids.New(),
			Title:          dm.title,
			RuntimeMinutes: 85 + d.rng.IntN(86),
			Genres:         pick(d.rng, demoGenres, 1+d.rng.IntN(2)),
			Rating:         demoRatings[d.rng.IntN(len(demoRatings))],
			Language:       dm.language,
			Synopsis:       dm.synopsis,
			Cast:           d.cast(3 + d.rng.IntN(2)),
			ReleaseDate:    time.Date(2026, time.January, 1+d.rng.IntN(365), 0, 0, 0, 0, time.UTC),
		}
		if err := d.cat.InsertMovie(ctx, m); err != nil {
			return fmt.Errorf("seed: insert movie %q: %w", m.Title, err)
		}
		d.movies = append(d.movies, m)
		d.sum.Movies++
	}
	return nil
}

// cast returns n distinct made-up names.
func (d *demo) cast(n int) []string {
	seen := map[string]bool{}
	names := make([]string, 0, n)
	for len(names) < n {
		name := demoFirstNames[d.rng.IntN(len(demoFirstNames))] + " " + demoLastNames[d.rng.IntN(len(demoLastNames))]
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// pick returns n distinct elements of from, in from's order.
func pick(rng *rand.Rand, from []string, n int) []string {
	chosen := map[int]bool{}
	for _, i := range rng.Perm(len(from))[:n] {
		chosen[i] = true
	}
	out := make([]string, 0, n)
	for i, s := range from {
		if chosen[i] {
			out = append(out, s)
		}
	}
	return out
}

func (d *demo) insertTheatres(ctx context.Context) error {
	for _, dt := range demoTheatres {
		city := d.cities[dt.city]
		region, ok := regions.ByName(city.Region)
		if !ok {
			return fmt.Errorf("seed: city %s: unknown region %q", city.ID, city.Region)
		}
		loc, err := time.LoadLocation(city.TimeZone)
		if err != nil {
			return fmt.Errorf("seed: city %s: %w", city.ID, err)
		}
		chain := demoChains[d.rng.IntN(len(demoChains))]
		t := catalog.Theatre{ID: d.ids.Regional(region.IDPrefix), Region: region.Name, ChainID: chain.ID,
			CityID: city.ID, Name: chain.brand + " " + dt.place, Address: dt.address,
			Latitude:  city.Latitude + (d.rng.Float64()*2-1)*0.03,  // about ±3 km
			Longitude: city.Longitude + (d.rng.Float64()*2-1)*0.04, // about ±3 km at these latitudes
			Amenities: d.amenities(dt.imax), TimeZone: city.TimeZone, Currency: region.Currency}
		if err := d.cat.InsertTheatre(ctx, t); err != nil {
			return fmt.Errorf("seed: insert theatre %q: %w", t.Name, err)
		}
		d.sum.Theatres++
		if err := d.insertScreens(ctx, t, dt.imax, loc); err != nil {
			return err
		}
	}
	return nil
}

// amenities returns "imax" when imax is set, some of demoAmenities, and "wheelchair-access".
func (d *demo) amenities(imax bool) []string {
	var out []string
	if imax {
		out = append(out, "imax")
	}
	for _, a := range demoAmenities {
		if d.rng.IntN(2) == 0 {
			out = append(out, a)
		}
	}
	return append(out, "wheelchair-access")
}

func (d *demo) insertScreens(ctx context.Context, t catalog.Theatre, imax bool, loc *time.Location) error {
	n := 2 + d.rng.IntN(3)
	for k := 0; k < n; k++ {
		sc := catalog.Screen{ID: d.ids.Regional(platform.PrefixOf(t.ID)), Region: t.Region, TheatreID: t.ID,
			Name: fmt.Sprintf("Screen %d", k+1), Seats: d.layout().Seats()}
		if err := d.cat.InsertScreen(ctx, sc); err != nil {
			return fmt.Errorf("seed: insert screen %s of %q: %w", sc.Name, t.Name, err)
		}
		d.sum.Screens++
		d.sum.Seats += len(sc.Seats)
		if err := d.schedule(ctx, t, sc, k, imax && k == 0, loc); err != nil {
			return err
		}
	}
	return nil
}

// layout returns a random auditorium of 10-15 rows of 10-20 seats (100-300 seats), with one aisle, or two in
// rows of 14 seats or more, 2-3 premium rows and 1-2 wheelchair pairs.
func (d *demo) layout() Layout {
	l := Layout{Rows: 10 + d.rng.IntN(6), SeatsPerRow: 10 + d.rng.IntN(11), PremiumRows: 2 + d.rng.IntN(2),
		WheelchairPairs: 1 + d.rng.IntN(2)}
	if l.SeatsPerRow >= 14 {
		l.AisleAfter = []int{l.SeatsPerRow / 4, l.SeatsPerRow - l.SeatsPerRow/4}
	} else {
		l.AisleAfter = []int{l.SeatsPerRow / 2}
	}
	return l
}

// schedule inserts the showtimes of screen sc, the k-th (0-based) of theatre t, for demoDays local days.
// Every showtime is drawn, even those skipped for starting before now, so the catalog's shape does not depend
// on the time of day.
func (d *demo) schedule(ctx context.Context, t catalog.Theatre, sc catalog.Screen, k int, imax bool,
	loc *time.Location) error {
	today := d.now.In(loc)
	for day := 0; day < demoDays; day++ {
		n := 3 + d.rng.IntN(2)
		for _, slot := range showSlots[len(showSlots)-n:] {
			start := time.Date(today.Year(), today.Month(), today.Day()+day, slot.hour, slot.minute+10*k, 0, 0, loc)
			st := d.showtime(t, sc, start.UTC(), imax)
			if start.Before(d.now) {
				continue
			}
			if err := d.cat.InsertShowtime(ctx, st); err != nil {
				return fmt.Errorf("seed: insert showtime of %q at %s: %w", t.Name, start.Format(time.RFC3339), err)
			}
			d.sum.Showtimes++
		}
	}
	return nil
}

// priceScale turns the demo's prices (10.00-15.00 in USD or EUR) into a currency of smaller units: ₹200-300.
var priceScale = map[string]int64{"INR": 20}

// showtime returns a scheduled showtime of a random movie on sc starting at start. IMAX screens show IMAX; other
// screens show one showtime in four in 3D.
func (d *demo) showtime(t catalog.Theatre, sc catalog.Screen, start time.Time, imax bool) catalog.Showtime {
	m := d.movies[d.rng.IntN(len(d.movies))]
	format := "2D"
	if d.rng.IntN(4) == 0 {
		format = "3D"
	}
	if imax {
		format = "IMAX"
	}
	scale := priceScale[t.Currency]
	if scale == 0 {
		scale = 1
	}
	base := scale * int64(1000+50*d.rng.IntN(11))
	return catalog.Showtime{ID: d.ids.Regional(platform.PrefixOf(t.ID)), Region: t.Region, MovieID: m.ID,
		TheatreID: t.ID, ScreenID: sc.ID, StartsAt: start,
		EndsAt: start.Add(time.Duration(m.RuntimeMinutes)*time.Minute + trailers),
		Format: format, Language: m.Language, Currency: t.Currency, BasePriceMinor: base,
		PremiumPriceMinor: base + scale*int64(400+50*d.rng.IntN(5)), Status: catalog.ShowtimeScheduled}
}

// PrepareOptions say what Prepare loads besides the migrations and regions.
type PrepareOptions struct {
	Demo bool // load the demo catalog into a database without theatres
	// History loads DevHistory's past bookings of the demo catalog (with Demo) into a database without a
	// history: `marquee dev` does, tests and single-process runs do not unless asked (it takes seconds).
	History bool
	Now     time.Time
	Log     *slog.Logger
}

// DevHistory returns the history `marquee dev` loads: 18 months of shows ending before now and 50,000
// bookings of them in every region, from a fixed seed.
func DevHistory(now time.Time) HistoryOptions {
	return HistoryOptions{Now: now, Months: 18, Bookings: 50_000, Seed: 1}
}

// Prepare readies a database for serving (store.DB.Prepare: migrations and regions) and, with
// o.Demo set, loads the demo catalog as Demo does, then with o.History its history as History does, logging
// what it loaded (nothing when it was there already).
func Prepare(ctx context.Context, db *store.DB, o PrepareOptions) error {
	if err := db.Prepare(ctx); err != nil || !o.Demo {
		return err
	}
	start := time.Now()
	sum, err := Demo(ctx, db.Catalog(), db.IDs, o.Now)
	if err != nil {
		return err
	}
	if !sum.AlreadySeeded {
		o.Log.Info("loaded demo catalog", "cities", sum.Cities, "theatres", sum.Theatres, "movies", sum.Movies,
			"showtimes", sum.Showtimes, "took", time.Since(start).Round(time.Millisecond))
	}
	if !o.History {
		return nil
	}
	start = time.Now()
	hist, err := History(ctx, db, DevHistory(o.Now))
	if err == nil && !hist.AlreadySeeded {
		o.Log.Info("loaded booking history", "customers", hist.Customers, "showtimes", hist.Showtimes,
			"bookings", hist.Bookings, "seats", hist.Seats, "payments", hist.Payments, "cancelled", hist.Cancelled,
			"partly_cancelled", hist.PartlyCancelled, "from", hist.From.Format(time.DateOnly),
			"to", hist.To.Format(time.DateOnly), "took", time.Since(start).Round(time.Millisecond))
	}
	return err
}
