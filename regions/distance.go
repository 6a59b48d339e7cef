package regions

import "math"

// DistanceKm is the great-circle distance between two points in kilometres.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthKm = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// DistanceTo is the distance in kilometres between the two regions' locations.
func (r Region) DistanceTo(o Region) float64 {
	return DistanceKm(r.Location.Latitude, r.Location.Longitude, o.Location.Latitude, o.Location.Longitude)
}

// Nearest returns the region of among nearest to (lat, lon), ties going to the first; false when among is
// empty.
func Nearest(lat, lon float64, among []Region) (Region, bool) {
	best, bestKm := Region{}, math.Inf(1)
	for _, r := range among {
		if d := DistanceKm(lat, lon, r.Location.Latitude, r.Location.Longitude); d < bestKm {
			best, bestKm = r, d
		}
	}
	return best, len(among) > 0
}
