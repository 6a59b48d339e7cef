package loadgen

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the nearest-rank method, or 0 when empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Latency summarises a set of request latencies.
type Latency struct {
	N        int
	P50, P99 time.Duration
	Max      time.Duration
}

// summarize merges per-client latency samples and computes their percentiles.
func summarize(perClient [][]time.Duration) Latency {
	var all []time.Duration
	for _, l := range perClient {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return Latency{}
	}
	return Latency{N: len(all), P50: percentile(all, 50), P99: percentile(all, 99), Max: all[len(all)-1]}
}

// PhaseStats says where time went during a phase, for the notes under the table.
type PhaseStats struct {
	Wall  time.Duration
	GoCPU time.Duration // user+system CPU of this process: the clients and the server together
	PGCPU time.Duration // user+system CPU of the PostgreSQL cluster's processes
	// SerializationFailures counts SQLSTATE 40001 errors in the server log; Transact retried each of them.
	SerializationFailures int
	Deadlocks             int // SQLSTATE 40P01 errors in the server log, also retried
	// Updates counts, for each table of the hold path, the rows updated during the phase and how many of
	// those were heap-only (HOT: no new index entry, so no conflict with readers of the index's pages), from
	// pg_stat_user_tables.
	Updates map[string][2]int64
	// Retries are the transactions the server ran again during the phase, by "transaction reason".
	Retries map[string]int
}

// hotTables are the tables whose updates the notes count.
var hotTables = []string{"showtime_seats", "holds", "hold_quotas", "person_hold_quotas", "outbox", "bookings",
	"booking_seats", "payments", "idempotency_keys", "checkout_attempts"}

// updates reads pg_stat_user_tables' updated and HOT-updated rows of hotTables.
func (s *Stack) updates() map[string][2]int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.App.DB().Pool.Exec(ctx, "SELECT pg_stat_force_next_flush()")
	rows, err := s.App.DB().Pool.Query(ctx, `SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
		WHERE relname = ANY($1)`, hotTables)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var name string
		var n [2]int64
		if rows.Scan(&name, &n[0], &n[1]) == nil {
			out[name] = n
		}
	}
	return out
}

// snapshot is the state a phase's PhaseStats are measured from.
type snapshot struct {
	at      time.Time
	goCPU   time.Duration
	pgCPU   time.Duration
	logSize int64
	updates map[string][2]int64
	retries map[string]int
}

func (s *Stack) snapshot() snapshot {
	snap := snapshot{at: time.Now(), goCPU: selfCPU(), pgCPU: s.clusterCPU(), updates: s.updates(),
		retries: s.App.Telemetry.Retries.ByTransaction()}
	if fi, err := os.Stat(s.pgLog()); err == nil {
		snap.logSize = fi.Size()
	}
	return snap
}

// since returns the stats of the phase that started at snapshot a.
func (s *Stack) since(a snapshot) PhaseStats {
	b := s.snapshot()
	st := PhaseStats{Wall: b.at.Sub(a.at), GoCPU: b.goCPU - a.goCPU, PGCPU: b.pgCPU - a.pgCPU}
	log := readFrom(s.pgLog(), a.logSize, b.logSize)
	st.SerializationFailures = bytes.Count(log, []byte("could not serialize access"))
	st.Deadlocks = bytes.Count(log, []byte("deadlock detected"))
	st.Retries = map[string]int{}
	for k, n := range b.retries {
		if d := n - a.retries[k]; d > 0 {
			st.Retries[k] = d
		}
	}
	st.Updates = map[string][2]int64{}
	for t, n := range b.updates {
		st.Updates[t] = [2]int64{n[0] - a.updates[t][0], n[1] - a.updates[t][1]}
	}
	return st
}

func (s *Stack) pgLog() string { return filepath.Join(s.App.PG().Dir(), "log") }

// readFrom returns bytes [from, to) of the file at path, or nil if it cannot be read.
func readFrom(path string, from, to int64) []byte {
	f, err := os.Open(path)
	if err != nil || to <= from {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.NewSectionReader(f, from, to-from))
	return b
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clusterCPU returns the CPU time of the postmaster, its reaped children and its live children, from /proc.
// It is 0 where /proc or the children list is missing.
func (s *Stack) clusterCPU() time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(s.App.PG().Dir(), "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid := strings.SplitN(string(pidFile), "\n", 2)[0]
	total := procCPU(pid)
	children, _ := os.ReadFile(filepath.Join("/proc", pid, "task", pid, "children"))
	for _, c := range strings.Fields(string(children)) {
		total += procCPU(c)
	}
	return total
}

// procCPU returns utime+stime+cutime+cstime of a process, assuming the usual 100 clock ticks per second.
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime is field 14 of the whole line, so index 11 here.
	rest := b[bytes.LastIndexByte(b, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, x := range f[11:15] {
		n, _ := strconv.ParseInt(x, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
