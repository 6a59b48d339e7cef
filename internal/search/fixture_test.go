package search

import (
	"sort"
	"testing"
	"time"

	_ "time/tzdata" // the fixture's time zones, whatever the machine has installed

	"github.com/marqueehq/marquee/internal/catalog"
)

// testNow is the fixed clock of the fixture: Sunday 1 June 2025, 08:00 UTC.
var testNow = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// Places used by the tests.
var (
	chatelet    = Point{Latitude: 48.8584, Longitude: 2.3470}   // central Paris
	timesSquare = Point{Latitude: 40.7580, Longitude: -73.9855} // central Manhattan
)

func movie(id, title, released, rating, lang string, genres, cast []string, synopsis string) catalog.Movie {
	d, err := time.Parse(time.DateOnly, released)
	if err != nil {
		panic(err)
	}
	return catalog.Movie{
		ID: id, Title: title, RuntimeMinutes: 120, Genres: genres, Rating: rating, Language: lang,
		Synopsis: synopsis, Cast: cast, ReleaseDate: d,
	}
}

func ss(s ...string) []string { return s }

// fixtureMovies are 30 movies; several share cast members, some have accents, some near-identical titles.
func fixtureMovies() []catalog.Movie {
	return []catalog.Movie{
		movie("m-inception", "Inception", "2010-07-16", "PG-13", "en", ss("Sci-Fi", "Thriller"),
			ss("Leonardo DiCaprio", "Joseph Gordon-Levitt", "Elliot Page", "Tom Hardy"),
			"A thief who steals corporate secrets through dream-sharing technology is given one last job."),
		movie("m-amelie", "Amélie", "2001-04-25", "R", "fr", ss("Comedy", "Romance"),
			ss("Audrey Tautou", "Mathieu Kassovitz"),
			"A shy waitress in Montmartre decides to change the lives of those around her for the better."),
		movie("m-matrix", "The Matrix", "1999-03-31", "R", "en", ss("Sci-Fi", "Action"),
			ss("Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"),
			"A hacker learns that the world he lives in is a simulation and joins the rebellion against its machines."),
		movie("m-reloaded", "Matrix Reloaded", "2003-05-15", "R", "en", ss("Sci-Fi", "Action"),
			ss("Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"),
			"Neo and the rebel leaders have 72 hours until the machines reach Zion."),
		movie("m-wick", "John Wick", "2014-10-24", "R", "en", ss("Action", "Thriller"),
			ss("Keanu Reeves", "Michael Nyqvist"),
			"An ex-hitman comes out of retirement to track down the gangsters who took everything from him."),
		movie("m-revenant", "The Revenant", "2015-12-25", "R", "en", ss("Drama", "Adventure"),
			ss("Leonardo DiCaprio", "Tom Hardy"),
			"A frontiersman on a fur trading expedition fights for survival after being left for dead."),
		movie("m-titanic", "Titanic", "1997-12-19", "PG-13", "en", ss("Drama", "Romance"),
			ss("Leonardo DiCaprio", "Kate Winslet"),
			"A seventeen-year-old aristocrat falls in love with a kind but poor artist aboard the ill-fated liner."),
		movie("m-dunkirk", "Dunkirk", "2017-07-21", "PG-13", "en", ss("War", "Drama"),
			ss("Fionn Whitehead", "Tom Hardy", "Cillian Murphy"),
			"Allied soldiers are surrounded by the German army and evacuated during a fierce battle in 1940."),
		movie("m-oppenheimer", "Oppenheimer", "2023-07-21", "R", "en", ss("Drama", "History"),
			ss("Cillian Murphy", "Emily Blunt", "Matt Damon"),
			"The story of the physicist who led the project that developed the atomic bomb."),
		movie("m-interstellar", "Interstellar", "2014-11-07", "PG-13", "en", ss("Sci-Fi", "Drama"),
			ss("Matthew McConaughey", "Anne Hathaway", "Jessica Chastain"),
			"Explorers travel through a wormhole in space to ensure humanity's survival."),
		movie("m-parasite", "Parasite", "2019-05-30", "R", "ko", ss("Thriller", "Drama"),
			ss("Song Kang-ho", "Cho Yeo-jeong"),
			"Greed and class discrimination threaten the newly formed bond between a wealthy family and a poor clan."),
		movie("m-spirited", "Spirited Away", "2001-07-20", "PG", "ja", ss("Animation", "Fantasy"),
			ss("Rumi Hiiragi", "Miyu Irino"),
			"A sullen ten-year-old girl wanders into a world ruled by gods, witches and spirits."),
		movie("m-intouchables", "Intouchables", "2011-11-02", "R", "fr", ss("Comedy", "Drama"),
			ss("François Cluzet", "Omar Sy"),
			"After an accident, a wealthy aristocrat hires a young man from the projects to be his caregiver."),
		movie("m-haine", "La Haine", "1995-05-31", "R", "fr", ss("Drama", "Crime"),
			ss("Vincent Cassel", "Hubert Koundé", "Saïd Taghmaoui"),
			"Twenty-four hours in the lives of three young men in the suburbs, the day after a riot and a thrown stone."),
		movie("m-portrait", "Portrait de la jeune fille en feu", "2019-09-18", "R", "fr", ss("Drama", "Romance"),
			ss("Noémie Merlant", "Adèle Haenel"),
			"On an isolated island in Brittany at the end of the eighteenth century, a painter is commissioned."),
		movie("m-dune", "Dune", "2021-10-22", "PG-13", "en", ss("Sci-Fi", "Adventure"),
			ss("Timothée Chalamet", "Zendaya", "Rebecca Ferguson"),
			"A noble family becomes embroiled in a war for control over the most valuable asset of the galaxy."),
		movie("m-dune2", "Dune: Part Two", "2024-03-01", "PG-13", "en", ss("Sci-Fi", "Adventure"),
			ss("Timothée Chalamet", "Zendaya", "Austin Butler"),
			"Paul Atreides unites with the Fremen while on a warpath of revenge."),
		movie("m-wonka", "Wonka", "2023-12-15", "PG", "en", ss("Family", "Fantasy"),
			ss("Timothée Chalamet", "Calah Lane"),
			"The story of how the world's greatest inventor, magician and chocolate maker became who he is."),
		movie("m-barbie", "Barbie", "2023-07-21", "PG-13", "en", ss("Comedy", "Fantasy"),
			ss("Margot Robbie", "Ryan Gosling"),
			"A doll living in Barbieland is expelled for not being perfect enough and sets off for the real world."),
		movie("m-lalaland", "La La Land", "2016-12-09", "PG-13", "en", ss("Musical", "Romance"),
			ss("Ryan Gosling", "Emma Stone"),
			"A pianist and an actress fall in love while attempting to reconcile their aspirations."),
		movie("m-drive", "Drive", "2011-09-16", "R", "en", ss("Crime", "Drama"),
			ss("Ryan Gosling", "Carey Mulligan"),
			"A mysterious Hollywood stuntman and mechanic moonlights as a getaway driver."),
		movie("m-poorthings", "Poor Things", "2023-12-08", "R", "en", ss("Comedy", "Sci-Fi"),
			ss("Emma Stone", "Mark Ruffalo"),
			"The incredible tale of the fantastical evolution of Bella Baxter, brought back to life by a scientist."),
		movie("m-gravity", "Gravity", "2013-10-04", "PG-13", "en", ss("Sci-Fi", "Thriller"),
			ss("Sandra Bullock", "George Clooney"),
			"Two astronauts work together to survive after an accident leaves them stranded in space."),
		movie("m-roma", "Roma", "2018-11-21", "R", "es", ss("Drama"),
			ss("Yalitza Aparicio", "Marina de Tavira"),
			"A year in the life of a middle-class family's maid in Mexico City in the early 1970s."),
		movie("m-coco", "Coco", "2017-11-22", "PG", "en", ss("Animation", "Family"),
			ss("Anthony Gonzalez", "Gael García Bernal"),
			"Aspiring musician Miguel enters the Land of the Dead to find his great-great-grandfather."),
		movie("m-up", "Up", "2009-05-29", "PG", "en", ss("Animation", "Adventure"),
			ss("Ed Asner", "Jordan Nagai"),
			"An old widower ties thousands of balloons to his house and flies away to South America."),
		movie("m-jaws", "Jaws", "1975-06-20", "PG", "en", ss("Thriller", "Adventure"),
			ss("Roy Scheider", "Robert Shaw"),
			"A police chief, a marine biologist and a fisherman hunt a man-eating shark."),
		movie("m-alien", "Alien", "1979-05-25", "R", "en", ss("Horror", "Sci-Fi"),
			ss("Sigourney Weaver", "Tom Skerritt"),
			"The crew of a commercial spacecraft encounters a deadly lifeform after investigating a transmission."),
		movie("m-aliens", "Aliens", "1986-07-18", "R", "en", ss("Action", "Sci-Fi"),
			ss("Sigourney Weaver", "Michael Biehn"),
			"Ripley returns to the planet with a unit of space marines."),
		movie("m-stone", "Romancing the Stone", "1984-03-30", "PG", "en", ss("Adventure", "Romance"),
			ss("Michael Douglas", "Kathleen Turner"),
			"A romance novelist sets off to Colombia to ransom her kidnapped sister."),
	}
}

