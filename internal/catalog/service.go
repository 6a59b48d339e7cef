package catalog

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Page sizes of a showtime listing.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Service answers what moviegoers browse: cities, movies and theatres, and showtimes from now on, a page at
// a time.
type Service struct {
	Store Store
	Now   func() time.Time
	// Prices, when set, prices listed showtimes (their FromPrice), one call per page.
	Prices FromPrices
}

// ShowtimeQuery asks for a page of showtimes. Zero fields do not filter.
type ShowtimeQuery struct {
	CityID, MovieID, TheatreID string
	Day                        string // "YYYY-MM-DD" in each theatre's time zone
	PageSize                   int    // 0 means DefaultPageSize; at most MaxPageSize
	PageToken                  string // a previous page's NextPageToken; "" for the first page
}

// ShowtimePage is a page of showtimes in (start, ID) order. NextPageToken is "" on the last page.
type ShowtimePage struct {
	Showtimes     []ShowtimeListing
	NextPageToken string
}

// ListCities returns every city.
func (s *Service) ListCities(ctx context.Context) ([]City, error) {
	cs, err := s.Store.ListCities(ctx)
	if err != nil {
		return nil, errs.E("catalog.ListCities", err)
	}
	return cs, nil
}

// ListMovies returns movies by title; with a city, only those with a scheduled showtime there from now on.
func (s *Service) ListMovies(ctx context.Context, cityID string) ([]Movie, error) {
	ms, err := s.Store.ListMovies(ctx, cityID, s.Now())
	if err != nil {
		return nil, errs.E("catalog.ListMovies", err)
	}
	return ms, nil
}

// ListTheatres returns theatres by name, only a city's when cityID is set.
func (s *Service) ListTheatres(ctx context.Context, cityID string) ([]Theatre, error) {
	ts, err := s.Store.ListTheatres(ctx, cityID)
	if err != nil {
		return nil, errs.E("catalog.ListTheatres", err)
	}
	return ts, nil
}

// ListShowtimes returns a page of the scheduled showtimes matching q that start from now on, each with its
// lowest price now when Prices is set. A malformed day, page size or page token is Invalid.
func (s *Service) ListShowtimes(ctx context.Context, q ShowtimeQuery) (ShowtimePage, error) {
	const op = "catalog.ListShowtimes"
	f, err := q.filter(s.Now())
	if err != nil {
		return ShowtimePage{}, errs.E(op, err)
	}
	ls, err := s.Store.ListShowtimes(ctx, f)
	if err != nil {
		return ShowtimePage{}, errs.E(op, err)
	}
	page := pageOf(ls, f.Limit-1)
	if err := PriceListings(ctx, s.Prices, page.Showtimes); err != nil {
		return ShowtimePage{}, errs.E(op, err)
	}
	return page, nil
}

// filter is the store filter for q: showtimes from now on, one more than a page, so that pageOf knows
// whether another page follows.
func (q ShowtimeQuery) filter(now time.Time) (ShowtimeFilter, error) {
	const op = "catalog.ShowtimeQuery"
	after, err := decodeCursor(q.PageToken)
	if err != nil {
		return ShowtimeFilter{}, err
	}
	if _, err := time.Parse(time.DateOnly, q.Day); q.Day != "" && err != nil {
		return ShowtimeFilter{}, errs.Errorf(op, errs.Invalid, "day must be a date YYYY-MM-DD")
	}
	if q.PageSize < 0 || q.PageSize > MaxPageSize {
		return ShowtimeFilter{}, errs.Errorf(op, errs.Invalid, "page size must be 0 to %d", MaxPageSize)
	}
	size := q.PageSize
	if size == 0 {
		size = DefaultPageSize
	}
	return ShowtimeFilter{CityID: q.CityID, MovieID: q.MovieID, TheatreID: q.TheatreID, Day: q.Day, From: now,
		After: after, Limit: size + 1}, nil
}

// pageOf keeps the first size of ls and, when there were more, a token for the page after them.
func pageOf(ls []ShowtimeListing, size int) ShowtimePage {
	if len(ls) <= size {
		return ShowtimePage{Showtimes: ls}
	}
	ls = ls[:size]
	last := ls[len(ls)-1]
	return ShowtimePage{Showtimes: ls, NextPageToken: encodeCursor(Cursor{StartsAt: last.StartsAt, ID: last.ID})}
}

// encodeCursor makes an opaque page token from a showtime position.
func encodeCursor(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.StartsAt.UnixNano(), 10) + "|" + c.ID))
}

// decodeCursor reads a page token made by encodeCursor; "" means the first page.
func decodeCursor(token string) (*Cursor, error) {
	if token == "" {
		return nil, nil
	}
	bad := errs.Errorf("catalog.decodeCursor", errs.Invalid, "invalid page token")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	ns, id, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, bad
	}
	return &Cursor{StartsAt: time.Unix(0, n).UTC(), ID: id}, nil
}
