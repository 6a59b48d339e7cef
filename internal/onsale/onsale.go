// Package onsale runs fair waiting rooms for blockbuster on-sales. An operator puts a showtime, or a movie's
// showtimes at their chain's theatres in one region, on sale at a set time with a number of people who may
// shop at once. People who arrive before opening get a random rank (arriving early gives no edge); later
// arrivals queue behind them in arrival order; one place per person and showtime. From opening, a background
// job admits people in rank order as others finish (they booked, their hold ended, or their pass lapsed
// unused), keeping the number shopping at the set level. Admission gives a signed pass, bound to the person
// and the showtime and short-lived, that holds of that showtime require while the on-sale is on.
package onsale

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
)

// OnSale is an on-sale of one showtime (ShowtimeID) or of a movie's showtimes at one chain's theatres in one
// region (MovieID). Its capacity and pass time apply to each showtime's waiting room separately.
type OnSale struct {
	ID, Region, ShowtimeID, MovieID, ChainID string
	OpensAt                                  time.Time
	Capacity                                 int           // people shopping at once, per showtime
	PassTTL                                  time.Duration // how long a pass lets its holder start holding
	Ended                                    bool
	CreatedAt                                time.Time
}

// DefaultPassTTL is how long an admission pass lasts unless the on-sale sets it.
const DefaultPassTTL = 5 * time.Minute

// Status is where a person's place is.
type Status string

// Place statuses.
const (
	Waiting  Status = "waiting"
	Admitted Status = "admitted" // holds a pass; shopping
	Done     Status = "done"     // booked, or their hold ended
	Left     Status = "left"
	Lapsed   Status = "lapsed" // the pass expired unused
)

// Place is one person's place in a showtime's waiting room.
type Place struct {
	Region, ShowtimeID, UserID, OnSaleID string
	Rank                                 int64 // admission order: lower first
	Status                               Status
	JoinedAt                             time.Time
	AdmittedAt, PassExpiresAt            time.Time // zero while waiting
}

// Room is what a person sees of a waiting room: the on-sale, their place, and, while waiting after opening,
// their position and an estimate; once admitted, their pass.
type Room struct {
	OnSale   OnSale
	Place    *Place        // nil when they have none in this on-sale
	Position int           // 1 is next; 0 before opening and when not waiting
	Estimate time.Duration // 0 when unknown
	Shopping int           // people admitted and shopping now
	Pass     string        // set while admitted
}

// Shopper is what an admitted person did with seats of the showtime since their admission.
type Shopper struct {
	UserID        string
	PassExpiresAt time.Time
	Booked        bool // a hold of theirs since admission was booked
	LiveHold      bool // they hold seats now
	HoldEnded     bool // a hold of theirs since admission was released or expired
}

// Store keeps on-sales and waiting rooms.
type Store interface {
	// ShowtimeChain returns the chain whose theatre shows a showtime (NotFound when there is none).
	ShowtimeChain(ctx context.Context, region, showtimeID string) (string, error)
	// SetOnSale records o, or changes the one on for the same target (keeping its ID and creation time), and
	// returns what was stored. A movie that does not exist is NotFound.
	SetOnSale(ctx context.Context, o OnSale, now time.Time) (OnSale, error)
	OnSale(ctx context.Context, region, id string) (OnSale, error)
	ListOnSales(ctx context.Context, region, chainID string) ([]OnSale, error)
	// EndOnSale ends an on-sale; its waiting and admitted places become left.
	EndOnSale(ctx context.Context, region, id string, now time.Time) error
	// For returns the on-sale on for a showtime: its own, else its movie's at its chain; NotFound when none.
	For(ctx context.Context, region, showtimeID string) (OnSale, error)
	// Join reads userID's place in the showtime's waiting room and, in the same transaction, stores the place
	// decide returns for it (old is nil when there is none) when decide says so; it returns the place kept.
	Join(ctx context.Context, region, showtimeID, userID string, decide func(old *Place) (Place, bool)) (Place, error)
	// Place returns userID's place (NotFound when none).
	Place(ctx context.Context, region, showtimeID, userID string) (Place, error)
	// Standing counts, for p's showtime, the waiting places ranked before p, the places admitted now, and the
	// admissions since since.
	Standing(ctx context.Context, p Place, since time.Time) (ahead, shopping, recent int, err error)
	// Leave turns userID's waiting or admitted place into left (NotFound when they have neither).
	Leave(ctx context.Context, region, showtimeID, userID string, now time.Time) error
	// Shoppers reads what each admitted person of the showtime did since admission, outside any transaction.
	Shoppers(ctx context.Context, region, showtimeID string, now time.Time) ([]Shopper, error)
	// Admit, in one SERIALIZABLE transaction, moves the places in finished that are still admitted to their
	// new status, then admits waiting places in rank order until capacity are admitted, with passes expiring
	// at passExpires, and returns the people admitted. Concurrent runs never admit past capacity.
	Admit(ctx context.Context, region, showtimeID string, finished map[string]Status, capacity int, now, passExpires time.Time) ([]string, error)
	// Rooms lists region's showtimes with places waiting or admitted.
	Rooms(ctx context.Context, region string) ([]string, error)
	// Spent reports whether a hold userID made of the showtime at or after since has been booked, released or
	// has expired by now: a pass is spent once its holder's shopping ended.
	Spent(ctx context.Context, region, showtimeID, userID string, since, now time.Time) (bool, error)
}

