package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/regions"
)

// TestStackRunsEachRegionAsItsOwnProcess starts the stack with the real binary and checks what it promises:
// one `marquee region --region NAME` child per region (its PID in run/NAME.pid, its output in log/NAME.log),
// each healthy at its URL and holding its own region's job lease, the demo catalog loaded once, a first-run
// admin code minted that a child redeems; a region killed and started again comes back at the same URL (so an edge
// configured with URLs() finds it); Close stops every child and the database.
func TestStackRunsEachRegionAsItsOwnProcess(t *testing.T) {
	bin := buildBinary(t)
	dir := tempDir(t)
	ctx := context.Background()
	s, err := Start(ctx, Options{DataDir: dir, Binary: bin, Seed: true,
		ChildArgs: []string{"--bcrypt-cost", "4", "--job-lease", "2s"}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = s.Close()
		}
	})
	children := s.Regions()
	var names []string
	for _, r := range regions.All() {
		names = append(names, r.Name)
		c := children[r.Name]
		if c == nil {
			t.Fatalf("no child for %s: %v", r.Name, children)
		}
		checkChild(t, dir, c)
	}
	db := openPool(t, s.DatabaseURL())
	var theatres int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM theatres`).Scan(&theatres); err != nil || theatres != 26 {
		t.Fatalf("theatres = %d (%v), want the demo's 26", theatres, err)
	}
	waitFor(t, 20*time.Second, "every region's lease held by a process of that region", func() bool {
		return slices.Equal(ownLeases(t, db), names)
	})

	// One S3 for the stack, every region's archive bucket made with object lock, and the children pointed at it.
	srv := s.S3()
	st, err := objstore.New(objstore.Config{Endpoint: srv.Endpoint(), AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regions.All() {
		if err := st.EnsureBucket(ctx, r.S3Bucket); err != nil { // fails on a bucket without object lock
			t.Errorf("bucket %s: %v", r.S3Bucket, err)
		}
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(children[r.Name].PID) + "/cmdline")
		if !bytes.Contains(cmdline, []byte("--s3-endpoint\x00"+srv.Endpoint())) {
			t.Errorf("%s: child not given --s3-endpoint %s: %q", r.Name, srv.Endpoint(), cmdline)
		}
	}

	// The stack's first-run admin code, redeemed at a child, makes a platform admin.
	eu := children["europe-west1"]
	reg := postJSON(t, eu.URL+"/marquee.v1.AccountService/Register",
		`{"email":"root@example.com","password":"root-password","displayName":"Root"}`)
	if s.AdminCode() == "" {
		t.Fatal("no first-run admin code minted for a platform without an admin")
	}
	postJSONAs(t, reg["token"].(string), eu.URL+"/marquee.v1.AccountService/ClaimAdmin", `{"code":"`+s.AdminCode()+`"}`)
	var role string
	if err := db.QueryRow(ctx, `SELECT role FROM users WHERE email = 'root@example.com'`).Scan(&role); err != nil || role != "admin" {
		t.Fatalf("role of the admin email registered at a child = %q (%v), want admin", role, err)
	}

	if err := s.StartRegion("europe-west1"); err == nil {
		t.Fatal("StartRegion of a running region succeeded; want an error (two children, one tracked)")
	}
	if err := s.StartRegion("mars-north1"); err == nil {
		t.Fatal("StartRegion of an unknown region succeeded")
	}
	if err := syscall.Kill(eu.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "killed child reported exited", eu.Exited)
	if err := s.StartRegion("europe-west1"); err != nil {
		t.Fatalf("StartRegion after the child died: %v", err)
	}
	again := s.Regions()["europe-west1"]
	if again.URL != eu.URL || again.PID == eu.PID {
		t.Fatalf("restarted child at %s (pid %d), want the same URL %s and a new pid (old %d)", again.URL, again.PID, eu.URL, eu.PID)
	}
	if err := s.WaitHealthy(ctx, "europe-west1"); err != nil {
		t.Fatal(err)
	}
	checkChild(t, dir, again)

	closed = true
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for name, c := range s.Regions() {
		if !c.Exited() {
			t.Errorf("%s still running after Close", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("PostgreSQL still running after Close (postmaster.pid: %v)", err)
	}
	if err := syscall.Kill(srv.PID(), 0); err == nil {
		t.Errorf("versitygw (pid %d) still running after Close", srv.PID())
	}
}

// checkChild checks that c runs `marquee region --region NAME`, that its pid file names it, that its log has
// its output, and that it answers /healthz.
func checkChild(t *testing.T, dir string, c *Region) {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(dir, "run", c.Name+".pid"))
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(c.PID) {
		t.Errorf("%s: run/%s.pid = %q (%v), want %d", c.Name, c.Name, pid, err, c.PID)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(c.PID) + "/cmdline")
	if args := strings.Split(string(cmdline), "\x00"); err != nil || len(args) < 4 || args[1] != "region" ||
		!slices.Contains(args, "--region") || args[slices.Index(args, "--region")+1] != c.Name {
		t.Errorf("%s: pid %d runs %q (%v), want marquee region --region %s", c.Name, c.PID, args, err, c.Name)
	}
	if log, err := os.ReadFile(filepath.Join(dir, "log", c.Name+".log")); err != nil || !bytes.Contains(log, []byte("listening on "+c.URL)) {
		t.Errorf("%s: log/%s.log does not say it listens on %s (%v)", c.Name, c.Name, c.URL, err)
	}
	res, err := http.Get(c.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET /healthz: %v %v", c.Name, res, err)
	}
	res.Body.Close()
}

// ownLeases lists, sorted, the regions whose job lease is held by a live process of that same region.
func ownLeases(t *testing.T, db *pgxpool.Pool) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT l.region FROM job_leases l
		JOIN region_processes p ON p.process_id = l.holder AND p.region = l.region
		WHERE l.expires_at > now() ORDER BY l.region`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func postJSON(t *testing.T, url, body string) map[string]any {
	t.Helper()
	return postJSONAs(t, "", url, body)
}

// postJSONAs posts body to url with token as the bearer token, if any, and wants 200.
func postJSONAs(t *testing.T, token, url, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v %v", url, res.StatusCode, out, err)
	}
	return out
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	db, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// tempDir is a directory the postgres user can reach (the private cluster runs as postgres when root).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "marquee-devstack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// buildBinary builds cmd/marquee into a temporary directory, as cmd/marquee's own tests do.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "marquee")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/marqueehq/marquee/cmd/marquee").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
