package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// RoomOptions configure the waiting-room phase: People arrive at random within Arrivals for a showtime of
// Rows x SeatsPerRow seats on sale through a waiting room that lets Shopping people shop at once, opening
// OpensAfter the phase starts (those arriving before are shuffled).
type RoomOptions struct {
	People, Shopping, Rows, SeatsPerRow int
	Arrivals, OpensAfter                time.Duration
}

// DefaultRoomOptions: 2,000 people in the first 10 s for 500 seats, 100 shopping at once, opening at 5 s.
var DefaultRoomOptions = RoomOptions{People: 2000, Shopping: 100, Rows: 20, SeatsPerRow: 25,
	Arrivals: 10 * time.Second, OpensAfter: 5 * time.Second}

// RoomResults are the numbers of the waiting-room phase.
type RoomResults struct {
	Options       RoomOptions
	Seats         int
	SoldOut       bool
	SellOut       time.Duration // from opening until the last seat was booked, or until the phase stopped
	Admitted      int           // people given a pass
	Buyers        int           // admitted people who booked
	SeatsSold     int
	NoSeatButFree int // admitted people who got no seat while the seat map still showed free seats
	Errors        int
	FirstError    string
	Booking       Latency // CreateBooking of admitted people
	QueueWait     Latency // from arrival to admission
	MaxShopping   int     // the most people admitted and shopping at once, read on the database
	DoubleSold    int     // seats in two confirmed bookings, read on the database
}

// person is one simulated arrival.
type person struct {
	token            string
	arrive           time.Duration
	admitted, bought bool
	noSeatButFree    bool
	wait             time.Duration
	seats            int
	bookingLat       []time.Duration
	err              error
}

