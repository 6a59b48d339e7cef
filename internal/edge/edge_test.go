package edge

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// header returns a call's response headers, from its response or, for an error, from the error's metadata.
func header[T any](res *connect.Response[T], err error) http.Header {
	if err != nil {
		if ce, ok := err.(*connect.Error); ok {
			return ce.Meta()
		}
		return http.Header{}
	}
	return res.Header()
}

func withHeader[T any](msg *T, name, value string) *connect.Request[T] {
	req := connect.NewRequest(msg)
	if value != "" {
		req.Header().Set(name, value)
	}
	return req
}

// routingCase is a call and the region that must serve it.
type routingCase struct {
	name string
	call func() http.Header
	want *fakeRegion
	proc string
}

// TestRoutesEachKindOfCallToItsRegion sends calls routed by ID, home region, location and globally, and checks
// both the Marquee-Region header and which region's server saw the call.
func TestRoutesEachKindOfCallToItsRegion(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	_, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	cases := slices.Concat(idCases(base, us, eu), regionCases(base, us, eu), homeCases(base, us, eu), placeCases(base, us, eu))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.call().Get(RegionHeader); got != tc.want.name {
				t.Errorf("%s = %q, want %q", RegionHeader, got, tc.want.name)
			}
			want := map[*fakeRegion][]string{us: nil, eu: nil}
			want[tc.want] = []string{tc.proc}
			wantSeen(t, want)
		})
	}
}

// idCases route by an ID field.
func idCases(base string, us, eu *fakeRegion) []routingCase {
	ctx := context.Background()
	seats := marqueev1connect.NewSeatServiceClient(h2c, base)
	admin := marqueev1connect.NewAdminServiceClient(h2c, base)
	return []routingCase{
		{"IDEurope", func() http.Header {
			return header(seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: "euw1_01JDSHOW"})))
		}, eu, "SeatService/GetSeatMap"},
		{"IDUS", func() http.Header {
			return header(seats.HoldSeats(ctx, connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: "use1_01JDSHOW", SeatIds: []string{"A1"}})))
		}, us, "SeatService/HoldSeats"},
		{"NestedID", func() http.Header {
			return header(admin.UpsertTheatre(ctx, connect.NewRequest(&marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Id: "euw1_01JDTHEATRE"}})))
		}, eu, "AdminService/UpsertTheatre"},
		{"NestedIDOptionalEmpty", func() http.Header {
			return header(admin.UpsertTheatre(ctx, connect.NewRequest(&marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "new"}})))
		}, us, "AdminService/UpsertTheatre"},
	}
}

// regionCases route by a region name field.
func regionCases(base string, us, eu *fakeRegion) []routingCase {
	ctx := context.Background()
	compliance := marqueev1connect.NewComplianceServiceClient(h2c, base)
	lookup := func(region string) func() http.Header {
		return func() http.Header {
			return header(compliance.LookupBooking(ctx, connect.NewRequest(&marqueev1.LookupBookingRequest{
				ConfirmationCode: "7KQ2-M9XD", Region: region})))
		}
	}
	return []routingCase{
		{"RegionEurope", func() http.Header {
			return header(compliance.SearchBookings(ctx, connect.NewRequest(&marqueev1.SearchBookingsRequest{
				Region: "europe-west1", Who: &marqueev1.SearchBookingsRequest_UserId{UserId: "u1"}})))
		}, eu, "ComplianceService/SearchBookings"},
		{"RegionUS", func() http.Header {
			return header(compliance.ListAuditLog(ctx, connect.NewRequest(&marqueev1.ListAuditLogRequest{Region: "us-east1"})))
		}, us, "ComplianceService/ListAuditLog"},
		{"RegionOptionalSet", lookup("europe-west1"), eu, "ComplianceService/LookupBooking"},
		{"RegionOptionalEmpty", lookup(""), us, "ComplianceService/LookupBooking"},
	}
}