func theatre(id, city, name, address, tz string, lat, lon float64, amenities ...string) TheatreDoc {
	cityID := map[string]string{"Paris": "c-par", "London": "c-lon", "New York": "c-nyc"}[city]
	return TheatreDoc{CityName: city, Theatre: catalog.Theatre{
		ID: id, Region: "r1", ChainID: "ch1", CityID: cityID, Name: name, Address: address,
		Latitude: lat, Longitude: lon, Amenities: amenities, TimeZone: tz, Currency: "EUR",
	}}
}

// fixtureTheatres are ten theatres in Paris, London and New York, at their real coordinates.
func fixtureTheatres() []TheatreDoc {
	const par, lon, nyc = "Europe/Paris", "Europe/London", "America/New_York"
	return []TheatreDoc{
		theatre("t-rex", "Paris", "Le Grand Rex", "1 Boulevard Poissonnière", par, 48.8707, 2.3475, "Dolby Atmos", "Bar"),
		theatre("t-odeon", "Paris", "UGC Odéon", "124 Boulevard Saint-Germain", par, 48.8517, 2.3397, "Accessible"),
		theatre("t-villette", "Paris", "Pathé La Villette", "30 Avenue Corentin Cariou", par, 48.8950, 2.3880,
			"IMAX", "4DX", "Accessible"),
		theatre("t-versailles", "Paris", "Pathé Versailles", "Place de la Gare", par, 48.8014, 2.1301, "Accessible"),
		theatre("t-bfi", "London", "BFI IMAX", "1 Charlie Chaplin Walk", lon, 51.5045, -0.1130, "IMAX"),
		theatre("t-leicester", "London", "Odeon Luxe Leicester Square", "Leicester Square", lon, 51.5103, -0.1301,
			"Dolby Atmos", "Recliners"),
		theatre("t-ritzy", "London", "Ritzy Picturehouse", "Brixton Oval", lon, 51.4613, -0.1156, "Bar"),
		theatre("t-lincoln", "New York", "AMC Lincoln Square 13", "1998 Broadway", nyc, 40.7754, -73.9822,
			"IMAX", "Recliners"),
		theatre("t-angelika", "New York", "Angelika Film Center", "18 West Houston Street", nyc, 40.7255, -73.9973, "Bar"),
		theatre("t-metrograph", "New York", "Metrograph", "7 Ludlow Street", nyc, 40.7147, -73.9892, "Bar"),
	}
}

