package payment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// SandboxHandler serves s over HTTP (POST /charge, /refund, /lookup, JSON), so that several processes share
// one sandbox as every region shares one Stripe account: a charge made through one region can be refunded or
// looked up through another, and a region process killed mid-charge leaves the charge where the others can
// find it. `marquee dev` runs one for its region children (RemoteSandbox).
func SandboxHandler(s *Sandbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /charge", sandboxCall(func(ctx context.Context, r ChargeRequest) (any, error) {
		ref, err := s.Charge(ctx, r)
		return remoteRef{Ref: ref}, err
	}))
	mux.HandleFunc("POST /refund", sandboxCall(func(ctx context.Context, r RefundRequest) (any, error) {
		ref, err := s.Refund(ctx, r)
		return remoteRef{Ref: ref}, err
	}))
	mux.HandleFunc("POST /lookup", sandboxCall(func(ctx context.Context, r LookupRequest) (any, error) {
		return s.Lookup(ctx, r)
	}))
	return mux
}

type remoteRef struct {
	Ref string `json:"ref"`
}

// remoteError is an error as it travels: its kind and client-safe message.
type remoteError struct {
	Kind    errs.Kind `json:"kind"`
	Message string    `json:"message"`
}

// sandboxCall decodes a request of type R, runs do and writes its answer, or its error with status 422.
func sandboxCall[R any](do func(context.Context, R) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var r R
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<16)).Decode(&r); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		out, err := do(req.Context(), r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			out = remoteError{Kind: errs.KindOf(err), Message: errs.Message(err)}
		}
		_ = json.NewEncoder(w).Encode(out)
	}
}

// RemoteSandbox is the provider of a sandbox served by SandboxHandler at URL, named "sandbox" like the
// sandbox itself. A call that gets no answer (the network, a timeout) is Unavailable, as with Stripe.
type RemoteSandbox struct {
	URL    string
	Client *http.Client // DefaultRemoteClient when nil
}

var _ Provider = (*RemoteSandbox)(nil)

// DefaultRemoteClient gives up on a sandbox call after 10 s, as the Stripe provider's client does.
var DefaultRemoteClient = &http.Client{Timeout: 10 * time.Second}

// Name is "sandbox": the charges are the sandbox's, wherever it runs.
func (p *RemoteSandbox) Name() string { return "sandbox" }

// Charge asks the remote sandbox to charge r.
func (p *RemoteSandbox) Charge(ctx context.Context, r ChargeRequest) (string, error) {
	var out remoteRef
	err := p.call(ctx, "payment.RemoteSandbox.Charge", "/charge", r, &out)
	return out.Ref, err
}

// Refund asks the remote sandbox to refund r.
func (p *RemoteSandbox) Refund(ctx context.Context, r RefundRequest) (string, error) {
	var out remoteRef
	err := p.call(ctx, "payment.RemoteSandbox.Refund", "/refund", r, &out)
	return out.Ref, err
}

// Lookup asks the remote sandbox what became of the charge r names.
func (p *RemoteSandbox) Lookup(ctx context.Context, r LookupRequest) (ChargeOutcome, error) {
	var out ChargeOutcome
	err := p.call(ctx, "payment.RemoteSandbox.Lookup", "/lookup", r, &out)
	return out, err
}

// call posts in to path and decodes the answer into out, or the sandbox's error.
func (p *RemoteSandbox) call(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return errs.E(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+path, bytes.NewReader(body))
	if err != nil {
		return errs.E(op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	c := p.Client
	if c == nil {
		c = DefaultRemoteClient
	}
	res, err := c.Do(req)
	if err != nil {
		return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(data, out); err != nil {
			return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
		}
		return nil
	case http.StatusUnprocessableEntity:
		var re remoteError
		if err := json.Unmarshal(data, &re); err != nil {
			return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
		}
		if re.Kind == errs.Other {
			return errs.E(op, fmt.Errorf("sandbox: %s", re.Message))
		}
		return errs.E(op, re.Kind, re.Message)
	}
	return errs.E(op, errs.Unavailable, "payment provider unavailable", fmt.Errorf("sandbox answered %s", res.Status))
}
