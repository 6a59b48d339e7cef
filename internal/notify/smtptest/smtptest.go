// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1 for tests. It records
// every message it accepts with its envelope, can be stopped and started again on the same address to
// simulate an outage, can refuse messages with a chosen reply code, and can offer STARTTLS and AUTH PLAIN.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message: the envelope (MAIL FROM, RCPT TO) and the data exactly as received, with
// CRLF line endings and the leading-dot escaping undone.
type Message struct {
	From string
	To   []string
	Data []byte
	Auth string // the user that authenticated, or ""
}

// Server is an SMTP server for tests. Its methods are safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	addr     string // fixed by the first Start
	srv      *smtp.Server
	listener net.Listener
	done     chan struct{}
	messages []Message
	reject   *smtp.SMTPError
	tls      *tls.Config
	user     string
	password string
}

// NewServer starts a server on 127.0.0.1 and a free port, stopped when t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	if err := s.Start(); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// Start listens and serves. The first Start picks a free port on 127.0.0.1; later ones reuse that address, so
// clients configured with Addr reach the server again. Starting a running server is an error.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("smtptest: already running")
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.addr = l.Addr().String()
	s.srv, s.listener = s.newSMTPServer(), l
	s.done = make(chan struct{})
	go func(srv *smtp.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(l)
	}(s.srv, s.done)
	return nil
}

func (s *Server) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "smtptest.localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = true
	srv.TLSConfig = s.tls
	srv.ErrorLog = log.New(io.Discard, "", 0)
	return srv
}

// Stop closes the listener and every connection and waits for the server to finish. Clients then fail to
// connect until the next Start. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	srv, l, done := s.srv, s.listener, s.done
	s.srv, s.listener = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	_ = l.Close() // in case Serve had not registered it yet
	<-done
	return err
}

// Addr returns the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Reject makes the server answer every later DATA with code and message (a 4xx is temporary, a 5xx
// permanent), until Reject(0, "") restores acceptance.
func (s *Server) Reject(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = nil
	if code != 0 {
		s.reject = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: message}
	}
}

// RequireAuth makes the server offer AUTH PLAIN and refuse mail from sessions that have not authenticated
// as user with password. It applies to connections opened after it.
func (s *Server) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// EnableTLS makes the server offer STARTTLS with a fresh self-signed certificate for 127.0.0.1 and returns
// a client configuration that trusts it. It takes effect at the next Start.
func (s *Server) EnableTLS() (*tls.Config, error) {
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// session is one SMTP connection's transaction state.
type session struct {
	s    *Server
	auth string
	msg  Message
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN when the server requires authentication.
func (ss *session) AuthMechanisms() []string {
	if ss.s.credentials() == nil {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks PLAIN credentials against RequireAuth's.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if want := ss.s.credentials(); want == nil || user != want[0] || password != want[1] {
			return smtp.ErrAuthFailed
		}
		ss.auth = user
		return nil
	}), nil
}

// Mail starts a transaction, refused before authentication when RequireAuth is on.
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.credentials() != nil && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.msg = Message{From: from, Auth: ss.auth}
	return nil
}

// Rcpt accepts any recipient.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

// Data records the message, or answers with Reject's reply.
func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.reject != nil {
		return ss.s.reject
	}
	ss.msg.Data = data
	ss.s.messages = append(ss.s.messages, ss.msg)
	return nil
}

// Reset forgets the transaction in progress; authentication stays.
func (ss *session) Reset() { ss.msg = Message{Auth: ss.auth} }

// Logout ends the session.
func (ss *session) Logout() error { return nil }

// credentials returns the required user and password, or nil when the server does not require AUTH.
func (s *Server) credentials() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.user == "" {
		return nil
	}
	return []string{s.user, s.password}
}
