// Package natsserver runs an embedded NATS server with JetStream in the process: the NATS of `marquee dev` and
// of tests. A Server can be shut down and restarted on the same port and store directory, so fault tests can take
// NATS away and bring it back with its streams and consumers intact.
package natsserver

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Start and Restart wait for the server to accept clients.
const readyTimeout = 10 * time.Second

// Options configure an embedded server. The zero value is a loopback server on a free port that keeps JetStream
// data in a temporary directory and logs nothing.
type Options struct {
	Host     string // listen host; default 127.0.0.1
	Port     int    // client port; 0 or -1 picks a free one
	StoreDir string // JetStream storage; default a temporary directory that Close removes
	Name     string // server name; default "marquee"
	Logging  bool   // log to stderr
	// Cluster, when set, makes the server the one node of a JetStream cluster of that name, tagged
	// "region:<Cluster>", listening for routes on ClusterPort (0 picks a free one).
	Cluster     string
	ClusterPort int
	// GatewayPort, with Cluster set, opens a gateway (0 picks a free one) so the cluster joins a supercluster;
	// Gateways are the other clusters' gateway URLs by cluster name.
	GatewayPort int
	Gateways    map[string]string
}

// Server is a running (or shut down) embedded NATS server. It is safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	opts     Options
	ns       *server.Server
	ownStore bool // StoreDir was made by Start and is removed by Close
}

// Start starts a server and returns once it accepts connections.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts}
	if s.opts.Host == "" {
		s.opts.Host = "127.0.0.1"
	}
	if s.opts.Port == 0 {
		s.opts.Port = -1
	}
	if s.opts.Name == "" {
		s.opts.Name = "marquee"
	}
	if s.opts.StoreDir == "" {
		dir, err := os.MkdirTemp("", "marquee-nats-")
		if err != nil {
			return nil, fmt.Errorf("natsserver.Start: %w", err)
		}
		s.opts.StoreDir, s.ownStore = dir, true
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, fmt.Errorf("natsserver.Start: %w", err)
	}
	return s, nil
}

// start runs a new server from s.opts and pins s.opts.Port to the port it got. The caller holds s.mu or owns s.
func (s *Server) start() error {
	o, err := s.serverOptions()
	if err != nil {
		return err
	}
	ns, err := server.NewServer(o)
	if err != nil {
		return err
	}
	if s.opts.Logging {
		ns.ConfigureLogger()
	}
	ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		return errors.New("server not ready for connections")
	}
	s.ns = ns
	s.opts.Port = ns.Addr().(*net.TCPAddr).Port
	return nil
}

// serverOptions turns s.opts into nats-server options, pinning the cluster and gateway ports (a node of a
// cluster routes to its own cluster port, so that port must be known before it starts).
func (s *Server) serverOptions() (*server.Options, error) {
	o := &server.Options{ServerName: s.opts.Name, Host: s.opts.Host, Port: s.opts.Port,
		JetStream: true, StoreDir: s.opts.StoreDir, NoSigs: true, NoLog: !s.opts.Logging}
	if s.opts.Cluster == "" {
		return o, nil
	}
	var err error
	if s.opts.ClusterPort, err = pinPort(s.opts.Host, s.opts.ClusterPort); err != nil {
		return nil, err
	}
	if s.opts.GatewayPort, err = pinPort(s.opts.Host, s.opts.GatewayPort); err != nil {
		return nil, err
	}
	self, err := url.Parse("nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.ClusterPort)))
	if err != nil {
		return nil, err
	}
	o.Tags = []string{"region:" + s.opts.Cluster}
	o.Cluster = server.ClusterOpts{Name: s.opts.Cluster, Host: s.opts.Host, Port: s.opts.ClusterPort}
	o.Routes = []*url.URL{self}
	o.Gateway = server.GatewayOpts{Name: s.opts.Cluster, Host: s.opts.Host, Port: s.opts.GatewayPort}
	for _, name := range slices.Sorted(maps.Keys(s.opts.Gateways)) {
		u, err := url.Parse(s.opts.Gateways[name])
		if err != nil {
			return nil, err
		}
		o.Gateway.Gateways = append(o.Gateway.Gateways, &server.RemoteGatewayOpts{Name: name, URLs: []*url.URL{u}})
	}
	return o, nil
}

// pinPort returns port, or a free port on host when port is 0.
func pinPort(host string, port int) (int, error) {
	if port > 0 {
		return port, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// GatewayURL returns the URL other clusters' gateways connect to, "nats://host:port" ("" without Cluster).
func (s *Server) GatewayURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Cluster == "" {
		return ""
	}
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.GatewayPort))
}

// URL returns the client URL, "nats://host:port". It stays the same across Restart.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// StoreDir returns the JetStream storage directory.
func (s *Server) StoreDir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.StoreDir
}

// Running reports whether the server is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ns != nil
}

// Shutdown stops the server and waits until it has stopped; clients see the connection drop. The store directory
// is kept, so Restart brings back streams, messages and consumers. Shutting down a stopped server does nothing.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown()
}

func (s *Server) shutdown() {
	if s.ns == nil {
		return
	}
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.ns = nil
}

// Restart shuts the server down if it runs and starts it again on the same port with the same store directory;
// it returns once the server accepts connections again.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown()
	if err := s.start(); err != nil {
		return fmt.Errorf("natsserver.Restart: %w", err)
	}
	return nil
}

// Close shuts the server down and removes the store directory if Start created it.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown()
	if s.ownStore {
		_ = os.RemoveAll(s.opts.StoreDir)
		s.ownStore = false
	}
}

// Ensure returns url when it is set (nil Server), or starts an embedded server storing under dir and returns
// it with its URL: a process's NATS, given or its own.
func Ensure(url, dir string) (*Server, string, error) {
	if url != "" {
		return nil, url, nil
	}
	srv, err := Start(Options{StoreDir: dir})
	if err != nil {
		return nil, "", err
	}
	return srv, srv.URL(), nil
}