// Operators tells who runs which chain (admin.Service).
type Operators interface {
	// Operator returns the caller when they run some chain (Permission otherwise).
	Operator(ctx context.Context, userID string) (admin.Principal, error)
}

// Service runs on-sales and their waiting rooms.
type Service struct {
	Store     Store
	Operators Operators
	Now       platform.Clock
	IDs       *platform.IDs
	// Secret signs admission passes; the access tokens' secret (shared by a region's processes), from which
	// a key of passes' own is derived.
	Secret []byte
	// Rand draws the ranks of people arriving before opening; crypto/rand when nil.
	Rand func() uint64
	// Poll is how often a waiting person's place is read again for their stream; default DefaultPoll.
	Poll time.Duration
	// Heartbeat is how long a stream goes without news before the place is sent again; default 15 s.
	Heartbeat time.Duration

	// noSale remembers, by showtime, until when (wall clock) it is known to have no on-sale, so that holds of
	// the many showtimes without one cost no query each; SetOnSale forgets it all.
	noSale sync.Map
}

// noSaleFor is how long a showtime found without an on-sale is taken to have none: an on-sale set in
// another process is enforced here within this time (on-sales are set ahead of their opening).
const noSaleFor = 2 * time.Second

// SetOnSale puts o's showtime, or its movie's showtimes at its chain in its region, on sale, for a caller who
// runs that chain (the role is checked before anything is looked up). Setting it again for the same target
// changes the one on.
func (s *Service) SetOnSale(ctx context.Context, callerID string, o OnSale) (OnSale, error) {
	const op = "onsale.SetOnSale"
	p, err := s.Operators.Operator(ctx, callerID)
	if err != nil {
		return OnSale{}, errs.E(op, err)
	}
	r, ok := regions.ByName(o.Region)
	if !ok {
		return OnSale{}, errs.Errorf(op, errs.Invalid, "no region is called %q", o.Region)
	}
	if err := s.target(ctx, p, &o); err != nil {
		return OnSale{}, errs.E(op, err)
	}
	if o.Capacity < 1 {
		return OnSale{}, errs.Errorf(op, errs.Invalid, "at least one person must be able to shop at once")
	}
	if o.PassTTL == 0 {
		o.PassTTL = DefaultPassTTL
	}
	o.ID, o.Ended = s.IDs.Regional(r.IDPrefix), false
	stored, err := s.Store.SetOnSale(ctx, o, s.Now())
	if err != nil {
		return OnSale{}, errs.E(op, err)
	}
	s.noSale.Clear()
	return stored, nil
}

// target checks the caller may run the on-sale's showtimes and fills in its chain.
func (s *Service) target(ctx context.Context, p admin.Principal, o *OnSale) error {
	const op = "onsale.target"
	if o.ShowtimeID == "" {
		if o.MovieID == "" || o.ChainID == "" {
			return errs.Errorf(op, errs.Invalid, "an on-sale of a movie names the chain whose showtimes it covers")
		}
		return p.MayRun(o.ChainID)
	}
	r, ok := regions.OfID(o.ShowtimeID)
	if !ok {
		return errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	if r.Name != o.Region {
		return errs.Errorf(op, errs.Invalid, "the showtime is homed in %s, not %s", r.Name, o.Region)
	}
	chain, err := s.Store.ShowtimeChain(ctx, r.Name, o.ShowtimeID)
	if err != nil {
		return err
	}
	if err := p.MayRun(chain); err != nil {
		return err
	}
	o.ChainID, o.MovieID = chain, ""
	return nil
}

// ListOnSales lists chainID's on-sales in region, for a caller who runs the chain.
func (s *Service) ListOnSales(ctx context.Context, callerID, region, chainID string) ([]OnSale, error) {
	const op = "onsale.ListOnSales"
	p, err := s.Operators.Operator(ctx, callerID)
	if err == nil {
		err = p.MayRun(chainID)
	}
	if err != nil {
		return nil, errs.E(op, err)
	}
	if _, ok := regions.ByName(region); !ok {
		return nil, errs.Errorf(op, errs.Invalid, "no region is called %q", region)
	}
	return s.Store.ListOnSales(ctx, region, chainID)
}

// EndOnSale ends an on-sale of a chain the caller runs: holds need no pass any more and its places close.
func (s *Service) EndOnSale(ctx context.Context, callerID, id string) error {
	const op = "onsale.EndOnSale"
	p, err := s.Operators.Operator(ctx, callerID)
	if err != nil {
		return errs.E(op, err)
	}
	r, ok := regions.OfID(id)
	if !ok {
		return errs.Errorf(op, errs.NotFound, "on-sale not found")
	}
	o, err := s.Store.OnSale(ctx, r.Name, id)
	if err != nil {
		return errs.E(op, err)
	}
	if err := p.MayRun(o.ChainID); err != nil {
		return errs.E(op, err)
	}
	if o.Ended {
		return nil
	}
	return s.Store.EndOnSale(ctx, r.Name, id, s.Now())
}

// lateRank is the rank of an arrival after opening (or a return): behind every early arrival, in arrival order.
func lateRank(now time.Time) int64 { return 1<<62 + now.UnixMicro() }

// earlyRank draws the rank of an arrival before opening, uniformly below every late rank.
func (s *Service) earlyRank() int64 {
	if s.Rand != nil {
		return int64(s.Rand() >> 2)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 2)
}
