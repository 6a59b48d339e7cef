package webtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// firstLoadBudget is the most the first load (the page, its scripts and its styles) may weigh gzipped.
const firstLoadBudget = 200 << 10

// TestFirstLoadUnder200KB loads the home page in the browser, takes the document and every script and style
// sheet it fetched, and weighs them gzipped as the edge sends them (gzipping them here, at the default level,
// when the edge sends them uncompressed).
func TestFirstLoadUnder200KB(t *testing.T) {
	s := env(t)
	ctx := s.tab(t, "first load")
	s.open(t, ctx, "/")
	waitHeading(t, ctx, "Find a movie near you")
	urls := eval[[]string](t, ctx, `[location.href, ...performance.getEntriesByType("resource")
		.filter((e) => ["script", "link", "css"].includes(e.initiatorType)).map((e) => e.name)]`)
	refs := eval[[]string](t, ctx, `[...document.querySelectorAll('script[src], link[rel="stylesheet"]')].map((e) => e.src || e.href)`)
	for _, r := range refs {
		if !slices.Contains(urls, r) {
			t.Errorf("the page references %s but the browser did not fetch it", r)
		}
	}
	total := 0
	for _, u := range urls {
		n, how := gzippedSize(t, u)
		t.Logf("%7d B gzipped (%s)  %s", n, how, strings.TrimPrefix(u, s.url))
		total += n
	}
	t.Logf("first load: %d files, %.1f KB gzipped (budget %d KB)", len(urls), float64(total)/1024, firstLoadBudget>>10)
	if len(urls) < 3 {
		t.Errorf("first load fetched %v; want the page, its script and its style sheet", urls)
	}
	if total > firstLoadBudget {
		t.Errorf("first load is %.1f KB gzipped, over the %d KB budget", float64(total)/1024, firstLoadBudget>>10)
	}
}

// gzippedSize fetches u asking for gzip and returns its size on the wire if the server gzipped it, else the
// size of its body gzipped here.
func gzippedSize(t testing.TB, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the client leaves the body compressed
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", u, res.Status, err)
	}
	if res.Header.Get("Content-Encoding") == "gzip" {
		return len(body), "by the edge"
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return buf.Len(), fmt.Sprintf("here; the edge sent %d B uncompressed", len(body))
}

// streamProbe records in the page when each chunk of a response stream arrives (window.__chunks). It runs
// before the app's own scripts, so that it sees every read of the seat map's stream from the first.
const streamProbe = `(() => {
	window.__chunks = [];
	const read = ReadableStreamDefaultReader.prototype.read;
	ReadableStreamDefaultReader.prototype.read = function () {
		return read.call(this).then((r) => { if (!r.done) window.__chunks.push(performance.now()); return r; });
	};
})()`

// renderProbe records, once armed with a seat and the status its name must end with, the time at which the
// seat map shows it, after the page's style and layout are brought up to date (window.__rendered).
const renderProbe = `(() => {
	window.__arm = (selector, suffix) => {
		window.__rendered = 0;
		window.__want = [selector, suffix];
		window.__from = performance.now();
	};
	new MutationObserver(() => {
		if (!window.__want || window.__rendered) return;
		const [selector, suffix] = window.__want;
		if (!document.querySelector(selector)?.getAttribute("aria-label").endsWith(suffix)) return;
		void document.body.offsetHeight;
		window.__rendered = performance.now();
	}).observe(document.getElementById("app"), {subtree: true, childList: true, attributes: true});
	return true;
})()`

// renderTook is how long the last armed change took from the stream's last chunk before it to the map
// showing it.
const renderTook = `(() => {
	const chunks = window.__chunks.filter((c) => c >= window.__from && c <= window.__rendered);
	return chunks.length ? window.__rendered - chunks[chunks.length - 1] : -1;
})()`

// BenchmarkSeatMapRender opens a 300-seat showtime's live seat map and, per op, has another user hold or release
// a seat through the API; the page measures (performance.now()) from the seat-map update's arrival on the
// stream to the map re-rendered with that seat changed, layout included. ns/op is that render time.
func BenchmarkSeatMapRender(b *testing.B) {
	s := env(b)
	c := s.api()
	st := s.showtime(b, "Bench 300", layoutRows(15, 20, 10))
	if n := len(seatMap(b, c, st.Id)); n != 300 {
		b.Fatalf("showtime has %d seats, want 300", n)
	}
	ctx := s.tab(b, "bench")
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: streamProbe}); err != nil {
		b.Fatal(err)
	}
	s.open(b, ctx, "/showtime/"+st.Id)
	waitSeatMap(b, ctx)
	eval[bool](b, ctx, renderProbe)
	token := register(b, c, newEmail("bench"))
	sel := js(seat("H", 10))
	var total, worst time.Duration
	var heldID string
	ops := 0
	for b.Loop() {
		suffix := ", taken"
		if heldID != "" {
			suffix = ", free"
		}
		eval[bool](b, ctx, fmt.Sprintf(`(window.__arm(%s, %s), true)`, sel, js(suffix)))
		heldID = toggleSeat(b, c, token, st.Id, heldID)
		waitJS(b, ctx, 10*time.Second, "the seat map re-rendered", `window.__rendered > 0`)
		ms := eval[float64](b, ctx, renderTook)
		if ms < 0 {
			b.Fatalf("no stream chunk arrived before the re-render (op %d): %s", ops,
				eval[string](b, ctx, `JSON.stringify({from: window.__from, rendered: window.__rendered, chunks: window.__chunks.slice(-6)})`))
		}
		took := time.Duration(ms * float64(time.Millisecond))
		total += took
		worst = max(worst, took)
		ops++
	}
	// The in-page render time replaces the wall time per op (which includes the API call and the stream).
	b.ReportMetric(float64(total.Nanoseconds())/float64(ops), "ns/op")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}

// toggleSeat holds H10 for the user when held is empty and returns the hold's ID; otherwise it releases the
// hold held and returns "".
func toggleSeat(b *testing.B, c *client, token, showtime, held string) string {
	b.Helper()
	ctx := context.Background()
	if held == "" {
		h := must[marqueev1.HoldSeatsResponse](b, "HoldSeats")(c.seats.HoldSeats(ctx, as(token,
			&marqueev1.HoldSeatsRequest{ShowtimeId: showtime, SeatIds: []string{"H10"}})))
		return h.Hold.Id
	}
	must[marqueev1.ReleaseHoldResponse](b, "ReleaseHold")(c.seats.ReleaseHold(ctx, as(token,
		&marqueev1.ReleaseHoldRequest{HoldId: held})))
	return ""
}
