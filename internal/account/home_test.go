package account_test

import (
	"context"
	"math"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// mustRegion returns the region called name.
func mustRegion(t *testing.T, name string) regions.Region {
	t.Helper()
	r, ok := regions.ByName(name)
	if !ok {
		t.Fatalf("no region %q in regions/", name)
	}
	return r
}

// homeClaim returns the home region claim of a token signed by svc.
func homeClaim(t *testing.T, svc *account.Service, token string) any {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return svc.Secret, nil },
		jwt.WithTimeFunc(svc.Now)); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	return claims[account.HomeRegionClaim]
}

func TestHomeRegion(t *testing.T) {
	fallback := mustRegion(t, "asia-south1")
	tests := []struct {
		name string
		near *account.Point
		want string
	}{
		{"OKMumbai", &account.Point{Latitude: 19.07, Longitude: 72.88}, "asia-south1"},
		{"OKLondon", &account.Point{Latitude: 51.51, Longitude: -0.13}, "europe-west1"},
		{"OKNewYork", &account.Point{Latitude: 40.71, Longitude: -74.01}, "us-east1"},
		{"OKSaoPaulo", &account.Point{Latitude: -23.55, Longitude: -46.63}, "us-east1"},
		{"OKSingapore", &account.Point{Latitude: 1.35, Longitude: 103.82}, "asia-south1"},
		{"OKHonoluluNotTheFallback", &account.Point{Latitude: 21.31, Longitude: -157.86}, "us-east1"},
		{"OKZeroIsAPlace", &account.Point{}, "europe-west1"},
		{"OKNoLocationIsTheFallback", nil, "asia-south1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, account.HomeRegion(tt.near, fallback).Name); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPointValidate(t *testing.T) {
	tests := []struct {
		name string
		p    account.Point
		want string // the Invalid error's message, "" for none
	}{
		{"OK", account.Point{Latitude: 19.07, Longitude: 72.88}, ""},
		{"OKNorthEast", account.Point{Latitude: 90, Longitude: 180}, ""},
		{"OKSouthWest", account.Point{Latitude: -90, Longitude: -180}, ""},
		{"ErrLatitude", account.Point{Latitude: 91}, "latitude must be between -90 and 90"},
		{"ErrLatitudeNaN", account.Point{Latitude: math.NaN()}, "latitude must be between -90 and 90"},
		{"ErrLongitude", account.Point{Longitude: -180.5}, "longitude must be between -180 and 180"},
		{"ErrLongitudeInf", account.Point{Longitude: math.Inf(1)}, "longitude must be between -180 and 180"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if diff := cmp.Diff(tt.want, errs.Message(err)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if (err != nil) != errs.Is(err, errs.Invalid) {
				t.Errorf("Validate = %v, want an Invalid error or none", err)
			}
		})
	}
}

// TestRegisterHomeRegion checks that the home region chosen at registration is returned, stored and carried
// in the tokens of Register and Login; newService serves europe-west1.
func TestRegisterHomeRegion(t *testing.T) {
	homed := func(region string) result { return result{User: account.User{HomeRegion: region}} }
	tests := []struct {
		name string
		near *account.Point
		want result // User holds only the home region
	}{
		{"OKNearMumbai", &account.Point{Latitude: 19.07, Longitude: 72.88}, homed("asia-south1")},
		{"OKNearNewYork", &account.Point{Latitude: 40.71, Longitude: -74.01}, homed("us-east1")},
		{"OKNoLocation", nil, homed("europe-west1")},
		{"ErrLatitude", &account.Point{Latitude: 91, Longitude: 72.88},
			result{Kind: errs.Invalid, Msg: "latitude must be between -90 and 90"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st, _ := newService(t)
			ctx := context.Background()
			u, tok, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", tt.near)
			got := resultOf(account.User{HomeRegion: u.HomeRegion}, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				if len(st.users) != 0 {
					t.Errorf("a refused registration stored %v", st.users)
				}
				return
			}
			if stored := st.users["ana@example.com"].HomeRegion; stored != tt.want.User.HomeRegion {
				t.Errorf("stored home region %q, want %q", stored, tt.want.User.HomeRegion)
			}
			_, loginTok, err := svc.Login(ctx, "ana@example.com", "s3cret-pass")
			if err != nil {
				t.Fatal(err)
			}
			for what, tok := range map[string]string{"Register": tok.Access, "Login": loginTok.Access} {
				if claim := homeClaim(t, svc, tok); claim != tt.want.User.HomeRegion {
					t.Errorf("%s token's %s claim = %v, want %q", what, account.HomeRegionClaim, claim, tt.want.User.HomeRegion)
				}
			}
		})
	}
}

func TestRegisterWithoutRegion(t *testing.T) {
	svc, st, _ := newService(t)
	svc.Region = regions.Region{}
	_, _, err := svc.Register(context.Background(), "ana@example.com", "s3cret-pass", "Ana", nil)
	if err == nil || errs.KindOf(err) != errs.Other || len(st.users) != 0 {
		t.Fatalf("Register with no serving region = %v (users %v), want an internal error and no user", err, st.users)
	}
}
