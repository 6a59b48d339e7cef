package edge

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/regions"
)

// Headers the edge reads and writes.
const (
	// RegionHeader, on a response, names the region that served it.
	RegionHeader = "Marquee-Region"
	// CacheHeader, on a response of a cacheable call, says whether it came from the edge's cache: "hit",
	// "miss", or "stale" (an expired answer served because no region could answer).
	CacheHeader = "Marquee-Cache"
	// LocationHeader, on a request, is the client's "latitude,longitude" in degrees: location routes use it
	// when the request carries no location.
	LocationHeader = "Marquee-Location"
)

// target returns the region that owns a call, or a Connect error to answer with when the call cannot be routed.
func (r *Rule) target(msg protoreflect.Message, h http.Header, self regions.Region) (regions.Region, error) {
	switch r.Kind {
	case ByID:
		return r.idRegion(msg, self)
	case ByRegion:
		return r.namedRegion(msg, self)
	case ByHome:
		return homeRegion(h, self), nil
	case ByLocation:
		if p, ok := r.location(msg, h); ok {
			return nearest(p), nil
		}
	}
	return self, nil
}

// idRegion returns the region in the prefix of the request's ID field.
func (r *Rule) idRegion(msg protoreflect.Message, self regions.Region) (regions.Region, error) {
	id, err := r.routingString(msg)
	if err != nil {
		return regions.Region{}, err
	}
	if id == "" {
		return self, nil
	}
	reg, ok := regions.OfID(id)
	if !ok {
		return regions.Region{}, connect.NewError(connect.CodeNotFound,
			fmt.Errorf("%s %q: no region has its prefix", r.pathName(), id))
	}
	return reg, nil
}

// namedRegion returns the region named in the request's region field.
func (r *Rule) namedRegion(msg protoreflect.Message, self regions.Region) (regions.Region, error) {
	name, err := r.routingString(msg)
	if err != nil {
		return regions.Region{}, err
	}
	if name == "" {
		return self, nil
	}
	reg, ok := regions.ByName(name)
	if !ok {
		return regions.Region{}, connect.NewError(connect.CodeNotFound,
			fmt.Errorf("%s %q: no region has this name", r.pathName(), name))
	}
	return reg, nil
}

// routingString returns the request's routing string field: "" with no error when it is empty and Optional
// (the call is then routed as Global), an invalid_argument error when it is empty and required.
func (r *Rule) routingString(msg protoreflect.Message) (string, error) {
	v, ok := r.leaf(msg)
	s := ""
	if ok {
		s = v.String()
	}
	if s == "" && !r.Optional {
		return "", connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s is required", r.pathName()))
	}
	return s, nil
}

// leaf returns the value at the end of r.Path, ok false when a message on the way (or the leaf) is unset.
func (r *Rule) leaf(msg protoreflect.Message) (protoreflect.Value, bool) {
	for _, fd := range r.Path[:len(r.Path)-1] {
		if !msg.Has(fd) {
			return protoreflect.Value{}, false
		}
		msg = msg.Get(fd).Message()
	}
	last := r.Path[len(r.Path)-1]
	return msg.Get(last), msg.Has(last)
}

// point is a place on Earth, in degrees.
type point struct{ lat, lon float64 }

// onGlobe reports whether p is a place on Earth. NaN and infinities are not: no region is nearest them, and
// regions.Nearest answers the zero Region for them.
func (p point) onGlobe() bool { return math.Abs(p.lat) <= 90 && math.Abs(p.lon) <= 180 }

// location returns the request's location field when set and on the globe, else the client's hint header. A
// location off the globe routes as if absent: the region refuses it, saying which field is wrong.
func (r *Rule) location(msg protoreflect.Message, h http.Header) (point, bool) {
	if len(r.Path) > 0 {
		if v, ok := r.leaf(msg); ok {
			m := v.Message()
			f := m.Descriptor().Fields()
			if p := (point{m.Get(f.ByName("latitude")).Float(), m.Get(f.ByName("longitude")).Float()}); p.onGlobe() {
				return p, true
			}
		}
	}
	return parsePoint(h.Get(LocationHeader))
}

// parsePoint parses "latitude,longitude"; ok is false for anything else or a place off the globe.
func parsePoint(s string) (point, bool) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return point{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if p := (point{lat, lon}); errors.Join(err1, err2) == nil && p.onGlobe() {
		return p, true
	}
	return point{}, false
}

// nearest returns the region closest to p.
func nearest(p point) regions.Region {
	r, _ := regions.Nearest(p.lat, p.lon, regions.All())
	return r
}

// homeRegion reads the home region claim from the unverified payload of the bearer token (a JWT): routing only,
// the region verifies the token. Without a token, or a claim naming a known region, it is self.
func homeRegion(h http.Header, self regions.Region) regions.Region {
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	parts := strings.Split(strings.TrimSpace(token), ".")
	if !ok || len(parts) != 3 || len(parts[1]) > 8<<10 {
		return self
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return self
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return self
	}
	name, _ := claims[account.HomeRegionClaim].(string)
	if r, ok := regions.ByName(name); ok {
		return r
	}
	return self
}
