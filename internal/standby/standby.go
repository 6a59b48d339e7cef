// Package standby keeps a fair line for sold-out shows. When seats are freed (a cancellation, an expired or
// released hold, a declined or lapsed offer) the line is served in order, highest loyalty tier first, then
// first come: each entry that the free seats can satisfy is offered them, held for that person for an offer
// window that shrinks as the show nears; an entry that cannot be satisfied keeps its place.
package standby

import (
	"context"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/watch"
	"github.com/marqueehq/marquee/regions"
)

// Status is where an entry is.
type Status string

// Entry statuses.
const (
	Waiting Status = "waiting"
	Offered Status = "offered"
	Booked  Status = "booked"
	Left    Status = "left"
	Closed  Status = "closed" // the show started
	Missed  Status = "missed" // an offer ran out
)

// Entry is a place in line.
type Entry struct {
	ID, Region, ShowtimeID, UserID string
	SeatCount                      int
	Together, Accessible           bool
	Tier                           int
	Status                         Status
	JoinedAt                       time.Time
	Position                       int    // 1 is next; 0 when not waiting
	Offer                          *Offer // the open offer, if any
}

// Offer holds seats for an entry until ExpiresAt.
type Offer struct {
	ID, Region, EntryID, ShowtimeID, UserID, HoldID string
	SeatIDs                                         []string
	Status                                          string // open, accepted, declined, expired
	CreatedAt, ExpiresAt                            time.Time
}

// Store keeps lines and offers.
type Store interface {
	// Join adds e to its show's line; a second place for the same person is a Conflict. Join, Leave and Settle
	// announce the entry's change (StandbyChanged) in their transactions, Offer the offer (StandbyOffered).
	Join(ctx context.Context, e Entry) error
	Entry(ctx context.Context, region, id string, now time.Time) (Entry, error)
	ListByUser(ctx context.Context, userID string, now time.Time) ([]Entry, error)
	// Leave takes userID's entry out of line and returns the hold of its open offer, if any.
	Leave(ctx context.Context, region, id, userID string, now time.Time) (string, error)
	// Waiting returns a show's line in order.
	Waiting(ctx context.Context, region, showtimeID string) ([]Entry, error)
	// Offer records an offer of held seats for a waiting entry; Precondition if it is no longer waiting.
	Offer(ctx context.Context, o Offer) error
	OfferByID(ctx context.Context, region, id string) (Offer, error)
	// Settle closes an open offer as accepted or declined and moves its entry to booked or left.
	Settle(ctx context.Context, region, offerID, status string, now time.Time) error
	// CloseStarted closes the lines of region's shows that have started and returns how many entries closed.
	CloseStarted(ctx context.Context, region string, now time.Time) (int, error)
	// ShowtimesWithLine lists region's showtimes that have people waiting.
	ShowtimesWithLine(ctx context.Context, region string) ([]string, error)
}

// Seats is what standby needs of inventory.
type Seats interface {
	SeatMap(ctx context.Context, showtimeID string) (inventory.SeatMap, error)
	HoldFor(ctx context.Context, userID, showtimeID string, seatIDs []string, ttl time.Duration) (inventory.Hold, error)
	Release(ctx context.Context, userID, holdID string) error
}

// Window says how long an offer lasts: Scale of the time left before the show, between Min and Max.
type Window struct {
	Min, Max time.Duration
	Scale    float64
}

// DefaultWindow gives 15 minutes a day ahead and 3 minutes an hour ahead.
var DefaultWindow = Window{Min: 3 * time.Minute, Max: 15 * time.Minute, Scale: 1.0 / 96}

// For returns the offer window for a show starting in left.
func (w Window) For(left time.Duration) time.Duration {
	d := time.Duration(float64(left) * w.Scale)
	return min(max(d, w.Min), w.Max)
}

// Service runs the lines.
type Service struct {
	Store    Store
	Seats    Seats
	Bookings *booking.Service
	Now      platform.Clock
	IDs      *platform.IDs
	Window   Window
	// Changes, when set, tells Watch when an entry may have changed: the events of its showtime (events/hub).
	// Set it before the first watch.
	Changes watch.Changes
	// Heartbeat is how long a watcher goes without news before its entry is sent again; default
	// watch.DefaultHeartbeat.
	Heartbeat time.Duration

	watched entryFeed
}

