package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/config"
	"github.com/marqueehq/marquee/internal/devstack"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

const archiveUsage = `usage: marquee archive run|verify|purge [flags]

  run     move bookings whose show ended more than --archive-after ago to their region's bucket
  verify  re-read every manifest and object of a region and check the hash chain and checksums
  purge   delete archive objects whose retention has passed and which no legal hold covers

Either against a running server, as a platform admin or an auditor (run and purge):
  --server URL --token TOKEN [--region NAME]
or directly against the database and S3 (an operator's batch job; every command):
  --database-url URL --s3-endpoint HOST:PORT --s3-access-key K --s3-secret-key S [--data-dir DIR] [--region NAME]
which default to those of a ` + "`marquee dev`" + ` running on --data-dir (.marquee).
Without --region, every region in turn.
`

// archiveCommand runs `marquee archive`.
func archiveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "run" && args[0] != "verify" && args[0] != "purge") {
		fmt.Fprint(stderr, archiveUsage)
		return errors.New("marquee archive: name a command: run, verify or purge")
	}
	sub := args[0]
	fs := flag.NewFlagSet("marquee archive "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "a running Marquee (an edge or a region) to ask, instead of the database")
	token := fs.String("token", os.Getenv("MARQUEE_TOKEN"), "with --server: an admin's or auditor's bearer token (default $MARQUEE_TOKEN)")
	m := app.NewMain()
	m.Config.Flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := m.Config.Check(); err != nil {
		return err
	}
	names := []string{m.Config.Region}
	if m.Config.Region == "" {
		names = nil
		for _, r := range regions.All() {
			names = append(names, r.Name)
		}
	}
	if *server != "" {
		return remoteArchive(ctx, sub, *server, *token, names, stdout, stderr)
	}
	if c, ok := devstack.ReadConnection(m.Config.DataDir); ok && m.Config.DatabaseURL == "" {
		// A `marquee dev` running on --data-dir: its database and S3 server.
		m.Config.DatabaseURL, m.Config.S3Endpoint, m.Config.S3AccessKey, m.Config.S3SecretKey = c.DatabaseURL,
			c.S3Endpoint, c.S3AccessKey, c.S3SecretKey
	}
	if m.Config.DatabaseURL == "" {
		return errors.New("marquee archive: give --database-url (or $DATABASE_URL) and the S3 flags, or --server, or run it beside `marquee dev` on the same --data-dir")
	}
	tools, err := openArchive(ctx, m.Config)
	if err != nil {
		return err
	}
	defer tools.Close()
	failed := false
	for _, name := range names {
		switch sub {
		case "run":
			a, err := tools.Service.Archiver(name)
			if err != nil {
				return err
			}
			bar := newBar(stderr, "archiving "+name)
			a.Progress = func(p archive.Progress) { bar.set(p.Done, p.Total) }
			if stop := os.Getenv("MARQUEE_ARCHIVE_STOP_AFTER_UPLOAD"); stop != "" {
				// For fault tests: announce the upload and wait to be killed before the rows are deleted.
				a.AfterUpload = func(key string) {
					fmt.Fprintln(stdout, "uploaded", key)
					<-ctx.Done()
				}
			}
			sum, err := a.Run(ctx)
			bar.finish()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%s: archived %d bookings in %d objects (%d resumed, %d abandoned)\n", name,
				sum.Bookings, sum.Objects, sum.Resumed, sum.Abandoned)
		case "verify":
			a, err := tools.Service.Archiver(name)
			if err != nil {
				return err
			}
			bar := newBar(stderr, "verifying "+name)
			rep, err := a.Verify(ctx, bar.set)
			bar.finish()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%s: %d manifests, %d objects, %d bookings checked\n", name, rep.Manifests, rep.Objects, rep.Rows)
			for _, p := range rep.Problems {
				fmt.Fprintf(stdout, "  PROBLEM: %s\n", p)
				failed = true
			}
		case "purge":
			bar := newBar(stderr, "purging "+name)
			sum, err := tools.Service.Purge(ctx, archive.Actor{UserID: "cli:marquee-archive", Role: archive.RoleAdmin}, name, bar.set)
			bar.finish()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			printPurge(stdout, name, sum.Deleted, sum.Held, sum.Bookings)
		}
	}
	if failed {
		return errors.New("verify found problems (listed above)")
	}
	return nil
}

