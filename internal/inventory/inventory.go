// Package inventory shows a showtime's seats and holds them: all the requested seats or none, for a limited
// time, never the same seat for two people.
package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/internal/watch"
	"github.com/marqueehq/marquee/regions"
)

// Status is a seat's state at one instant.
type Status string

// Seat statuses. A hold past its expiry counts as available.
const (
	Available Status = "available"
	Held      Status = "held"
	Booked    Status = "booked"
)

// SeatState is a seat of a showtime with its status and price.
type SeatState struct {
	catalog.Seat
	Status     Status
	PriceMinor int64
}

// SeatMap is every seat of a showtime, with the showtime and the names a seat page shows (movie, theatre,
// city, screen).
type SeatMap struct {
	Showtime catalog.ShowtimeListing
	Seats    []SeatState
	Rules    []pricing.Rule // the chain's pricing rules
	Location *time.Location // the theatre's time zone
	// Version is the database's clock, in microseconds since 1970, just before the seats' statuses were read:
	// the map shows every change committed before it. Maps of one showtime compare by it across processes.
	Version uint64
}

// HoldStatus is where a hold is in its life; an active hold past ExpiresAt no longer holds anything.
type HoldStatus string

// Hold statuses.
const (
	HoldActive   HoldStatus = "active"
	HoldReleased HoldStatus = "released"
	HoldBooked   HoldStatus = "booked"
)

// Hold reserves seats of one showtime for one user until ExpiresAt.
type Hold struct {
	ID         string
	Region     string
	ShowtimeID string
	UserID     string
	SeatIDs    []string
	Status     HoldStatus
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Currency   string
	Lines      []pricing.SeatPrice // each seat's price, fixed when held, in SeatIDs order
}

// SubtotalMinor is the sum of the hold's seat prices.
func (h Hold) SubtotalMinor() int64 {
	var sum int64
	for _, l := range h.Lines {
		sum += l.AmountMinor
	}
	return sum
}

// Live reports whether h still holds its seats at now.
func (h Hold) Live(now time.Time) bool { return h.Status == HoldActive && now.Before(h.ExpiresAt) }

// HoldRules are the checks a store applies inside the hold transaction.
type HoldRules struct {
	// Showtime says whether the showtime can take holds.
	Showtime func(catalog.Showtime) error
	// MaxSeatsPerUser bounds the seats one user may hold at once for one showtime, counting the seats they have
	// booked for it.
	MaxSeatsPerUser int
	// MaxHeldSeats and MaxHolds bound a person's live holds across all showtimes of the region.
	MaxHeldSeats, MaxHolds int
}

// Quota is what a person already has when they ask for more seats, read in the hold's transaction.
type Quota struct {
	ShowHeld, ShowBooked int // seats of this showtime they hold (live holds) and have in confirmed bookings
	Held, Holds          int // seats they hold, and how many live holds, across the region's showtimes
}

// The limits against hoarding a person's holds across a region's showtimes: enough to compare a few shows
// for a family, far from the hundreds one script held in half a second.
const (
	DefaultMaxSeatsPerUser = 10 // seats of one showtime, held and booked, per person
	DefaultMaxHeldSeats    = 20
	DefaultMaxHolds        = 6
)

// CheckQuota refuses asking for asked more seats beyond a limit (Exhausted): the per-show limit counts booked
// seats too, so adding seats to a booking cannot pass it; the per-person limits count live holds everywhere.
func (r HoldRules) CheckQuota(q Quota, asked int) error {
	const op = "inventory.CheckQuota"
	if have := q.ShowHeld + q.ShowBooked; have+asked > r.MaxSeatsPerUser {
		if q.ShowBooked > 0 {
			return errs.E(op, errs.Exhausted, fmt.Sprintf("You can have at most %d seats for one show; you have "+
				"booked %d and hold %d, so you can add up to %d more", r.MaxSeatsPerUser, q.ShowBooked, q.ShowHeld,
				max(r.MaxSeatsPerUser-have, 0)), &SeatLimitError{Limit: r.MaxSeatsPerUser, Held: have, Asked: asked})
		}
		return LimitError(q.ShowHeld, asked, r.MaxSeatsPerUser)
	}
	if r.MaxHolds > 0 && q.Holds >= r.MaxHolds {
		return errs.Errorf(op, errs.Exhausted, "You already hold seats for %d shows; book or release some first", q.Holds)
	}
	if r.MaxHeldSeats > 0 && q.Held+asked > r.MaxHeldSeats {
		return errs.Errorf(op, errs.Exhausted, "You can hold at most %d seats at once across all shows; you hold %d",
			r.MaxHeldSeats, q.Held)
	}
	return nil
}

