package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"time"

	"connectrpc.com/connect"

	"github.com/marqueehq/marquee/internal/telemetry"
	"github.com/marqueehq/marquee/regions"
)

// call is one routed call on its way through the edge.
type call struct {
	rule     *Rule
	wire     wire
	in       *http.Request // as the client sent it
	body     []byte        // the request bytes read; all of them unless rest is set
	rest     io.Reader     // a client stream's remainder: such a call cannot be retried
	target   regions.Region
	backends []*backend // up, best first
	gen      uint64     // cache generation when the call started
}

type callKey struct{}

func callOf(ctx context.Context) *call { return ctx.Value(callKey{}).(*call) }

// cacheable reports whether the call's answer may be cached: a Connect unary call whose route sets a TTL.
func (c *call) cacheable() bool { return c.rule.CacheTTL > 0 && c.wire.protocol == connectUnary }

// keyFor is the cache key of the call's answer when served by region.
func (c *call) keyFor(region string) cacheKey { return keyOf(c.rule.Procedure, region, c.in, c.body) }

// newBody returns the request body to send upstream: the bytes read, then the unread remainder if any.
func (c *call) newBody() io.ReadCloser {
	switch {
	case c.rest != nil:
		return io.NopCloser(io.MultiReader(bytes.NewReader(c.body), c.rest))
	case len(c.body) == 0:
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(c.body))
}

// length is the length of the body sent upstream, -1 when not known (a client stream).
func (c *call) length() int64 {
	if c.rest != nil {
		return -1
	}
	return int64(len(c.body))
}

// router decodes each call's first message, picks its region and either answers from the cache or forwards it.
func (e *Edge) router(proxy http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := e.prepare(r)
		if err != nil {
			e.fail(w, r, err)
			return
		}
		telemetry.NoteRegion(r.Context(), c.target.Name)
		if c.cacheable() && e.serveCached(w, c) {
			return
		}
		if len(c.backends) == 0 {
			e.fail(w, r, connect.NewError(connect.CodeUnavailable, fmt.Errorf("no region can serve %s now", c.target.Name)))
			return
		}
		ctx := context.WithValue(r.Context(), callKey{}, c)
		if c.rule.Stream() {
			// A stream may stay open as long as its client watches: the edge's shutdown ends it (the client
			// sees it break and watches again through another edge) rather than waiting for it.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			stop := context.AfterFunc(e.streams, cancel)
			defer stop()
		}
		out := r.WithContext(ctx)
		out.Body, out.ContentLength = c.newBody(), c.length()
		proxy.ServeHTTP(w, out)
	})
}

// prepare reads and decodes the call's first message and routes it.
func (e *Edge) prepare(r *http.Request) (*call, error) {
	rule := e.rules[r.URL.Path]
	if rule == nil {
		return nil, connect.NewError(connect.CodeUnimplemented, fmt.Errorf("unknown procedure %s", r.URL.Path))
	}
	w, ok := wireOf(r)
	if !ok {
		return nil, connect.NewError(connect.CodeUnimplemented, fmt.Errorf("unsupported content type %q", r.Header.Get("Content-Type")))
	}
	c := &call{rule: rule, wire: w, in: r, gen: e.cache.generation()}
	var err error
	if c.body, c.rest, err = readBody(r, w, rule.Streaming(), e.limit); err != nil {
		return nil, err
	}
	raw, err := firstMessage(r, w, c.body, e.limit)
	if err != nil {
		return nil, err
	}
	msg := rule.newRequest()
	if err := decode(raw, w.codec, msg); err != nil {
		return nil, err
	}
	if c.target, err = rule.target(msg, r.Header, e.self); err != nil {
		return nil, err
	}
	c.backends = e.pool.candidates(c.target.Name)
	return c, nil
}

// serveCached answers from the cache: fresh from the region the call would go to, or stale from any when no
// region is up. It reports whether it answered.
func (e *Edge) serveCached(w http.ResponseWriter, c *call) bool {
	if len(c.backends) == 0 {
		return e.serveStale(w, c)
	}
	if en, fresh := e.cache.get(c.keyFor(c.backends[0].region.Name)); fresh {
		en.serve(w, "hit")
		return true
	}
	return false
}

