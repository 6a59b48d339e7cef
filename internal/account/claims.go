package account

// HomeRegionClaim is the bearer token claim naming the caller's home region (a regions.Region name). The edge
// reads it, unverified, to route the caller's own calls (bookings, standby, wallet, settings) to that region;
// a token without it routes to the edge's own region.
const HomeRegionClaim = "home_region"

// SessionClaim is the access token claim naming its session (see Session).
const SessionClaim = "sid"