// HoldInputs is what pricing and the orphan-seat rule need before seats are held. It is read outside the hold
// transaction: prices and the orphan check use a snapshot at most seconds old, while the hold itself is the
// conditional update that keeps a seat from being sold twice.
type HoldInputs struct {
	Showtime  catalog.Showtime
	ChainID   string
	Location  *time.Location
	Policy    *catalog.ChainPolicy // the chain's policy as stored; nil when it has set none (shared: do not modify)
	Rules     []pricing.Rule
	Seats     []SeatState // the asked seats, statuses unknown; or the whole seat map, once the rules need it
	Occupancy int         // percent of seats held or booked (0 unless the whole map was read)
}

// Store keeps seat inventory and holds.
type Store interface {
	SeatMap(ctx context.Context, region, showtimeID string, now time.Time) (SeatMap, error)
	// HoldInputs reads the configuration Hold needs to price seatIDs (the showtime, its chain's stored policy
	// and pricing rules, the asked seats without their statuses); it may be a few seconds old.
	HoldInputs(ctx context.Context, region, showtimeID string, seatIDs []string) (HoldInputs, error)
	// SeatStates returns every seat of the showtime's screen with its status at now.
	SeatStates(ctx context.Context, region, showtimeID string, now time.Time) ([]SeatState, error)
	// CreateHold marks h's seats held, all or none, and announces them (SeatsHeld) in the same transaction.
	// Seats not available give a *SeatsUnavailableError.
	CreateHold(ctx context.Context, h Hold, rules HoldRules) error
	// ReleaseHold frees a live hold of userID's seats and announces them (SeatsReleased).
	ReleaseHold(ctx context.Context, region, holdID, userID string, now time.Time) error
	// PriceFacts reads, in one round trip, what the lowest price of each showtime (ids, in regions rs) depends
	// on at now. Showtimes that do not exist are left out.
	PriceFacts(ctx context.Context, rs, ids []string, now time.Time) ([]PriceFacts, error)
	// ExpireHolds frees region's holds that expired from after to now, reading up to limit holds by expiry,
	// each in its own transaction with a SeatsReleased event (and the standby offer it carried, if any, marked
	// expired). It returns how many it freed and the expiry up to which it has read.
	ExpireHolds(ctx context.Context, region string, after, now time.Time, limit int) (int, time.Time, error)
}

// SeatsUnavailableError names the seats that could not be held.
type SeatsUnavailableError struct{ SeatIDs []string }

// Error names the seats.
func (e *SeatsUnavailableError) Error() string {
	return "seats not available: " + strings.Join(e.SeatIDs, ", ")
}

// SeatLimitError is a hold that would take a person past the seats one may hold for a show.
type SeatLimitError struct{ Limit, Held, Asked int }

// Error says what was asked.
func (e *SeatLimitError) Error() string {
	return fmt.Sprintf("seat limit %d: holds %d, asked %d", e.Limit, e.Held, e.Asked)
}

// Service applies the hold rules.
type Service struct {
	Store           Store
	Now             platform.Clock
	IDs             *platform.IDs
	HoldTTL         time.Duration // how long a hold lasts; 8 minutes when 0
	MaxSeatsPerUser int           // DefaultMaxSeatsPerUser when 0
	// Policies resolves a chain's policy (its own, or the default).
	Policies catalog.Policies
	// Changes, when set, tells WatchSeatMap when a showtime's seats change: the region's events (events/hub).
	// Set it before the first watch.
	Changes watch.Changes
	// Heartbeat is how long a watcher goes without news before its last seat map is sent again; default
	// watch.DefaultHeartbeat.
	Heartbeat time.Duration
	// Gate, when set, decides who may hold seats of a showtime (an on-sale's waiting room); system holds
	// (HoldFor) pass it.
	Gate Gate

	watched seatMapFeed
	maps    struct {
		once  sync.Once
		cache *mapCache // nil without Changes
	}

	sweepMu sync.Mutex
	sweptTo map[string]time.Time // by region: the expiry up to which this process's sweeps have read
}

// DefaultHoldTTL is how long a hold lasts unless configured.
const DefaultHoldTTL = 8 * time.Minute

