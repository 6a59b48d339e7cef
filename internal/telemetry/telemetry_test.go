package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marqueehq/marquee/internal/telemetry"
)

// TestRequestIDInLogsAndHeader checks that a request's ID is in its answer's header and in every line logged
// with its context, that a trusted caller's well-formed ID is kept, and that an untrusted or malformed one is
// replaced.
func TestRequestIDInLogsAndHeader(t *testing.T) {
	var buf bytes.Buffer
	log, err := telemetry.NewLogger(&buf, "json")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "handled")
	})
	for _, tc := range []struct {
		name     string
		trust    bool
		incoming string
		keep     bool
	}{
		{"OK", true, "edge-123", true},
		{"ErrUntrusted", false, "edge-123", false},
		{"ErrMalformed", true, "bad id\nlevel=ERROR", false},
		{"ErrTooLong", true, strings.Repeat("a", 65), false},
		{"None", true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			req := httptest.NewRequest("GET", "/", nil)
			if tc.incoming != "" {
				req.Header.Set(telemetry.RequestIDHeader, tc.incoming)
			}
			rec := httptest.NewRecorder()
			telemetry.RequestIDs(h, tc.trust).ServeHTTP(rec, req)
			id := rec.Header().Get(telemetry.RequestIDHeader)
			if id == "" || (id == tc.incoming) != tc.keep {
				t.Fatalf("answer's request ID %q (incoming %q), keep %v", id, tc.incoming, tc.keep)
			}
			if want := `"request_id":"` + id + `"`; !strings.Contains(buf.String(), want) {
				t.Fatalf("log %q lacks %s", buf.String(), want)
			}
		})
	}
}

// TestLogFormats checks --log-format's values.
func TestLogFormats(t *testing.T) {
	var buf bytes.Buffer
	for format, want := range map[string]string{"text": "msg=hello", "": "msg=hello", "json": `"msg":"hello"`} {
		buf.Reset()
		log, err := telemetry.NewLogger(&buf, format)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hello")
		if !strings.Contains(buf.String(), want) {
			t.Errorf("format %q wrote %q, want %q in it", format, buf.String(), want)
		}
	}
	if _, err := telemetry.NewLogger(&buf, "xml"); err == nil || !strings.Contains(err.Error(), "unknown log format") {
		t.Fatalf("xml: err %v", err)
	}
	log := slog.New(telemetry.LogHandler(slog.NewTextHandler(&buf, nil))).With("a", 1).WithGroup("g")
	buf.Reset()
	log.InfoContext(telemetry.WithRequestID(context.Background(), "r1"), "x", "b", 2)
	if !strings.Contains(buf.String(), "request_id=r1") {
		t.Fatalf("With/WithGroup lost the request ID: %q", buf.String())
	}
}
