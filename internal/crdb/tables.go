package crdb

// Kind is a table locality of a CockroachDB multi-region database.
type Kind int

// The localities Marquee uses.
const (
	// Global tables are replicated so that every region reads them locally and consistently; writes take longer
	// (they wait out the cluster's clock uncertainty). For read-mostly tables that every region reads.
	Global Kind = iota + 1
	// PrimaryRegion tables (REGIONAL BY TABLE IN PRIMARY REGION) are homed as a whole in the primary region:
	// one cross-region round trip from elsewhere, but no GLOBAL write wait.
	PrimaryRegion
	// RegionalByRow tables home each row in the region its Table.From column names.
	RegionalByRow
	// RegionalByGateway tables home each row in the region that inserted it (REGIONAL BY ROW with CockroachDB's
	// default crdb_region column); lookups by key look in the local region first.
	RegionalByGateway
)

// Table is the locality of one table and the reason for it.
type Table struct {
	Name string
	Kind Kind
	// From is, for RegionalByRow, the NOT NULL TEXT column whose value (a region name) is the row's home.
	From string
	// Reason is one line, written as a SQL comment above the table's statements.
	Reason string
}

// Tables gives a locality to every table that the migrations in schema/ create, and to goose's own record of
// them. A test applies the migrations to PostgreSQL and fails when a table is missing here, listed twice or
// listed without existing, and when a table with a region column in its primary key is not regional by it.
var Tables = []Table{
	{Name: "goose_db_version", Kind: Global, Reason: "goose's record of applied migrations: read by every process at start (store.Prepare), written only by migrations"},
	{Name: "regions", Kind: Global, Reason: "the regions themselves: written by `marquee migrate`, read by every region"},
	{Name: "cities", Kind: Global, Reason: "catalog: read by every browse in every region, changed by operators a few times a year"},
	{Name: "chains", Kind: Global, Reason: "catalog: a chain's theatres span regions and every region reads it; rarely written"},
	{Name: "movies", Kind: Global, Reason: "catalog: read by every browse and search index in every region; written when a film is added or edited"},
	{Name: "chain_policies", Kind: Global, Reason: "a chain's refund and seat rules: read by holds and cancellations in every region of the chain, edited by operators"},
	{Name: "pricing_rules", Kind: Global, Reason: "read (cached) by every hold in every region of the chain, edited by operators"},
	{Name: "auditor_regions", Kind: Global, Reason: "read by every compliance call in every region, granted by a platform admin now and then"},
	{Name: "notification_prefs", Kind: Global, Reason: "read by the notifier of whichever region sends a person a message; written only when they change settings"},

	{Name: "promotions", Kind: PrimaryRegion, Reason: "chain-wide codes whose redemption counter every booking using the code increments (CHECK redemptions <= total_limit): contended writes from every region, so one home, not GLOBAL's slower writes"},
	{Name: "admin_grants", Kind: PrimaryRegion, Reason: "one-time codes that make platform admins: a handful a year, redeemed from any region"},
	{Name: "gift_cards", Kind: PrimaryRegion, Reason: "chain-wide balances debited at checkout in any region under CHECK balance_minor >= 0: written too often for GLOBAL, with no region column to home them by"},

	{Name: "users", Kind: RegionalByRow, From: "home_region", Reason: "each account in its person's home region (migration 00007): sign-in and account reads stay local; email stays unique across regions"},
	{Name: "sessions", Kind: RegionalByRow, From: "home_region", Reason: "a person's sign-ins, with their account: read (cached for seconds) by every call they make"},
	{Name: "refresh_tokens", Kind: RegionalByRow, From: "home_region", Reason: "with the session they renew, written by each refresh"},
	{Name: "theatres", Kind: RegionalByRow, From: "region", Reason: "theatre-homed: region leads the primary key"},
	{Name: "screens", Kind: RegionalByRow, From: "region", Reason: "theatre-homed, read with every seat map of its theatre"},
	{Name: "seats", Kind: RegionalByRow, From: "region", Reason: "a screen's layout, theatre-homed, read with every seat map"},
	{Name: "showtimes", Kind: RegionalByRow, From: "region", Reason: "theatre-homed; listings in other regions read it remotely, bookings read it locally"},
	{Name: "showtime_seats", Kind: RegionalByRow, From: "region", Reason: "the inventory rows every hold and booking updates conditionally: local to the theatre's region"},
	{Name: "holds", Kind: RegionalByRow, From: "region", Reason: "written by every hold, release and expiry in the theatre's region"},
	{Name: "hold_quotas", Kind: RegionalByRow, From: "region", Reason: "the per-person seat limit, updated in the same transaction as the hold"},
	{Name: "person_hold_quotas", Kind: RegionalByRow, From: "region", Reason: "the per-person limit across showtimes, updated in the same transaction as the hold"},
	{Name: "bookings", Kind: RegionalByRow, From: "region", Reason: "theatre-homed; confirmation_code stays unique across regions (CockroachDB checks the other regions on insert)"},
	{Name: "booking_seats", Kind: RegionalByRow, From: "region", Reason: "with its booking; the sold-once unique index leads with region, so its check stays local"},
	{Name: "payments", Kind: RegionalByRow, From: "region", Reason: "with the booking they pay or refund; (provider, idempotency_key) stays unique across regions"},
	{Name: "outbox", Kind: RegionalByRow, From: "region", Reason: "written in the transaction of the regional change it announces; each region's relay reads its own rows"},
	{Name: "standby_entries", Kind: RegionalByRow, From: "region", Reason: "a showtime's line, served by the theatre's region when its seats are freed"},
	{Name: "standby_offers", Kind: RegionalByRow, From: "region", Reason: "offers hold seats of the theatre's region and are accepted there"},
	{Name: "on_sales", Kind: RegionalByRow, From: "region", Reason: "an on-sale of the region's showtimes, read by every hold there while it is on"},
	{Name: "onsale_places", Kind: RegionalByRow, From: "region", Reason: "a showtime's waiting room, admitted by the region's job and read by its holds"},
	{Name: "job_leases", Kind: RegionalByRow, From: "region", Reason: "renewed every few seconds by the region's own processes; an adopting region writes it only while the region is down"},
	{Name: "region_processes", Kind: RegionalByRow, From: "region", Reason: "each process's heartbeat, written in its own region; adopters read every region's rows a few times a lease"},
	{Name: "promotion_redemptions", Kind: RegionalByRow, From: "region", Reason: "with the booking it discounts (region is in its primary key); the per-person limit count reads every region's rows of the code"},

	{Name: "archive_objects", Kind: RegionalByRow, From: "region", Reason: "the region's archive objects, written by its archive job next to its bucket"},
	{Name: "archive_manifests", Kind: RegionalByRow, From: "region", Reason: "the region's manifest chain, with its archive objects"},
	{Name: "archived_bookings", Kind: RegionalByRow, From: "region", Reason: "the index of the region's archived bookings; confirmation_code stays unique across regions"},
	{Name: "legal_holds", Kind: RegionalByRow, From: "region", Reason: "holds on the region's records, read by its archive and purge jobs"},
	{Name: "audit_log", Kind: RegionalByRow, From: "region", Reason: "compliance calls about the region's data, kept in the region"},

	{Name: "person_keys", Kind: RegionalByGateway, Reason: "a person's data key, made by the first region to archive one of their bookings and read by lookups there; shredded on erasure"},
	{Name: "idempotency_keys", Kind: RegionalByGateway, Reason: "written by the region serving the call (routed by the showtime's or booking's region) and read back by retries, routed the same way; keys stay unique across regions"},
	{Name: "processed_events", Kind: RegionalByGateway, Reason: "consumer dedup rows written by the consuming region; unique across regions, so a consumer adopted by another region still applies an event once"},
	{Name: "revoked_tokens", Kind: RegionalByGateway, Reason: "access tokens denied by logout until they expire, written where the logout lands and looked up by key from anywhere"},
	{Name: "webhook_events", Kind: RegionalByGateway, Reason: "payment provider webhook dedup, written where the delivery lands; unique across regions"},
	{Name: "deliveries", Kind: RegionalByGateway, Reason: "queued by the region whose notifier handled the event and retried by its notify.deliveries job"},
	{Name: "store_credit_balances", Kind: RegionalByGateway, Reason: "per person and currency with no home column: homed where first credited (the cancelling theatre's region); found by key from anywhere"},
	{Name: "store_credit_entries", Kind: RegionalByGateway, Reason: "insert-only audit of balance changes, written where the change is made and rarely read"},
}
