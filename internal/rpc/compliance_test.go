package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/validate"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/rpc"
)

// validationCase is a call and the code it must get: unimplemented when the request passes validation (the
// handlers behind it implement nothing), invalid_argument when validation refuses it.
type validationCase struct {
	name string
	call func() error
	want connect.Code
}

const (
	passes  = connect.CodeUnimplemented
	refused = connect.CodeInvalidArgument
)

// TestComplianceRequestsAreValidated sends every request of the compliance API, well formed and then broken in
// each way its rules refuse, through the validation interceptor NewMux uses to handlers that implement nothing:
// a well-formed request gets through, a broken one is refused before any handler runs.
func TestComplianceRequestsAreValidated(t *testing.T) {
	mux := http.NewServeMux()
	opts := connect.WithInterceptors(validate.NewInterceptor())
	mux.Handle(marqueev1connect.NewComplianceServiceHandler(marqueev1connect.UnimplementedComplianceServiceHandler{}, opts))
	mux.Handle(marqueev1connect.NewAdminServiceHandler(marqueev1connect.UnimplementedAdminServiceHandler{}, opts))
	mux.Handle(marqueev1connect.NewAccountServiceHandler(marqueev1connect.UnimplementedAccountServiceHandler{}, opts))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := marqueev1connect.NewComplianceServiceClient(srv.Client(), srv.URL)
	admin := marqueev1connect.NewAdminServiceClient(srv.Client(), srv.URL)
	accounts := marqueev1connect.NewAccountServiceClient(srv.Client(), srv.URL)
	cases := slices.Concat(lookupCases(c), searchCases(c), personCases(c), holdCases(c), regionJobCases(c),
		auditorCases(admin), myDataCases(accounts))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); connect.CodeOf(err) != tc.want {
				t.Fatalf("error %v, want code %v", err, tc.want)
			}
		})
	}
}

// unary returns a validationCase calling f with msg.
func unary[Req, Res any](name string, f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error), msg *Req, want connect.Code) validationCase {
	return validationCase{name, func() error {
		_, err := f(context.Background(), connect.NewRequest(msg))
		return err
	}, want}
}

// streamed returns a validationCase calling the server stream f with msg and reading it to its end.
func streamed[Req, Res any](name string, f func(context.Context, *connect.Request[Req]) (*connect.ServerStreamForClient[Res], error), msg *Req, want connect.Code) validationCase {
	return validationCase{name, func() error {
		s, err := f(context.Background(), connect.NewRequest(msg))
		if err != nil {
			return err
		}
		defer s.Close()
		for s.Receive() {
		}
		return s.Err()
	}, want}
}