// Join puts userID in line for a showtime that cannot seat the request now.
func (s *Service) Join(ctx context.Context, e Entry) (Entry, error) {
	const op = "standby.Join"
	r, ok := regions.OfID(e.ShowtimeID)
	if !ok {
		return Entry{}, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	m, err := s.Seats.SeatMap(ctx, e.ShowtimeID)
	if err != nil {
		return Entry{}, errs.E(op, err)
	}
	now := s.Now()
	if err := inventory.Holdable(m.Showtime.Showtime, now); err != nil {
		return Entry{}, errs.E(op, err)
	}
	if ids := pick(m.Seats, e); ids != nil {
		return Entry{}, errs.Errorf(op, errs.Precondition, "seats are available for this request; hold them directly")
	}
	e.ID, e.Region, e.Status, e.JoinedAt = s.IDs.Ordered(r.IDPrefix), r.Name, Waiting, now
	if err := s.Store.Join(ctx, e); err != nil {
		return Entry{}, errs.E(op, err)
	}
	return s.Store.Entry(ctx, r.Name, e.ID, now)
}

// Get returns userID's entry with its position.
func (s *Service) Get(ctx context.Context, userID, entryID string) (Entry, error) {
	const op = "standby.Get"
	r, ok := regions.OfID(entryID)
	if !ok {
		return Entry{}, errs.Errorf(op, errs.NotFound, "standby entry not found")
	}
	e, err := s.Store.Entry(ctx, r.Name, entryID, s.Now())
	if err != nil {
		return Entry{}, errs.E(op, err)
	}
	if e.UserID != userID {
		return Entry{}, errs.Errorf(op, errs.NotFound, "standby entry not found")
	}
	return e, nil
}

// List returns userID's entries.
func (s *Service) List(ctx context.Context, userID string) ([]Entry, error) {
	return s.Store.ListByUser(ctx, userID, s.Now())
}

// Leave takes userID out of line; an open offer's seats go to the next person at once.
func (s *Service) Leave(ctx context.Context, userID, entryID string) error {
	const op = "standby.Leave"
	r, ok := regions.OfID(entryID)
	if !ok {
		return errs.Errorf(op, errs.NotFound, "standby entry not found")
	}
	holdID, err := s.Store.Leave(ctx, r.Name, entryID, userID, s.Now())
	if err != nil {
		return errs.E(op, err)
	}
	if holdID != "" {
		if err := s.Seats.Release(ctx, userID, holdID); err != nil && !errs.Is(err, errs.Precondition) {
			return errs.E(op, err)
		}
	}
	return nil
}

// Accept books an offer's seats for its holder.
func (s *Service) Accept(ctx context.Context, userID, offerID, paymentToken, key string) (booking.Booking, error) {
	const op = "standby.Accept"
	o, err := s.openOffer(ctx, userID, offerID)
	if err != nil {
		return booking.Booking{}, errs.E(op, err)
	}
	b, err := s.Bookings.Create(ctx, booking.Request{UserID: userID, HoldID: o.HoldID, PaymentToken: paymentToken, Key: key})
	if err != nil {
		return booking.Booking{}, errs.E(op, err)
	}
	if err := s.Store.Settle(ctx, o.Region, o.ID, "accepted", s.Now()); err != nil {
		return booking.Booking{}, errs.E(op, err)
	}
	return b, nil
}

// Decline gives up an offer; its seats go to the next person in line at once.
func (s *Service) Decline(ctx context.Context, userID, offerID string) error {
	const op = "standby.Decline"
	o, err := s.openOffer(ctx, userID, offerID)
	if err != nil {
		return errs.E(op, err)
	}
	if err := s.Store.Settle(ctx, o.Region, o.ID, "declined", s.Now()); err != nil {
		return errs.E(op, err)
	}
	if err := s.Seats.Release(ctx, userID, o.HoldID); err != nil && !errs.Is(err, errs.Precondition) {
		return errs.E(op, err)
	}
	return nil
}

func (s *Service) openOffer(ctx context.Context, userID, offerID string) (Offer, error) {
	const op = "standby.openOffer"
	r, ok := regions.OfID(offerID)
	if !ok {
		return Offer{}, errs.Errorf(op, errs.NotFound, "offer not found")
	}
	o, err := s.Store.OfferByID(ctx, r.Name, offerID)
	if err != nil {
		return Offer{}, err
	}
	if o.UserID != userID {
		return Offer{}, errs.Errorf(op, errs.NotFound, "offer not found")
	}
	if o.Status != "open" || !s.Now().Before(o.ExpiresAt) {
		return Offer{}, errs.Errorf(op, errs.Precondition, "this offer is no longer open")
	}
	return o, nil
}

// Serve offers a show's free seats to its line, in order, and returns the offers made. It is safe to run
// concurrently: seats are taken by holds (a seat is never in two live holds) and an entry moves from waiting
// to offered once.
func (s *Service) Serve(ctx context.Context, showtimeID string) ([]Offer, error) {
	const op = "standby.Serve"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return nil, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	line, err := s.Store.Waiting(ctx, r.Name, showtimeID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	if len(line) == 0 {
		return nil, nil
	}
	m, err := s.Seats.SeatMap(ctx, showtimeID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	var offers []Offer
	for _, e := range line {
		o, ok, err := s.offer(ctx, &m, e)
		if err != nil {
			return offers, errs.E(op, err)
		}
		if ok {
			offers = append(offers, o)
		}
	}
	return offers, nil
}

// offer tries to seat one entry from the free seats in m, and marks the seats it took as held in m. When a
// seat was taken since m was read (a concurrent Serve or hold), it reads m again and tries once more, so a
// race between two runs never leaves an entry unserved while seats are free.
func (s *Service) offer(ctx context.Context, m *inventory.SeatMap, e Entry) (Offer, bool, error) {
	now := s.Now()
	if inventory.Holdable(m.Showtime.Showtime, now) != nil {
		return Offer{}, false, nil
	}
	for attempt := 0; ; attempt++ {
		ids := pick(m.Seats, e)
		if ids == nil {
			return Offer{}, false, nil // passed over for now; keeps its place
		}
		h, err := s.Seats.HoldFor(ctx, e.UserID, e.ShowtimeID, ids, s.Window.For(m.Showtime.StartsAt.Sub(now)))
		switch {
		case errs.Is(err, errs.Precondition) && attempt < 3:
			if *m, err = s.Seats.SeatMap(ctx, e.ShowtimeID); err != nil {
				return Offer{}, false, err
			}
			continue // someone took a seat meanwhile: look again
		case errs.Is(err, errs.Precondition) || errs.Is(err, errs.Exhausted):
			return Offer{}, false, nil // the seats keep going, or the person holds seats already
		case err != nil:
			return Offer{}, false, err
		}
		return s.record(ctx, m, e, h, now)
	}
}

// record makes the offer of hold h to entry e and marks its seats held in m. When a concurrent run served
// the entry first, the hold is given back and its seats stay free in m for the next entry.
func (s *Service) record(ctx context.Context, m *inventory.SeatMap, e Entry, h inventory.Hold, now time.Time) (Offer, bool, error) {
	o := Offer{ID: s.IDs.Regional(regionPrefix(e.Region)), Region: e.Region, EntryID: e.ID, ShowtimeID: e.ShowtimeID,
		UserID: e.UserID, HoldID: h.ID, SeatIDs: h.SeatIDs, Status: "open", CreatedAt: now, ExpiresAt: h.ExpiresAt}
	if err := s.Store.Offer(ctx, o); err != nil {
		_ = s.Seats.Release(ctx, e.UserID, h.ID)
		if errs.Is(err, errs.Precondition) {
			return Offer{}, false, nil
		}
		return Offer{}, false, err
	}
	markHeld(m, h.SeatIDs)
	return o, true, nil
}

// pick chooses seats for an entry: side by side leaving no lone seat when it asks for that, else the best
// available ones; nil when the free seats cannot satisfy it.
func pick(seats []inventory.SeatState, e Entry) []string {
	r := inventory.SeatRequest{Count: e.SeatCount, Accessible: e.Accessible}
	ids, err := inventory.BestAvailable(seats, r)
	if err != nil {
		return nil
	}
	if e.Together && !e.Accessible && (!adjacent(seats, ids) || inventory.CheckOrphans(seats, ids) != nil) {
		return nil
	}
	return ids
}

func adjacent(seats []inventory.SeatState, ids []string) bool {
	var xs []int
	row := -1
	for _, s := range seats {
		if slices.Contains(ids, s.ID) {
			if row >= 0 && s.Y != row {
				return false
			}
			row = s.Y
			xs = append(xs, s.X)
		}
	}
	slices.Sort(xs)
	for i := 1; i < len(xs); i++ {
		if xs[i] != xs[i-1]+1 {
			return false
		}
	}
	return len(xs) == len(ids)
}

func markHeld(m *inventory.SeatMap, ids []string) {
	for i := range m.Seats {
		if slices.Contains(ids, m.Seats[i].ID) {
			m.Seats[i].Status = inventory.Held
		}
	}
}

func regionPrefix(name string) string {
	r, _ := regions.ByName(name)
	return r.IDPrefix
}
