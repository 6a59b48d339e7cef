package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// What one request may send. The largest real request, an UpsertScreen of a 60 x 50 seat layout, is about
// 200 KB of JSON; searches and bookings are a few hundred bytes.
const (
	// MaxMessageBytes bounds one request message after decompression (connect's read limit), so a small
	// compressed body cannot unpack into gigabytes: resource_exhausted before any work.
	MaxMessageBytes = 1 << 20
	// MaxBodyBytes bounds a request body on the wire.
	MaxBodyBytes = 2 << 20
)

// bodyReadTimeout is how long a client has to send its whole request body; a body trickling in (a byte every
// few seconds) is cut off, as slow headers already are (ReadHeaderTimeout). A variable so tests can shorten it.
var bodyReadTimeout = 10 * time.Second

// limitBodies caps every request body at MaxBodyBytes and gives it bodyReadTimeout to arrive. The read
// deadline is lifted once the body has been read to its end, so server streams (whose request is read first)
// may run as long as they need.
func limitBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)); err == nil {
				r.Body = &liftOnEOF{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every API answer carries: no content sniffing, no caching anywhere (answers
// are personal or live; the edge keeps its own cache of public browse answers), no referrer, and HSTS when the
// request came over TLS.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		h.ServeHTTP(w, r)
	})
}

// liftOnEOF calls lift once its body has been read to the end.
type liftOnEOF struct {
	io.ReadCloser
	lift   func()
	lifted bool
}

func (b *liftOnEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.lifted {
		b.lifted = true
		b.lift()
	}
	return n, err
}

// textInterceptor refuses, with invalid_argument and before any handler runs, a request with a control
// character (other than tab, newline and carriage return) in any string field, however deeply nested: one
// rule for every RPC, so a NUL byte never reaches the database (PostgreSQL refuses it in TEXT) or a log line.
type textInterceptor struct{}

var _ connect.Interceptor = textInterceptor{}

func (textInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if m, ok := req.Any().(proto.Message); ok {
			if err := checkText(m.ProtoReflect(), ""); err != nil {
				return nil, err
			}
		}
		return next(ctx, req)
	}
}

func (textInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (textInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(ctx, &textConn{StreamingHandlerConn: conn})
	}
}

// textConn checks each message a stream receives.
type textConn struct{ connect.StreamingHandlerConn }

func (c *textConn) Receive(m any) error {
	if err := c.StreamingHandlerConn.Receive(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return checkText(pm.ProtoReflect(), "")
	}
	return nil
}

// checkText walks m's set fields and fails on the first string holding a control character.
func checkText(m protoreflect.Message, prefix string) error {
	var bad error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && bad == nil; i++ {
				bad = checkValue(fd, l.Get(i), fmt.Sprintf("%s[%d]", name, i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if bad = checkString(k.String(), name+" key"); bad == nil && fd.MapValue() != nil {
					bad = checkValue(fd.MapValue(), mv, name+"["+k.String()+"]")
				}
				return bad == nil
			})
		default:
			bad = checkValue(fd, v, name)
		}
		return bad == nil
	})
	return bad
}

func checkValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, name string) error {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return checkString(v.String(), name)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return checkText(v.Message(), name+".")
	}
	return nil
}

// checkString fails on a control character in s. (Strings are valid UTF-8 here: protobuf decoding refuses
// anything else.)
func checkString(s, name string) error {
	for i, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return connect.NewError(connect.CodeInvalidArgument,
				fmt.Errorf("%s: control characters (here U+%04X at byte %d) are not allowed in text", name, r, i))
		}
	}
	return nil
}