// RunWaitingRoom creates the phase's showtime and on-sale, registers its people, runs the arrivals until the
// showtime sells out (or Options.OnSaleTimeout), and checks the database.
func (s *Stack) RunWaitingRoom(ctx context.Context, o RoomOptions) (RoomResults, error) {
	res := RoomResults{Options: o, Seats: o.Rows * o.SeatsPerRow}
	show, err := s.roomShowtime(ctx, o)
	if err != nil {
		return res, fmt.Errorf("showtime: %w", err)
	}
	people, err := s.registerPeople(ctx, o.People)
	if err != nil {
		return res, fmt.Errorf("register: %w", err)
	}
	start := time.Now()
	opens := start.Add(o.OpensAfter)
	if err := s.putOnSale(ctx, show, opens, o.Shopping); err != nil {
		return res, fmt.Errorf("on-sale: %w", err)
	}
	phase, cancel := context.WithTimeout(ctx, s.opts.OnSaleTimeout)
	defer cancel()
	var soldAt atomic.Int64
	var maxShopping atomic.Int64
	var watch sync.WaitGroup
	watch.Go(func() { s.watchRoom(phase, cancel, show, res.Seats, start, opens, &soldAt, &maxShopping) })
	var wg sync.WaitGroup
	for i := range people {
		people[i].arrive = time.Duration(rand.Int64N(int64(o.Arrivals)))
		wg.Go(func() { people[i].run(phase, s, show, start) })
	}
	wg.Wait()
	cancel()
	watch.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.merge(people)
	res.MaxShopping = int(maxShopping.Load())
	res.SellOut = time.Since(opens)
	if d := soldAt.Load(); d > 0 {
		res.SoldOut, res.SellOut = true, time.Duration(d)
	}
	err = s.App.DB().Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT seat_id FROM booking_seats
		WHERE status = 'confirmed' AND showtime_id = $1 GROUP BY region, seat_id HAVING count(*) > 1) d`,
		show.ID).Scan(&res.DoubleSold)
	return res, err
}

func (r *RoomResults) merge(people []person) {
	var booking, wait [][]time.Duration
	for _, p := range people {
		if p.admitted {
			r.Admitted++
			wait = append(wait, []time.Duration{p.wait})
		}
		if p.bought {
			r.Buyers++
			r.SeatsSold += p.seats
		}
		if p.noSeatButFree {
			r.NoSeatButFree++
		}
		if p.err != nil {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = p.err.Error()
			}
		}
		booking = append(booking, p.bookingLat)
	}
	r.Booking, r.QueueWait = summarize(booking), summarize(wait)
}

// watchRoom reads the showtime's booked seats and the people shopping on the database every 100 ms, notes
// when the last seat went, and ends the phase then.
func (s *Stack) watchRoom(ctx context.Context, stop context.CancelFunc, show catalog.Showtime, seats int,
	start, opens time.Time, soldAt, maxShopping *atomic.Int64) {
	for ctx.Err() == nil {
		var booked, shopping int64
		err := s.App.DB().Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM showtime_seats WHERE region = $1 AND showtime_id = $2 AND status = 'booked'),
			(SELECT count(*) FROM onsale_places WHERE region = $1 AND showtime_id = $2 AND status = 'admitted')`,
			show.Region, show.ID).Scan(&booked, &shopping)
		if err == nil {
			if shopping > maxShopping.Load() {
				maxShopping.Store(shopping)
			}
			if booked >= int64(seats) {
				soldAt.Store(int64(time.Since(opens)))
				stop()
				return
			}
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

// run arrives, waits for admission, then, like a person on the seat map, holds 1 to 4 free seats side by side
// (fewer when fewer are free) with the pass and books them, trying other seats while someone is faster. One
// who gives up while seats are still free is counted; everyone who stops shopping without buying leaves the
// waiting room, as a person closing the page would once told there is nothing for them.
func (p *person) run(ctx context.Context, s *Stack, show catalog.Showtime, start time.Time) {
	sleepCtx(ctx, time.Until(start.Add(p.arrive)))
	if ctx.Err() != nil {
		return
	}
	t0 := time.Now()
	pass, err := p.admission(ctx, s, show.ID)
	if err != nil || pass == "" {
		p.keep(ctx, err)
		return
	}
	p.admitted, p.wait = true, time.Since(t0)
	defer func() {
		if !p.bought {
			_, _ = s.seatSvc.LeaveWaitingRoom(context.WithoutCancel(ctx), authed(p.token, &marqueev1.LeaveWaitingRoomRequest{ShowtimeId: show.ID}))
		}
	}()
	want := 1 + rand.N(4)
	for range 20 {
		free, err := freeSeats(ctx, s, show.ID)
		if err != nil || len(free) == 0 {
			p.keep(ctx, err)
			return // sold out, or every seat is held by people about to book
		}
		hold, err := s.seatSvc.HoldSeats(ctx, authed(p.token, &marqueev1.HoldSeatsRequest{ShowtimeId: show.ID,
			SeatIds: pickSeats(free, want), AdmissionPass: pass}))
		if connect.CodeOf(err) == connect.CodeFailedPrecondition && !strings.Contains(errMsg(err), "pass") {
			continue // someone was faster
		}
		if err != nil {
			p.keep(ctx, fmt.Errorf("HoldSeats: %w", err))
			return
		}
		p.book(ctx, s, hold.Msg.Hold)
		return
	}
	free, _ := freeSeats(ctx, s, show.ID)
	p.noSeatButFree = len(free) > 0
}

func errMsg(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return ""
}

// admission waits on WaitForAdmission until the pass arrives.
func (p *person) admission(ctx context.Context, s *Stack, showtimeID string) (string, error) {
	st, err := s.seatSvc.WaitForAdmission(ctx, authed(p.token, &marqueev1.WaitForAdmissionRequest{ShowtimeId: showtimeID}))
	if err != nil {
		return "", err
	}
	defer st.Close()
	for st.Receive() {
		if pl := st.Msg().Place; pl.Status == marqueev1.WaitingStatus_WAITING_STATUS_ADMITTED {
			return pl.AdmissionPass, nil
		}
	}
	return "", st.Err()
}

func (p *person) book(ctx context.Context, s *Stack, h *marqueev1.Hold) {
	t0 := time.Now()
	_, err := s.bookings.CreateBooking(ctx, authed(p.token, &marqueev1.CreateBookingRequest{HoldId: h.Id,
		PaymentToken: "tok_visa", IdempotencyKey: "loadgen-room-" + h.Id}))
	p.bookingLat = append(p.bookingLat, time.Since(t0))
	if err != nil {
		p.keep(ctx, fmt.Errorf("CreateBooking: %w", err))
		return
	}
	p.bought, p.seats = true, len(h.SeatIds)
}

// keep records err unless the phase ended.
func (p *person) keep(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) && connect.CodeOf(err) != connect.CodeCanceled {
		p.err = err
	}
}

