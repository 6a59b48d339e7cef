package rpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Server is the HTTP server of the API: HTTP/1.1 and h2c (unencrypted HTTP/2, for gRPC and Connect clients
// behind the edge), with timeouts on slow headers, slow bodies and idle connections, and request bodies capped
// at MaxBodyBytes.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Listen listens on addr (port 0 picks one) and serves h until Close.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s := &Server{ln: ln, done: make(chan error, 1), srv: &http.Server{Handler: securityHeaders(limitBodies(h)), Protocols: p,
		ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting connections and waits up to grace for requests in flight to finish.
func (s *Server) Close(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