// homeCases route by the home_region claim of the bearer token.
func homeCases(base string, us, eu *fakeRegion) []routingCase {
	ctx := context.Background()
	bookings := marqueev1connect.NewBookingServiceClient(h2c, base)
	mine := func(claims map[string]any) func() http.Header {
		return func() http.Header {
			return header(bookings.ListMyBookings(ctx, withHeader(&marqueev1.ListMyBookingsRequest{}, "Authorization",
				"Bearer "+token(claims))))
		}
	}
	return []routingCase{
		{"HomeFromToken", mine(map[string]any{"sub": "u1", "home_region": "europe-west1"}), eu, "BookingService/ListMyBookings"},
		{"HomeWithoutClaim", mine(map[string]any{"sub": "u1"}), us, "BookingService/ListMyBookings"},
		{"HomeUnknownRegion", mine(map[string]any{"home_region": "mars-north1"}), us, "BookingService/ListMyBookings"},
	}
}

// placeCases route by location, and globally.
func placeCases(base string, us, eu *fakeRegion) []routingCase {
	ctx := context.Background()
	search := marqueev1connect.NewSearchServiceClient(h2c, base)
	catalog := marqueev1connect.NewCatalogServiceClient(h2c, base)
	accounts := marqueev1connect.NewAccountServiceClient(h2c, base)
	london := &marqueev1.GeoPoint{Latitude: 51.5074, Longitude: -0.1278}
	newYork := &marqueev1.GeoPoint{Latitude: 40.7128, Longitude: -74.006}
	return []routingCase{
		{"LocationField", func() http.Header {
			return header(search.SearchTheatres(ctx, connect.NewRequest(&marqueev1.SearchTheatresRequest{Near: london, RadiusKm: 10})))
		}, eu, "SearchService/SearchTheatres"},
		{"LocationFieldOverHint", func() http.Header {
			return header(search.SearchTheatres(ctx, withHeader(&marqueev1.SearchTheatresRequest{Near: newYork, RadiusKm: 10},
				LocationHeader, "48.85,2.35")))
		}, us, "SearchService/SearchTheatres"},
		{"LocationHint", func() http.Header {
			return header(catalog.ListCities(ctx, withHeader(&marqueev1.ListCitiesRequest{}, LocationHeader, "48.85, 2.35")))
		}, eu, "CatalogService/ListCities"},
		{"LocationNone", func() http.Header {
			return header(catalog.ListCities(ctx, connect.NewRequest(&marqueev1.ListCitiesRequest{})))
		}, us, "CatalogService/ListCities"},
		{"LocationBadHint", func() http.Header {
			return header(catalog.ListMovies(ctx, withHeader(&marqueev1.ListMoviesRequest{}, LocationHeader, "north")))
		}, us, "CatalogService/ListMovies"},
		{"Global", func() http.Header {
			return header(accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{Email: "a@b.c", Password: "x"})))
		}, us, "AccountService/Login"},
	}
}

// TestEveryProtocolIsRoutedAndForwarded sends the same kind of call in every protocol and encoding a client may
// use; each must reach the region in its ID and come back intact.
func TestEveryProtocolIsRoutedAndForwarded(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	_, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	for _, tc := range []struct {
		name string
		opts []connect.ClientOption
	}{
		{"ConnectProto", nil},
		{"ConnectJSON", []connect.ClientOption{connect.WithProtoJSON()}},
		{"ConnectGzip", []connect.ClientOption{connect.WithSendGzip()}},
		{"ConnectGET", []connect.ClientOption{connect.WithHTTPGet()}},
		{"ConnectGETJSONGzip", []connect.ClientOption{connect.WithHTTPGet(), connect.WithProtoJSON(), connect.WithSendGzip()}},
		{"GRPC", []connect.ClientOption{connect.WithGRPC()}},
		{"GRPCGzip", []connect.ClientOption{connect.WithGRPC(), connect.WithSendGzip()}},
		{"GRPCWeb", []connect.ClientOption{connect.WithGRPCWeb()}},
		{"GRPCWebJSON", []connect.ClientOption{connect.WithGRPCWeb(), connect.WithProtoJSON()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seats := marqueev1connect.NewSeatServiceClient(h2c, base, tc.opts...)
			id := "euw1_" + tc.name // distinct requests: none is answered from the cache
			res, err := seats.GetSeatMap(context.Background(), connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: id}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Msg.ShowtimeId != id || res.Msg.Seats[0].Id != "europe-west1" || res.Header().Get(RegionHeader) != "europe-west1" {
				t.Errorf("answer %v, %s %q", res.Msg, RegionHeader, res.Header().Get(RegionHeader))
			}
			wantSeen(t, map[*fakeRegion][]string{us: nil, eu: {"SeatService/GetSeatMap"}})
		})
	}
}