// freeSeats returns the showtime's available seats on its seat map, in seat map order.
func freeSeats(ctx context.Context, s *Stack, showtimeID string) ([]*marqueev1.Seat, error) {
	res, err := s.seatSvc.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: showtimeID}))
	if err != nil {
		return nil, err
	}
	var free []*marqueev1.Seat
	for _, seat := range res.Msg.Seats {
		if seat.Status == marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			free = append(free, seat)
		}
	}
	return free, nil
}

// roomShowtime makes the phase's showtime on a screen of its own, at a chain of its own without the orphan
// rule (people take the best seats the server picks).
func (s *Stack) roomShowtime(ctx context.Context, o RoomOptions) (catalog.Showtime, error) {
	db := s.App.DB()
	f, err := seed.NewFixture(ctx, db.Catalog(), db.IDs, regions.All()[0], seed.Layout{Rows: o.Rows, SeatsPerRow: o.SeatsPerRow},
		time.Now().Add(72*time.Hour).Truncate(time.Minute))
	if err != nil {
		return catalog.Showtime{}, err
	}
	policy := catalog.DefaultChainPolicy(f.Chain.ID, 2*time.Hour)
	policy.OrphanSeatRule = false
	return f.Showtime, db.Catalog().SetChainPolicy(ctx, policy)
}

// putOnSale registers a platform admin and sets the on-sale through AdminService.
func (s *Stack) putOnSale(ctx context.Context, show catalog.Showtime, opens time.Time, shopping int) error {
	res, err := s.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
		Email: fmt.Sprintf("loadgen-%s-admin@example.com", s.runID), Password: "loadgen-password", DisplayName: "Admin"}))
	if err != nil {
		return err
	}
	if _, err := s.App.DB().Pool.Exec(ctx, `UPDATE users SET role = 'admin', chain_id = NULL WHERE id = $1`, res.Msg.User.Id); err != nil {
		return err
	}
	adm := marqueev1connect.NewAdminServiceClient(s.httpc, "http://"+s.App.Addr())
	_, err = adm.SetOnSale(ctx, authed(res.Msg.Token, &marqueev1.SetOnSaleRequest{Region: show.Region,
		Target: &marqueev1.SetOnSaleRequest_ShowtimeId{ShowtimeId: show.ID}, OpensAt: timestamppb.New(opens),
		Capacity: int32(shopping)}))
	return err
}

// registerPeople registers n accounts, 32 at a time.
func (s *Stack) registerPeople(ctx context.Context, n int) ([]person, error) {
	people := make([]person, n)
	errList := make([]error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range people {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := s.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
				Email: fmt.Sprintf("loadgen-%s-room-%d@example.com", s.runID, i), Password: "loadgen-password",
				DisplayName: fmt.Sprintf("Room %d", i)}))
			if err != nil {
				errList[i] = err
				return
			}
			people[i].token = res.Msg.Token
		})
	}
	wg.Wait()
	return people, errors.Join(errList...)
}
