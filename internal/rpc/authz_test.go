package rpc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/onsale"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/s3server"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/regions"
)

// The roles of the authorization matrix, in the order each RPC is called as them: the customer who owns the
// fixture's hold and booking comes last, so that what the others try cannot depend on what the owner did.
const (
	anonymous     = iota // no token
	otherCustomer        // signed in, owns nothing of the fixture's
	otherOperator        // operator of another chain
	auditor              // auditor of us-east1, the fixture's region
	operator             // operator of the fixture's chain
	platformAdmin        // platform admin
	owner                // the customer who holds and booked the fixture's seats
	roleCount
)

var roleNames = [roleCount]string{"anonymous", "another customer", "operator of another chain", "auditor",
	"operator of this chain", "platform admin", "customer"}

// codes parses a matrix row's outcomes, one per role in the order above: OK, or UA (unauthenticated), PD
// (permission denied), NF (not found), IA (invalid argument), FP (failed precondition), AE (already exists),
// UV (unavailable).
func codes(s string) [roleCount]connect.Code {
	abbrev := map[string]connect.Code{"OK": 0, "UA": connect.CodeUnauthenticated, "PD": connect.CodePermissionDenied,
		"NF": connect.CodeNotFound, "IA": connect.CodeInvalidArgument, "FP": connect.CodeFailedPrecondition,
		"AE": connect.CodeAlreadyExists, "UV": connect.CodeUnavailable}
	f := strings.Fields(s)
	if len(f) != roleCount {
		panic(fmt.Sprintf("matrix row %q: want %d outcomes", s, roleCount))
	}
	var out [roleCount]connect.Code
	for i, a := range f {
		c, ok := abbrev[a]
		if !ok {
			panic(fmt.Sprintf("matrix row %q: unknown outcome %q", s, a))
		}
		out[i] = c
	}
	return out
}

// authzRow is one RPC's entry: a request (protojson, with {placeholders} for the fixture's IDs, {uniq} for a
// value new on every call) and the outcome for each role. Rows marked last run after every other row (they
// end the caller's session or change what the other rows read).
type authzRow struct {
	req  string
	want [roleCount]connect.Code
	last bool
}

