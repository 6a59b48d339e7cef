package webtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the city's time zone must load on machines without /usr/share/zoneinfo
	"unicode"

	"connectrpc.com/connect"
	"github.com/chromedp/chromedp/kb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// demoShow is a showtime of the demo catalog the browsing tests walk to.
type demoShow struct {
	show *marqueev1.Showtime
	// typo is the movie's title with one letter left out of its longest word: search must still find it.
	typo string
	// dayTab is the movie page's day tab the showtime is under (0 is today, in the city's time zone).
	dayTab int
}

// findDemoShow returns the first showtime in the city at least three hours ahead (so it can be booked and
// cancelled with a refund) whose title has a word long enough to misspell, skipping the movies in skip.
func findDemoShow(t testing.TB, c *client, skip ...string) demoShow {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 7 {
		day := now.Add(time.Duration(i) * 24 * time.Hour).In(loc).Format(time.DateOnly)
		res := must[marqueev1.ListShowtimesResponse](t, "ListShowtimes "+day)(c.catalog.ListShowtimes(context.Background(),
			connect.NewRequest(&marqueev1.ListShowtimesRequest{City: city, Day: day, PageSize: 100})))
		for _, st := range res.Showtimes {
			if st.StartsAt.AsTime().Before(now.Add(3*time.Hour)) || slices.Contains(skip, st.MovieId) || st.TheatreId == theatreID {
				continue
			}
			if typo, ok := misspell(st.MovieTitle); ok {
				return demoShow{show: st, typo: typo, dayTab: i}
			}
		}
	}
	t.Fatalf("no demo showtime in %s at least 3 hours ahead in the next 7 days", city)
	return demoShow{}
}

// misspell drops a letter from the middle of the title's longest word when it has at least 5 letters.
func misspell(title string) (string, bool) {
	words := strings.Fields(title)
	best := -1
	for i, w := range words {
		if len(w) >= 5 && isASCIILetters(w) && (best < 0 || len(w) > len(words[best])) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	w := words[best]
	words[best] = w[:len(w)/2] + w[len(w)/2+1:]
	return strings.ToLower(strings.Join(words, " ")), true
}

func isASCIILetters(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// bestSeats asks the API for the best n seats of a showtime (together, no lone seat left).
func bestSeats(t testing.TB, c *client, showtime string, n int32) []string {
	t.Helper()
	res := must[marqueev1.BestAvailableResponse](t, "BestAvailable")(c.seats.BestAvailable(context.Background(),
		connect.NewRequest(&marqueev1.BestAvailableRequest{ShowtimeId: showtime, Count: n})))
	if len(res.SeatIds) != int(n) {
		t.Fatalf("BestAvailable(%d) = %v", n, res.SeatIds)
	}
	return res.SeatIds
}

// search types the demo show's misspelt title into the search box and waits for its movie to come first in the
// results; it closes the suggestions if they cover them, and returns the selector of the result's link.
func search(t testing.TB, ctx context.Context, demo demoShow) string {
	t.Helper()
	typeInto(t, ctx, "#q", demo.typo)
	movieLink := fmt.Sprintf(`ul.movies li:first-child h2 a[href="/movie/%s"]`, demo.show.MovieId)
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf("%q first in the results for %q", demo.show.MovieTitle, demo.typo),
		fmt.Sprintf(`document.querySelector(%s)`, js(movieLink)))
	if eval[bool](t, ctx, `!document.querySelector("#suggestions").hidden`) {
		press(t, ctx, kb.Escape)
		waitJS(t, ctx, 2*time.Second, "the suggestions closed, the search kept",
			fmt.Sprintf(`document.querySelector("#suggestions").hidden && document.querySelector("#q").value === %s`, js(demo.typo)))
	}
	return movieLink
}
