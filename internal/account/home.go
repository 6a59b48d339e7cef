package account

import (
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// Point is a place on Earth in degrees.
type Point struct {
	Latitude, Longitude float64
}

// Validate checks that p is on Earth: a latitude from -90 to 90 and a longitude from -180 to 180 (NaN is
// neither).
func (p Point) Validate() error {
	const op = "account.Point.Validate"
	if !(p.Latitude >= -90 && p.Latitude <= 90) {
		return errs.Errorf(op, errs.Invalid, "latitude must be between -90 and 90")
	}
	if !(p.Longitude >= -180 && p.Longitude <= 180) {
		return errs.Errorf(op, errs.Invalid, "longitude must be between -180 and 180")
	}
	return nil
}

// HomeRegion is the home region of a person registering near a location: the region nearest to near (by
// great-circle distance, ties to the first by name), or fallback, the region serving the registration, when
// near is nil. near must be valid (see Point.Validate).
func HomeRegion(near *Point, fallback regions.Region) regions.Region {
	if near == nil {
		return fallback
	}
	if r, ok := regions.Nearest(near.Latitude, near.Longitude, regions.All()); ok {
		return r
	}
	return fallback
}
