package loadgen

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// Pgbench measures the cluster's own ceilings: it creates a "pgbench" database in the private cluster,
// initialises it at Options.PgbenchScale and runs the simple-update script (-N, small write transactions)
// and then the select-only script (-S, one primary-key read) with Options.Clients clients for
// Options.Duration each. It returns their TPS without initial connection time.
func (s *Stack) Pgbench(ctx context.Context) (writes, reads float64, err error) {
	if err := s.createBenchDB(ctx); err != nil {
		return 0, 0, err
	}
	if _, err := s.pgbench(ctx, "-i", "-s", strconv.Itoa(s.opts.PgbenchScale), "-q"); err != nil {
		return 0, 0, err
	}
	run := func(script string) (float64, error) {
		secs := int(math.Ceil(s.opts.Duration.Seconds()))
		out, err := s.pgbench(ctx, script, "-c", strconv.Itoa(s.opts.Clients), "-j", "2", "-T", strconv.Itoa(secs),
			"-M", "prepared")
		if err != nil {
			return 0, err
		}
		return parseTPS(out)
	}
	if writes, err = run("-N"); err != nil {
		return 0, 0, err
	}
	reads, err = run("-S")
	return writes, reads, err
}

func (s *Stack) createBenchDB(ctx context.Context) error {
	c, err := pgx.Connect(ctx, s.App.PG().URL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE DATABASE pgbench")
	return err
}

// pgbench runs the cluster's pgbench against the pgbench database over the Unix socket.
func (s *Stack) pgbench(ctx context.Context, args ...string) (string, error) {
	args = append(args, "-h", s.App.PG().Dir(), "-U", "postgres", "pgbench")
	cmd := exec.CommandContext(ctx, filepath.Join(s.App.PG().BinDir(), "pgbench"), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pgbench %v: %w: %s", args, err, out)
	}
	return string(out), nil
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// parseTPS finds "tps = N (without initial connection time)" in pgbench's output.
func parseTPS(out string) (float64, error) {
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps line in pgbench output: %s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}
