// Package s3test gives tests a real S3 server: one versitygw per test binary, started on first use under a
// temporary directory and killed with the binary. When versitygw is not installed it installs the pinned
// version into <module root>/bin, so tests never skip for want of it.
package s3test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/s3server"
)

var (
	once   sync.Once
	shared *s3server.Server
	errOne error
)

// Server returns the test binary's versitygw, starting it on the first call. The server lives until the
// binary exits (its child is killed then); its directory is left under the system's temporary directory.
func Server(t testing.TB) *s3server.Server {
	t.Helper()
	once.Do(func() { shared, errOne = start() })
	if errOne != nil {
		t.Fatalf("s3test: %v", errOne)
	}
	return shared
}

func start() (*s3server.Server, error) {
	if _, err := s3server.BinPath(); errors.Is(err, s3server.ErrNoBinary) {
		root, rerr := s3server.ModuleRoot()
		if rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		if _, err := s3server.Install(filepath.Join(root, "bin")); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "marquee-s3test-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s3server.Start(ctx, s3server.Options{Dir: dir})
}

// Client returns a client of the test binary's server.
func Client(t testing.TB) *objstore.Store {
	t.Helper()
	srv := Server(t)
	st, err := objstore.New(objstore.Config{Endpoint: srv.Endpoint(), AccessKey: srv.AccessKey(),
		SecretKey: srv.SecretKey()})
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return st
}

// Store returns a client and a new bucket, with object lock on, named after t and unique to it.
func Store(t testing.TB) (*objstore.Store, string) {
	t.Helper()
	st := Client(t)
	bucket := BucketName(t)
	if err := st.EnsureBucket(context.Background(), bucket); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return st, bucket
}

// BucketName is a valid bucket name, unique in the binary, derived from t's name.
func BucketName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return strings.Trim("t-"+name, "-") + "-" + hex.EncodeToString(suffix)
}

// ObjectPath is the file in which srv keeps the latest version of key's bytes.
func ObjectPath(srv *s3server.Server, bucket, key string) string {
	return filepath.Join(s3server.DataDir(srv.Dir()), bucket, filepath.FromSlash(key))
}

// VersionPath is the file in which srv keeps an older version of key: under the versions directory, in
// <bucket>/<h[0:2]>/<h[2:4]>/<h[4:6]>/<h>/<versionID> where h is the hex SHA-256 of key. The latest version is
// not there but at ObjectPath.
func VersionPath(srv *s3server.Server, bucket, key, versionID string) string {
	h := sha256.Sum256([]byte(key))
	x := hex.EncodeToString(h[:])
	return filepath.Join(s3server.VersionsDir(srv.Dir()), bucket, x[0:2], x[2:4], x[4:6], x, versionID)
}

// CorruptVersion damages one version of key on disk as Corrupt does: the file under the versions directory
// when the version is no longer the latest, else the latest's.
func CorruptVersion(t testing.TB, srv *s3server.Server, bucket, key, versionID string) {
	t.Helper()
	path := VersionPath(srv, bucket, key, versionID)
	if _, err := os.Stat(path); err != nil {
		path = ObjectPath(srv, bucket, key)
	}
	flip(t, path)
}

// Corrupt flips every bit of a few bytes of the latest version of key in place on srv's disk, without going
// through S3, as a failing disk would. The size and the server's metadata (ETag, checksums) stay as they were,
// so only a reader that checks the bytes notices.
func Corrupt(t testing.TB, srv *s3server.Server, bucket, key string) {
	t.Helper()
	flip(t, ObjectPath(srv, bucket, key))
}

func flip(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("s3test.Corrupt: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		t.Fatalf("s3test.Corrupt: %s: nothing to corrupt (%v)", path, err)
	}
	for _, off := range []int64{0, fi.Size() / 2, fi.Size() - 1} {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatalf("s3test.Corrupt: %v", err)
		}
		b[0] ^= 0xff
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatalf("s3test.Corrupt: %v", err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("s3test.Corrupt: %v", err)
	}
}
