package catalog

import (
	"fmt"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Cleaning is the gap a screen needs between two shows.
const Cleaning = 15 * time.Minute

// Trailers is how long a show runs before the movie starts.
const Trailers = 20 * time.Minute

// ValidateMovie checks a movie an admin submits.
func ValidateMovie(m Movie) error {
	const op = "catalog.ValidateMovie"
	switch {
	case strings.TrimSpace(m.Title) == "":
		return errs.Errorf(op, errs.Invalid, "a movie needs a title")
	case m.RuntimeMinutes < 1 || m.RuntimeMinutes > 600:
		return errs.Errorf(op, errs.Invalid, "runtime must be 1 to 600 minutes")
	case m.Language == "":
		return errs.Errorf(op, errs.Invalid, "a movie needs its original language")
	}
	return nil
}

// ValidateTheatre checks a theatre an operator submits.
func ValidateTheatre(t Theatre) error {
	const op = "catalog.ValidateTheatre"
	switch {
	case strings.TrimSpace(t.Name) == "" || strings.TrimSpace(t.Address) == "":
		return errs.Errorf(op, errs.Invalid, "a theatre needs a name and an address")
	case t.Latitude < -90 || t.Latitude > 90 || t.Longitude < -180 || t.Longitude > 180:
		return errs.Errorf(op, errs.Invalid, "latitude or longitude out of range")
	}
	if _, err := time.LoadLocation(t.TimeZone); err != nil || t.TimeZone == "" {
		return errs.Errorf(op, errs.Invalid, "unknown time zone %q", t.TimeZone)
	}
	return nil
}

// ValidateLayout checks a screen's seats: unique row letters and seat numbers, columns increasing along each
// row (an aisle or gap is a skipped column), and every companion seat beside a wheelchair space.
func ValidateLayout(seats []Seat) error {
	const op = "catalog.ValidateLayout"
	if len(seats) == 0 || len(seats) > 1000 {
		return errs.Errorf(op, errs.Invalid, "a screen has 1 to 1000 seats")
	}
	byPos := map[[2]int]Seat{}
	seen := map[string]bool{}
	lastX := map[int]int{}
	for _, s := range seats {
		if seen[s.ID] {
			return errs.Errorf(op, errs.Invalid, "seat %s appears twice", s.ID)
		}
		if x, ok := lastX[s.Y]; ok && s.X <= x {
			return errs.Errorf(op, errs.Invalid, "row %s: seat %s must be right of the seat before it", s.Row, s.ID)
		}
		if !s.Type.Valid() {
			return errs.Errorf(op, errs.Invalid, "seat %s has no valid type", s.ID)
		}
		seen[s.ID], lastX[s.Y], byPos[[2]int{s.X, s.Y}] = true, s.X, s
	}
	for _, s := range seats {
		if s.Type != SeatCompanion {
			continue
		}
		l, r := byPos[[2]int{s.X - 1, s.Y}], byPos[[2]int{s.X + 1, s.Y}]
		if l.Type != SeatAccessible && r.Type != SeatAccessible {
			return errs.Errorf(op, errs.Invalid, "companion seat %s must be beside a wheelchair space", s.ID)
		}
	}
	return nil
}

// SeatID names a seat from its row and number, for example "F12".
func SeatID(row string, number int) string { return fmt.Sprintf("%s%d", row, number) }
