package search

import (
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	_ "github.com/blevesearch/bleve/v2/analysis/char/asciifolding" // registers "asciifolding"
	_ "github.com/blevesearch/bleve/v2/analysis/token/edgengram"   // registers "edge_ngram"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Analyzer and field names shared by the mappings and the queries.
const (
	foldAnalyzer      = "fold"       // unicode words, accents folded, lower case
	wordEdgeAnalyzer  = "word_edge"  // fold, then every prefix of each word (autocomplete)
	wholeEdgeAnalyzer = "whole_edge" // every prefix of an already folded key (autocomplete)

	maxWordPrefix  = 20 // longest word prefix indexed for autocomplete
	maxWholePrefix = 40 // longest whole-text prefix indexed for autocomplete
)

// Suggestion kinds.
const (
	KindMovie   = "movie"
	KindPerson  = "person"
	KindTheatre = "theatre"
)

// addAnalyzers registers the analyzers every index uses.
func addAnalyzers(m *mapping.IndexMappingImpl) error {
	fold := func(tokenizer string, filters ...string) map[string]any {
		return map[string]any{
			"type":          custom.Name,
			"char_filters":  []any{"asciifolding"},
			"tokenizer":     tokenizer,
			"token_filters": append([]any{lowercase.Name}, toAny(filters)...),
		}
	}
	steps := []func() error{
		func() error { return m.AddCustomTokenFilter("edge_word", edge(maxWordPrefix)) },
		func() error { return m.AddCustomTokenFilter("edge_whole", edge(maxWholePrefix)) },
		func() error { return m.AddCustomAnalyzer(foldAnalyzer, fold(unicode.Name)) },
		func() error { return m.AddCustomAnalyzer(wordEdgeAnalyzer, fold(unicode.Name, "edge_word")) },
		func() error { return m.AddCustomAnalyzer(wholeEdgeAnalyzer, fold(single.Name, "edge_whole")) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func edge(maxLen int) map[string]any {
	return map[string]any{"type": "edge_ngram", "min": 1.0, "max": float64(maxLen)}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// newMapping returns an index mapping whose default document has exactly the given fields; nothing is stored
// (documents are returned from the Index's own maps) and unknown fields are ignored.
func newMapping(fields map[string]*mapping.FieldMapping) (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := addAnalyzers(m); err != nil {
		return nil, err
	}
	doc := bleve.NewDocumentStaticMapping()
	for name, f := range fields {
		f.Store = false
		f.IncludeInAll = false
		doc.AddFieldMappingsAt(name, f)
	}
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping()) // no catch-all field
	m.DefaultMapping = doc
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, m.Validate()
}

func textField(analyzer string) *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = analyzer
	f.IncludeTermVectors = false
	f.DocValues = false
	return f
}

func keywordField() *mapping.FieldMapping {
	f := textField(keyword.Name)
	return f
}

func geoField() *mapping.FieldMapping {
	f := bleve.NewGeoPointFieldMapping()
	f.DocValues = true // needed to sort by distance
	return f
}

// movieMapping indexes a movie's text: title, its folded key (exact-title boost), cast and synopsis.
func movieMapping() (*mapping.IndexMappingImpl, error) {
	return newMapping(map[string]*mapping.FieldMapping{
		"title": textField(foldAnalyzer), "title_key": keywordField(),
		"cast": textField(foldAnalyzer), "synopsis": textField(foldAnalyzer),
	})
}

// theatreMapping indexes a theatre's name, address, city name, amenities and location.
func theatreMapping() (*mapping.IndexMappingImpl, error) {
	return newMapping(map[string]*mapping.FieldMapping{
		"name": textField(foldAnalyzer), "address": textField(foldAnalyzer), "city": textField(foldAnalyzer),
		"amenities": keywordField(), "location": geoField(),
	})
}

// suggestMapping indexes autocomplete entries: kind, word prefixes, whole-text prefixes and, for theatres, a
// location.
func suggestMapping() (*mapping.IndexMappingImpl, error) {
	return newMapping(map[string]*mapping.FieldMapping{
		"kind": keywordField(), "words": textField(wordEdgeAnalyzer), "whole": textField(wholeEdgeAnalyzer),
		"location": geoField(),
	})
}

// folder turns text into the folded words the "fold" analyzer indexes.
type folder struct{ an analysis.Analyzer }

// words returns the folded, lower-cased words of s.
func (f folder) words(s string) []string {
	toks := f.an.Analyze([]byte(s))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		out = append(out, string(t.Term))
	}
	return out
}

// key returns the folded words of s joined by single spaces: "Amélie!" and "amelie" share a key.
func (f folder) key(s string) string { return strings.Join(f.words(s), " ") }

// asciiFold strips accents and case from s. It is shared by every Index.
var asciiFold folder

func init() {
	m, err := movieMapping()
	if err != nil {
		panic(err)
	}
	asciiFold = folder{an: m.AnalyzerNamed(foldAnalyzer)}
}