var (
	vFrom  = timestamppb.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	vUntil = timestamppb.New(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
)

func lookupCases(c marqueev1connect.ComplianceServiceClient) []validationCase {
	l := func(name, code, region string, want connect.Code) validationCase {
		return unary("LookupBooking/"+name, c.LookupBooking, &marqueev1.LookupBookingRequest{ConfirmationCode: code, Region: region}, want)
	}
	return []validationCase{
		l("OK", "7KQ2-M9XD", "", passes),
		l("OKNoDashLowerCase", "7kq2m9xd", "", passes),
		l("OKRegion", "7KQ2-M9XD", "europe-west1", passes),
		l("ErrNoCode", "", "", refused),
		l("ErrShortCode", "7KQ2-M9X", "", refused),
		l("ErrCodeWithSpace", "7KQ2 M9XD", "", refused),
		l("ErrBadRegion", "7KQ2-M9XD", "Europe West", refused),
	}
}

func searchCases(c marqueev1connect.ComplianceServiceClient) []validationCase {
	user := &marqueev1.SearchBookingsRequest_UserId{UserId: "01JDUSER"}
	theatre := &marqueev1.SearchBookingsRequest_TheatreId{TheatreId: "euw1_01JDTHEATRE"}
	s := func(name string, m *marqueev1.SearchBookingsRequest, want connect.Code) validationCase {
		return unary("SearchBookings/"+name, c.SearchBookings, m, want)
	}
	const eu = "europe-west1"
	return []validationCase{
		s("OKUser", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, PageSize: 500, PageToken: "abc"}, passes),
		s("OKUserFromOnly", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, From: vFrom}, passes),
		s("OKEmail", &marqueev1.SearchBookingsRequest{Region: eu, Who: &marqueev1.SearchBookingsRequest_Email{Email: "ana@example.com"}}, passes),
		s("OKTheatre", &marqueev1.SearchBookingsRequest{Region: eu, Who: theatre, From: vFrom, Until: vUntil}, passes),
		s("ErrNoRegion", &marqueev1.SearchBookingsRequest{Who: user}, refused),
		s("ErrBadRegion", &marqueev1.SearchBookingsRequest{Region: "mars", Who: user}, refused),
		s("ErrNoWho", &marqueev1.SearchBookingsRequest{Region: eu}, refused),
		s("ErrEmptyUserID", &marqueev1.SearchBookingsRequest{Region: eu, Who: &marqueev1.SearchBookingsRequest_UserId{}}, refused),
		s("ErrBadEmail", &marqueev1.SearchBookingsRequest{Region: eu, Who: &marqueev1.SearchBookingsRequest_Email{Email: "ana"}}, refused),
		s("ErrTheatreWithoutRange", &marqueev1.SearchBookingsRequest{Region: eu, Who: theatre, From: vFrom}, refused),
		s("ErrReversedRange", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, From: vUntil, Until: vFrom}, refused),
		s("ErrEmptyRange", &marqueev1.SearchBookingsRequest{Region: eu, Who: theatre, From: vFrom, Until: vFrom}, refused),
		s("ErrPageSizeTooLarge", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, PageSize: 501}, refused),
		s("ErrPageSizeNegative", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, PageSize: -1}, refused),
		s("ErrPageTokenTooLong", &marqueev1.SearchBookingsRequest{Region: eu, Who: user, PageToken: strings.Repeat("x", 513)}, refused),
	}
}

func personCases(c marqueev1connect.ComplianceServiceClient) []validationCase {
	e := func(name, userID, reason string, want connect.Code) validationCase {
		return unary("ErasePerson/"+name, c.ErasePerson, &marqueev1.ErasePersonRequest{UserId: userID, Reason: reason}, want)
	}
	x := func(name, userID, region string, want connect.Code) validationCase {
		return streamed("ExportPerson/"+name, c.ExportPerson, &marqueev1.ExportPersonRequest{UserId: userID, Region: region}, want)
	}
	return []validationCase{
		x("OK", "01JDUSER", "", passes),
		x("OKRegion", "01JDUSER", "asia-south1", passes),
		x("ErrNoUserID", "", "", refused),
		x("ErrBadRegion", "01JDUSER", "asia_south1", refused),
		e("OK", "01JDUSER", "request 2026-113", passes),
		e("ErrNoUserID", "", "request 2026-113", refused),
		e("ErrNoReason", "01JDUSER", "", refused),
		e("ErrReasonTooLong", "01JDUSER", strings.Repeat("r", 501), refused),
	}
}

