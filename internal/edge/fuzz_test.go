package edge

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/regions"
)

// fuzzLimit is the body limit of the fuzzed edge: small, so that oversize bodies, length prefixes and gzip
// bombs are cheap to reach.
const fuzzLimit = 4 << 10

// The ways FuzzRoutingField sends its body, by its protocol argument (modulo fuzzProtocols).
const (
	fuzzConnect       = iota // Connect unary POST: the body is the message
	fuzzConnectStream        // Connect streaming: enveloped messages
	fuzzGRPC                 // gRPC: enveloped messages
	fuzzGRPCWeb              // gRPC-Web: enveloped messages
	fuzzGet                  // Connect GET: the body is the message parameter
	fuzzGetBase64            // Connect GET with base64=1
	fuzzProtocols
)

// unknownProcedure is a procedure-shaped path the API has not: the fuzzer reaches it too.
const unknownProcedure = "/marquee.v1.SeatService/Teleport"

// FuzzRoutingField feeds arbitrary bodies, in every protocol, codec and compression, to Edge.prepare (what the
// edge runs on each call to decode its first message and route it) and checks that it never panics, that it
// routes to a region of regions/ or refuses with a Connect error a client can act on, and that a well-encoded
// request routes as its rule says when applied to the message itself. The procedure argument is a real
// procedure's path (seeds stay valid as the API grows); any other string picks one by its hash.
func FuzzRoutingField(f *testing.F) {
	e := fuzzEdge(f)
	procs := append(slices.Sorted(maps.Keys(e.rules)), unknownProcedure)
	for _, s := range fuzzSeeds() {
		f.Add(s.procedure, s.protocol, s.json, s.gzip, s.body, s.hint, s.token)
	}
	f.Fuzz(func(t *testing.T, procedure string, protocol uint8, json, gz bool, body []byte, hint, token string) {
		if e.rules[procedure] == nil && procedure != unknownProcedure {
			h := fnv.New32a()
			h.Write([]byte(procedure))
			procedure = procs[h.Sum32()%uint32(len(procs))]
		}
		protocol %= fuzzProtocols
		r := fuzzRequest(procedure, protocol, json, gz, body, hint, token)
		c, err := e.prepare(r)
		checkRouted(t, c, err)

		// Round trip: when body is a valid message of the procedure in the fuzzed codec, send it well encoded
		// and expect what the rule says of the message itself.
		rule := e.rules[procedure]
		if rule == nil {
			return
		}
		codec := map[bool]string{false: "proto", true: "json"}[json]
		msg := rule.newRequest()
		if decode(body, codec, msg) != nil {
			return
		}
		var raw []byte
		if json {
			raw, err = protojson.Marshal(msg.Interface())
		} else {
			raw, err = proto.Marshal(msg.Interface())
		}
		if err != nil || len(raw) > fuzzLimit {
			return // JSON cannot say every binary message (an Any of an unknown type), and big ones are refused
		}
		wireBody := frame(protocol, gz, raw)
		if len(wireBody) > fuzzLimit {
			return
		}
		r = fuzzRequest(procedure, protocol, json, gz, wireBody, hint, token)
		want, wantErr := rule.target(msg, r.Header, e.self)
		c, err = e.prepare(r)
		checkRouted(t, c, err)
		switch {
		case connect.CodeOf(err) != connect.CodeOf(wantErr):
			t.Fatalf("%s sent well encoded: error %v, the rule on the message says %v", procedure, err, wantErr)
		case err == nil && c.target != want:
			t.Fatalf("%s sent well encoded: routed to %q, the rule on the message says %q", procedure, c.target.Name, want.Name)
		}
	})
}

// checkRouted fails unless prepare's answer is a call to a region of regions/ or an error a client can act on.
func checkRouted(t *testing.T, c *call, err error) {
	t.Helper()
	if err != nil {
		if errors.Is(err, errTooLarge) { // fail answers it with resource_exhausted
			return
		}
		var ce *connect.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a Connect error", err, err)
		}
		switch ce.Code() {
		case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodeResourceExhausted, connect.CodeUnimplemented:
		default:
			t.Fatalf("error %v has code %v", err, ce.Code())
		}
		return
	}
	if reg, ok := regions.ByName(c.target.Name); !ok || reg != c.target {
		t.Fatalf("routed to %+v, which is not a region", c.target)
	}
}