// SeatMap returns every seat of a showtime with its status and price now, and the showtime with its lowest
// price now (nil when no seat is available).
func (s *Service) SeatMap(ctx context.Context, showtimeID string) (SeatMap, error) {
	const op = "inventory.SeatMap"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return SeatMap{}, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	m, err := s.Store.SeatMap(ctx, r.Name, showtimeID, s.Now())
	if err != nil {
		return SeatMap{}, errs.E(op, err)
	}
	applyRules(&m)
	m.Showtime.FromPrice = m.fromPrice()
	return m, nil
}

// SeatMapAt returns the showtime's seat map as SeatMap does, from this process's memory when it can: a map
// that shows every change the region's events reported before the call, and whose Version is at least
// minVersion (a version the caller saw before; 0 for any). Without Changes every call reads the database. The
// map is shared: callers must not modify it.
func (s *Service) SeatMapAt(ctx context.Context, showtimeID string, minVersion uint64) (SeatMap, error) {
	c := s.mapCache()
	if c == nil {
		return s.SeatMap(ctx, showtimeID)
	}
	m, err := c.get(ctx, showtimeID, minVersion)
	if err != nil {
		return SeatMap{}, errs.E("inventory.SeatMapAt", err)
	}
	return m, nil
}

// SeatMapReads says how many showtimes' maps this process keeps and how many times it read one.
func (s *Service) SeatMapReads() (showtimes int, reads int64) {
	if c := s.mapCache(); c != nil {
		return c.stats()
	}
	return 0, 0
}

// mapCache returns the seat map cache, nil without Changes.
func (s *Service) mapCache() *mapCache {
	s.maps.once.Do(func() {
		if s.Changes != nil {
			s.maps.cache = &mapCache{changes: s.Changes, load: s.SeatMap, now: s.Now}
		}
	})
	return s.maps.cache
}

// applyRules prices each seat as a hold made now would: the showtime's price adjusted by the chain's rules at
// the current occupancy.
func applyRules(m *SeatMap) {
	if len(m.Rules) == 0 {
		return
	}
	show := showOf(m.Showtime.Showtime, m.Location, Occupancy(m.Seats))
	for i, seat := range m.Seats {
		m.Seats[i].PriceMinor = seatPrice(m.Showtime.Showtime, seat.Type, show, m.Rules)
	}
}

// Occupancy is the percentage of seats held or booked.
func Occupancy(seats []SeatState) int {
	if len(seats) == 0 {
		return 0
	}
	taken := 0
	for _, s := range seats {
		if s.Status != Available {
			taken++
		}
	}
	return taken * 100 / len(seats)
}

// Gate admits people to hold seats: while a showtime is on sale through a waiting room, only with the
// admission pass it gave them.
type Gate interface {
	// CheckPass refuses userID holding seats of showtimeID with pass (Permission or Precondition), or allows it.
	CheckPass(ctx context.Context, userID, showtimeID, pass string) error
}

// Hold holds seatIDs of a showtime for userID, all or none, for the configured hold time, without an
// admission pass (see HoldWithPass). The chain's orphan-seat rule applies.
func (s *Service) Hold(ctx context.Context, userID, showtimeID string, seatIDs []string) (Hold, error) {
	return s.HoldWithPass(ctx, userID, showtimeID, seatIDs, "")
}

// HoldWithPass is Hold for a person who may need an admission pass: the Gate checks pass first, and nothing
// is held when it refuses.
func (s *Service) HoldWithPass(ctx context.Context, userID, showtimeID string, seatIDs []string, pass string) (Hold, error) {
	if s.Gate != nil {
		if err := s.Gate.CheckPass(ctx, userID, showtimeID, pass); err != nil {
			return Hold{}, errs.E("inventory.Hold", err)
		}
	}
	return s.hold(ctx, userID, showtimeID, seatIDs, s.ttl(), true)
}

// HoldFor holds seats chosen by the system (a standby offer) for ttl, without the orphan-seat rule.
func (s *Service) HoldFor(ctx context.Context, userID, showtimeID string, seatIDs []string, ttl time.Duration) (Hold, error) {
	return s.hold(ctx, userID, showtimeID, seatIDs, ttl, false)
}