func holdCases(c marqueev1connect.ComplianceServiceClient) []validationCase {
	p := func(name string, m *marqueev1.PlaceLegalHoldRequest, want connect.Code) validationCase {
		return unary("PlaceLegalHold/"+name, c.PlaceLegalHold, m, want)
	}
	person := &marqueev1.PlaceLegalHoldRequest_UserId{UserId: "01JDUSER"}
	theatre := func(r *marqueev1.TheatreRange) *marqueev1.PlaceLegalHoldRequest {
		return &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Reason: "case 12",
			Target: &marqueev1.PlaceLegalHoldRequest_Theatre{Theatre: r}}
	}
	r := func(name, region, id string, want connect.Code) validationCase {
		return unary("ReleaseLegalHold/"+name, c.ReleaseLegalHold, &marqueev1.ReleaseLegalHoldRequest{Region: region, HoldId: id}, want)
	}
	return []validationCase{
		p("OKPerson", &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Target: person, Reason: "case 12"}, passes),
		p("OKBooking", &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Reason: "case 12",
			Target: &marqueev1.PlaceLegalHoldRequest_BookingId{BookingId: "use1_01JDBOOKING"}}, passes),
		p("OKTheatre", theatre(&marqueev1.TheatreRange{TheatreId: "use1_01JDT", From: vFrom, Until: vUntil}), passes),
		p("ErrNoRegion", &marqueev1.PlaceLegalHoldRequest{Target: person, Reason: "case 12"}, refused),
		p("ErrNoTarget", &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Reason: "case 12"}, refused),
		p("ErrNoReason", &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Target: person}, refused),
		p("ErrEmptyBookingID", &marqueev1.PlaceLegalHoldRequest{Region: "us-east1", Reason: "case 12",
			Target: &marqueev1.PlaceLegalHoldRequest_BookingId{}}, refused),
		p("ErrTheatreReversed", theatre(&marqueev1.TheatreRange{TheatreId: "use1_01JDT", From: vUntil, Until: vFrom}), refused),
		p("ErrTheatreNoUntil", theatre(&marqueev1.TheatreRange{TheatreId: "use1_01JDT", From: vFrom}), refused),
		p("ErrTheatreNoID", theatre(&marqueev1.TheatreRange{From: vFrom, Until: vUntil}), refused),
		p("ErrTheatreEmpty", theatre(nil), refused),
		r("OK", "us-east1", "use1_01JDHOLD", passes),
		r("ErrNoHoldID", "us-east1", "", refused),
		r("ErrNoRegion", "", "use1_01JDHOLD", refused),
	}
}

func regionJobCases(c marqueev1connect.ComplianceServiceClient) []validationCase {
	a := func(name string, m *marqueev1.ListAuditLogRequest, want connect.Code) validationCase {
		return unary("ListAuditLog/"+name, c.ListAuditLog, m, want)
	}
	return []validationCase{
		streamed("Purge/OK", c.Purge, &marqueev1.PurgeRequest{Region: "europe-west1"}, passes),
		streamed("Purge/ErrNoRegion", c.Purge, &marqueev1.PurgeRequest{}, refused),
		streamed("RunArchive/OK", c.RunArchive, &marqueev1.RunArchiveRequest{Region: "europe-west1"}, passes),
		streamed("RunArchive/ErrBadRegion", c.RunArchive, &marqueev1.RunArchiveRequest{Region: "EUROPE-WEST1"}, refused),
		a("OK", &marqueev1.ListAuditLogRequest{Region: "us-east1", PageSize: 10}, passes),
		a("ErrNoRegion", &marqueev1.ListAuditLogRequest{}, refused),
		a("ErrPageSizeTooLarge", &marqueev1.ListAuditLogRequest{Region: "us-east1", PageSize: 501}, refused),
		a("ErrPageTokenTooLong", &marqueev1.ListAuditLogRequest{Region: "us-east1", PageToken: strings.Repeat("x", 513)}, refused),
	}
}

func auditorCases(c marqueev1connect.AdminServiceClient) []validationCase {
	s := func(name, userID string, regions []string, want connect.Code) validationCase {
		return unary("SetAuditorRegions/"+name, c.SetAuditorRegions, &marqueev1.SetAuditorRegionsRequest{UserId: userID, Regions: regions}, want)
	}
	role := func(name string, chain string, want connect.Code) validationCase {
		return unary("SetUserRole/"+name, c.SetUserRole, &marqueev1.SetUserRoleRequest{UserId: "01JDUSER",
			Role: marqueev1.Role_ROLE_AUDITOR, ChainId: chain}, want)
	}
	return []validationCase{
		s("OKNone", "01JDUSER", nil, passes),
		s("OKTwo", "01JDUSER", []string{"us-east1", "europe-west1"}, passes),
		s("ErrNoUserID", "", []string{"us-east1"}, refused),
		s("ErrBadRegion", "01JDUSER", []string{"us east"}, refused),
		s("ErrDuplicate", "01JDUSER", []string{"us-east1", "us-east1"}, refused),
		role("OKAuditor", "", passes),
	}
}

