// Package objstore is Marquee's adapter over S3 (minio-go): write-once records under object lock, read whole or
// by range, listed, put under legal hold, and deleted only once nothing protects them. It is tested against a
// real S3 server, versitygw (see internal/s3server and the s3test harness).
package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotFound is returned when the bucket, the key or the version does not exist.
	ErrNotFound = errors.New("objstore: not found")
	// ErrLocked is returned when retention or a legal hold protects a version from what was asked.
	ErrLocked = errors.New("objstore: locked by retention or legal hold")
	// ErrInvalid is returned for bad input, such as an empty key, before anything is sent.
	ErrInvalid = errors.New("objstore: invalid argument")
)

// Retention modes as Info.Mode reports them.
const (
	ModeCompliance = "COMPLIANCE"
	ModeGovernance = "GOVERNANCE"
)

// Config is how to reach the S3 server.
type Config struct {
	Endpoint             string // host:port
	AccessKey, SecretKey string
	Secure               bool              // HTTPS
	Transport            http.RoundTripper // optional, for tests that watch requests; default minio-go's
}

// Store is a client of one S3 server. It is safe for concurrent use.
type Store struct {
	c    *minio.Client
	cfg  Config
	http *http.Client // for the requests minio-go cannot parse (see retention)
}

// Info describes one version of an object.
type Info struct {
	Key, VersionID string
	Size           int64
	RetainUntil    time.Time // zero when no retention is set
	Mode           string    // ModeCompliance, ModeGovernance or "" without retention
	LegalHold      bool
	SHA256         string // base64 SHA-256 of the content as the server stored it at upload; "" if unknown
	ContentType    string
	LastModified   time.Time
}

// New returns a client of the server c names, addressing buckets by path (http://host/bucket/key) in region
// us-east-1. It sends nothing until used.
func New(c Config) (*Store, error) {
	if c.Endpoint == "" {
		return nil, fmt.Errorf("%w: no S3 endpoint", ErrInvalid)
	}
	mc, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       c.Secure,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		Transport:    c.Transport,
		// minio-go sends a caller's x-amz-checksum-sha256 header only when this is on (Put sends it as a
		// header, not as a trailer).
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: client for %s: %w", c.Endpoint, err)
	}
	hc := &http.Client{Transport: c.Transport, Timeout: time.Minute}
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	return &Store{c: mc, cfg: c, http: hc}, nil
}

// Client is the underlying minio-go client, for what this package does not cover.
func (s *Store) Client() *minio.Client { return s.c }

// EnsureBucket creates bucket with object lock (which turns versioning on) unless it exists. An existing
// bucket without object lock enabled is an error: records written there could be deleted.
func (s *Store) EnsureBucket(ctx context.Context, bucket string) (err error) {
	defer wrap(&err, "EnsureBucket(%q)", bucket)
	if bucket == "" {
		return fmt.Errorf("%w: empty bucket name", ErrInvalid)
	}
	err = s.c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: "us-east-1", ObjectLocking: true})
	if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
		err = nil
	}
	if err != nil {
		return err
	}
	enabled, _, _, _, err := s.c.GetObjectLockConfig(ctx, bucket)
	if minio.ToErrorResponse(err).Code == "ObjectLockConfigurationNotFoundError" {
		enabled, err = "", nil
	}
	if err != nil {
		return fmt.Errorf("reading its object lock configuration: %w", err)
	}
	if enabled != "Enabled" {
		return errors.New("the bucket exists without object lock; records need a bucket created with object lock")
	}
	return nil
}

// EnsureBuckets calls EnsureBucket for each name.
func (s *Store) EnsureBuckets(ctx context.Context, names ...string) error {
	for _, b := range names {
		if err := s.EnsureBucket(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// Put writes data as a new version of key, under COMPLIANCE retention until retainUntil (which nobody can
// shorten or lift) and with the legal hold on or off, and returns the new version's ID. The request carries
// the data's SHA-256 (in the signature and as x-amz-checksum-sha256) and its MD5 (Content-MD5), so the server
// refuses an upload corrupted on the way.
func (s *Store) Put(ctx context.Context, bucket, key string, data []byte, contentType string, retainUntil time.Time,
	legalHold bool) (versionID string, err error) {
	defer wrap(&err, "Put(%q, %q)", bucket, key)
	if err := checkKey(bucket, key); err != nil {
		return "", err
	}
	if retainUntil.IsZero() {
		return "", fmt.Errorf("%w: no retention date (use PutPlain for objects that are not records)", ErrInvalid)
	}
	// S3 keeps whole seconds: round up, so that protection never ends before retainUntil.
	until := retainUntil.UTC().Truncate(time.Second)
	if until.Before(retainUntil) {
		until = until.Add(time.Second)
	}
	opts := minio.PutObjectOptions{Mode: minio.Compliance, RetainUntilDate: until}
	if legalHold {
		opts.LegalHold = minio.LegalHoldEnabled
	}
	return s.put(ctx, bucket, key, data, contentType, opts)
}

// PutPlain writes data as a new version of key without retention or legal hold, and returns its version ID.
func (s *Store) PutPlain(ctx context.Context, bucket, key string, data []byte, contentType string) (versionID string, err error) {
	defer wrap(&err, "PutPlain(%q, %q)", bucket, key)
	if err := checkKey(bucket, key); err != nil {
		return "", err
	}
	return s.put(ctx, bucket, key, data, contentType, minio.PutObjectOptions{})
}

func (s *Store) put(ctx context.Context, bucket, key string, data []byte, contentType string,
	opts minio.PutObjectOptions) (string, error) {
	sum := sha256.Sum256(data)
	opts.ContentType = contentType
	// One request, whose Content-MD5 and x-amz-checksum-sha256 (a signed header) the server checks against
	// the body. The body itself goes unsigned and unchunked: versitygw refuses minio-go's signed chunked
	// upload with a trailing checksum, and keeps "Content-Encoding: aws-chunked" on objects sent chunked.
	opts.DisableMultipart = true
	opts.SendContentMd5 = true
	opts.DisableContentSha256 = true
	opts.UserMetadata = map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum[:])}
	info, err := s.c.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return "", classify(err)
	}
	if info.VersionID == "" {
		return "", errors.New("the server returned no version ID: is versioning on for the bucket?")
	}
	return info.VersionID, nil
}