// authzMatrix is every RPC of the API against every role.
//
//	anon  other opOther auditor operator admin owner
var authzMatrix = map[string]authzRow{
	"marquee.v1.CatalogService/ListCities":    {req: `{}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.CatalogService/ListMovies":    {req: `{}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.CatalogService/ListTheatres":  {req: `{}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.CatalogService/ListShowtimes": {req: `{"theatre_id":"{theatre}"}`, want: codes("OK OK OK OK OK OK OK")},

	"marquee.v1.SearchService/SearchMovies":   {req: `{"query":"fixture"}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.SearchService/SearchTheatres": {req: `{"query":"fixture","near":{"latitude":40.7,"longitude":-74},"radius_km":50}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.SearchService/Suggest":        {req: `{"prefix":"fix"}`, want: codes("OK OK OK OK OK OK OK")},

	"marquee.v1.AccountService/Register": {req: `{"email":"new{uniq}@example.com","password":"s3cret-pass","display_name":"New"}`,
		want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.AccountService/Login":                      {req: `{"email":"nobody@example.com","password":"wrong-pass"}`, want: codes("UA UA UA UA UA UA UA")},
	"marquee.v1.AccountService/RefreshToken":               {req: `{"refresh_token":"mqr_not-a-token"}`, want: codes("UA UA UA UA UA UA UA")},
	"marquee.v1.AccountService/Logout":                     {req: `{}`, want: codes("UA OK OK OK OK OK OK"), last: true},
	"marquee.v1.AccountService/ClaimAdmin":                 {req: `{"code":"mqa_not-a-code"}`, want: codes("UA PD PD PD PD PD PD")},
	"marquee.v1.AccountService/GetNotificationSettings":    {req: `{}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.AccountService/UpdateNotificationSettings": {req: `{"settings":{}}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.AccountService/ExportMyData":               {req: `{}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.AccountService/EraseMyData":                {req: `{"password":"wrong-pass","confirm":"ERASE"}`, want: codes("UA UA UA UA UA UA UA")},

	"marquee.v1.SeatService/GetSeatMap": {req: `{"showtime_id":"{show}"}`, want: codes("OK OK OK OK OK OK OK")},
	// This server has no event hub, so a seat map stream is unavailable to all; what matters here is that it
	// is public.
	"marquee.v1.SeatService/WatchSeatMap":      {req: `{"showtime_id":"{show}"}`, want: codes("UV UV UV UV UV UV UV")},
	"marquee.v1.SeatService/BestAvailable":     {req: `{"showtime_id":"{show}","count":1}`, want: codes("OK OK OK OK OK OK OK")},
	"marquee.v1.SeatService/HoldSeats":         {req: `{"showtime_id":"{show}","seat_ids":["F9"]}`, want: codes("UA OK FP FP FP FP FP")},
	"marquee.v1.SeatService/HoldBestAvailable": {req: `{"showtime_id":"{show}","count":1}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.SeatService/ReleaseHold":       {req: `{"hold_id":"{hold}"}`, want: codes("UA NF NF NF NF NF OK"), last: true},
	// The fixture's showtime has no on-sale: there is no waiting room to wait in or leave.
	"marquee.v1.SeatService/GetWaitingRoom":   {req: `{"showtime_id":"{show}"}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.SeatService/WaitForAdmission": {req: `{"showtime_id":"{show}"}`, want: codes("UA FP FP FP FP FP FP")},
	"marquee.v1.SeatService/LeaveWaitingRoom": {req: `{"showtime_id":"{show}"}`, want: codes("UA NF NF NF NF NF NF")},

	"marquee.v1.BookingService/CreateBooking": {req: `{"hold_id":"{hold2}","payment_token":"tok_visa","idempotency_key":"authz-{uniq}"}`,
		want: codes("UA NF NF NF NF NF OK")},
	"marquee.v1.BookingService/GetBooking":        {req: `{"booking_id":"{booking}"}`, want: codes("UA NF NF NF NF NF OK")},
	"marquee.v1.BookingService/ListMyBookings":    {req: `{}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.BookingService/QuoteCancellation": {req: `{"booking_id":"{booking}"}`, want: codes("UA NF NF NF NF NF OK")},
	"marquee.v1.BookingService/AddSeats": {req: `{"booking_id":"{booking}","seat_ids":["E1"],"payment_token":"tok_visa","idempotency_key":"authz-{uniq}"}`,
		want: codes("UA NF NF NF NF NF OK")},
	"marquee.v1.BookingService/CancelBooking": {req: `{"booking_id":"{booking}","idempotency_key":"authz-{uniq}"}`,
		want: codes("UA NF NF NF NF NF OK"), last: true},

	"marquee.v1.PricingService/Quote": {req: `{"hold_id":"{hold}"}`, want: codes("UA NF NF NF NF NF OK")},

	"marquee.v1.StandbyService/JoinStandby":   {req: `{"showtime_id":"{show}","seat_count":2}`, want: codes("UA FP FP FP FP FP FP")},
	"marquee.v1.StandbyService/LeaveStandby":  {req: `{"entry_id":"{nosuch}"}`, want: codes("UA NF NF NF NF NF NF")},
	"marquee.v1.StandbyService/GetStandby":    {req: `{"entry_id":"{nosuch}"}`, want: codes("UA NF NF NF NF NF NF")},
	"marquee.v1.StandbyService/ListMyStandby": {req: `{}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.StandbyService/AcceptOffer": {req: `{"offer_id":"{nosuch}","payment_token":"tok_visa","idempotency_key":"authz-{uniq}"}`,
		want: codes("UA NF NF NF NF NF NF")},
	"marquee.v1.StandbyService/DeclineOffer": {req: `{"offer_id":"{nosuch}"}`, want: codes("UA NF NF NF NF NF NF")},
	"marquee.v1.StandbyService/WatchStandby": {req: `{"entry_id":"{nosuch}"}`, want: codes("UA NF NF NF NF NF NF")},

	"marquee.v1.WalletService/GetWallet":     {req: `{}`, want: codes("UA OK OK OK OK OK OK")},
	"marquee.v1.WalletService/CheckGiftCard": {req: `{"code":"GIFT-NOPE-NOPE"}`, want: codes("UA NF NF NF NF NF NF")},

	"marquee.v1.AdminService/SetUserRole": {req: `{"user_id":"{bystander}","role":"ROLE_CUSTOMER"}`, want: codes("UA PD PD PD PD OK PD")},
	"marquee.v1.AdminService/InviteAdmin": {req: `{"email":"invitee{uniq}@example.com"}`, want: codes("UA PD PD PD PD OK PD")},
	"marquee.v1.AdminService/SetAuditorRegions": {req: `{"user_id":"{auditor}","regions":["us-east1"]}`,
		want: codes("UA PD PD PD PD OK PD")},
	"marquee.v1.AdminService/UpsertPricingRule": {req: `{"rule":{"chain_id":"{chain}","name":"Matinee {uniq}","kind":"PRICING_RULE_KIND_TIME_OF_DAY","start_minute":600,"end_minute":720,"percent":-10,"priority":{uniq}}}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ListPricingRules":  {req: `{"chain_id":"{chain}"}`, want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/DeletePricingRule": {req: `{"chain_id":"{chain}","rule_id":"{nosuch}"}`, want: codes("UA PD PD PD NF NF PD")},
	"marquee.v1.AdminService/UpsertPromotion": {req: `{"promotion":{"chain_id":"{chain}","code":"AUTHZ{uniq}","kind":"PROMOTION_KIND_PERCENT","percent":10,"valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z"}}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ListPromotions": {req: `{"chain_id":"{chain}"}`, want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/SetChainPolicy": {req: `{"policy":{"chain_id":"{chain}","refund_tiers":[{"minutes_before":120,"percent":100}]}}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/GetChainPolicy": {req: `{"chain_id":"{chain}"}`, want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/IssueGiftCard": {req: `{"chain_id":"{chain}","amount":{"currency_code":"USD","amount_minor":500}}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ListDeadDeliveries": {req: `{}`, want: codes("UA PD PD PD PD OK PD")},
	"marquee.v1.AdminService/RetryDelivery":      {req: `{"delivery_id":"booking_confirmed/{nosuch}/email"}`, want: codes("UA PD PD PD PD NF PD")},
	"marquee.v1.AdminService/UpsertMovie": {req: `{"movie":{"title":"Authz {uniq}","runtime_minutes":100,"rating":"PG","language":"en"}}`,
		want: codes("UA PD PD PD PD OK PD")},
	"marquee.v1.AdminService/UpsertTheatre": {req: `{"theatre":{"id":"{theatre}","name":"Fixture Plaza","city":"{city}","chain":"{chain}","address":"1 Test St","latitude":40.7,"longitude":-74},"time_zone":"America/New_York","currency":"USD"}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/UpsertScreen": {req: `{"theatre_id":"{theatre}","name":"Authz {uniq}","rows":[{"label":"A","seats":[{"number":1,"x":0,"type":"SEAT_TYPE_STANDARD"},{"number":2,"x":1,"type":"SEAT_TYPE_STANDARD"}]}]}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ScheduleShowtime": {req: `{"screen_id":"{screen}","movie_id":"{movie}","starts_at":"{later}","format":"2D","language":"en","base_price":{"currency_code":"USD","amount_minor":1000},"premium_price":{"currency_code":"USD","amount_minor":1500}}`,
		want: codes("UA PD PD PD OK AE PD")},
	"marquee.v1.AdminService/CancelShowtime": {req: `{"showtime_id":"{show2}"}`, want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ReindexSearch":  {req: `{}`, want: codes("UA PD PD PD PD OK PD")},
	// On the second showtime, so that holds of the fixture's need no pass.
	"marquee.v1.AdminService/SetOnSale": {req: `{"region":"us-east1","showtime_id":"{show2}","opens_at":"{later}","capacity":10}`,
		want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/ListOnSales": {req: `{"region":"us-east1","chain_id":"{chain}"}`, want: codes("UA PD PD PD OK OK PD")},
	"marquee.v1.AdminService/EndOnSale":   {req: `{"on_sale_id":"{onsale}"}`, want: codes("UA PD PD PD OK OK PD")},

	"marquee.v1.ComplianceService/LookupBooking":  {req: `{"confirmation_code":"{code}"}`, want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/SearchBookings": {req: `{"region":"us-east1","user_id":"{owner}"}`, want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/ExportPerson":   {req: `{"user_id":"{owner}","region":"us-east1"}`, want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/ErasePerson": {req: `{"user_id":"{bystander}","reason":"authorization matrix","region":"us-east1"}`,
		want: codes("UA PD PD OK PD OK PD"), last: true},
	"marquee.v1.ComplianceService/PlaceLegalHold": {req: `{"region":"us-east1","user_id":"{owner}","reason":"authorization matrix"}`,
		want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/ReleaseLegalHold": {req: `{"region":"us-east1","hold_id":"{nosuch}"}`, want: codes("UA PD PD NF PD NF PD")},
	"marquee.v1.ComplianceService/Purge":            {req: `{"region":"us-east1"}`, want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/RunArchive":       {req: `{"region":"us-east1"}`, want: codes("UA PD PD OK PD OK PD")},
	"marquee.v1.ComplianceService/ListAuditLog":     {req: `{"region":"us-east1"}`, want: codes("UA PD PD OK PD OK PD")},
}

// TestAuthorizationMatrix calls every RPC of the API (read from the service descriptors, so an RPC without an
// entry in authzMatrix fails) as every role and checks each outcome. Then, for every call a role is refused
// for its role (permission denied or unauthenticated), it calls again with IDs that exist nowhere: the answer
// must be the same refusal, so a caller without the role learns nothing of which IDs exist.
func TestAuthorizationMatrix(t *testing.T) {
	w := newAuthzWorld(t)
	procs := procedures(t)
	for _, p := range procs {
		if _, ok := authzMatrix[p.name]; !ok {
			t.Errorf("%s has no entry in the authorization matrix", p.name)
		}
	}
	for name := range authzMatrix {
		if !slices.ContainsFunc(procs, func(p proc) bool { return p.name == name }) {
			t.Errorf("the authorization matrix has %s, which the API does not", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	// Rows that end sessions or change what others read run last, Logout (which ends every role's session)
	// at the very end.
	var first, last []proc
	for _, p := range procs {
		if p.name == marqueev1connect.AccountServiceLogoutProcedure[1:] {
			continue
		}
		if authzMatrix[p.name].last {
			last = append(last, p)
		} else {
			first = append(first, p)
		}
	}
	last = append(last, proc{name: marqueev1connect.AccountServiceLogoutProcedure[1:]})
	for _, p := range append(first, last...) {
		row := authzMatrix[p.name]
		for role := range roleCount {
			got := w.call(t, p, role, row.req, false)
			if got != row.want[role] {
				t.Errorf("%s as %s: %s (%s), want %s", p.name, roleNames[role], codeName(got), w.message, codeName(row.want[role]))
			}
			if role != otherOperator && refusedForRole(row.want[role]) && strings.Contains(row.req, "{") && !row.last {
				if again := w.call(t, p, role, row.req, true); again != row.want[role] {
					t.Errorf("%s as %s with IDs that exist nowhere: %s, want %s as with real ones (the role is checked before any lookup)",
						p.name, roleNames[role], codeName(again), codeName(row.want[role]))
				}
			}
		}
	}
}

// refusedForRole reports whether an outcome refuses the caller for who they are.
func refusedForRole(c connect.Code) bool {
	return c == connect.CodePermissionDenied || c == connect.CodeUnauthenticated
}

func codeName(c connect.Code) string {
	if c == 0 {
		return "ok"
	}
	return c.String()
}

// proc is one RPC of the API.
type proc struct {
	name   string // "marquee.v1.Service/Method"
	stream bool   // server streaming
}

// procedures lists every RPC of the marquee.v1 services.
func procedures(t *testing.T) []proc {
	t.Helper()
	var out []proc
	protoregistry.GlobalFiles.RangeFilesByPackage("marquee.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				out = append(out, proc{name: string(sd.FullName()) + "/" + string(md.Name()), stream: md.IsStreamingServer()})
			}
		}
		return true
	})
	if len(out) < 60 {
		t.Fatalf("found %d RPCs in the descriptors; the marquee.v1 files did not load", len(out))
	}
	return out
}

// authzWorld is the matrix's fixture: a server with every service (compliance over a real S3 server), a
// showtime with a hold and a booking of the owner's, and a user of each role.
type authzWorld struct {
	e     *env
	url   string
	users [roleCount]user
	vars  map[string]string
	uniq  int
	// message is the last error's message.
	message string
}

func newAuthzWorld(t *testing.T) *authzWorld {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t)
	svcs := e.services()
	dir, err := os.MkdirTemp("", "marquee-authz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := app.DefaultConfig()
	cfg.DataDir = dir
	var buckets []string
	for _, r := range regions.All() {
		buckets = append(buckets, r.S3Bucket)
	}
	objs, srv, err := s3server.Ensure(ctx, objstore.Config{}, dir, buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if svcs.Compliance, err = app.Archive(e.db, objs, cfg, e.clock.Now); err != nil {
		t.Fatal(err)
	}
	index, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = index.Close() })
	keeper := &search.Keeper{Index: index, Source: e.db.Catalog(), Now: e.clock.Now}
	if err := keeper.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	svcs.Search, svcs.Reindexer = index, keeper
	hs := httptest.NewServer(rpc.NewMux(svcs, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(hs.Close)
	w := &authzWorld{e: e, url: hs.URL}
	e.mustAddOtherChain(t)
	w.users[otherCustomer] = e.mustRegister(t)
	w.users[otherOperator] = e.mustOperator(t, otherChain)
	w.users[auditor] = e.mustRegister(t)
	e.makeRole(t, w.users[auditor], "auditor", "")
	e.exec(t, `INSERT INTO auditor_regions (user_id, scope, granted_by, granted_at) VALUES ($1, 'us-east1', 'test', now())`, w.users[auditor].id)
	w.users[operator] = e.mustOperator(t, e.fix.Chain.ID)
	w.users[platformAdmin] = e.mustPlatformAdmin(t)
	w.users[owner] = e.mustRegister(t)
	bystander := e.mustRegister(t)
	b := e.mustBook(t, w.users[owner], e.mustHold(t, w.users[owner], "A1", "A2").Id, "authz-booking")
	hold, hold2 := e.mustHold(t, w.users[owner], "B1", "B2"), e.mustHold(t, w.users[owner], "C1", "C2")
	show2, err := e.fix.AddShowtime(ctx, e.db.Catalog(), e.db.IDs, t0.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sale, err := svcs.OnSale.SetOnSale(ctx, w.users[operator].id, onsale.OnSale{Region: show2.Region,
		ShowtimeID: show2.ID, OpensAt: t0, Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.vars = map[string]string{"show": e.fix.Showtime.ID, "show2": show2.ID, "onsale": sale.ID, "theatre": e.fix.Theatre.ID,
		"screen": e.fix.Screen.ID, "movie": e.fix.Movie.ID, "chain": e.fix.Chain.ID, "city": e.fix.City.ID,
		"hold": hold.Id, "hold2": hold2.Id, "booking": b.Id, "code": b.ConfirmationCode, "owner": w.users[owner].id,
		"auditor": w.users[auditor].id, "bystander": bystander.id,
		"later": t0.Add(96 * time.Hour).Format(time.RFC3339)}
	return w
}

// placeholder matches a {name} in a matrix request.
var placeholder = regexp.MustCompile(`\{([a-z0-9]+)\}`)

// request fills in a matrix request. With nowhere, every ID is replaced by one that exists nowhere, of the
// same form (a us-east1 ID, a chain ID, a user ID).
func (w *authzWorld) request(t *testing.T, tmpl string, nowhere bool) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		switch {
		case name == "uniq":
			w.uniq++
			return fmt.Sprint(w.uniq)
		case name == "nosuch" || nowhere && name != "later" && name != "code" && name != "chain" && name != "city":
			return w.e.db.IDs.Regional(usEast.IDPrefix)
		case nowhere && name == "chain":
			return "chain-nosuch"
		case nowhere && name == "code":
			return "ZZZZ-ZZZZ"
		}
		v, ok := w.vars[name]
		if !ok {
			t.Fatalf("matrix request %q: no value for %s", tmpl, m)
		}
		return v
	})
}

// call makes one matrix call as role and returns its outcome (0 for success). A server stream succeeds when
// its first message arrives or it ends without an error.
func (w *authzWorld) call(t *testing.T, p proc, role int, tmpl string, nowhere bool) connect.Code {
	t.Helper()
	body := []byte(w.request(t, tmpl, nowhere))
	ctype := "application/json"
	if p.stream {
		env := make([]byte, 5, 5+len(body))
		binary.BigEndian.PutUint32(env[1:], uint32(len(body)))
		body, ctype = append(env, body...), "application/connect+json"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url+"/"+p.name, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Connect-Protocol-Version", "1")
	if tok := w.users[role].token; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	defer res.Body.Close()
	if !p.stream {
		if res.StatusCode == http.StatusOK {
			return 0
		}
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
			t.Fatalf("%s: error body: %v", p.name, err)
		}
		w.message = e.Message
		return parseCode(t, p.name, e.Code)
	}
	r := bufio.NewReader(res.Body)
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		t.Fatalf("%s: reading the stream: %v (HTTP %d)", p.name, err, res.StatusCode)
	}
	if head[0]&0x02 == 0 {
		return 0 // a message
	}
	var end struct {
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(r, int64(binary.BigEndian.Uint32(head[1:])))).Decode(&end); err != nil {
		t.Fatalf("%s: end of stream: %v", p.name, err)
	}
	if end.Error == nil {
		return 0
	}
	return parseCode(t, p.name, end.Error.Code)
}

func parseCode(t *testing.T, name, s string) connect.Code {
	t.Helper()
	var c connect.Code
	if err := c.UnmarshalText([]byte(s)); err != nil {
		t.Fatalf("%s: code %q: %v", name, s, err)
	}
	return c
}
