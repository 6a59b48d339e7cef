// Command marquee is the one Marquee binary.
//
//	marquee dev      start the whole platform locally (PostgreSQL, NATS, a process per region, the edge)
//	marquee region   serve one region (--region NAME) against an existing database ($DATABASE_URL)
//	marquee edge     route API calls to the regions that own their data (--region-url NAME=URL ...)
//	marquee migrate  apply database migrations to $DATABASE_URL (--cockroach-overlay: print the multi-region overlay)
//	marquee loadgen  drive a full stack with concurrent clients and report throughput and latency
//	marquee archive run|verify|purge  the compliance archive of each region's old bookings
//	marquee search reindex  rebuild a running server's search index with progress
//	marquee ticket verify [--public-key FILE] <payload>  check a QR ticket offline
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // theatres name IANA zones; do not depend on the host having zoneinfo

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/crdb"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/loadgen"
	"github.com/marqueehq/marquee/internal/notify/ticket"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/telemetry"
	"github.com/marqueehq/marquee/regions"
)

const usage = `usage: marquee <command> [flags]

commands:
  dev       start the whole platform locally: private PostgreSQL under --data-dir, demo data, a NATS
            supercluster, one region process per region (--regions a,b for some) and the edge on --addr
  region    serve one region (--region NAME; every region without it) against an existing database
            (--database-url or $DATABASE_URL) and NATS (--nats-url), without demo data
  edge      route API calls to their regions: --region-url NAME=URL (repeat) [--region NAME] [--addr ADDR]
  migrate   apply database migrations to --database-url or $DATABASE_URL; --cockroach-overlay prints the
            CockroachDB multi-region overlay to apply after them instead
  loadgen   run the load generator against a private full stack and print the results table
  archive   archive run|verify|purge: move old bookings to their region's bucket, check the archive's hash
            chain and checksums, delete what has outlived its retention (see 'marquee archive')
  search    search reindex [--addr URL] [--token TOKEN]: rebuild a running server's search index, showing progress
  ticket    ticket verify [--public-key FILE] <payload>: check a QR ticket's signature offline

run 'marquee <command> -h' for its flags
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "dev":
		err = devCommand(ctx, args)
	case "region":
		err = serve(ctx, args)
	case "edge":
		err = edgeCommand(ctx, args)
	case "migrate":
		err = migrate(ctx, args, os.Stdout)
	case "loadgen":
		err = loadgen.Main(ctx, args, os.Stdout)
	case "search":
		err = searchCommand(ctx, args)
	case "archive":
		err = archiveCommand(ctx, args, os.Stdout, os.Stderr)
	case "ticket":
		if len(args) == 0 || args[0] != "verify" {
			fmt.Fprint(os.Stderr, "usage: marquee ticket verify [--public-key FILE] <payload>\n")
			os.Exit(2)
		}
		err = ticket.VerifyCommand(args[1:], os.Stdout)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "marquee: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "marquee:", err)
		os.Exit(1)
	}
}

// serve runs `marquee region`, one region's deployment (or every region's, without --region), until SIGINT or
// SIGTERM.
func serve(ctx context.Context, args []string) error {
	m := app.NewMain()
	m.Config.Seed = false
	if err := m.ParseFlags("marquee region", args); err != nil {
		return err
	}
	var err error
	if m.Log, err = telemetry.NewLogger(os.Stderr, m.Config.Telemetry.LogFormat); err != nil {
		return err
	}
	if m.Config.DatabaseURL == "" {
		return fmt.Errorf("region needs --database-url or $DATABASE_URL")
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	fmt.Printf("Marquee is listening on http://%s (HTTP/1.1 and h2c)\n", m.Addr())
	fmt.Printf("Try:\n  curl -s -H 'Content-Type: application/json' -d '{}' http://%s/marquee.v1.CatalogService/ListCities\n", m.Addr())
	<-ctx.Done()
	fmt.Println("shutting down")
	return m.Close()
}

// edgeCommand runs `marquee edge` until SIGINT or SIGTERM.
func edgeCommand(ctx context.Context, args []string) error {
	m := edge.NewMain()
	if err := m.ParseFlags("marquee edge", args); err != nil {
		return err
	}
	var err error
	if m.Config.Log, err = telemetry.NewLogger(os.Stderr, m.LogFormat); err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	fmt.Printf("Marquee edge is listening on http://%s (HTTP/1.1 and h2c)\n", m.ListenAddr())
	<-ctx.Done()
	return m.Close()
}

// migrate applies the migrations, or with --cockroach-overlay writes the multi-region overlay to stdout.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("marquee migrate", flag.ContinueOnError)
	url := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL/CockroachDB URL (default $DATABASE_URL)")
	overlay := fs.Bool("cockroach-overlay", false, "print the CockroachDB multi-region overlay for regions/ (apply it after the migrations) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *overlay {
		sql, err := crdb.Overlay(regions.All())
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, sql)
		return err
	}
	if *url == "" {
		return fmt.Errorf("migrate needs --database-url URL or $DATABASE_URL")
	}
	db, err := store.Open(ctx, *url, 2, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return db.Catalog().EnsureRegions(ctx)
}

// searchCommand runs `marquee search reindex`: it asks a running server (as a platform admin) to rebuild its
// search index and prints the progress it streams back.
func searchCommand(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "reindex" {
		return fmt.Errorf("usage: marquee search reindex [--addr URL] [--token TOKEN]")
	}
	fs := flag.NewFlagSet("marquee search reindex", flag.ContinueOnError)
	addr := fs.String("addr", "http://127.0.0.1:8080", "server URL")
	token := fs.String("token", os.Getenv("MARQUEE_TOKEN"), "a platform admin's bearer token (default $MARQUEE_TOKEN)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	req := connect.NewRequest(&marqueev1.ReindexSearchRequest{})
	req.Header().Set("Authorization", "Bearer "+*token)
	stream, err := marqueev1connect.NewAdminServiceClient(http.DefaultClient, *addr).ReindexSearch(ctx, req)
	if err != nil {
		return err
	}
	for stream.Receive() {
		if m := stream.Msg(); m.Finished {
			fmt.Println("\nsearch index rebuilt")
		} else {
			fmt.Printf("\rindexed %d of %d", m.Done, m.Total)
		}
	}
	return stream.Err()
}
