package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/archive"
)

type complianceHandler struct{ svc *archive.Service }

var _ marqueev1connect.ComplianceServiceHandler = (*complianceHandler)(nil)

// NewComplianceHandler serves ComplianceService through svc, which authorizes each call by the caller's role
// and regions and writes it to the audit log.
func NewComplianceHandler(svc *archive.Service) marqueev1connect.ComplianceServiceHandler {
	return &complianceHandler{svc: svc}
}

// noArchive answers the calls of the compliance archive in a process that serves none.
var noArchive = connect.NewError(connect.CodeUnimplemented,
	errors.New("the compliance archive is not served here (Services.Compliance is not set)"))

// staff is the caller as an auditor or platform admin.
func staff(ctx context.Context) archive.Actor { return archive.Actor{UserID: userID(ctx)} }

func (h *complianceHandler) LookupBooking(ctx context.Context, req *connect.Request[marqueev1.LookupBookingRequest]) (*connect.Response[marqueev1.LookupBookingResponse], error) {
	loc, err := h.svc.Lookup(ctx, staff(ctx), req.Msg.ConfirmationCode)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LookupBookingResponse{Booking: archivedToProto(loc)}), nil
}

func (h *complianceHandler) SearchBookings(ctx context.Context, req *connect.Request[marqueev1.SearchBookingsRequest]) (*connect.Response[marqueev1.SearchBookingsResponse], error) {
	m := req.Msg
	q := archive.Query{Region: m.Region, UserID: m.GetUserId(), Email: m.GetEmail(), TheatreID: m.GetTheatreId(),
		From: timeOf(m.From), Until: timeOf(m.Until), PageSize: int(m.PageSize), PageToken: m.PageToken}
	locs, next, err := h.svc.Search(ctx, staff(ctx), q)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SearchBookingsResponse{Bookings: mapSlice(locs, archivedToProto),
		NextPageToken: next}), nil
}

func (h *complianceHandler) ExportPerson(ctx context.Context, req *connect.Request[marqueev1.ExportPersonRequest], stream *connect.ServerStream[marqueev1.ExportPersonResponse]) error {
	return h.svc.Export(ctx, staff(ctx), req.Msg.UserId, func(b []byte) error {
		return stream.Send(&marqueev1.ExportPersonResponse{Chunk: b})
	})
}

func (h *complianceHandler) ErasePerson(ctx context.Context, req *connect.Request[marqueev1.ErasePersonRequest]) (*connect.Response[marqueev1.ErasePersonResponse], error) {
	if err := h.svc.Erase(ctx, staff(ctx), req.Msg.UserId, req.Msg.Reason); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ErasePersonResponse{}), nil
}

func (h *complianceHandler) PlaceLegalHold(ctx context.Context, req *connect.Request[marqueev1.PlaceLegalHoldRequest]) (*connect.Response[marqueev1.PlaceLegalHoldResponse], error) {
	hold, err := h.svc.PlaceHold(ctx, staff(ctx), legalHoldFromProto(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.PlaceLegalHoldResponse{Hold: legalHoldToProto(hold)}), nil
}

func (h *complianceHandler) ReleaseLegalHold(ctx context.Context, req *connect.Request[marqueev1.ReleaseLegalHoldRequest]) (*connect.Response[marqueev1.ReleaseLegalHoldResponse], error) {
	hold, err := h.svc.ReleaseHold(ctx, staff(ctx), req.Msg.Region, req.Msg.HoldId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ReleaseLegalHoldResponse{Hold: legalHoldToProto(hold)}), nil
}

func (h *complianceHandler) Purge(ctx context.Context, req *connect.Request[marqueev1.PurgeRequest], stream *connect.ServerStream[marqueev1.PurgeResponse]) error {
	out := sender[marqueev1.PurgeResponse]{stream: stream}
	var last marqueev1.PurgeResponse
	sum, err := h.svc.Purge(ctx, staff(ctx), req.Msg.Region, func(done, total int) {
		last.Done, last.Total = int32(done), int32(total)
		out.send(&marqueev1.PurgeResponse{Done: last.Done, Total: last.Total})
	})
	if err != nil {
		return err
	}
	return out.last(&marqueev1.PurgeResponse{Done: last.Done, Total: last.Total, Finished: true,
		DeletedKeys: sum.Deleted, KeptForHoldKeys: sum.Held, PurgedBookings: int32(sum.Bookings)})
}

func (h *complianceHandler) RunArchive(ctx context.Context, req *connect.Request[marqueev1.RunArchiveRequest], stream *connect.ServerStream[marqueev1.RunArchiveResponse]) error {
	out := sender[marqueev1.RunArchiveResponse]{stream: stream}
	var total int32
	sum, err := h.svc.RunArchive(ctx, staff(ctx), req.Msg.Region, func(p archive.Progress) {
		total = int32(p.Total)
		out.send(progressToProto(p))
	})
	if err != nil {
		return err
	}
	return out.last(&marqueev1.RunArchiveResponse{Phase: marqueev1.ArchivePhase_ARCHIVE_PHASE_DONE,
		Done: int32(sum.Bookings), Total: total, Objects: int32(sum.Objects), Finished: true,
		Resumed: int32(sum.Resumed), Abandoned: int32(sum.Abandoned)})
}

func (h *complianceHandler) ListAuditLog(ctx context.Context, req *connect.Request[marqueev1.ListAuditLogRequest]) (*connect.Response[marqueev1.ListAuditLogResponse], error) {
	m := req.Msg
	entries, next, err := h.svc.AuditLog(ctx, staff(ctx), m.Region, int(m.PageSize), m.PageToken)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListAuditLogResponse{Entries: mapSlice(entries, auditEntryToProto),
		NextPageToken: next}), nil
}

// sender sends progress on a server stream until a send fails (the client went away): later messages are
// dropped, and the failure is what the call returns.
type sender[T any] struct {
	stream *connect.ServerStream[T]
	err    error
}

func (s *sender[T]) send(m *T) {
	if s.err == nil {
		s.err = s.stream.Send(m)
	}
}

// last sends the final message, unless a send failed already; it returns the first failure.
func (s *sender[T]) last(m *T) error {
	s.send(m)
	return s.err
}
