package edge

import (
	"context"
	"io"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// TestWebAppAndAPIShareTheOrigin checks that the edge hands every page path to the web app (with the app's own
// routes answered by its index page) and every procedure to a region, including unknown procedures, which get
// Connect's unimplemented rather than a page.
func TestWebAppAndAPIShareTheOrigin(t *testing.T) {
	us := startFake(t, "us-east1")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "app:"+r.URL.Path)
	})
	_, base := startEdge(t, "us-east1", Config{Web: app}, map[string][]*fakeRegion{"us-east1": {us}})
	for _, p := range []string{"/", "/movie/m_dune", "/showtime/use1_01JD", "/assets/main-X.js", "/favicon.ico"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(body) != "app:"+p {
			t.Errorf("GET %s answered %q, want the web app", p, body)
		}
	}
	ctx := context.Background()
	seats := marqueev1connect.NewSeatServiceClient(h2c, base)
	if _, err := seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: "use1_a"})); err != nil {
		t.Fatalf("GetSeatMap through the edge next to the app: %v", err)
	}
	unknown := connect.NewClient[marqueev1.GetSeatMapRequest, marqueev1.GetSeatMapResponse](h2c,
		base+"/marquee.v1.SeatService/Teleport")
	_, err := unknown.CallUnary(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: "use1_a"}))
	if connect.CodeOf(err) != connect.CodeUnimplemented {
		t.Fatalf("unknown procedure: %v, want unimplemented", err)
	}
	wantSeen(t, map[*fakeRegion][]string{us: {"SeatService/GetSeatMap"}})
	for _, p := range []string{"/marquee.v1.SeatService/GetSeatMap", "/x.y.ZService/Do"} {
		if !looksLikeProcedure(p) {
			t.Errorf("looksLikeProcedure(%q) = false", p)
		}
	}
	for _, p := range []string{"/", "/movie/a.b", "/assets/main.js", "/a.bService/x/y"} {
		if looksLikeProcedure(p) {
			t.Errorf("looksLikeProcedure(%q) = true", p)
		}
	}
}
