package search

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// fieldBoost is a text field, the weight of a match in it and whether near misses (typos) count.
type fieldBoost struct {
	field string
	boost float64
	exact bool
}

// Movie text fields: a title match outweighs a cast match, which outweighs a synopsis match. An exact title
// (all folded words, in order, nothing else) adds exactTitleBoost on top. Typos are tolerated in titles and
// names only: the synopsis has by far the largest vocabulary, so fuzzy expansion there is the costliest and
// mostly matches noise.
var movieFields = []fieldBoost{{"title", 6, false}, {"cast", 3, false}, {"synopsis", 1, true}}

const exactTitleBoost = 20

// Theatre text fields.
var theatreFields = []fieldBoost{{"name", 3, false}, {"city", 2, false}, {"address", 1, false}}

// stopWords are optional in a query (they add score but need not match) unless every word is one.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "at": true, "de": true, "der": true, "des": true, "die": true,
	"du": true, "el": true, "for": true, "in": true, "la": true, "le": true, "les": true, "of": true,
	"on": true, "the": true, "to": true, "with": true,
}

// fuzziness returns the edits tolerated in a word of n letters: none below 4, 1 up to 7, 2 beyond.
func fuzziness(n int) int {
	switch {
	case n < 4:
		return 0
	case n <= 7:
		return 1
	}
	return 2
}

// transpositions returns the distinct words made by swapping two adjacent letters of w. Levenshtein distance
// counts a swap as 2 edits, so words of 4 to 7 letters (1 edit allowed) also try these exact variants; longer
// words already allow 2 edits, which covers one swap.
func transpositions(w string) []string {
	rs := []rune(w)
	seen := map[string]bool{w: true}
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] == rs[i+1] {
			continue
		}
		rs[i], rs[i+1] = rs[i+1], rs[i]
		if v := string(rs); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
		rs[i], rs[i+1] = rs[i+1], rs[i]
	}
	return out
}

// wordQuery matches the folded word w in any of fields: exactly at the field's boost, or (unless the field is
// exact) within its fuzziness or one swap at half of it. A disjunction adds the scores of the clauses that match, so an exact
// match, which the fuzzy clause matches too, always scores above a near miss in the same field.
func wordQuery(w string, fields []fieldBoost) query.Query {
	n := utf8.RuneCountInString(w)
	fz := fuzziness(n)
	var swaps []string
	if fz == 1 {
		swaps = transpositions(w)
	}
	qs := make([]query.Query, 0, len(fields)*(2+len(swaps)))
	for _, f := range fields {
		qs = append(qs, termQuery(w, f.field, f.boost))
		if f.exact {
			continue
		}
		if fz > 0 {
			fq := query.NewFuzzyQuery(w)
			fq.SetField(f.field)
			fq.SetFuzziness(fz)
			fq.SetBoost(f.boost / 2)
			qs = append(qs, fq)
		}
		for _, s := range swaps {
			qs = append(qs, termQuery(s, f.field, f.boost/2))
		}
	}
	return query.NewDisjunctionQuery(qs)
}

func termQuery(term, field string, boost float64) *query.TermQuery {
	q := query.NewTermQuery(term)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// wordsQuery requires every word of words (stop words only when nothing else is given) in one of fields,
// tolerating typos; extra adds optional clauses that only raise the score.
func wordsQuery(words []string, fields []fieldBoost, extra ...query.Query) *query.BooleanQuery {
	var must, should []query.Query
	for _, w := range words {
		if stopWords[w] {
			should = append(should, wordQuery(w, fields))
		} else {
			must = append(must, wordQuery(w, fields))
		}
	}
	if len(must) == 0 {
		must, should = should, nil
	}
	return query.NewBooleanQuery(must, append(should, extra...), nil)
}

// movieTextQuery matches movies by title, cast and synopsis, with an exact-title bonus.
func movieTextQuery(words []string) *query.BooleanQuery {
	exact := termQuery(strings.Join(words, " "), "title_key", exactTitleBoost)
	return wordsQuery(words, movieFields, exact)
}
