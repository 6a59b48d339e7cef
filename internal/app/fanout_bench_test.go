package app_test

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

var watchers = flag.Int("watchers", 10_000, "WatchSeatMap streams of BenchmarkWatchSeatMapFanout")

// BenchmarkWatchSeatMapFanout holds -watchers (10,000) WatchSeatMap streams of one 300-seat showtime open on
// one region process (the real wiring: PostgreSQL, outbox relay, embedded NATS, hub) over h2c, then, each
// iteration, changes the map (a hold, then its release) and measures from the change's answer until every
// stream has received a map with a newer version. Reports the p50 and p99 of those deliveries over all
// streams and changes, and the memory the open streams take (heap and stacks of this process, which holds
// both the server and the clients, divided by the streams). The clients read only each message's version
// (the server still sends every stream the whole map).
func BenchmarkWatchSeatMapFanout(b *testing.B) {
	m := newDev(dataDir(b))
	m.Config.Seed, m.Config.WorkerInterval = false, time.Hour
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r,
		seed.Layout{Rows: 12, SeatsPerRow: 25}, time.Now().Add(48*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + m.Addr()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: p}}
	seats := marqueev1connect.NewSeatServiceClient(h2c, base, connect.WithCodec(versionOnly{}),
		connect.WithAcceptCompression("gzip", nil, nil))

	before := inUse()
	n := *watchers
	var latest atomic.Uint64 // the version each change must reach
	var changedAt atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var reached atomic.Int64 // streams that have seen latest
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	// Ten thousand streams need more descriptors than a default soft limit if the client dials many
	// connections; and they are opened in waves, so that each wave rides the HTTP/2 connections already open
	// instead of racing to dial new ones.
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	const wave = 200
	var wg sync.WaitGroup
	var open sync.WaitGroup
	for i := range n {
		if i%wave == 0 {
			open.Wait()
			open.Add(min(wave, n-i))
		}
		wg.Go(func() {
			s, err := seats.WatchSeatMap(ctx, connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: fix.Showtime.ID}))
			if err != nil {
				b.Error(err)
				open.Done()
				return
			}
			defer s.Close()
			first := true
			var seen uint32
			for s.Receive() {
				if first {
					open.Done()
					first = false
				}
				v := s.Msg().Version
				if v > seen {
					seen = v
					if v == uint32(latest.Load()) {
						d := time.Since(time.Unix(0, changedAt.Load()))
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						reached.Add(1)
					}
				}
			}
			if first {
				open.Done()
			}
		})
	}
	open.Wait()
	runtime.GC()
	perStream := float64(inUse()-before) / float64(n)

	token := post(b, base, "AccountService/Register", "", map[string]any{"email": "fan@example.com",
		"password": "password-1", "displayName": "Fan"})["token"].(string)
	var holdID string
	version := uint64(1)
	for b.Loop() {
		for _, step := range []string{"hold", "release"} {
			reached.Store(0)
			version++
			latest.Store(version)
			changedAt.Store(time.Now().UnixNano())
			if step == "hold" {
				hold := post(b, base, "SeatService/HoldSeats", token, map[string]any{"showtimeId": fix.Showtime.ID,
					"seatIds": []string{"F12", "F13"}})
				holdID = hold["hold"].(map[string]any)["id"].(string)
			} else {
				post(b, base, "SeatService/ReleaseHold", token, map[string]any{"holdId": holdID})
			}
			deadline := time.Now().Add(30 * time.Second)
			for reached.Load() < int64(n) {
				if time.Now().After(deadline) {
					b.Fatalf("after the %s: %d of %d streams got version %d within 30 s", step, reached.Load(), n, version)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(perStream/1024, "KiB/stream")
	b.ReportMetric(float64(n), "streams")
}

// inUse is the heap and stack memory this process uses now.
func inUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

// versionOnly is a client codec that decodes only WatchSeatMapResponse.version (field 4), so that ten
// thousand clients in the benchmark's process cost little beside the server they measure.
type versionOnly struct{}

func (versionOnly) Name() string { return "proto" }

func (versionOnly) Marshal(m any) ([]byte, error) {
	msg, ok := m.(proto.Message)
	if !ok {
		return nil, errors.New("not a protobuf message")
	}
	return proto.Marshal(msg)
}

func (versionOnly) Unmarshal(data []byte, m any) error {
	res, ok := m.(*marqueev1.WatchSeatMapResponse)
	if !ok {
		return errors.New("versionOnly decodes WatchSeatMapResponse only")
	}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		if num == 4 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(data)
			if n < 0 {
				return protowire.ParseError(n)
			}
			res.Version = uint32(v)
			data = data[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
	}
	return nil
}
