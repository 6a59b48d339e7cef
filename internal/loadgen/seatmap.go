package loadgen

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// MapResults are the numbers of the seat map phase: every client reads the hot showtime's seat map (sending
// back the version it last saw) for Options.Duration, while one more client holds and releases a pair of
// seats every MapChangeEvery, so that the map keeps changing as it does during an on-sale.
type MapResults struct {
	Elapsed time.Duration
	Reads   int // successful GetSeatMap calls
	Errors  int
	// Older counts answers older than one the same client had seen: never expected.
	Older      int
	Changes    int   // holds and releases made by the changing client
	Versions   int   // distinct map versions the readers saw
	DBReads    int64 // seat maps the server read from the database during the phase
	FirstError string
	Latency    Latency
	Stats      PhaseStats
}

// MapChangeEvery is how often the seat map phase's changing client holds or releases seats.
const MapChangeEvery = 50 * time.Millisecond

// PerSecond returns seat map reads per second.
func (r MapResults) PerSecond() float64 { return perSecond(r.Reads, r.Elapsed) }

// RunSeatMaps runs the seat map phase.
func (s *Stack) RunSeatMaps(ctx context.Context) (MapResults, error) {
	_, readsBefore := s.App.Inventory().SeatMapReads()
	start := s.snapshot()
	deadline := start.at.Add(s.opts.Duration)
	type reader struct {
		n, errs, older int
		first          error
		lat            []time.Duration
		versions       map[uint64]bool
	}
	readers := make([]reader, s.opts.Clients)
	var wg sync.WaitGroup
	for i := range readers {
		r := &readers[i]
		r.versions = map[uint64]bool{}
		wg.Go(func() {
			var seen uint64
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				res, err := s.seatSvc.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{
					ShowtimeId: s.Hot.ID, MinVersion: seen}))
				r.lat = append(r.lat, time.Since(t0))
				if err != nil {
					r.errs++
					r.first = cmpOr(r.first, err)
					continue
				}
				r.n++
				v := res.Msg.Version
				if v < seen {
					r.older++
				}
				seen = max(seen, v)
				r.versions[v] = true
			}
		})
	}
	changes := 0
	wg.Go(func() {
		tick := time.NewTicker(MapChangeEvery)
		defer tick.Stop()
		for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
			pair := s.pairs[i%len(s.pairs)]
			res, err := s.seatSvc.HoldSeats(ctx, authed(s.tokens[0], &marqueev1.HoldSeatsRequest{ShowtimeId: s.Hot.ID,
				SeatIds: pair[:]}))
			if err == nil {
				changes++
				<-tick.C
				if _, err := s.seatSvc.ReleaseHold(ctx, authed(s.tokens[0],
					&marqueev1.ReleaseHoldRequest{HoldId: res.Msg.Hold.Id})); err == nil {
					changes++
				}
			}
			<-tick.C
		}
	})
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return MapResults{}, err
	}
	res := MapResults{Stats: s.since(start), Changes: changes}
	res.Elapsed = res.Stats.Wall
	_, readsAfter := s.App.Inventory().SeatMapReads()
	res.DBReads = readsAfter - readsBefore
	versions := map[uint64]bool{}
	var lat [][]time.Duration
	for _, r := range readers {
		res.Reads += r.n
		res.Errors += r.errs
		res.Older += r.older
		if r.first != nil && res.FirstError == "" {
			res.FirstError = r.first.Error()
		}
		for v := range r.versions {
			versions[v] = true
		}
		lat = append(lat, r.lat)
	}
	res.Versions = len(versions)
	res.Latency = summarize(lat)
	return res, nil
}