// show builds a showtime starting at local (YYYY-MM-DD HH:MM) in the theatre's time zone.
func show(id, movieID, theatreID, local, format, lang string) catalog.Showtime {
	tz := map[string]string{"t-rex": "Europe/Paris", "t-odeon": "Europe/Paris", "t-villette": "Europe/Paris",
		"t-versailles": "Europe/Paris", "t-bfi": "Europe/London", "t-leicester": "Europe/London",
		"t-ritzy": "Europe/London"}[theatreID]
	if tz == "" {
		tz = "America/New_York"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	start, err := time.ParseInLocation("2006-01-02 15:04", local, loc)
	if err != nil {
		panic(err)
	}
	return catalog.Showtime{
		ID: id, Region: "r1", MovieID: movieID, TheatreID: theatreID, ScreenID: theatreID + "-1",
		StartsAt: start, EndsAt: start.Add(2 * time.Hour), Format: format, Language: lang, Currency: "EUR",
		BasePriceMinor: 1200, PremiumPriceMinor: 1800, Status: catalog.ShowtimeScheduled,
	}
}

// fixtureShowtimes run from 30 May to 10 June 2025. Amélie's Paris showings are a late one (00:30 on 2 June,
// still 1 June in UTC) and one on 3 June.
func fixtureShowtimes() []catalog.Showtime {
	cancelled := show("s-jaws", "m-jaws", "t-bfi", "2025-06-01 18:00", "IMAX", "")
	cancelled.Status = catalog.ShowtimeCancelled
	return []catalog.Showtime{
		show("s-inc-villette", "m-inception", "t-villette", "2025-06-01 20:00", "IMAX", "en"),
		show("s-inc-rex", "m-inception", "t-rex", "2025-06-02 18:00", "2D", "fr"),
		show("s-ame-rex", "m-amelie", "t-rex", "2025-06-02 00:30", "2D", ""),
		show("s-ame-odeon", "m-amelie", "t-odeon", "2025-06-03 14:00", "2D", "fr"),
		show("s-dune2-villette", "m-dune2", "t-villette", "2025-06-01 21:00", "IMAX", "en"),
		show("s-dune2-4dx", "m-dune2", "t-villette", "2025-06-03 19:00", "4DX", "en"),
		show("s-intou-vers", "m-intouchables", "t-versailles", "2025-06-01 16:00", "2D", "fr"),
		show("s-opp-rex", "m-oppenheimer", "t-rex", "2025-06-02 20:00", "2D", "en"),
		show("s-opp-bfi", "m-oppenheimer", "t-bfi", "2025-06-01 19:00", "IMAX", "en"),
		show("s-matrix-leic", "m-matrix", "t-leicester", "2025-06-01 21:00", "2D", "en"),
		show("s-barbie-ritzy", "m-barbie", "t-ritzy", "2025-06-02 15:00", "2D", "en"),
		show("s-dune2-bfi", "m-dune2", "t-bfi", "2025-06-02 20:00", "IMAX", "en"),
		show("s-inc-leic", "m-inception", "t-leicester", "2025-06-03 18:00", "Dolby Cinema", "en"),
		show("s-inc-lincoln", "m-inception", "t-lincoln", "2025-06-01 19:00", "IMAX", "en"),
		show("s-barbie-ang", "m-barbie", "t-angelika", "2025-06-01 17:00", "2D", "en"),
		show("s-poor-metro", "m-poorthings", "t-metrograph", "2025-06-02 21:00", "2D", "en"),
		show("s-para-metro", "m-parasite", "t-metrograph", "2025-06-03 20:00", "2D", "ko"),
		show("s-opp-lincoln", "m-oppenheimer", "t-lincoln", "2025-06-10 19:00", "IMAX", "en"),
		show("s-titanic-ang", "m-titanic", "t-angelika", "2025-05-30 20:00", "2D", "en"),
		cancelled,
	}
}

// newTestIndex returns an Index built from the fixture, closed when the test ends.
func newTestIndex(t *testing.T) *Index {
	t.Helper()
	ix, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	if err := ix.Build(fixtureMovies(), fixtureTheatres(), fixtureShowtimes(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// movieIDs returns the IDs of hits, in order (nil for none).
func movieIDs(hits []MovieHit) []string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Movie.ID)
	}
	return ids
}

// sorted returns a sorted copy of ids.
func sorted(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

// mustSearchMovies runs q and fails the test on error.
func mustSearchMovies(t *testing.T, ix *Index, q MovieQuery) ([]MovieHit, Facets, string) {
	t.Helper()
	hits, facets, next, err := ix.SearchMovies(q)
	if err != nil {
		t.Fatalf("SearchMovies(%+v): %v", q, err)
	}
	return hits, facets, next
}
