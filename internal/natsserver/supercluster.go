package natsserver

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// Supercluster is one single-node JetStream cluster per region, joined by gateways: the NATS of a multi-region
// deployment on one machine. Each cluster is named after its region's NATS cluster and tagged "region:<name>",
// so streams can be placed in it.
type Supercluster struct {
	Clusters []string           // cluster names, in the order they were started
	Servers  map[string]*Server // by cluster name
}

// StartSupercluster starts a cluster per name, each storing JetStream data under dir/<name>, and returns once
// every gateway is connected and JetStream's meta group counts every server and has a leader (so streams can
// be created, and losing one cluster of three keeps a quorum). Every gateway port is chosen first so that each
// server starts knowing all the others.
func StartSupercluster(dir string, names ...string) (*Supercluster, error) {
	sc := &Supercluster{Clusters: names, Servers: map[string]*Server{}}
	if len(names) == 1 {
		// One region has no peers to elect a JetStream meta leader with: it runs a plain JetStream server, and
		// clients see no cluster name, so they create unplaced streams.
		srv, err := Start(Options{Name: names[0], StoreDir: filepath.Join(dir, names[0])})
		if err != nil {
			return nil, fmt.Errorf("natsserver.StartSupercluster: %w", err)
		}
		sc.Servers[names[0]] = srv
		return sc, nil
	}
	gateways := map[string]string{}
	ports := map[string]int{}
	for _, name := range names {
		p, err := pinPort("127.0.0.1", 0)
		if err != nil {
			return nil, err
		}
		ports[name], gateways[name] = p, fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	errc := make(chan error, len(names))
	var mu sync.Mutex
	for _, name := range names {
		go func() {
			srv, err := Start(Options{Name: name, Cluster: name, GatewayPort: ports[name],
				StoreDir: filepath.Join(dir, name), Gateways: others(gateways, name)})
			if err == nil {
				mu.Lock()
				sc.Servers[name] = srv
				mu.Unlock()
			}
			errc <- err
		}()
	}
	var errList []error
	for range names {
		errList = append(errList, <-errc)
	}
	if err := errors.Join(errList...); err != nil {
		sc.Close()
		return nil, fmt.Errorf("natsserver.StartSupercluster: %w", err)
	}
	if err := sc.waitReady(superclusterReadyTimeout); err != nil {
		sc.Close()
		return nil, err
	}
	return sc, nil
}

// superclusterReadyTimeout bounds the wait for gateways and a JetStream meta leader. Electing a leader takes a few
// seconds on an idle machine and well over ten under a parallel -race test run, which is what CI is.
const superclusterReadyTimeout = 60 * time.Second

// others returns the gateways of every cluster but self.
func others(gateways map[string]string, self string) map[string]string {
	out := map[string]string{}
	for k, v := range gateways {
		if k != self {
			out[k] = v
		}
	}
	return out
}

// waitReady waits until each running server has a gateway to every other cluster and sees a JetStream meta
// leader.
func (sc *Supercluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !sc.ready() {
		if time.Now().After(deadline) {
			return errors.New("natsserver: supercluster not ready (gateways or JetStream meta leader missing)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (sc *Supercluster) ready() bool {
	for _, srv := range sc.Servers {
		srv.mu.Lock()
		ns := srv.ns
		srv.mu.Unlock()
		if ns == nil {
			continue
		}
		if ns.NumOutboundGateways() < len(sc.Servers)-1 {
			return false
		}
		jsz, err := ns.Jsz(nil)
		if err != nil || jsz.Meta == nil || jsz.Meta.Leader == "" || jsz.Meta.Size < len(sc.Servers) {
			return false
		}
	}
	return true
}

// URLs returns each cluster's client URL by cluster name.
func (sc *Supercluster) URLs() map[string]string {
	out := map[string]string{}
	for name, srv := range sc.Servers {
		out[name] = srv.URL()
	}
	return out
}

// Close stops every server and removes the store directories Start created.
func (sc *Supercluster) Close() {
	for _, srv := range sc.Servers {
		srv.Close()
	}
}