func printPurge(w io.Writer, region string, deleted, held []string, bookings int) {
	fmt.Fprintf(w, "%s: purged %d objects (%d bookings); %d past retention kept for a legal hold\n", region,
		len(deleted), bookings, len(held))
	for _, k := range deleted {
		fmt.Fprintln(w, "  deleted", k)
	}
	for _, k := range held {
		fmt.Fprintln(w, "  kept (legal hold)", k)
	}
}

// remoteArchive asks a running server to archive or purge, showing the progress it streams.
func remoteArchive(ctx context.Context, sub, server, token string, names []string, stdout, stderr io.Writer) error {
	client := marqueev1connect.NewComplianceServiceClient(http.DefaultClient, strings.TrimRight(server, "/"))
	for _, name := range names {
		switch sub {
		case "run":
			last, err := follow(ctx, token, "archiving "+name, stderr, &marqueev1.RunArchiveRequest{Region: name}, client.RunArchive)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%s: archived %d bookings in %d objects\n", name, last.Done, last.Objects)
		case "purge":
			last, err := follow(ctx, token, "purging "+name, stderr, &marqueev1.PurgeRequest{Region: name}, client.Purge)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			printPurge(stdout, name, last.DeletedKeys, last.KeptForHoldKeys, int(last.PurgedBookings))
		default:
			return fmt.Errorf("marquee archive %s runs against the database and S3 directly, not --server", sub)
		}
	}
	return nil
}

// progressMsg is a streamed progress message.
type progressMsg interface {
	GetDone() int32
	GetTotal() int32
}

// follow calls a server-streaming procedure with the bearer token, shows its progress on a bar and returns its
// last message.
func follow[Req, Res any, P interface {
	*Res
	progressMsg
}](ctx context.Context, token, desc string, w io.Writer, msg *Req,
	call func(context.Context, *connect.Request[Req]) (*connect.ServerStreamForClient[Res], error)) (P, error) {
	var last P
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+token)
	stream, err := call(ctx, req)
	if err != nil {
		return last, err
	}
	bar := newBar(w, desc)
	defer bar.finish()
	got := false
	for stream.Receive() {
		last, got = stream.Msg(), true
		bar.set(int(last.GetDone()), int(last.GetTotal()))
	}
	if err := stream.Err(); err != nil {
		return last, err
	}
	if !got {
		return last, fmt.Errorf("the server sent no progress")
	}
	return last, nil
}

// bar shows progress: a progress bar on a terminal, a line every few seconds elsewhere.
type bar struct {
	w     io.Writer
	desc  string
	pb    *progressbar.ProgressBar
	last  time.Time
	total int
}

func newBar(w io.Writer, desc string) *bar {
	b := &bar{w: w, desc: desc}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.pb = progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("bookings"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond))
	}
	return b
}

func (b *bar) set(done, total int) {
	if b.pb != nil {
		if total != b.total {
			b.pb.ChangeMax(total)
			b.total = total
		}
		_ = b.pb.Set(done)
		return
	}
	if time.Since(b.last) > 2*time.Second || (done == total && total > 0) {
		fmt.Fprintf(b.w, "%s: %d of %d\n", b.desc, done, total)
		b.last = time.Now()
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
		fmt.Fprintln(b.w)
	}
}

// archiveTools are what `marquee archive` works with: the database, the buckets and the archive on them.
type archiveTools struct {
	DB      *store.DB
	Service *archive.Service
}

// openArchive connects to c's database and S3 server for `marquee archive`.
func openArchive(ctx context.Context, c config.Config) (*archiveTools, error) {
	if c.S3Endpoint == "" {
		return nil, fmt.Errorf("marquee archive needs --s3-endpoint (and its keys) to reach the buckets")
	}
	objs, err := objstore.New(objstore.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey, Secure: c.S3Secure})
	if err != nil {
		return nil, err
	}
	var buckets []string
	for _, name := range c.Regions() {
		r, _ := regions.ByName(name)
		buckets = append(buckets, r.S3Bucket)
	}
	if err := objs.EnsureBuckets(ctx, buckets...); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.DatabaseURL, 4, platform.SystemClock)
	if err != nil {
		return nil, err
	}
	svc, err := app.Archive(db, objs, c, platform.SystemClock)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &archiveTools{DB: db, Service: svc}, nil
}

// Close closes the database.
func (t *archiveTools) Close() { t.DB.Close() }
