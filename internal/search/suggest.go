package search

import (
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/marqueehq/marquee/internal/errs"
)

// suggestNearKm is the radius within which theatres come first when Suggest is given a point.
const suggestNearKm = 50

// wholeBoost weighs a suggestion whose whole text starts with the prefix above one where only some word does.
const wholeBoost = 3

// Suggestion is an autocomplete entry: a movie title (ID is the movie ID), a cast member (ID is the folded
// name) or a theatre (ID is the theatre ID).
type Suggestion struct {
	Kind string // KindMovie, KindPerson or KindTheatre
	Text string
	ID   string
}

// Suggest completes prefix over movie titles, cast names and theatres (by name or city). Every word of the
// prefix must start a word of the entry, ignoring case and accents; entries starting with the whole prefix
// and shorter ones rank first. With near, theatres within 50 km come first, nearest first. limit 0 means 10;
// it may not exceed MaxPageSize.
func (ix *Index) Suggest(prefix string, near *Point, limit int) ([]Suggestion, error) {
	const op = "search.Suggest"
	if err := checkSuggest(op, prefix, near, limit); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = defaultSuggest
	}
	words := asciiFold.words(prefix)
	if len(words) == 0 {
		return nil, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, errs.Errorf(op, errs.Unavailable, "search index is closed")
	}
	out, err := ix.st.suggest(words, near, limit)
	if err != nil {
		return nil, errs.E(op, err)
	}
	return out, nil
}

func checkSuggest(op, prefix string, near *Point, limit int) error {
	if err := checkQuery(op, prefix); err != nil {
		return err
	}
	if near != nil {
		if err := checkPoint(op, *near); err != nil {
			return err
		}
	}
	if limit < 0 || limit > MaxPageSize {
		return errs.Errorf(op, errs.Invalid, "limit must be between 0 and %d", MaxPageSize)
	}
	return nil
}

// suggest runs the near-theatre search (when near is set), then the general one, without duplicates.
func (st *state) suggest(words []string, near *Point, limit int) ([]Suggestion, error) {
	var out []Suggestion
	seen := map[string]bool{}
	if near != nil {
		req := bleve.NewSearchRequestOptions(nearTheatres(words, *near), limit, 0, false)
		if err := sortByDistance(req, *near); err != nil {
			return nil, err
		}
		if err := st.collect(req, seen, &out, limit); err != nil {
			return nil, err
		}
	}
	if len(out) < limit {
		req := bleve.NewSearchRequestOptions(prefixQuery(words), limit+len(out), 0, false)
		req.SortBy([]string{"-_score", "_id"})
		if err := st.collect(req, seen, &out, limit); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collect runs req and appends the suggestions it finds, skipping those in seen, until out holds limit.
func (st *state) collect(req *bleve.SearchRequest, seen map[string]bool, out *[]Suggestion, limit int) error {
	res, err := st.text[suggestText].idx.Search(req)
	if err != nil {
		return err
	}
	for _, h := range res.Hits {
		if len(*out) >= limit {
			break
		}
		if s, ok := st.suggestion(h.ID); ok && !seen[h.ID] {
			seen[h.ID] = true
			*out = append(*out, s)
		}
	}
	return nil
}

// suggestion resolves a suggest document ID ("m:", "p:" or "t:" and the key) to its entry.
func (st *state) suggestion(docID string) (Suggestion, bool) {
	kind, id, _ := strings.Cut(docID, ":")
	switch kind {
	case "m":
		if e := st.movies[id]; e != nil {
			return Suggestion{Kind: KindMovie, Text: e.m.Title, ID: id}, true
		}
	case "p":
		if p := st.persons[id]; p != nil {
			return Suggestion{Kind: KindPerson, Text: p.name, ID: id}, true
		}
	case "t":
		if e := st.theatres[id]; e != nil {
			return Suggestion{Kind: KindTheatre, Text: e.t.Name, ID: id}, true
		}
	}
	return Suggestion{}, false
}

// prefixQuery requires every word as a word prefix and favours entries starting with the whole prefix.
func prefixQuery(words []string) *query.BooleanQuery {
	must := make([]query.Query, len(words))
	for i, w := range words {
		must[i] = termQuery(truncate(w, maxWordPrefix), "words", 1)
	}
	whole := termQuery(truncate(strings.Join(words, " "), maxWholePrefix), "whole", wholeBoost)
	return query.NewBooleanQuery(must, []query.Query{whole}, nil)
}

// nearTheatres matches theatres within suggestNearKm of p whose words start with words.
func nearTheatres(words []string, p Point) query.Query {
	q := prefixQuery(words)
	q.AddMust(termQuery(KindTheatre, "kind", 1), geoWithin(p, suggestNearKm))
	return q
}

// truncate returns the first n characters of s. The index holds no longer prefixes, so a longer word is
// matched by its first n characters (a few extra entries may then match).
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
