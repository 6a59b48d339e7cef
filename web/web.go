// Package web serves Marquee's browser app: the bundle that `make web` (npm ci and esbuild) writes to web/dist,
// embedded in the binary. A binary built without the bundle still compiles and answers every page with a short
// note on how to build the UI.
package web

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Built reports whether the binary carries the bundled app (web/dist/index.html at build time).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Handler serves the app at "/": files of the bundle by path (hashed assets cached for a year), and index.html
// for every other GET, so the app's own routes (/movie/..., /bookings) load on a reload or a shared link.
func Handler() http.Handler {
	root, _ := fs.Sub(dist, "dist")
	return handler(root)
}

// handler serves the bundle in root, or the note on building it when root has no index.html.
func handler(root fs.FS) http.Handler {
	files := http.FileServerFS(root)
	_, err := fs.Stat(root, "index.html")
	built := err == nil
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !built {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notBuilt))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" && !strings.HasPrefix(name, ".") {
			if st, err := fs.Stat(root, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
					if serveGzip(w, r, root, name) {
						return
					}
				}
				files.ServeHTTP(w, r)
				return
			}
			if path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
		}
		page, err := fs.ReadFile(root, "index.html")
		if err != nil {
			http.Error(w, "index.html missing from the bundle", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", csp)
		_, _ = w.Write(page)
	})
}

// csp lets the page load only its own scripts, styles and API; QR codes and images are drawn in the page.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Marquee: web app not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Marquee</h1>
<p>This binary was built without the web app. The API is up: Connect, gRPC and gRPC-Web clients work.</p>
<p>To build the browser app, run <code>make web</code> (it runs <code>npm ci</code> and esbuild in
<code>web/</code>), then rebuild the binary; <code>make run</code> does both.</p>
</body></html>
`

// serveGzip answers with name's gzipped twin (written by the build) when the client accepts gzip.
func serveGzip(w http.ResponseWriter, r *http.Request, root fs.FS, name string) bool {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return false
	}
	gz, err := fs.ReadFile(root, name+".gz")
	if err != nil {
		return false
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(gz)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(gz)
	}
	return true
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: listed (or "*") without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}