func myDataCases(c marqueev1connect.AccountServiceClient) []validationCase {
	e := func(name, password, confirm string, want connect.Code) validationCase {
		return unary("EraseMyData/"+name, c.EraseMyData, &marqueev1.EraseMyDataRequest{Password: password, Confirm: confirm}, want)
	}
	return []validationCase{
		streamed("ExportMyData/OK", c.ExportMyData, &marqueev1.ExportMyDataRequest{}, passes),
		e("OK", "s3cret-pass", "ERASE", passes),
		e("ErrNoConfirm", "s3cret-pass", "", refused),
		e("ErrConfirmLowerCase", "s3cret-pass", "erase", refused),
		e("ErrNoPassword", "", "ERASE", refused),
	}
}

// TestComplianceWiring checks what NewMux serves with and without Services.Compliance: without it,
// ComplianceService is not there and the archive's methods of AccountService and AdminService say why; with
// it, ComplianceService asks for a token, and EraseMyData checks the password before anything is erased.
func TestComplianceWiring(t *testing.T) {
	e := newEnv(t)
	ctx, u := context.Background(), e.mustRegister(t)
	admin := marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
	t.Run("WithoutArchive", func(t *testing.T) {
		s, err := e.accounts.ExportMyData(ctx, as(u, &marqueev1.ExportMyDataRequest{}))
		if err == nil {
			for s.Receive() {
			}
			err = s.Err()
			_ = s.Close()
		}
		if ce := wantCode(t, err, connect.CodeUnimplemented); !strings.Contains(ce.Message(), "compliance archive") {
			t.Errorf("message %q does not say the archive is not served", ce.Message())
		}
		_, err = e.accounts.EraseMyData(ctx, as(u, &marqueev1.EraseMyDataRequest{Password: "s3cret-pass", Confirm: "ERASE"}))
		wantCode(t, err, connect.CodeUnimplemented)
		_, err = admin.SetAuditorRegions(ctx, as(u, &marqueev1.SetAuditorRegionsRequest{UserId: u.id}))
		wantCode(t, err, connect.CodeUnimplemented)
		c := marqueev1connect.NewComplianceServiceClient(http.DefaultClient, e.url)
		_, err = c.LookupBooking(ctx, as(u, &marqueev1.LookupBookingRequest{ConfirmationCode: "7KQ2-M9XD"}))
		wantCode(t, err, connect.CodeUnimplemented)
	})
	t.Run("WithArchive", func(t *testing.T) {
		// An archive with no store: any call that reached it would fail the test.
		svcs := e.svcs
		svcs.Compliance = &archive.Service{}
		srv := httptest.NewServer(rpc.NewMux(svcs, slog.New(slog.NewTextHandler(io.Discard, nil))))
		t.Cleanup(srv.Close)
		c := marqueev1connect.NewComplianceServiceClient(srv.Client(), srv.URL)
		_, err := c.LookupBooking(ctx, connect.NewRequest(&marqueev1.LookupBookingRequest{ConfirmationCode: "7KQ2-M9XD"}))
		wantCode(t, err, connect.CodeUnauthenticated)
		_, err = c.LookupBooking(ctx, as(u, &marqueev1.LookupBookingRequest{}))
		wantCode(t, err, connect.CodeInvalidArgument)
		accounts := marqueev1connect.NewAccountServiceClient(srv.Client(), srv.URL)
		_, err = accounts.EraseMyData(ctx, as(u, &marqueev1.EraseMyDataRequest{Password: "wrong-pass", Confirm: "ERASE"}))
		if ce := wantCode(t, err, connect.CodeUnauthenticated); ce.Message() != "wrong password" {
			t.Errorf("message = %q, want %q", ce.Message(), "wrong password")
		}
	})
}
