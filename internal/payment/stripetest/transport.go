package stripetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
// rest of the response is stripe-mock's, untouched, unless Remember is set.
type Transport struct {
	Base                http.RoundTripper // http.DefaultTransport when nil
	PaymentIntentStatus string
	// Remember gives stripe-mock the memory of PaymentIntents it lacks: each one created gets an ID of its own
	// ("pi_mock_<n>") and the request's amount and metadata; a create under an Idempotency-Key seen before is
	// answered with the first answer without reaching stripe-mock, as Stripe does; and GET
	// /v1/payment_intents/{id} and /v1/payment_intents/search (by metadata) answer from memory after
	// stripe-mock has checked the request.
	Remember bool

	mu      sync.Mutex
	reqs    []Request
	lose    int
	fail    int
	intents []map[string]any // remembered PaymentIntents, oldest first
	byKey   map[string][]byte
}

// ErrAnswerLost is what RoundTrip returns for an answer LoseAnswers dropped.
var ErrAnswerLost = errors.New("stripetest: the answer was lost on its way back")

// LoseAnswers drops the answers to the next n PaymentIntent creates after stripe-mock (and, with Remember,
// the memory) has taken them, as a timeout after the charge would: the client sees ErrAnswerLost.
func (t *Transport) LoseAnswers(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lose = n
}

// ErrNotSent is what RoundTrip returns for a create FailCreates stopped.
var ErrNotSent = errors.New("stripetest: the request never reached Stripe")

// FailCreates makes the next n PaymentIntent creates fail before they reach stripe-mock, as a network that
// is down would: nothing is created and the client sees ErrNotSent.
func (t *Transport) FailCreates(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail = n
}

// Intents returns how many PaymentIntents were created (with Remember: each idempotency key once).
func (t *Transport) Intents() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.intents)
}

// SetIntentStatus changes the status of the remembered PaymentIntent id, as Stripe would after a later event.
func (t *Transport) SetIntentStatus(id, status string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pi := range t.intents {
		if pi["id"] == id {
			pi["status"] = status
		}
	}
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
	create := rec.Method == http.MethodPost && rec.Path == "/v1/payment_intents"
	t.mu.Lock()
	t.reqs = append(t.reqs, rec)
	first, replay := t.byKey[rec.IdempotencyKey]
	failed := create && !replay && t.fail > 0
	if failed {
		t.fail--
	}
	t.mu.Unlock()
	if failed {
		return nil, ErrNotSent
	}
	if t.Remember && create && replay {
		return t.answer(req, first), nil
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	switch {
	case create && t.PaymentIntentStatus != "":
		if resp, err = patchStatus(resp, t.PaymentIntentStatus); err != nil {
			return nil, err
		}
	case !create && t.Remember && rec.Method == http.MethodGet && strings.HasPrefix(rec.Path, "/v1/payment_intents/"):
		return t.recall(req, resp, rec)
	}
	if !create {
		return resp, nil
	}
	if t.Remember {
		if resp, err = t.remember(req, resp, rec); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lose > 0 {
		t.lose--
		resp.Body.Close()
		return nil, ErrAnswerLost
	}
	return resp, nil
}

// remember keeps the PaymentIntent resp created, with an ID of its own and the request's amount and metadata,
// and answers with it.
func (t *Transport) remember(req *http.Request, resp *http.Response, rec Request) (*http.Response, error) {
	obj, err := readJSON(resp)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	obj["id"] = "pi_mock_" + strconv.Itoa(len(t.intents)+1)
	if n, err := strconv.ParseInt(rec.Form.Get("amount"), 10, 64); err == nil {
		obj["amount"] = n
	}
	meta := map[string]any{}
	for k, v := range rec.Form {
		if name, ok := strings.CutPrefix(k, "metadata["); ok && len(v) > 0 {
			meta[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	obj["metadata"] = meta
	t.intents = append(t.intents, obj)
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if t.byKey == nil {
		t.byKey = map[string][]byte{}
	}
	t.byKey[rec.IdempotencyKey] = body
	return t.answer(req, body), nil
}

// recall answers a GET of a PaymentIntent or a search of them from memory.
func (t *Transport) recall(req *http.Request, resp *http.Response, rec Request) (*http.Response, error) {
	resp.Body.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	id := strings.TrimPrefix(rec.Path, "/v1/payment_intents/")
	var body []byte
	var err error
	if id == "search" {
		// The query is metadata['k']:'v'; match the remembered intents whose metadata has that value.
		q := req.URL.Query().Get("query")
		k, v, _ := strings.Cut(strings.TrimPrefix(q, "metadata['"), "']:'")
		v = strings.TrimSuffix(v, "'")
		data := []any{}
		for _, pi := range t.intents {
			if m, _ := pi["metadata"].(map[string]any); m[k] == v {
				data = append(data, pi)
			}
		}
		body, err = json.Marshal(map[string]any{"object": "search_result", "data": data, "has_more": false,
			"url": "/v1/payment_intents/search"})
	} else {
		for _, pi := range t.intents {
			if pi["id"] == id {
				body, err = json.Marshal(pi)
			}
		}
		if body == nil {
			body = []byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent"}}`)
			r := t.answer(req, body)
			r.StatusCode, r.Status = http.StatusNotFound, "404 Not Found"
			return r, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return t.answer(req, body), nil
}

// answer is a 200 JSON response to req with body.
func (t *Transport) answer(req *http.Request, body []byte) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_mock"}}, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

func readJSON(resp *http.Response) (map[string]any, error) {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	return obj, json.Unmarshal(body, &obj)
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
