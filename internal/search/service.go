package search

import "time"

// DefaultNowPlayingDays is the now-playing window of a Service's movie search without text that asks for
// none: what plays in the coming week.
const DefaultNowPlayingDays = 7

// Service answers moviegoers' searches over an Index as of now. Its movie search without text lists what
// is playing soon: movies with a showtime in the next NowPlayingDays days (DefaultNowPlayingDays when 0); with
// text, NowPlayingDays is ignored and every match counts. Theatre search and Suggest are the Index's.
type Service struct {
	*Index
	Now func() time.Time
}

// SearchMovies runs q at s.Now() with the now-playing window above; see Index.SearchMovies.
func (s *Service) SearchMovies(q MovieQuery) (hits []MovieHit, facets Facets, nextPageToken string, err error) {
	q.Now = s.Now()
	switch {
	case q.Query != "":
		q.NowPlayingDays = 0
	case q.NowPlayingDays == 0:
		q.NowPlayingDays = DefaultNowPlayingDays
	}
	return s.Index.SearchMovies(q)
}
