package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/marqueehq/marquee/internal/config"
	"github.com/marqueehq/marquee/internal/devstack"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/regions"
	"github.com/marqueehq/marquee/web"
)

// devOnly are the flags `marquee dev` keeps for itself; it passes every other flag it was given on to each
// region child.
var devOnly = []string{"addr", "data-dir", "database-url", "nats-url", "region", "regions", "edge-region", "seed", "history"}

// devCommand runs `marquee dev`: the whole multi-region shape on this machine (one private PostgreSQL, a NATS
// supercluster, a `marquee region` child per region; see internal/devstack) with the edge on --addr, until
// SIGINT or SIGTERM. A child that dies is reported and not restarted: the edge sends its calls elsewhere.
func devCommand(ctx context.Context, args []string) error {
	d, err := parseDev(args)
	if err != nil {
		return err
	}
	c, log := d.config, slog.New(slog.NewTextHandler(os.Stderr, nil))
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: c.DataDir, Regions: d.regions, Seed: c.Seed,
		History: c.History, ChildArgs: d.childArgs, Log: log})
	if err != nil {
		return err
	}
	defer stack.Close()
	e, err := startEdge(ctx, c.Addr, d.edgeRegion, d.regions, stack, log)
	if err != nil {
		return err
	}
	if code := stack.AdminCode(); code != "" {
		fmt.Printf("No platform admin yet. Register, then redeem this one-time code (valid 24 h) to become one:\n"+
			"  admin code: %s\n  curl -s -H 'Content-Type: application/json' -H 'Authorization: Bearer <token>' -d '{\"code\":\"%s\"}' http://%s/marquee.v1.AccountService/ClaimAdmin\n",
			code, code, e.ListenAddr())
	}
	fmt.Printf("Marquee is listening on http://%s (the edge; regions %s)\n", e.ListenAddr(), strings.Join(d.regions, ", "))
	if web.Built() {
		fmt.Printf("Open http://%s in a browser to find a movie, pick seats and pay (test card 4242 4242 4242 4242).\n", e.ListenAddr())
	} else {
		fmt.Println("The web app is not built into this binary: `make run` builds it (make web, then go build).")
	}
	fmt.Printf("Or try:\n  curl -s -H 'Content-Type: application/json' -d '{}' http://%s/marquee.v1.CatalogService/ListCities\n", e.ListenAddr())
	<-ctx.Done()
	fmt.Println("shutting down")
	return e.Close()
}

// devArgs is the command line of `marquee dev`, parsed and checked.
type devArgs struct {
	config     config.Config
	regions    []string // the regions to run
	edgeRegion string
	childArgs  []string // the flags every region child gets too (--hold-ttl, --allow-short-holds, ...)
}

// parseDev reads and checks the flags of `marquee dev`: a region process's flags (checked as a region child
// will check them) and its own.
func parseDev(args []string) (devArgs, error) {
	d := devArgs{config: config.Default()}
	d.config.History = true // a dev database gets a past to look at; --history=false skips it
	fs := flag.NewFlagSet("marquee dev", flag.ContinueOnError)
	d.config.Flags(fs)
	only := fs.String("regions", "", "comma-separated regions to run (default every region in regions/)")
	fs.StringVar(&d.edgeRegion, "edge-region", regions.Primary().Name, "the edge's own region (it serves global calls)")
	if err := fs.Parse(args); err != nil {
		return d, err
	}
	if err := d.config.Check(); err != nil {
		return d, err
	}
	var err error
	d.regions, err = devRegions(*only)
	d.childArgs = childArgs(fs)
	return d, err
}

// devRegions parses --regions (every region when empty).
func devRegions(list string) ([]string, error) {
	if list == "" {
		var all []string
		for _, r := range regions.All() {
			all = append(all, r.Name)
		}
		return all, nil
	}
	names := strings.Split(list, ",")
	for _, n := range names {
		if _, ok := regions.ByName(n); !ok {
			return nil, fmt.Errorf("--regions: %q is not a region of regions/", n)
		}
	}
	return names, nil
}

// childArgs are the flags given to `marquee dev` that its region children take too.
func childArgs(fs *flag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(devOnly, f.Name) {
			out = append(out, "--"+f.Name+"="+f.Value.String())
		}
	})
	return out
}

// startEdge runs the edge on addr in front of the stack's regions, its cache invalidated by catalog events
// from the NATS cluster of its own region (or of the first region run).
func startEdge(ctx context.Context, addr, self string, names []string, stack *devstack.Stack, log *slog.Logger) (*edge.Main, error) {
	if !slices.Contains(names, self) {
		self = names[0]
	}
	r, _ := regions.ByName(self)
	urls := map[string][]string{}
	for name, u := range stack.URLs() {
		urls[name] = []string{u}
	}
	e := &edge.Main{Addr: addr, NATSURL: stack.NATS().Servers[r.NATSCluster].URL(),
		Config: edge.Config{Regions: urls, Self: self, Log: log}}
	if err := e.Run(ctx); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}
