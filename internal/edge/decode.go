package edge

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protocol is the RPC protocol of a request.
type protocol int

const (
	connectUnary  protocol = iota + 1 // Connect unary, POST or GET
	connectStream                     // Connect streaming: enveloped messages
	grpcProto                         // gRPC over HTTP/2: enveloped messages, status in trailers
	grpcWeb                           // gRPC-Web: enveloped messages, status in headers or a trailer frame
)

// wire says how a request carries its messages.
type wire struct {
	protocol    protocol
	codec       string // "proto" or "json"
	compression string // "" or "identity" for none, else the name of the algorithm ("gzip")
}

// wireOf classifies a request as connect-go's handlers do; ok is false for a content type no protocol uses.
func wireOf(r *http.Request) (wire, bool) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		return wire{protocol: connectUnary, codec: q.Get("encoding"), compression: q.Get("compression")}, true
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || r.Method != http.MethodPost {
		return wire{}, false
	}
	for _, p := range []struct {
		bare        string
		protocol    protocol
		compression string
	}{
		{"application/grpc-web", grpcWeb, "Grpc-Encoding"},
		{"application/grpc", grpcProto, "Grpc-Encoding"},
		{"application/connect", connectStream, "Connect-Content-Encoding"},
	} {
		if codec, ok := codecOf(ct, p.bare); ok {
			return wire{protocol: p.protocol, codec: codec, compression: r.Header.Get(p.compression)}, true
		}
	}
	codec, ok := strings.CutPrefix(ct, "application/")
	return wire{protocol: connectUnary, codec: codec, compression: r.Header.Get("Content-Encoding")}, ok
}

// codecOf returns the codec of content type ct in the family bare ("application/grpc" is proto,
// "application/grpc+json" json); the Connect streaming family has no bare form.
func codecOf(ct, bare string) (string, bool) {
	if ct == bare && bare != "application/connect" {
		return "proto", true
	}
	codec, ok := strings.CutPrefix(ct, bare+"+")
	return codec, ok
}

// errTooLarge is returned when a request is over the edge's limit.
var errTooLarge = errors.New("request too large")

// readBody reads a request's bytes as the client sent them: the whole body, or for a client stream only its
// first envelope (rest is the remainder then, to forward after it). At most limit bytes are read.
func readBody(r *http.Request, w wire, streaming bool, limit int64) (sent []byte, rest io.Reader, err error) {
	if r.Method == http.MethodGet {
		return nil, nil, nil
	}
	if !streaming || w.protocol == connectUnary {
		sent, err = readAtMost(r.Body, limit)
		return sent, nil, err
	}
	head := make([]byte, 5)
	if _, err := io.ReadFull(r.Body, head); err != nil {
		return head[:0], r.Body, nil // no message yet: route on an empty one
	}
	n := int64(binary.BigEndian.Uint32(head[1:]))
	if n > limit {
		return nil, nil, errTooLarge
	}
	sent = append(head, make([]byte, n)...)
	if _, err := io.ReadFull(r.Body, sent[5:]); err != nil {
		return nil, nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("reading request: %w", err))
	}
	return sent, r.Body, nil
}

// readAtMost reads all of rd, failing with errTooLarge past limit bytes.
func readAtMost(rd io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("reading request: %w", err))
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// firstMessage returns the serialized first request message: the body of a Connect unary POST, the message
// parameter of a Connect GET, else the payload of the first envelope; decompressed, at most limit bytes.
func firstMessage(r *http.Request, w wire, sent []byte, limit int64) ([]byte, error) {
	switch {
	case r.Method == http.MethodGet:
		return getMessage(r, w, limit)
	case w.protocol == connectUnary:
		return decompress(sent, w.compression, limit)
	case len(sent) < 5:
		return nil, nil
	}
	n := binary.BigEndian.Uint32(sent[1:5])
	if uint64(len(sent)-5) < uint64(n) {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("truncated request message"))
	}
	payload := sent[5 : 5+n]
	if sent[0]&1 == 0 {
		return payload, nil
	}
	return decompress(payload, w.compression, limit)
}

// getMessage reads the message of a Connect GET: ?message=...&encoding=...[&base64=1][&compression=gzip].
func getMessage(r *http.Request, w wire, limit int64) ([]byte, error) {
	q := r.URL.Query()
	msg := []byte(q.Get("message"))
	if int64(len(msg)) > limit {
		return nil, errTooLarge
	}
	if q.Get("base64") == "1" {
		var err error
		if msg, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(string(msg), "=")); err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("message parameter: %w", err))
		}
	}
	return decompress(msg, w.compression, limit)
}

// decompress undoes the request's compression ("gzip"; "" and "identity" mean none), up to limit bytes.
func decompress(b []byte, compression string, limit int64) ([]byte, error) {
	switch compression {
	case "", "identity":
		return b, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("gzip: %w", err))
		}
		return readAtMost(zr, limit)
	}
	return nil, connect.NewError(connect.CodeUnimplemented, fmt.Errorf("unknown compression %q", compression))
}

// decode unmarshals b with the request's codec into m.
func decode(b []byte, codec string, m protoreflect.Message) error {
	var err error
	switch codec {
	case "proto":
		err = proto.Unmarshal(b, m.Interface())
	case "json":
		if len(b) == 0 { // Connect GET and empty JSON bodies
			b = []byte("{}")
		}
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, m.Interface())
	default:
		return connect.NewError(connect.CodeUnimplemented, fmt.Errorf("unknown codec %q", codec))
	}
	if err != nil {
		// In plain words, as the regions say it: the decoder's text names Go types and its own internals.
		name := map[string]string{"proto": "protobuf", "json": "JSON"}[codec]
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the request body is not a valid %s message for this method", name))
	}
	return nil
}
