package uplinktest

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from its own loopback port to a target so
// that a test can take the network away: Cut resets it (both ends see the
// connection close), Stall freezes it (sockets stay open, no byte moves, as
// when a cable is pulled; only keepalives notice).
type Proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	stalled bool
	resume  chan struct{} // closed when a stall ends
	pipes   map[*pipe]struct{}
	accepts int
	wg      sync.WaitGroup
}

type pipe struct {
	client, server net.Conn // server is nil while the connection is held
	closed         bool
}

func (p *pipe) close() {
	p.closed = true
	_ = p.client.Close()
	if p.server != nil {
		_ = p.server.Close()
	}
}

// NewProxy listens on 127.0.0.1:0 and forwards to target (host:port) until
// the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("uplinktest: proxy listen: %v", err)
	}
	p := &Proxy{t: t, ln: ln, target: target, pipes: map[*pipe]struct{}{}, resume: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for pc := range p.pipes {
			pc.close()
		}
		if p.stalled {
			p.stalled = false
			close(p.resume)
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is tcp://Addr, for uplink.Config.Broker.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// Accepts counts connections accepted so far.
func (p *Proxy) Accepts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepts
}

// Cut closes every forwarded connection and closes new ones at once until
// Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for pc := range p.pipes {
		pc.close()
	}
}

// Stall stops moving bytes: open connections and new ones stay open but
// silent until Restore, which then closes them.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stalled {
		p.stalled = true
		p.resume = make(chan struct{})
	}
}

// Restore ends a Cut or Stall. Connections held by a stall are closed (their
// peers have given up on them); new connections are forwarded again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled {
		for pc := range p.pipes {
			pc.close()
		}
		p.stalled = false
		close(p.resume)
	}
	p.cut = false
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed at cleanup
		}
		p.mu.Lock()
		p.accepts++
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		pc := &pipe{client: c}
		p.pipes[pc] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(pc)
	}
}

func (p *Proxy) serve(pc *pipe) {
	defer p.wg.Done()
	defer p.drop(pc)
	if !p.gate(pc) {
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return // broker down: the client sees its connection close
	}
	p.mu.Lock()
	if pc.closed {
		p.mu.Unlock()
		_ = s.Close()
		return
	}
	pc.server = s
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { p.copy(pc, s, pc.client) })
	p.copy(pc, pc.client, s)
	wg.Wait()
}

func (p *Proxy) drop(pc *pipe) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc.close()
	delete(p.pipes, pc)
}

// copy moves bytes from src to dst, holding each chunk while stalled.
func (p *Proxy) copy(pc *pipe, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate(pc) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break // EOF or closed: end both directions
		}
	}
	p.mu.Lock()
	pc.close()
	p.mu.Unlock()
}

// gate waits while the proxy is stalled; false means pc was closed.
func (p *Proxy) gate(pc *pipe) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled && !pc.closed {
		ch := p.resume
		p.mu.Unlock()
		<-ch
		p.mu.Lock()
	}
	return !pc.closed
}
