package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// TestBadInputIsRefusedAtTheEdge sends calls the edge cannot route, in Connect and gRPC: each gets the error
// code that says why, in the client's protocol, and no region sees anything.
func TestBadInputIsRefusedAtTheEdge(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	_, base := startEdge(t, "us-east1", Config{MaxBodyBytes: 1 << 10}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	ctx := context.Background()
	for _, p := range []struct {
		name string
		opts []connect.ClientOption
	}{{"Connect", nil}, {"ConnectJSON", []connect.ClientOption{connect.WithProtoJSON()}},
		{"GRPC", []connect.ClientOption{connect.WithGRPC()}}, {"GRPCWeb", []connect.ClientOption{connect.WithGRPCWeb()}}} {
		seats := marqueev1connect.NewSeatServiceClient(h2c, base, p.opts...)
		theatres := marqueev1connect.NewAdminServiceClient(h2c, base, p.opts...)
		compliance := marqueev1connect.NewComplianceServiceClient(h2c, base, p.opts...)
		unknown := connect.NewClient[marqueev1.GetSeatMapRequest, marqueev1.GetSeatMapResponse](h2c,
			base+"/marquee.v1.SeatService/Teleport", p.opts...)
		for _, tc := range []struct {
			name string
			call func() error
			want connect.Code
		}{
			{"MissingField", func() error {
				_, err := seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{}))
				return err
			}, connect.CodeInvalidArgument},
			{"MissingTheatreID", func() error {
				_, err := theatres.UpsertScreen(ctx, connect.NewRequest(&marqueev1.UpsertScreenRequest{Name: "no theatre"}))
				return err
			}, connect.CodeInvalidArgument},
			{"UnknownPrefix", func() error {
				_, err := seats.HoldSeats(ctx, connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: "mars1_01JD"}))
				return err
			}, connect.CodeNotFound},
			{"NoPrefix", func() error {
				_, err := seats.ReleaseHold(ctx, connect.NewRequest(&marqueev1.ReleaseHoldRequest{HoldId: "01JDHOLD"}))
				return err
			}, connect.CodeNotFound},
			{"MissingRegion", func() error {
				stream, err := compliance.RunArchive(ctx, connect.NewRequest(&marqueev1.RunArchiveRequest{}))
				if err != nil {
					return err
				}
				defer stream.Close()
				for stream.Receive() {
				}
				return stream.Err()
			}, connect.CodeInvalidArgument},
			{"UnknownRegion", func() error {
				_, err := compliance.ListAuditLog(ctx, connect.NewRequest(&marqueev1.ListAuditLogRequest{Region: "mars-north1"}))
				return err
			}, connect.CodeNotFound},
			{"UnknownOptionalRegion", func() error {
				_, err := compliance.LookupBooking(ctx, connect.NewRequest(&marqueev1.LookupBookingRequest{
					ConfirmationCode: "7KQ2-M9XD", Region: "mars-north1"}))
				return err
			}, connect.CodeNotFound},
			{"UnknownProcedure", func() error {
				_, err := unknown.CallUnary(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: "use1_a"}))
				return err
			}, connect.CodeUnimplemented},
			{"TooLarge", func() error {
				_, err := seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: "use1_" + strings.Repeat("x", 2<<10)}))
				return err
			}, connect.CodeResourceExhausted},
		} {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				if err := tc.call(); connect.CodeOf(err) != tc.want {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				wantSeen(t, map[*fakeRegion][]string{us: nil, eu: nil})
			})
		}
	}
}

// TestBadBodiesAreRefusedAtTheEdge posts bytes no client library would send.
func TestBadBodiesAreRefusedAtTheEdge(t *testing.T) {
	us := startFake(t, "us-east1")
	_, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}})
	for _, tc := range []struct {
		name, contentType, encoding, body string
		status                            int
		code                              string
	}{
		{"BadJSON", "application/json", "", `{"showtimeId":`, http.StatusBadRequest, "invalid_argument"},
		{"BadProto", "application/proto", "", "\xff\xff\xff", http.StatusBadRequest, "invalid_argument"},
		{"BadGzip", "application/json", "gzip", `{"showtimeId":"use1_a"}`, http.StatusBadRequest, "invalid_argument"},
		{"UnknownCompression", "application/json", "br", `{}`, http.StatusNotImplemented, "unimplemented"},
		{"UnknownCodec", "application/xml", "", `<x/>`, http.StatusNotImplemented, "unimplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, base+"/marquee.v1.SeatService/GetSeatMap", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got struct{ Code string }
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil || res.StatusCode != tc.status || got.Code != tc.code {
				t.Fatalf("status %d body %s, want %d %s", res.StatusCode, buf.String(), tc.status, tc.code)
			}
			wantSeen(t, map[*fakeRegion][]string{us: nil})
		})
	}
}
