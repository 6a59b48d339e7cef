package rpc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/errs"
)

// failingAdmin is an AdminService whose ReindexSearch (streaming, after one progress message) and SetUserRole
// (unary) fail with err.
type failingAdmin struct {
	marqueev1connect.UnimplementedAdminServiceHandler
	err error
}

func (h *failingAdmin) ReindexSearch(_ context.Context, _ *connect.Request[marqueev1.ReindexSearchRequest], stream *connect.ServerStream[marqueev1.ReindexSearchResponse]) error {
	if err := stream.Send(&marqueev1.ReindexSearchResponse{Done: 1, Total: 2}); err != nil {
		return err
	}
	return h.err
}

func (h *failingAdmin) SetUserRole(context.Context, *connect.Request[marqueev1.SetUserRoleRequest]) (*connect.Response[marqueev1.SetUserRoleResponse], error) {
	if h.err != nil {
		return nil, h.err
	}
	return connect.NewResponse(&marqueev1.SetUserRoleResponse{}), nil
}

// outcome is what a client sees of a call's error.
type outcome struct {
	Code    connect.Code
	Message string
}

func outcomeOf(err error) outcome {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return outcome{Message: "not a connect error: " + err.Error()}
	}
	return outcome{Code: ce.Code(), Message: ce.Message()}
}

// TestErrorInterceptor checks that unary and streaming handlers alike reach clients with the Connect code of
// their error's kind, and that an internal error reaches them as "internal error" only, its cause logged.
func TestErrorInterceptor(t *testing.T) {
	const secret = "dial tcp 10.0.0.7:5432: password authentication failed for user marquee"
	tests := []struct {
		name string
		err  error
		want *outcome // nil: no error
		logs int      // log lines with the cause, over both calls
	}{
		{"OK", nil, nil, 0},
		{"ErrInternal", errs.E("search.Reindex", errors.New(secret)), &outcome{connect.CodeInternal, "internal error"}, 2},
		{"ErrPermission", errs.Errorf("admin.RequireAdmin", errs.Permission, "only platform admins may do this"),
			&outcome{connect.CodePermissionDenied, "only platform admins may do this"}, 0},
		{"ErrUnavailable", errs.Errorf("admin.ReindexSearch", errs.Unavailable, "search is not running in this process"),
			&outcome{connect.CodeUnavailable, "search is not running in this process"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			client := serveAdmin(t, &failingAdmin{err: tt.err}, log)
			calls := map[string]error{"Streaming": reindexErr(t, client), "Unary": unaryErr(client)}
			for call, err := range calls {
				var got *outcome
				if err != nil {
					o := outcomeOf(err)
					got = &o
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: mismatch (-want +got):\n%s", call, diff)
				}
				if err != nil && strings.Contains(err.Error(), "password") {
					t.Errorf("%s: the client saw the cause: %v", call, err)
				}
			}
			lines := strings.Count(logged.String(), "\n")
			if causes := strings.Count(logged.String(), secret); lines != tt.logs || causes != tt.logs {
				t.Errorf("log = %q, want %d lines, each with the cause", logged.String(), tt.logs)
			}
		})
	}
}

// serveAdmin serves h with the error interceptor and returns a client of it.
func serveAdmin(t *testing.T, h marqueev1connect.AdminServiceHandler, log *slog.Logger) marqueev1connect.AdminServiceClient {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(marqueev1connect.NewAdminServiceHandler(h, connect.WithInterceptors(&errorInterceptor{log: log})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return marqueev1connect.NewAdminServiceClient(srv.Client(), srv.URL)
}

// reindexErr runs ReindexSearch to its end and returns the stream's error; it fails the test unless the
// progress message sent before the error arrived.
func reindexErr(t *testing.T, c marqueev1connect.AdminServiceClient) error {
	t.Helper()
	stream, err := c.ReindexSearch(context.Background(), connect.NewRequest(&marqueev1.ReindexSearchRequest{}))
	if err != nil {
		return err
	}
	defer stream.Close()
	n := 0
	for stream.Receive() {
		n++
	}
	if n != 1 {
		t.Errorf("received %d messages before the stream ended, want 1", n)
	}
	return stream.Err()
}

func unaryErr(c marqueev1connect.AdminServiceClient) error {
	_, err := c.SetUserRole(context.Background(), connect.NewRequest(&marqueev1.SetUserRoleRequest{}))
	return err
}