func (s *Service) hold(ctx context.Context, userID, showtimeID string, seatIDs []string, ttl time.Duration, orphans bool) (Hold, error) {
	const op = "inventory.Hold"
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return Hold{}, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	if len(seatIDs) == 0 {
		return Hold{}, errs.Errorf(op, errs.Invalid, "choose at least one seat")
	}
	seats := slices.Clone(seatIDs)
	slices.Sort(seats)
	if len(slices.Compact(seats)) != len(seatIDs) {
		return Hold{}, errs.Errorf(op, errs.Invalid, "a seat is listed twice")
	}
	now := s.Now()
	in, policy, err := s.inputs(ctx, r.Name, showtimeID, seats, now)
	if err != nil {
		return Hold{}, errs.E(op, err)
	}
	if orphans {
		if err := checkSelection(policy, in, seats); err != nil {
			return Hold{}, errs.E(op, err)
		}
	}
	h := Hold{ID: s.IDs.Regional(r.IDPrefix), Region: r.Name, ShowtimeID: showtimeID, UserID: userID,
		SeatIDs: seats, Status: HoldActive, CreatedAt: now, ExpiresAt: now.Add(ttl),
		Currency: in.Showtime.Currency, Lines: priceSeats(in, seats)}
	rules := HoldRules{Showtime: func(st catalog.Showtime) error { return Holdable(st, now) },
		MaxSeatsPerUser: s.maxSeats(), MaxHeldSeats: DefaultMaxHeldSeats, MaxHolds: DefaultMaxHolds}
	if err := s.Store.CreateHold(ctx, h, rules); err != nil {
		return Hold{}, errs.E(op, err)
	}
	if c := s.mapCache(); c != nil {
		c.changed(showtimeID) // before the event comes back, so this process's next map shows the hold
	}
	return h, nil
}

// inputs reads what pricing and the orphan-seat rule need to hold seats, with the chain's policy resolved. The
// whole seat map with its statuses is read only when the chain's orphan rule or a demand rule needs it.
func (s *Service) inputs(ctx context.Context, region, showtimeID string, seats []string, now time.Time) (HoldInputs, catalog.ChainPolicy, error) {
	in, err := s.Store.HoldInputs(ctx, region, showtimeID, seats)
	if err != nil {
		return in, catalog.ChainPolicy{}, err
	}
	policy := s.Policies.For(in.ChainID, in.Policy)
	if !policy.OrphanSeatRule && !hasDemandRule(in.Rules) {
		return in, policy, nil
	}
	// The rule and the occupancy read a map at most mapStaleFor old: the hold's transaction, not this map,
	// decides which seats are free.
	if c := s.mapCache(); c != nil {
		m, err := c.recent(ctx, showtimeID)
		if err != nil {
			return in, policy, err
		}
		in.Seats = m.Seats
	} else if in.Seats, err = s.Store.SeatStates(ctx, region, showtimeID, now); err != nil {
		return in, policy, err
	}
	in.Occupancy = Occupancy(in.Seats)
	return in, policy, nil
}

// hasDemandRule reports whether a rule prices by occupancy.
func hasDemandRule(rules []pricing.Rule) bool {
	for _, r := range rules {
		if r.Kind == pricing.RuleDemand {
			return true
		}
	}
	return false
}

