package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestServesTheBundleAndItsRoutes checks the built app: assets by path with a long cache, the index page (with
// its CSP, never cached stale) for the app's own routes, 404 for missing files, and no writes.
func TestServesTheBundleAndItsRoutes(t *testing.T) {
	h := handler(fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>Marquee</title>")},
		"assets/main-AB.js":  {Data: []byte("console.log(1)")},
		"assets/main-AB.css": {Data: []byte("body{}")},
	})
	res, body := get(t, h, http.MethodGet, "/assets/main-AB.js")
	if res.StatusCode != http.StatusOK || body != "console.log(1)" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d %q %q", res.StatusCode, body, res.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/", "/movie/m_dune", "/checkout/use1_h1", "/index.html"} {
		res, body := get(t, h, http.MethodGet, p)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "<title>Marquee</title>") {
			t.Errorf("GET %s: %d %q, want the index page", p, res.StatusCode, body)
		}
		if res.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s headers: %v", p, res.Header)
		}
	}
	if res, _ := get(t, h, http.MethodGet, "/assets/gone.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %d, want 404", res.StatusCode)
	}
	if res, _ := get(t, h, http.MethodPost, "/"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
}

// TestWithoutTheBundleSaysHowToBuildIt checks that a binary built without `make web` answers with how to build
// the UI.
func TestWithoutTheBundleSaysHowToBuildIt(t *testing.T) {
	res, body := get(t, handler(fstest.MapFS{".gitkeep": {}}), http.MethodGet, "/movie/x")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make web") {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
}

// TestAssetsGoGzippedToBrowsersThatAcceptIt checks that a hashed asset is sent as its gzipped twin with the
// right type and encoding when the client accepts gzip, and as it is otherwise.
func TestAssetsGoGzippedToBrowsersThatAcceptIt(t *testing.T) {
	h := handler(fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html>")},
		"assets/main-AB.js":    {Data: []byte("plain")},
		"assets/main-AB.js.gz": {Data: []byte("gzipped")},
	})
	for _, tc := range []struct {
		accept, body, encoding string
	}{{"gzip, deflate, br", "gzipped", "gzip"}, {"br;q=1.0, gzip;q=0.8", "gzipped", "gzip"}, {"", "plain", ""},
		{"br", "plain", ""}, {"gzip;q=0", "plain", ""}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/assets/main-AB.js", nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		h.ServeHTTP(rec, req)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if string(body) != tc.body || res.Header.Get("Content-Encoding") != tc.encoding ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: %q, headers %v", tc.accept, body, res.Header)
		}
	}
}
