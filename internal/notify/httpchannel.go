package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the HMAC signature of an SMS or push request: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">", the scheme Stripe uses for webhooks. The provider recomputes it with the
// shared secret and rejects requests whose timestamp is too old.
const SignatureHeader = "X-Marquee-Signature"

// HTTPConfig configures an SMS or push channel: a provider endpoint that takes a JSON POST.
type HTTPConfig struct {
	Endpoint string // an http or https URL
	Secret   []byte // the HMAC key shared with the provider
	Timeout  time.Duration
	Client   *http.Client     // default http.DefaultClient; Timeout applies on top of its own
	Now      func() time.Time // for the signature's timestamp; default time.Now
}

// smsRequest and pushRequest are the JSON bodies the providers receive. ID is the delivery ID, the same on
// every retry, so a provider can drop duplicates (it is also the Idempotency-Key header).
type smsRequest struct {
	ID   string `json:"id,omitempty"`
	To   string `json:"to"`
	Text string `json:"text"`
}

type pushRequest struct {
	ID    string `json:"id,omitempty"`
	Token string `json:"token"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

type httpChannel struct {
	name string
	cfg  HTTPConfig
	body func(id string, m Message) (any, error)
}

var _ Channel = (*httpChannel)(nil)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NewSMS returns a channel that posts {"id","to","text"} to an SMS provider: m.To must be an E.164 number
// ("+15551234567") and m.Text is the message. Errors are classified as for every HTTP channel: transport
// failures, timeouts and HTTP 408, 429 and 5xx are retryable, other statuses permanent.
func NewSMS(cfg HTTPConfig) (Channel, error) {
	return newHTTPChannel(ChannelSMS, cfg, func(id string, m Message) (any, error) {
		if !e164.MatchString(m.To) {
			return nil, errors.New("recipient is not an E.164 phone number")
		}
		if m.Text == "" {
			return nil, errors.New("empty text")
		}
		return smsRequest{ID: id, To: m.To, Text: m.Text}, nil
	})
}

// NewPush returns a channel that posts {"id","token","title","body"} to a push provider: m.To is the device
// token, m.Subject the title and m.Text the body. Errors are classified as NewSMS's are.
func NewPush(cfg HTTPConfig) (Channel, error) {
	return newHTTPChannel(ChannelPush, cfg, func(id string, m Message) (any, error) {
		if m.To == "" || m.Text == "" {
			return nil, errors.New("no device token or no text")
		}
		return pushRequest{ID: id, Token: m.To, Title: m.Subject, Body: m.Text}, nil
	})
}

func newHTTPChannel(name string, cfg HTTPConfig, body func(string, Message) (any, error)) (Channel, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify: %s endpoint %q is not an http(s) URL", name, cfg.Endpoint)
	}
	if len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("notify: %s channel needs a signing secret", name)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &httpChannel{name: name, cfg: cfg, body: body}, nil
}

// Send posts m, signed, and classifies the outcome.
func (c *httpChannel) Send(ctx context.Context, m Message) error {
	id := DeliveryIDFrom(ctx)
	v, err := c.body(id, m)
	if err != nil {
		return permanent(c.name, err.Error(), err) // the body functions' errors are ours and name no one
	}
	body, err := json.Marshal(v)
	if err != nil {
		return permanent(c.name, "request could not be built", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return permanent(c.name, "request could not be built", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(c.cfg.Secret, c.cfg.Now(), body))
	if id != "" {
		req.Header.Set("Idempotency-Key", id)
	}
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return retryable(c.name, transportSummary(err), err)
	}
	defer resp.Body.Close()
	return c.classify(resp)
}

// classify turns a provider's response into nil or a SendError.
func (c *httpChannel) classify(resp *http.Response) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err := &SendError{Channel: c.name, Summary: httpSummary(resp.StatusCode, snippet),
		Err: fmt.Errorf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(snippet)))}
	switch code := resp.StatusCode; {
	case code >= 500, code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		err.Retryable = true
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			err.RetryAfter = time.Duration(s) * time.Second
		}
	}
	return err
}

// transportSummary describes a request that got no answer, without the error's text (which names the
// endpoint, perhaps with credentials in its query).
func transportSummary(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "provider timed out"
	}
	return "provider unreachable"
}

// httpSummary describes a provider's refusal by its status code and, when the body is JSON naming one, the
// provider's error code: "HTTP 502 (code rate_limited)". The body itself is never part of it.
func httpSummary(status int, body []byte) string {
	s := "HTTP " + strconv.Itoa(status)
	if code := providerCode(body); code != "" {
		s += " (code " + code + ")"
	}
	return s
}

// providerCodeRE is what a provider's error code may look like to be recorded: a short token, not prose.
var providerCodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// providerCode finds an error code in a JSON error body: a top-level "code" or "error_code", or the "code"
// of an "error" object, a string or an integer. It returns "" when there is none that looks like a code.
func providerCode(body []byte) string {
	var top struct {
		Code      json.RawMessage `json:"code"`
		ErrorCode json.RawMessage `json:"error_code"`
		Error     json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	var nested struct {
		Code json.RawMessage `json:"code"`
	}
	_ = json.Unmarshal(top.Error, &nested)
	for _, raw := range []json.RawMessage{top.Code, top.ErrorCode, nested.Code} {
		if code := codeOf(raw); code != "" {
			return code
		}
	}
	return ""
}

// codeOf reads a JSON string or integer as a code, or "".
func codeOf(raw json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if len(raw) == 0 || d.Decode(&v) != nil {
		return ""
	}
	var code string
	switch v := v.(type) {
	case string:
		code = v
	case json.Number:
		code = v.String()
	}
	if !providerCodeRE.MatchString(code) {
		return ""
	}
	return code
}

// Sign returns the SignatureHeader value for body sent at t with secret.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// VerifySignature checks a SignatureHeader value as a provider would: one of its v1 signatures must be the
// HMAC of its timestamp and body under secret, and the timestamp no further than tolerance from now. It is
// for tests and for providers written in Go.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for field := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("signature header lacks t= or v1=")
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
				return fmt.Errorf("signature timestamp is %v from now, beyond %v", d, tolerance)
			}
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts + "."))
	h.Write(body)
	return h.Sum(nil)
}