// Release frees the seats of userID's hold.
func (s *Service) Release(ctx context.Context, userID, holdID string) error {
	const op = "inventory.Release"
	r, ok := regions.OfID(holdID)
	if !ok {
		return HoldNotFound(op)
	}
	if err := s.Store.ReleaseHold(ctx, r.Name, holdID, userID, s.Now()); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// HoldNotFound is the one error for a hold that does not exist or is someone else's, wherever it is found
// missing: NotFound, so a hold's existence is not revealed to others.
func HoldNotFound(op string) error { return errs.Errorf(op, errs.NotFound, "hold not found") }

// CheckHolder checks that h is userID's: someone else's hold is HoldNotFound, as a missing one is.
func CheckHolder(h Hold, userID string) error {
	if h.UserID != userID {
		return HoldNotFound("inventory.CheckHolder")
	}
	return nil
}

// CheckLive checks that h is userID's and still holds its seats at now: someone else's hold is NotFound; a
// booked, released or expired one is Precondition.
func CheckLive(h Hold, userID string, now time.Time) error {
	const op = "inventory.CheckLive"
	if err := CheckHolder(h, userID); err != nil {
		return errs.E(op, err)
	}
	switch {
	case h.Status == HoldBooked:
		return errs.Errorf(op, errs.Precondition, "this hold has already been booked")
	case h.Status == HoldReleased:
		return errs.Errorf(op, errs.Precondition, "this hold was released; hold the seats again")
	case !h.Live(now):
		return errs.Errorf(op, errs.Precondition, "this hold has expired; hold the seats again")
	}
	return nil
}

// Holdable says whether seats of st can be held at now: it must be scheduled and not yet started.
func Holdable(st catalog.Showtime, now time.Time) error {
	const op = "inventory.Holdable"
	if st.Status != catalog.ShowtimeScheduled {
		return errs.Errorf(op, errs.Precondition, "showtime is %s", st.Status)
	}
	if !now.Before(st.StartsAt) {
		return errs.Errorf(op, errs.Precondition, "showtime has already started")
	}
	return nil
}

// LimitError reports a hold that would take a user past the per-showtime limit: Exhausted, saying how many
// more seats they may hold.
func LimitError(held, asked, limit int) error {
	msg := fmt.Sprintf("You can hold at most %d seats for one show; you asked for %d", limit, asked)
	switch {
	case held >= limit:
		msg = fmt.Sprintf("You can hold at most %d seats for one show, and you already hold %d; book or release them first",
			limit, held)
	case held > 0:
		msg = fmt.Sprintf("You can hold at most %d seats for one show; you already hold %d, so you can add up to %d more",
			limit, held, limit-held)
	}
	return errs.E("inventory.Hold", errs.Exhausted, msg, &SeatLimitError{Limit: limit, Held: held, Asked: asked})
}

func (s *Service) ttl() time.Duration {
	if s.HoldTTL == 0 {
		return DefaultHoldTTL
	}
	return s.HoldTTL
}

func (s *Service) maxSeats() int {
	if s.MaxSeatsPerUser == 0 {
		return DefaultMaxSeatsPerUser
	}
	return s.MaxSeatsPerUser
}

// UnavailableError builds the Precondition error for seats that are taken, naming them.
func UnavailableError(seatIDs []string) error {
	msg := fmt.Sprintf("Seats %s are already taken; choose other seats", joinAnd(seatIDs))
	if len(seatIDs) == 1 {
		msg = fmt.Sprintf("Seat %s is already taken; choose another seat", seatIDs[0])
	}
	return errs.E("inventory.Hold", errs.Precondition, msg, &SeatsUnavailableError{SeatIDs: seatIDs})
}

// checkSelection applies the orphan-seat rule when the chain has it on. Unknown seats are left for the hold
// transaction to report.
func checkSelection(policy catalog.ChainPolicy, in HoldInputs, seats []string) error {
	if !policy.OrphanSeatRule || len(in.Seats) == 0 {
		return nil
	}
	byID := make(map[string]bool, len(in.Seats))
	for _, s := range in.Seats {
		byID[s.ID] = s.Status == Available
	}
	for _, id := range seats {
		if !byID[id] {
			return nil // unknown or taken: the conditional update gives the precise error
		}
	}
	return CheckOrphans(in.Seats, seats)
}

// priceSeats prices each seat from the showtime's prices and the chain's rules.
func priceSeats(in HoldInputs, seats []string) []pricing.SeatPrice {
	types := make(map[string]catalog.SeatType, len(in.Seats))
	for _, s := range in.Seats {
		types[s.ID] = s.Type
	}
	show := showOf(in.Showtime, in.Location, in.Occupancy)
	lines := make([]pricing.SeatPrice, len(seats))
	for i, id := range seats {
		lines[i] = pricing.Price(id, in.Showtime.PriceOf(types[id]), show, in.Rules)
		lines[i].SeatType = string(types[id])
	}
	return lines
}

// Sweep releases region's holds that have expired, so their seats are announced (to standby) even though reads
// already treat them as free. It returns how many holds it released.
//
// Each sweep reads on from where the last one of this process got to (less sweepOverlap, for the clocks of
// other processes), so it reads only the holds that expired since, released or not; a process's first sweep
// of a region starts sweepHorizon back.
func (s *Service) Sweep(ctx context.Context, region string) (int, error) {
	now := s.Now()
	s.sweepMu.Lock()
	after, ok := s.sweptTo[region]
	s.sweepMu.Unlock()
	if !ok {
		after = now.Add(-sweepHorizon)
	}
	n, to, err := s.Store.ExpireHolds(ctx, region, after, now, 500)
	if err != nil {
		return n, errs.E("inventory.Sweep", err)
	}
	if to.Equal(now) {
		to = now.Add(-sweepOverlap)
	}
	s.sweepMu.Lock()
	if s.sweptTo == nil {
		s.sweptTo = map[string]time.Time{}
	}
	s.sweptTo[region] = to
	s.sweepMu.Unlock()
	return n, nil
}

const (
	// sweepHorizon is how far back a process's first sweep of a region reads. A hold still active a day after
	// its expiry blocks nothing (every read and hold treats it as expired); it is only not announced.
	sweepHorizon = 24 * time.Hour
	// sweepOverlap is read again by each sweep: holds committed with an expiry a little behind this process's
	// clock (another process's clock, a slow commit) are still found.
	sweepOverlap = 5 * time.Second
)
