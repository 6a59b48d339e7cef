package rpc

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// LimitClass names a group of procedures that share one rate limit.
type LimitClass string

// The limit classes.
const (
	ClassLogin    LimitClass = "login"
	ClassRegister LimitClass = "register"
	ClassHold     LimitClass = "hold"
	ClassBooking  LimitClass = "booking"
	ClassPromo    LimitClass = "promo"
	ClassStandby  LimitClass = "standby"
)

// limitClasses maps each limited procedure to its class; procedures not listed are not rate limited.
var limitClasses = map[string]LimitClass{
	marqueev1connect.AccountServiceLoginProcedure:          ClassLogin,
	marqueev1connect.AccountServiceRegisterProcedure:       ClassRegister,
	marqueev1connect.SeatServiceHoldSeatsProcedure:         ClassHold,
	marqueev1connect.SeatServiceHoldBestAvailableProcedure: ClassHold,
	marqueev1connect.BookingServiceAddSeatsProcedure:       ClassHold,
	marqueev1connect.BookingServiceCreateBookingProcedure:  ClassBooking,
	marqueev1connect.PricingServiceQuoteProcedure:          ClassPromo,
	marqueev1connect.StandbyServiceJoinStandbyProcedure:    ClassStandby,
}

// Limit is a token bucket: PerMinute requests a minute on average, up to Burst at once. A zero Limit is off.
type Limit struct {
	PerMinute float64
	Burst     int
}

// String formats l as its flag value, "PER_MINUTE:BURST".
func (l *Limit) String() string {
	if l == nil {
		return ""
	}
	return strconv.FormatFloat(l.PerMinute, 'g', -1, 64) + ":" + strconv.Itoa(l.Burst)
}

// Set parses "PER_MINUTE:BURST" (for example "10:5"); "0:0" turns the limit off.
func (l *Limit) Set(s string) error {
	r, b, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("rate limit %q: want PER_MINUTE:BURST", s)
	}
	pm, err := strconv.ParseFloat(r, 64)
	if err != nil || pm < 0 || math.IsInf(pm, 0) || math.IsNaN(pm) {
		return fmt.Errorf("rate limit %q: bad rate", s)
	}
	burst, err := strconv.Atoi(b)
	if err != nil || burst < 0 || (burst == 0) != (pm == 0) {
		return fmt.Errorf("rate limit %q: bad burst (0 only with rate 0)", s)
	}
	*l = Limit{PerMinute: pm, Burst: burst}
	return nil
}

// RateLimits are the limits of each class, applied separately to each client IP and each signed-in user.
type RateLimits struct {
	Classes map[LimitClass]Limit
	// TrustedProxies are the peers (the edge) whose X-Forwarded-For names the client; others are the client.
	TrustedProxies []netip.Prefix
	// MaxKeys bounds how many (class, key) buckets are kept, so clients rotating addresses or accounts cannot
	// grow memory without bound; the least recently seen is evicted first.
	MaxKeys int
}

// DefaultRateLimits are what a public deployment uses: generous enough for a family or an office behind one
// NAT address, far below what scripted abuse needs.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Classes: map[LimitClass]Limit{
			ClassLogin:    {PerMinute: 20, Burst: 20},
			ClassRegister: {PerMinute: 10, Burst: 10},
			ClassHold:     {PerMinute: 60, Burst: 30},
			ClassBooking:  {PerMinute: 30, Burst: 20},
			ClassPromo:    {PerMinute: 60, Burst: 30},
			ClassStandby:  {PerMinute: 20, Burst: 10},
		},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		MaxKeys:        100_000,
	}
}

// rateInterceptor refuses calls over their class's limit, per client IP and per user, with
// resource_exhausted and a google.rpc.RetryInfo detail. It runs after authInterceptor so the user is known.
type rateInterceptor struct {
	limits RateLimits
	now    func() time.Time
	// mu makes admit's take-from-every-bucket-or-none, and making a missing bucket, one step.
	mu sync.Mutex
	// keys are the buckets by "class|ip|addr" and "class|user|id", at most MaxKeys, the least recently seen
	// evicted first: usually a client gone quiet, whose bucket has refilled. A flood of MaxKeys new keys can
	// evict a limited client's bucket sooner, which gives it a full one again: memory stays bounded either way.
	keys *lru.Cache[string, *rate.Limiter]
}