// TestServerStreamThroughTheEdge streams ReindexSearch's progress through the edge in each streaming protocol.
func TestServerStreamThroughTheEdge(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	_, base := startEdge(t, "europe-west1", Config{}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	for _, tc := range []struct {
		name string
		opts []connect.ClientOption
	}{
		{"Connect", nil},
		{"ConnectJSONGzip", []connect.ClientOption{connect.WithProtoJSON(), connect.WithSendGzip()}},
		{"GRPC", []connect.ClientOption{connect.WithGRPC()}},
		{"GRPCWeb", []connect.ClientOption{connect.WithGRPCWeb()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin := marqueev1connect.NewAdminServiceClient(h2c, base, tc.opts...)
			stream, err := admin.ReindexSearch(context.Background(), connect.NewRequest(&marqueev1.ReindexSearchRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			var got []int32
			for stream.Receive() {
				got = append(got, stream.Msg().Done)
			}
			if err := stream.Err(); err != nil || len(got) != 3 || got[2] != 3 {
				t.Fatalf("stream gave %v, err %v", got, err)
			}
			if r := stream.ResponseHeader().Get(RegionHeader); r != "europe-west1" {
				t.Errorf("%s = %q, want the edge's own region", RegionHeader, r)
			}
			wantSeen(t, map[*fakeRegion][]string{us: nil, eu: {"AdminService/ReindexSearch"}})
		})
	}
}

// TestCallsSpreadOverARegionsServers sends calls to a region with two servers: both get some.
func TestCallsSpreadOverARegionsServers(t *testing.T) {
	a, b := startFake(t, "us-east1"), startFake(t, "us-east1")
	_, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {a, b}})
	seats := marqueev1connect.NewSeatServiceClient(h2c, base)
	for range 4 {
		if _, err := seats.HoldSeats(context.Background(), connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: "use1_x"})); err != nil {
			t.Fatal(err)
		}
	}
	if na, nb := len(a.calls()), len(b.calls()); na == 0 || nb == 0 || na+nb != 4 {
		t.Errorf("servers got %d and %d of 4 calls", na, nb)
	}
}

// TestRegionErrorsPassThrough checks that an error a region answers with (here unimplemented, from the fake's
// catalog) reaches the client unchanged in every protocol, gRPC's status trailers included.
func TestRegionErrorsPassThrough(t *testing.T) {
	eu := startFake(t, "europe-west1")
	_, base := startEdge(t, "europe-west1", Config{}, map[string][]*fakeRegion{"europe-west1": {eu}})
	for _, tc := range []struct {
		name string
		opts []connect.ClientOption
	}{{"Connect", nil}, {"GRPC", []connect.ClientOption{connect.WithGRPC()}}, {"GRPCWeb", []connect.ClientOption{connect.WithGRPCWeb()}}} {
		t.Run(tc.name, func(t *testing.T) {
			catalog := marqueev1connect.NewCatalogServiceClient(h2c, base, tc.opts...)
			_, err := catalog.ListTheatres(context.Background(), connect.NewRequest(&marqueev1.ListTheatresRequest{}))
			if connect.CodeOf(err) != connect.CodeUnimplemented {
				t.Fatalf("error %v, want the region's unimplemented", err)
			}
			if r := header[marqueev1.ListTheatresResponse](nil, err).Get(RegionHeader); r != "europe-west1" {
				t.Errorf("%s = %q", RegionHeader, r)
			}
			wantSeen(t, map[*fakeRegion][]string{eu: {"CatalogService/ListTheatres"}})
		})
	}
}