// serveStale answers with the answer cached from the region nearest the call's, however old (within StaleFor).
func (e *Edge) serveStale(w http.ResponseWriter, c *call) bool {
	for _, name := range e.pool.order[c.target.Name] {
		if en, _ := e.cache.get(c.keyFor(name)); en != nil {
			en.serve(w, "stale")
			return true
		}
	}
	return false
}

// fail writes err in the protocol of the request (Connect JSON, gRPC trailers, gRPC-Web headers).
func (e *Edge) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errTooLarge) {
		err = connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("request over %d bytes", e.limit))
	}
	_ = e.errs.Write(w, r, err)
}

// newProxy forwards calls unchanged through t to the backends chosen for them, flushing each response write
// at once (server streams), and caches the answers of cacheable calls.
func (e *Edge) newProxy(t http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(callOf(pr.In.Context()).backends[0].url)
			pr.SetXForwarded()
		},
		Transport:      &failover{base: t, pool: e.pool},
		FlushInterval:  -1,
		ModifyResponse: e.keep,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away
			}
			e.log.Warn("edge: forwarding failed", "procedure", r.URL.Path, "err", err)
			if c := callOf(r.Context()); !c.cacheable() || !e.serveStale(w, c) {
				e.fail(w, c.in, connect.NewError(connect.CodeUnavailable, errors.New("no region answered")))
			}
		},
		ErrorLog: slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
}

// keep stores a cacheable call's successful answer (read whole, up to maxEntryBytes) and marks it a miss.
func (e *Edge) keep(res *http.Response) error {
	c := callOf(res.Request.Context())
	if !c.cacheable() {
		return nil
	}
	res.Header.Set(CacheHeader, "miss")
	if res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxEntryBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxEntryBytes {
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), res.Body), res.Body}
		return nil
	}
	_ = res.Body.Close()
	e.cache.put(c.keyFor(res.Header.Get(RegionHeader)), res.Header, body, c.rule.CacheTTL, c.gen)
	res.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// failover sends a request to the call's first backend and, when that fails before any response (a region that
// died since its last health check) and the whole body was read, once more to the next one. A backend that
// fails so is marked down until it answers a health check. Writes that move money or seats carry idempotency
// keys, so a call resent after its region received it is applied once.
type failover struct {
	base http.RoundTripper
	pool *pool
}

// RoundTrip implements http.RoundTripper.
func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	c := callOf(req.Context())
	tries := c.backends[:min(2, len(c.backends))]
	if c.rest != nil {
		tries = tries[:1]
	}
	var err error
	for i, b := range tries {
		out := req
		if i > 0 {
			out = req.WithContext(req.Context())
			u := *req.URL
			u.Scheme, u.Host, u.Path = b.url.Scheme, b.url.Host, joinPath(b.url.Path, c.in.URL.Path)
			out.URL, out.Host, out.Body = &u, "", c.newBody()
		}
		var res *http.Response
		if res, err = f.base.RoundTrip(out); err == nil {
			res.Header.Set(RegionHeader, b.region.Name)
			return res, nil
		}
		if req.Context().Err() != nil {
			return nil, err
		}
		f.pool.set(b, false)
	}
	return nil, err
}

// joinPath appends a procedure path to a backend's base path.
func joinPath(base, path string) string {
	if base == "" || base == "/" {
		return path
	}
	if base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + path
}

// newTransport speaks HTTP/2 to every backend: h2c to http:// URLs (gRPC needs HTTP/2 for its trailers), TLS to
// https:// ones.
func newTransport() *http.Transport {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	p.SetHTTP2(true)
	return &http.Transport{
		Protocols:           p,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		HTTP2:               &http.HTTP2Config{SendPingTimeout: 5 * time.Second, PingTimeout: 2 * time.Second},
	}
}