var _ connect.Interceptor = (*rateInterceptor)(nil)

func newRateInterceptor(l RateLimits, now func() time.Time) *rateInterceptor {
	if l.MaxKeys <= 0 {
		l.MaxKeys = DefaultRateLimits().MaxKeys
	}
	if now == nil {
		now = time.Now
	}
	keys, err := lru.New[string, *rate.Limiter](l.MaxKeys)
	if err != nil {
		panic(err) // only for a size below 1, which MaxKeys is not
	}
	return &rateInterceptor{limits: l, now: now, keys: keys}
}

func (ri *rateInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := ri.admit(ctx, req.Spec().Procedure, req.Peer().Addr, req.Header()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (ri *rateInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (ri *rateInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := ri.admit(ctx, conn.Spec().Procedure, conn.Peer().Addr, conn.RequestHeader()); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// admit takes a token for the caller's IP and, when signed in, for the user; if either bucket is empty it
// takes none and answers with the longer wait.
func (ri *rateInterceptor) admit(ctx context.Context, procedure, peer string, h http.Header) error {
	class, ok := limitClasses[procedure]
	if !ok {
		return nil
	}
	l := ri.limits.Classes[class]
	if l.PerMinute <= 0 || l.Burst <= 0 {
		return nil
	}
	var keys []string
	// A client on this machine itself (local tools, the load generator, tests) has no IP limit; callers
	// behind the edge are named by X-Forwarded-For, so they are never loopback here.
	if ip := ri.clientIP(peer, h); !isLoopback(ip) {
		keys = append(keys, string(class)+"|ip|"+ip)
	}
	if u := userID(ctx); u != "" {
		keys = append(keys, string(class)+"|user|"+u)
	}
	if len(keys) == 0 {
		return nil
	}
	now := ri.now()
	ri.mu.Lock()
	var wait time.Duration
	rs := make([]*rate.Reservation, 0, len(keys))
	for _, k := range keys {
		r := ri.bucket(k, l).ReserveN(now, 1)
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > 0 {
		for _, r := range rs {
			r.CancelAt(now)
		}
	}
	ri.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return exhausted(class, wait)
}

// bucket returns k's bucket, marking it the most recently seen, and makes a full one when k has none (new,
// or evicted); with MaxKeys buckets kept, making one evicts the least recently seen. Called with mu held.
func (ri *rateInterceptor) bucket(k string, l Limit) *rate.Limiter {
	if b, ok := ri.keys.Get(k); ok {
		return b
	}
	b := rate.NewLimiter(rate.Limit(l.PerMinute/60), l.Burst)
	ri.keys.Add(k, b)
	return b
}

// clientIP is the peer's address, or the last X-Forwarded-For entry (the one the proxy added) when the peer
// is a trusted proxy.
func (ri *rateInterceptor) clientIP(peer string, h http.Header) string {
	host := peer
	if hp, _, err := net.SplitHostPort(peer); err == nil {
		host = hp
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !ri.trusted(addr.Unmap()) {
		return host
	}
	xff := h.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return host
	}
	parts := strings.Split(xff[len(xff)-1], ",")
	if c, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
		return c.Unmap().String()
	}
	return host
}

func (ri *rateInterceptor) trusted(a netip.Addr) bool {
	for _, p := range ri.limits.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// exhausted is the resource_exhausted answer with a RetryInfo detail of wait, rounded up to a second.
func exhausted(class LimitClass, wait time.Duration) error {
	secs := int64(math.Ceil(wait.Seconds()))
	err := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("too many %s requests: try again in %ds", class, secs))
	if d, derr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}); derr == nil {
		err.AddDetail(d)
	}
	return err
}

// isLoopback reports whether ip is a loopback address.
func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().IsLoopback()
}
