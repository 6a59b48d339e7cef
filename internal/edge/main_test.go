package edge

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/natsserver"
)

// TestMainRunsFromFlags runs `marquee edge` as the command does: the first --region-url is the edge's own
// region, /healthz answers, and catalog events reach the cache through --nats-url.
func TestMainRunsFromFlags(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	nsrv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nsrv.Close)
	m := NewMain()
	m.Config.Log = nil
	err = m.ParseFlags("marquee edge", []string{"--addr", "127.0.0.1:0", "--region-url", "europe-west1=" + eu.url(),
		"--region-url", "us-east1=" + us.url(), "--nats-url", nsrv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	base := "http://" + m.ListenAddr()
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	got, err := marqueev1connect.NewCatalogServiceClient(http.DefaultClient, base).ListCities(context.Background(),
		connect.NewRequest(&marqueev1.ListCitiesRequest{}))
	if err != nil || got.Header().Get(RegionHeader) != "europe-west1" {
		t.Fatalf("ListCities: %v, served by %q, want the first --region-url's", err, got.Header().Get(RegionHeader))
	}
}

// TestMainRefusesBadFlags checks the command's errors.
func TestMainRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"NoRegions", nil, "at least one --region-url"},
		{"NotNameEqualsURL", []string{"--region-url", "us-east1"}, "want NAME=URL"},
		{"UnknownRegion", []string{"--region-url", "mars-north1=http://127.0.0.1:1"}, `unknown region "mars-north1"`},
		{"BadURL", []string{"--region-url", "us-east1=127.0.0.1:1"}, "bad URL"},
		{"UnknownOwnRegion", []string{"--region-url", "us-east1=http://127.0.0.1:1", "--region", "moon1"}, `unknown region "moon1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain()
			m.Config.Log, m.Addr = nil, "127.0.0.1:0"
			err := m.ParseFlags("marquee edge", tc.args)
			if err == nil {
				err = m.Run(context.Background())
				_ = m.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
