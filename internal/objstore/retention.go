package objstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7/pkg/s3utils"
	"github.com/minio/minio-go/v7/pkg/signer"
)

var emptySHA256 = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// retention reads the retention of one version with GET ?retention itself: versitygw v1.8.0 names the
// answer's root element ObjectLockRetention instead of S3's Retention, which minio-go's GetObjectRetention
// refuses to parse. A version without retention gives "" and the zero time.
func (s *Store) retention(ctx context.Context, bucket, key, versionID string) (mode string, until time.Time, err error) {
	scheme := "http"
	if s.cfg.Secure {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: s.cfg.Endpoint, Path: "/" + bucket + "/" + key,
		RawPath:  "/" + bucket + "/" + s3utils.EncodePath(key),
		RawQuery: url.Values{"retention": {""}, "versionId": {versionID}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req = signer.SignV4(*req, s.cfg.AccessKey, s.cfg.SecretKey, "", "us-east-1")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading the retention: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading the retention: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		_ = xml.Unmarshal(body, &e)
		if e.Code == "NoSuchObjectLockConfiguration" {
			return "", time.Time{}, nil
		}
		return "", time.Time{}, fmt.Errorf("reading the retention: %s %s: %s", resp.Status, e.Code, e.Message)
	}
	var r struct { // any root element name
		Mode            string
		RetainUntilDate time.Time
	}
	if err := xml.Unmarshal(body, &r); err != nil {
		return "", time.Time{}, fmt.Errorf("reading the retention: %w", err)
	}
	return r.Mode, r.RetainUntilDate.UTC(), nil
}
