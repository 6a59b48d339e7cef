package rpc

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWithCORS: a listed origin's preflight is answered with Connect's headers allowed, another origin gets
// no CORS headers (so the browser refuses), and with no origins the handler is same-origin only.
func TestWithCORS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	preflight := func(h http.Handler, origin string) http.Header {
		req := httptest.NewRequest(http.MethodOptions, "/marquee.v1.CatalogService/ListCities", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		// Browsers send the list lower-cased and sorted (Fetch), which rs/cors expects.
		req.Header.Set("Access-Control-Request-Headers", "authorization,connect-protocol-version,content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result().Header
	}
	h := WithCORS(ok, []string{"https://tickets.example.com"})
	got := preflight(h, "https://tickets.example.com")
	if got.Get("Access-Control-Allow-Origin") != "https://tickets.example.com" || got.Get("Access-Control-Allow-Headers") == "" {
		t.Errorf("allowed origin's preflight: %v", got)
	}
	if got := preflight(h, "https://evil.example"); got.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin's preflight allowed: %v", got)
	}
	if got := preflight(WithCORS(ok, nil), "https://tickets.example.com"); got.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no origins configured, yet preflight allowed: %v", got)
	}
	req := httptest.NewRequest(http.MethodPost, "/marquee.v1.CatalogService/ListCities", nil)
	req.Header.Set("Origin", "https://tickets.example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("call from the allowed origin: %d %v", rec.Code, rec.Header())
	}
}