// fuzzEdge is an edge with the API's rules and no backends, enough for prepare; no network, no goroutines.
func fuzzEdge(tb testing.TB) *Edge {
	tb.Helper()
	rules, err := Rules(APIFiles())
	if err != nil {
		tb.Fatal(err)
	}
	self, _ := regions.ByName("us-east1")
	return &Edge{self: self, rules: rules, cache: newCache(1, time.Minute, time.Now), limit: fuzzLimit,
		pool: newPool(nil, http.DefaultClient, nil)}
}

// fuzzRequest is a call of procedure carrying body as protocol carries it (compressed with gzip when gz says
// so: only the headers say it, body is sent as it is), with the location hint and bearer token when not empty.
func fuzzRequest(procedure string, protocol uint8, json, gz bool, body []byte, hint, token string) *http.Request {
	codec := map[bool]string{false: "proto", true: "json"}[json]
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: procedure}, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(body))}
	setGzip := func(header string) {
		if gz {
			r.Header.Set(header, "gzip")
		}
	}
	switch protocol {
	case fuzzConnect:
		r.Header.Set("Content-Type", "application/"+codec)
		setGzip("Content-Encoding")
	case fuzzConnectStream:
		r.Header.Set("Content-Type", "application/connect+"+codec)
		setGzip("Connect-Content-Encoding")
	case fuzzGRPC, fuzzGRPCWeb:
		ct := map[bool]string{true: "application/grpc-web", false: "application/grpc"}[protocol == fuzzGRPCWeb]
		r.Header.Set("Content-Type", ct+"+"+codec)
		setGzip("Grpc-Encoding")
	case fuzzGet, fuzzGetBase64:
		q := url.Values{"encoding": {codec}, "message": {string(body)}, "connect": {"v1"}}
		if protocol == fuzzGetBase64 {
			q.Set("base64", "1")
		}
		if gz {
			q.Set("compression", "gzip")
		}
		r.Method, r.URL.RawQuery, r.Body = http.MethodGet, q.Encode(), http.NoBody
	}
	if hint != "" {
		r.Header.Set(LocationHeader, hint)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// frame encodes a serialized message as protocol carries it: gzipped when gz, enveloped for the streaming
// protocols and gRPC, base64 for a GET with base64=1.
func frame(protocol uint8, gz bool, msg []byte) []byte {
	if gz {
		var b bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&b)
		_, _ = zw.Write(msg)
		_ = zw.Close()
		gzipWriters.Put(zw)
		msg = b.Bytes()
	}
	switch protocol {
	case fuzzConnect, fuzzGet:
		return msg
	case fuzzGetBase64:
		return []byte(base64.RawURLEncoding.EncodeToString(msg))
	}
	return envelope(map[bool]byte{false: 0, true: 1}[gz], uint32(len(msg)), msg)
}

// gzipWriters are reused by frame: a new writer allocates about a megabyte, which would slow the fuzzer down.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// envelope is a 5-byte envelope prefix (flags, then a big-endian length that need not match) and payload.
func envelope(flags byte, n uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte{flags}, n)
	return append(b, payload...)
}

// fuzzSeed is one FuzzRoutingField input.
type fuzzSeed struct {
	procedure      string
	protocol       uint8
	json, gzip     bool
	body           []byte
	hint, token    string
	name, wantCode string // what the seed is for; the code prepare answers ("" routes), checked by TestFuzzSeeds
}

