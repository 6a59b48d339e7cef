package stripetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// Request is what Transport saw of one request.
type Request struct {
	Method         string
	Path           string
	IdempotencyKey string     // the Idempotency-Key header
	Form           url.Values // the form-encoded body
}

// Transport is an http.RoundTripper for clients of stripe-mock. It records every request, and when
// PaymentIntentStatus is set it replaces the "status" of each successful POST /v1/payment_intents response
// with it. stripe-mock answers from fixtures and never confirms a PaymentIntent (it always says
// "requires_payment_method"); PaymentIntentStatus "succeeded" is what Stripe answers for a good test card. The
// rest of the response is stripe-mock's, untouched.
type Transport struct {
	Base                http.RoundTripper // http.DefaultTransport when nil
	PaymentIntentStatus string

	mu   sync.Mutex
	reqs []Request
}

// Client returns an *http.Client that uses t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// Requests returns the requests seen so far, oldest first.
func (t *Transport) Requests() []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Request(nil), t.reqs...)
}

// RoundTrip records req, sends it on and patches the response as described on Transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := Request{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key")}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec.Form, _ = url.ParseQuery(string(body))
	}
	t.mu.Lock()
	t.reqs = append(t.reqs, rec)
	t.mu.Unlock()
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || t.PaymentIntentStatus == "" || rec.Method != http.MethodPost ||
		rec.Path != "/v1/payment_intents" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	return patchStatus(resp, t.PaymentIntentStatus)
}

// patchStatus sets the top-level "status" of resp's JSON body to status.
func patchStatus(resp *http.Response, status string) (*http.Response, error) {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	obj["status"] = status
	if body, err = json.Marshal(obj); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}
