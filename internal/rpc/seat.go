package rpc

import (
	"context"
	"sync"

	"connectrpc.com/connect"
	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
)

type seatHandler struct {
	svc   *inventory.Service
	rooms *onsale.Service
	// answers keeps the GetSeatMap and WatchSeatMap messages of the last map version served per showtime, so
	// that readers of an unchanged map share one conversion and one encoding.
	answers *answerCache
}

// maxAnswers bounds the showtimes whose last seat map message a process keeps.
const maxAnswers = 2_000

// answerCache keeps, by key, the last shared answer made and the versions it was made for; an answer
// replaced or evicted is unshared. Answers are shared: never modified once made.
type answerCache struct {
	mu sync.Mutex
	c  *lru.Cache[string, answer]
}

// answer is a shared message and the feed and map versions it shows.
type answer struct {
	version, mapVersion uint64
	res                 proto.Message
}

func newAnswerCache(size int) *answerCache {
	c, err := lru.NewWithEvict(size, func(_ string, a answer) { unshare(a.res) })
	if err != nil {
		panic(err) // size is a positive constant
	}
	return &answerCache{c: c}
}

// get returns key's answer for these versions, making (and sharing) it when the kept one is for others.
func (a *answerCache) get(key string, version, mapVersion uint64, build func() proto.Message) proto.Message {
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.c.Get(key)
	if ok && old.version == version && old.mapVersion == mapVersion {
		return old.res
	}
	res := build()
	share(res)
	a.c.Add(key, answer{version: version, mapVersion: mapVersion, res: res})
	if ok {
		unshare(old.res) // replaced, not evicted: the cache does not call back
	}
	return res
}

// watched returns the WatchSeatMap message of m at the feed's version: every watcher of the showtime in this
// process is sent the same version of the same map, so the message is made and encoded once for all of them.
func (h *seatHandler) watched(m inventory.SeatMap, version uint64) *marqueev1.WatchSeatMapResponse {
	return h.answers.get("watch/"+m.Showtime.ID, version, m.Version, func() proto.Message {
		return watchedSeatMapToProto(m, version)
	}).(*marqueev1.WatchSeatMapResponse)
}

// NewSeatHandler serves SeatService: seats and holds through svc, waiting rooms through rooms.
func NewSeatHandler(svc *inventory.Service, rooms *onsale.Service) marqueev1connect.SeatServiceHandler {
	return &seatHandler{svc: svc, rooms: rooms, answers: newAnswerCache(maxAnswers)}
}

func (h *seatHandler) GetSeatMap(ctx context.Context, req *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	m, err := h.svc.SeatMapAt(ctx, req.Msg.ShowtimeId, req.Msg.MinVersion)
	if err != nil {
		return nil, err
	}
	res := h.answers.get(m.Showtime.ID, 0, m.Version, func() proto.Message { return seatMapToProto(m) })
	return connect.NewResponse(res.(*marqueev1.GetSeatMapResponse)), nil
}

func (h *seatHandler) HoldSeats(ctx context.Context, req *connect.Request[marqueev1.HoldSeatsRequest]) (*connect.Response[marqueev1.HoldSeatsResponse], error) {
	hold, err := h.svc.HoldWithPass(ctx, userID(ctx), req.Msg.ShowtimeId, req.Msg.SeatIds, req.Msg.AdmissionPass)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldSeatsResponse{Hold: holdToProto(hold)}), nil
}

func (h *seatHandler) ReleaseHold(ctx context.Context, req *connect.Request[marqueev1.ReleaseHoldRequest]) (*connect.Response[marqueev1.ReleaseHoldResponse], error) {
	if err := h.svc.Release(ctx, userID(ctx), req.Msg.HoldId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ReleaseHoldResponse{}), nil
}

func (h *seatHandler) BestAvailable(ctx context.Context, req *connect.Request[marqueev1.BestAvailableRequest]) (*connect.Response[marqueev1.BestAvailableResponse], error) {
	m := req.Msg
	ids, err := h.svc.Best(ctx, m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.BestAvailableResponse{SeatIds: ids}), nil
}

func (h *seatHandler) HoldBestAvailable(ctx context.Context, req *connect.Request[marqueev1.HoldBestAvailableRequest]) (*connect.Response[marqueev1.HoldBestAvailableResponse], error) {
	m := req.Msg
	hold, err := h.svc.HoldBestWithPass(ctx, userID(ctx), m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible),
		m.AdmissionPass)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldBestAvailableResponse{Hold: holdToProto(hold)}), nil
}

func (h *seatHandler) WatchSeatMap(ctx context.Context, req *connect.Request[marqueev1.WatchSeatMapRequest], stream *connect.ServerStream[marqueev1.WatchSeatMapResponse]) error {
	return h.svc.WatchSeatMap(ctx, req.Msg.ShowtimeId, func(m inventory.SeatMap, version uint64) error {
		return stream.Send(h.watched(m, version))
	})
}
