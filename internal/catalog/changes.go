package catalog

// Kinds of catalog row, as a catalog change names them (the Kind of a CatalogChanged event).
const (
	KindMovie    = "movie"
	KindTheatre  = "theatre"
	KindScreen   = "screen"
	KindShowtime = "showtime"
)
