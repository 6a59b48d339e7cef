package search

import (
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// TheatreQuery asks for theatres within RadiusKm (in (0, 500]) of Near. Query, when set, must match the
// theatre's name, city or address (typos tolerated); every listed amenity must be present (case and accents
// ignored).
type TheatreQuery struct {
	Query     string
	Near      Point
	RadiusKm  float64
	Amenities []string
	PageSize  int // 0 means DefaultPageSize; at most MaxPageSize
	PageToken string
}

// TheatreHit is a matching theatre and its great-circle distance from the query's point.
type TheatreHit struct {
	Theatre    catalog.Theatre
	DistanceKm float64
}

// SearchTheatres returns a page of matching theatres, nearest first, and the token of the next page ("" on the
// last). Malformed queries fail with errs.Invalid.
func (ix *Index) SearchTheatres(q TheatreQuery) ([]TheatreHit, string, error) {
	const op = "search.SearchTheatres"
	size, offset, err := checkTheatreQuery(op, q)
	if err != nil {
		return nil, "", err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, "", errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	req, err := theatreRequest(q, size, offset)
	if err != nil {
		return nil, "", errs.E(op, err)
	}
	res, err := ix.st.text[theatreText].idx.Search(req)
	if err != nil {
		return nil, "", errs.E(op, err)
	}
	hits := make([]TheatreHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		if e := ix.st.theatres[h.ID]; e != nil {
			t := e.t
			t.Amenities = slices.Clone(t.Amenities)
			hits = append(hits, TheatreHit{Theatre: t, DistanceKm: haversineKm(q.Near, e.point())})
		}
	}
	return hits, nextToken(theatreTokens, offset, size, int(res.Total)), nil
}

// checkTheatreQuery validates q and returns its page size and offset.
func checkTheatreQuery(op string, q TheatreQuery) (size, offset int, err error) {
	if err := checkQuery(op, q.Query); err != nil {
		return 0, 0, err
	}
	if err := checkNear(op, q.Near, q.RadiusKm); err != nil {
		return 0, 0, err
	}
	if size, err = pageSize(op, q.PageSize); err != nil {
		return 0, 0, err
	}
	offset, err = decodeToken(op, theatreTokens, q.PageToken)
	return size, offset, err
}

// theatreRequest builds the bleve request for q: within the radius, with the amenities and text, by distance.
func theatreRequest(q TheatreQuery, size, offset int) (*bleve.SearchRequest, error) {
	must := []query.Query{geoWithin(q.Near, q.RadiusKm)}
	for _, a := range q.Amenities {
		if k := asciiFold.key(a); k != "" {
			must = append(must, termQuery(k, "amenities", 1))
		}
	}
	if words := asciiFold.words(q.Query); len(words) > 0 {
		must = append(must, wordsQuery(words, theatreFields))
	}
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), size, offset, false)
	if err := sortByDistance(req, q.Near); err != nil {
		return nil, err
	}
	return req, nil
}

// geoWithin matches documents whose location is within radiusKm of p.
func geoWithin(p Point, radiusKm float64) query.Query {
	g := query.NewGeoDistanceQuery(p.Longitude, p.Latitude, strconv.FormatFloat(radiusKm, 'f', -1, 64)+"km")
	g.SetField("location")
	return g
}

// sortByDistance orders req's hits by distance of their location from p, then by ID.
func sortByDistance(req *bleve.SearchRequest, p Point) error {
	byDistance, err := search.NewSortGeoDistance("location", "km", p.Longitude, p.Latitude, false)
	if err != nil {
		return err
	}
	req.SortByCustom(search.SortOrder{byDistance, &search.SortDocID{}})
	return nil
}