// Get reads the latest version of key whole. It returns the bytes as stored, without checking them against
// the upload's checksum (compare Stat's SHA256 to detect damage).
func (s *Store) Get(ctx context.Context, bucket, key string) (_ []byte, err error) {
	defer wrap(&err, "Get(%q, %q)", bucket, key)
	return s.get(ctx, bucket, key, "")
}

// GetVersion reads one version of key whole.
func (s *Store) GetVersion(ctx context.Context, bucket, key, versionID string) (_ []byte, err error) {
	defer wrap(&err, "GetVersion(%q, %q, %q)", bucket, key, versionID)
	if versionID == "" {
		return nil, fmt.Errorf("%w: empty version ID", ErrInvalid)
	}
	return s.get(ctx, bucket, key, versionID)
}

func (s *Store) get(ctx context.Context, bucket, key, versionID string) ([]byte, error) {
	if err := checkKey(bucket, key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, classify(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	return b, classify(err)
}

// Open returns a ReaderAt over the latest version of key and its size. Each ReadAt is one HTTP range request
// for exactly the bytes asked, so a Parquet reader fetches the footer and the row groups it needs, not the
// whole object. The reader stays on the version that was latest when Open ran, even if a new one is put
// meanwhile. closeFn releases it.
func (s *Store) Open(ctx context.Context, bucket, key string) (r io.ReaderAt, size int64, closeFn func() error, err error) {
	defer wrap(&err, "Open(%q, %q)", bucket, key)
	info, err := s.Stat(ctx, bucket, key)
	if err != nil {
		return nil, 0, nil, err
	}
	obj, err := s.c.GetObject(ctx, bucket, key, minio.GetObjectOptions{VersionID: info.VersionID})
	if err != nil {
		return nil, 0, nil, classify(err)
	}
	return readerAt{obj}, info.Size, obj.Close, nil
}

// readerAt maps minio's errors to this package's.
type readerAt struct{ obj *minio.Object }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.obj.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = classify(err)
	}
	return n, err
}

// Stat describes the latest version of key: its size, retention, legal hold and stored SHA-256.
func (s *Store) Stat(ctx context.Context, bucket, key string) (_ Info, err error) {
	defer wrap(&err, "Stat(%q, %q)", bucket, key)
	return s.stat(ctx, bucket, key, "")
}

// StatVersion describes one version of key.
func (s *Store) StatVersion(ctx context.Context, bucket, key, versionID string) (_ Info, err error) {
	defer wrap(&err, "StatVersion(%q, %q, %q)", bucket, key, versionID)
	if versionID == "" {
		return Info{}, fmt.Errorf("%w: empty version ID", ErrInvalid)
	}
	return s.stat(ctx, bucket, key, versionID)
}

func (s *Store) stat(ctx context.Context, bucket, key, versionID string) (Info, error) {
	if err := checkKey(bucket, key); err != nil {
		return Info{}, err
	}
	oi, err := s.c.StatObject(ctx, bucket, key, minio.StatObjectOptions{VersionID: versionID, Checksum: true})
	if err != nil {
		return Info{}, classify(err)
	}
	in := infoOf(oi)
	if versionID == "" {
		return in, nil
	}
	// versitygw answers HEAD of a version that is no longer the latest without its object lock headers,
	// though it still enforces them: ask for them apart.
	if in.Mode, in.RetainUntil, err = s.retention(ctx, bucket, key, versionID); err != nil {
		return Info{}, err
	}
	hold, err := s.c.GetObjectLegalHold(ctx, bucket, key, minio.GetObjectLegalHoldOptions{VersionID: versionID})
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchObjectLockConfiguration" {
		return in, nil
	} else if err != nil {
		return Info{}, fmt.Errorf("reading the legal hold: %w", classify(err))
	}
	in.LegalHold = hold != nil && *hold == minio.LegalHoldEnabled
	return in, nil
}