// fuzzSeeds are well-encoded requests of every routing kind in every protocol, codec and compression, and
// bodies that are broken in the ways clients and attackers break them.
func fuzzSeeds() []fuzzSeed {
	const (
		seatMap = "/marquee.v1.SeatService/GetSeatMap"
		search  = "/marquee.v1.SearchService/SearchTheatres"
	)
	type msgSeed struct {
		procedure   string
		msg         proto.Message
		hint, token string
		wantCode    string
	}
	msgs := []msgSeed{
		{procedure: seatMap, msg: &marqueev1.GetSeatMapRequest{ShowtimeId: "use1_01JDSHOW"}},
		{procedure: "/marquee.v1.SeatService/HoldSeats", msg: &marqueev1.HoldSeatsRequest{ShowtimeId: "euw1_01JD", SeatIds: []string{"A1"}}},
		{procedure: "/marquee.v1.SeatService/HoldSeats", msg: &marqueev1.HoldSeatsRequest{ShowtimeId: "mars1_01JD"}, wantCode: "not_found"},
		{procedure: "/marquee.v1.SeatService/ReleaseHold", msg: &marqueev1.ReleaseHoldRequest{HoldId: "01JDHOLD"}, wantCode: "not_found"},
		{procedure: seatMap, msg: &marqueev1.GetSeatMapRequest{}, wantCode: "invalid_argument"},
		{procedure: "/marquee.v1.SeatService/WatchSeatMap", msg: &marqueev1.WatchSeatMapRequest{ShowtimeId: "ass1_01JD"}},
		{procedure: "/marquee.v1.AdminService/UpsertTheatre", msg: &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Id: "ass1_t"}}},
		{procedure: "/marquee.v1.AdminService/UpsertTheatre", msg: &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "new"}}},
		{procedure: search, msg: &marqueev1.SearchTheatresRequest{Near: &marqueev1.GeoPoint{Latitude: 48.86, Longitude: 2.35}}},
		{procedure: search, msg: &marqueev1.SearchTheatresRequest{Query: "imax"}, hint: "19.07,72.87"},
		{procedure: "/marquee.v1.CatalogService/ListCities", msg: &marqueev1.ListCitiesRequest{}, hint: "48.86,2.35"},
		{procedure: "/marquee.v1.ComplianceService/ListAuditLog", msg: &marqueev1.ListAuditLogRequest{Region: "europe-west1"}},
		{procedure: "/marquee.v1.ComplianceService/ListAuditLog", msg: &marqueev1.ListAuditLogRequest{Region: "mars-north1"}, wantCode: "not_found"},
		{procedure: "/marquee.v1.ComplianceService/LookupBooking", msg: &marqueev1.LookupBookingRequest{ConfirmationCode: "7KQ2-M9XD"}},
		{procedure: "/marquee.v1.BookingService/ListMyBookings", msg: &marqueev1.ListMyBookingsRequest{},
			token: token(map[string]any{account.HomeRegionClaim: "asia-south1"})},
		{procedure: "/marquee.v1.AccountService/Login", msg: &marqueev1.LoginRequest{Email: "a@example.com"}},
		// Regressions: NaN and infinite locations routed to the zero Region (no name, no backends, unavailable).
		{procedure: search, msg: &marqueev1.SearchTheatresRequest{Near: &marqueev1.GeoPoint{Latitude: math.NaN()}}},
		{procedure: search, msg: &marqueev1.SearchTheatresRequest{Near: &marqueev1.GeoPoint{Longitude: math.Inf(-1)}}, hint: "48.86,2.35"},
		{procedure: search, msg: &marqueev1.SearchTheatresRequest{Near: &marqueev1.GeoPoint{Latitude: 1000}}},
		{procedure: "/marquee.v1.CatalogService/ListCities", msg: &marqueev1.ListCitiesRequest{}, hint: "NaN,0"},
		{procedure: unknownProcedure, msg: &marqueev1.GetSeatMapRequest{ShowtimeId: "use1_a"}, wantCode: "unimplemented"},
	}
	var seeds []fuzzSeed
	// The first message in every protocol, codec and compression; the others in the default wire only.
	for i, m := range msgs {
		for protocol := range uint8(fuzzProtocols) {
			for _, json := range []bool{false, true} {
				for _, gz := range []bool{false, true} {
					if i > 0 && (protocol != fuzzConnect || gz) {
						continue
					}
					raw, _ := proto.Marshal(m.msg)
					if json {
						raw, _ = protojson.Marshal(m.msg)
					}
					seeds = append(seeds, fuzzSeed{procedure: m.procedure, protocol: protocol, json: json, gzip: gz,
						body: frame(protocol, gz, raw), hint: m.hint, token: m.token, wantCode: m.wantCode,
						name: "WellEncoded/" + strings.TrimPrefix(m.procedure, "/marquee.v1.")})
				}
			}
		}
	}
	show, _ := proto.Marshal(&marqueev1.GetSeatMapRequest{ShowtimeId: "use1_01JDSHOW"})
	gzipped := func(b []byte) []byte { return frame(fuzzConnect, true, b) }
	bomb := gzipped(make([]byte, fuzzLimit+1))
	broken := []fuzzSeed{
		{name: "TruncatedEnvelope", protocol: fuzzGRPC, body: envelope(0, 100, show), wantCode: "invalid_argument"},
		{name: "TruncatedPrefix", protocol: fuzzGRPCWeb, body: []byte{0, 0, 0}, wantCode: "invalid_argument"},
		{name: "EmptyStream", protocol: fuzzConnectStream, body: nil, wantCode: "invalid_argument"},
		{name: "OversizePrefix", protocol: fuzzConnectStream, body: envelope(0, 0xffffffff, show), wantCode: "invalid_argument"},
		{name: "PrefixOverLimit", protocol: fuzzGRPC, body: envelope(0, fuzzLimit+1, show), wantCode: "invalid_argument"},
		{name: "TooLarge", protocol: fuzzConnect, body: make([]byte, fuzzLimit+1), wantCode: "resource_exhausted"},
		{name: "GzipBomb", protocol: fuzzConnect, gzip: true, body: bomb, wantCode: "resource_exhausted"},
		{name: "GzipBombEnveloped", protocol: fuzzGRPC, gzip: true, body: envelope(1, uint32(len(bomb)), bomb), wantCode: "resource_exhausted"},
		{name: "NotGzip", protocol: fuzzGRPCWeb, gzip: true, body: envelope(1, uint32(len(show)), show), wantCode: "invalid_argument"},
		{name: "CompressedFlagWithoutEncoding", protocol: fuzzGRPC, body: envelope(1, uint32(len(show)), show)},
		{name: "TruncatedGzip", protocol: fuzzConnect, gzip: true, body: gzipped(show)[:12], wantCode: "invalid_argument"},
		{name: "TrailingBytes", protocol: fuzzGRPC, body: append(envelope(0, uint32(len(show)), show), 0, 0, 0, 0, 9)},
		{name: "BadProto", protocol: fuzzConnect, body: []byte("\xff\xff\xff"), wantCode: "invalid_argument"},
		{name: "BadJSON", protocol: fuzzConnect, json: true, body: []byte(`{"showtimeId":`), wantCode: "invalid_argument"},
		{name: "JSONNotAString", protocol: fuzzConnect, json: true, body: []byte(`{"showtimeId":7}`), wantCode: "invalid_argument"},
		{name: "BadBase64", protocol: fuzzGetBase64, body: []byte("!!"), wantCode: "invalid_argument"},
		{name: "BadUTF8", protocol: fuzzConnect, body: []byte("\x0a\x02\xff\xfe"), wantCode: "invalid_argument"},
	}
	for _, s := range broken {
		s.procedure, s.name = seatMap, "Broken/"+s.name
		seeds = append(seeds, s)
	}
	return seeds
}

// TestFuzzSeeds pins what prepare answers to each seed of FuzzRoutingField, so the seeds keep reaching the
// paths they were written for (a route, or the refusal named).
func TestFuzzSeeds(t *testing.T) {
	e := fuzzEdge(t)
	for _, s := range fuzzSeeds() {
		t.Run(s.name, func(t *testing.T) {
			_, err := e.prepare(fuzzRequest(s.procedure, s.protocol, s.json, s.gzip, s.body, s.hint, s.token))
			got := ""
			switch {
			case errors.Is(err, errTooLarge):
				got = connect.CodeResourceExhausted.String()
			case err != nil:
				got = connect.CodeOf(err).String()
			}
			if got != s.wantCode {
				t.Fatalf("protocol %d json %v gzip %v: error %v, want code %q", s.protocol, s.json, s.gzip, err, s.wantCode)
			}
		})
	}
}
