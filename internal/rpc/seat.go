package rpc

import (
	"context"
	"sync"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
)

type seatHandler struct {
	svc   *inventory.Service
	rooms *onsale.Service
	// answers keeps, by showtime, the GetSeatMap answer of the last map version served (a *seatMapAnswer), so
	// that readers of an unchanged map share one conversion. Answers are shared: never modified once stored.
	answers sync.Map
}

// watched returns the WatchSeatMap message of m at the feed's version: every watcher of the showtime in this
// process is sent the same version of the same map, so the message is made and encoded once for all of them.
func (h *seatHandler) watched(m inventory.SeatMap, version uint64) *marqueev1.WatchSeatMapResponse {
	key := "watch/" + m.Showtime.ID
	if a, ok := h.answers.Load(key); ok {
		if w := a.(*watchedAnswer); w.version == version && w.mapVersion == m.Version {
			return w.res
		}
	}
	res := watchedSeatMapToProto(m, version)
	share(res)
	if old, ok := h.answers.Swap(key, &watchedAnswer{version: version, mapVersion: m.Version, res: res}); ok {
		unshare(old.(*watchedAnswer).res)
	}
	return res
}

// watchedAnswer is a WatchSeatMap message with the feed version and map version it was made for.
type watchedAnswer struct {
	version, mapVersion uint64
	res                 *marqueev1.WatchSeatMapResponse
}

// seatMapAnswer is a GetSeatMap answer and the version of the map it was made from.
type seatMapAnswer struct {
	version uint64
	res     *marqueev1.GetSeatMapResponse
}

// NewSeatHandler serves SeatService: seats and holds through svc, waiting rooms through rooms.
func NewSeatHandler(svc *inventory.Service, rooms *onsale.Service) marqueev1connect.SeatServiceHandler {
	return &seatHandler{svc: svc, rooms: rooms}
}

func (h *seatHandler) GetSeatMap(ctx context.Context, req *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	m, err := h.svc.SeatMapAt(ctx, req.Msg.ShowtimeId, req.Msg.MinVersion)
	if err != nil {
		return nil, err
	}
	if a, ok := h.answers.Load(m.Showtime.ID); ok && a.(*seatMapAnswer).version == m.Version {
		return connect.NewResponse(a.(*seatMapAnswer).res), nil
	}
	res := seatMapToProto(m)
	share(res)
	if old, ok := h.answers.Swap(m.Showtime.ID, &seatMapAnswer{version: m.Version, res: res}); ok {
		unshare(old.(*seatMapAnswer).res)
	}
	return connect.NewResponse(res), nil
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