func infoOf(oi minio.ObjectInfo) Info {
	in := Info{Key: oi.Key, VersionID: oi.VersionID, Size: oi.Size, SHA256: oi.ChecksumSHA256,
		ContentType: oi.ContentType, LastModified: oi.LastModified}
	h := oi.Metadata
	in.Mode = h.Get("X-Amz-Object-Lock-Mode")
	if t, err := time.Parse(time.RFC3339, h.Get("X-Amz-Object-Lock-Retain-Until-Date")); err == nil {
		in.RetainUntil = t.UTC()
	}
	in.LegalHold = h.Get("X-Amz-Object-Lock-Legal-Hold") == "ON"
	return in
}

// List describes the latest version of every key under prefix, sorted by key. Keys whose latest version is a
// delete marker are left out. Retention and legal hold are not listed by S3: use Stat for them.
func (s *Store) List(ctx context.Context, bucket, prefix string) (_ []Info, err error) {
	defer wrap(&err, "List(%q, %q)", bucket, prefix)
	if bucket == "" {
		return nil, fmt.Errorf("%w: empty bucket name", ErrInvalid)
	}
	var out []Info
	// Listing versions, not objects, for the latest versions' IDs (ListObjectsV2 has none).
	opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}
	for oi := range s.c.ListObjects(ctx, bucket, opts) {
		if oi.Err != nil {
			return nil, classify(oi.Err)
		}
		if !oi.IsLatest || oi.IsDeleteMarker {
			continue
		}
		out = append(out, Info{Key: oi.Key, VersionID: oi.VersionID, Size: oi.Size, SHA256: oi.ChecksumSHA256,
			ContentType: oi.ContentType, LastModified: oi.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// SetLegalHold turns the legal hold of one version of key on or off.
func (s *Store) SetLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (err error) {
	defer wrap(&err, "SetLegalHold(%q, %q, %q, %v)", bucket, key, versionID, on)
	if err := checkKey(bucket, key); err != nil {
		return err
	}
	status := minio.LegalHoldDisabled
	if on {
		status = minio.LegalHoldEnabled
	}
	return classify(s.c.PutObjectLegalHold(ctx, bucket, key,
		minio.PutObjectLegalHoldOptions{VersionID: versionID, Status: &status}))
}

// SetRetention sets the COMPLIANCE retention of one version of key to until. The server accepts extending it
// and refuses shortening it (ErrLocked).
func (s *Store) SetRetention(ctx context.Context, bucket, key, versionID string, until time.Time) (err error) {
	defer wrap(&err, "SetRetention(%q, %q, %q, %v)", bucket, key, versionID, until)
	if err := checkKey(bucket, key); err != nil {
		return err
	}
	mode, t := minio.Compliance, until.UTC()
	return classify(s.c.PutObjectRetention(ctx, bucket, key,
		minio.PutObjectRetentionOptions{VersionID: versionID, Mode: &mode, RetainUntilDate: &t}))
}

// Delete removes one version of key permanently. While retention or a legal hold covers the version, the
// server refuses and Delete returns an error wrapping ErrLocked.
//
// versitygw v1.8.0 ignores a legal hold on a version whose retention date has passed and deletes it, so
// Delete reads the legal hold first and refuses itself. That check runs in this client only (and a hold set
// between the check and the delete is missed): other S3 clients of the same server are not stopped.
func (s *Store) Delete(ctx context.Context, bucket, key, versionID string) (err error) {
	defer wrap(&err, "Delete(%q, %q, %q)", bucket, key, versionID)
	if err := checkKey(bucket, key); err != nil {
		return err
	}
	if versionID == "" {
		return fmt.Errorf("%w: empty version ID (Delete removes one version, never the latest by name)", ErrInvalid)
	}
	hold, err := s.c.GetObjectLegalHold(ctx, bucket, key, minio.GetObjectLegalHoldOptions{VersionID: versionID})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchObjectLockConfiguration" {
		return fmt.Errorf("reading the legal hold: %w", classify(err))
	}
	if hold != nil && *hold == minio.LegalHoldEnabled {
		return fmt.Errorf("%w: the version is under legal hold", ErrLocked)
	}
	return classify(s.c.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: versionID}))
}

func checkKey(bucket, key string) error {
	switch {
	case bucket == "":
		return fmt.Errorf("%w: empty bucket name", ErrInvalid)
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w: key %q starts with /", ErrInvalid, key)
	}
	return nil
}

// classify wraps S3 error codes in this package's sentinels, keeping the server's message.
func classify(err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NoSuchVersion", "NoSuchBucket":
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case "AccessDenied", "ObjectLocked", "InvalidRequest":
		if isLockMessage(resp.Message) {
			return fmt.Errorf("%w: %v", ErrLocked, err)
		}
	}
	return err
}

func isLockMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "lock") || strings.Contains(m, "retention") || strings.Contains(m, "legal hold")
}

// wrap prefixes *err with the operation's name and arguments.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf("objstore.%s: %w", fmt.Sprintf(format, args...), *err)
	}
}
