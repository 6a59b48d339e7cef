package search

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"unicode/utf8"

	"github.com/marqueehq/marquee/internal/errs"
)

// Limits on requests; anything outside them is refused as errs.Invalid.
const (
	MaxQueryLen       = 200   // characters of a text query or autocomplete prefix
	MaxRadiusKm       = 500.0 // largest search radius
	DefaultPageSize   = 20    // page size used when a request asks for 0
	MaxPageSize       = 100   // largest page size, and largest autocomplete limit
	MaxOffset         = 10000 // deepest result a page token may point at
	MaxNowPlayingDays = 31    // longest "now playing" window
	defaultSuggest    = 10    // autocomplete limit used when a request asks for 0
)

// Point is a place on Earth in degrees.
type Point struct {
	Latitude, Longitude float64
}

// checkPoint refuses coordinates outside [-90, 90] x [-180, 180].
func checkPoint(op string, p Point) error {
	if !(p.Latitude >= -90 && p.Latitude <= 90) || !(p.Longitude >= -180 && p.Longitude <= 180) {
		return errs.Errorf(op, errs.Invalid, "location (%v, %v) is out of range", p.Latitude, p.Longitude)
	}
	return nil
}

// checkNear checks a location and its radius, which must be in (0, MaxRadiusKm].
func checkNear(op string, p Point, radiusKm float64) error {
	if err := checkPoint(op, p); err != nil {
		return err
	}
	if !(radiusKm > 0 && radiusKm <= MaxRadiusKm) {
		return errs.Errorf(op, errs.Invalid, "radius must be more than 0 and at most %v km", MaxRadiusKm)
	}
	return nil
}

// checkQuery refuses text longer than MaxQueryLen characters.
func checkQuery(op, q string) error {
	if utf8.RuneCountInString(q) > MaxQueryLen {
		return errs.Errorf(op, errs.Invalid, "query is longer than %d characters", MaxQueryLen)
	}
	return nil
}

// pageSize returns the page size to use for a requested size n: 0 means DefaultPageSize.
func pageSize(op string, n int) (int, error) {
	if n < 0 || n > MaxPageSize {
		return 0, errs.Errorf(op, errs.Invalid, "page size must be between 0 and %d", MaxPageSize)
	}
	if n == 0 {
		return DefaultPageSize, nil
	}
	return n, nil
}

// Page tokens are base64 (URL alphabet, no padding) of: one byte naming the search, the offset as a big-endian
// uint32, and a CRC-32 of both. A token of one search is refused by another.
const (
	movieTokens   byte = 'm'
	theatreTokens byte = 't'
)

// encodeToken returns the token of the page starting at offset for the search named kind.
func encodeToken(kind byte, offset int) string {
	buf := make([]byte, 9)
	buf[0] = kind
	binary.BigEndian.PutUint32(buf[1:5], uint32(offset))
	binary.BigEndian.PutUint32(buf[5:], crc32.ChecksumIEEE(buf[:5]))
	return base64.RawURLEncoding.EncodeToString(buf)
}

// decodeToken returns the offset a token points at; the empty token is offset 0.
func decodeToken(op string, kind byte, token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) != 9 || buf[0] != kind ||
		binary.BigEndian.Uint32(buf[5:]) != crc32.ChecksumIEEE(buf[:5]) {
		return 0, errs.Errorf(op, errs.Invalid, "malformed page token")
	}
	offset := binary.BigEndian.Uint32(buf[1:5])
	if offset > MaxOffset {
		return 0, errs.Errorf(op, errs.Invalid, "page token is past the last page")
	}
	return int(offset), nil
}

// nextToken returns the token of the page after [offset, offset+size) when more than offset+size results exist.
func nextToken(kind byte, offset, size, total int) string {
	if next := offset + size; next < total && next <= MaxOffset {
		return encodeToken(kind, next)
	}
	return ""
}
