// Package uplinktest holds the real parts MQTT tests run against: a
// Mosquitto broker started on a free loopback port, a TCP proxy that cuts or
// stalls the network on demand, a QoS1 consumer, certificates made on the
// fly, and a polling helper. Test code only.
package uplinktest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/axle-edge/axle/internal/testtool"
)

// MosquittoPath is where the broker binary is looked for first; PATH is
// searched when it is absent.
const MosquittoPath = "/usr/sbin/mosquitto"

// BrokerOptions configure a test broker.
type BrokerOptions struct {
	// Persistence keeps sessions and queued messages in a file across Stop
	// and Start (Kill loses what was not saved yet).
	Persistence bool
	// TLS, when set, makes the listener TLS-only.
	TLS *BrokerTLS
	// Config lines appended to the generated mosquitto.conf.
	Config []string
}

// BrokerTLS are PEM files for a TLS listener.
type BrokerTLS struct {
	CAFile, CertFile, KeyFile string
	RequireCertificate        bool
}

// Broker is a mosquitto process on 127.0.0.1:Port, stopped at test cleanup.
type Broker struct {
	t    testing.TB
	opts BrokerOptions
	bin  string
	dir  string
	Port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	logBuf *syncBuffer
}

// StartBroker starts mosquitto and waits until it accepts connections. It
// skips the test when no mosquitto binary is installed (fails it under CI).
func StartBroker(t testing.TB, opts BrokerOptions) *Broker {
	t.Helper()
	bin := testtool.Find(t, "mosquitto", "mosquitto", MosquittoPath)
	b := &Broker{t: t, opts: opts, bin: bin, dir: t.TempDir(), Port: FreePort(t), logBuf: &syncBuffer{}}
	t.Cleanup(func() {
		b.Kill()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", b.logBuf.tail(4096))
		}
	})
	b.Start()
	return b
}

// Addr is host:port of the listener.
func (b *Broker) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.Port) }

// URL is the broker URL for uplink.Config.Broker.
func (b *Broker) URL() string {
	if b.opts.TLS != nil {
		return "ssl://" + b.Addr()
	}
	return "tcp://" + b.Addr()
}

func (b *Broker) config() string {
	var s strings.Builder
	fmt.Fprintf(&s, "listener %d 127.0.0.1\n", b.Port)
	s.WriteString("allow_anonymous true\n")
	fmt.Fprintf(&s, "persistence %v\n", b.opts.Persistence)
	fmt.Fprintf(&s, "persistence_location %s/\n", b.dir)
	// Never drop queued QoS1 messages for a slow or absent consumer: tests
	// count every message.
	s.WriteString("max_queued_messages 0\nmax_inflight_messages 0\n")
	s.WriteString("log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n")
	if os.Geteuid() == 0 {
		// mosquitto drops root for user "mosquitto", who cannot read t.TempDir().
		if u, err := user.Current(); err == nil {
			fmt.Fprintf(&s, "user %s\n", u.Username)
		}
	}
	if tl := b.opts.TLS; tl != nil {
		fmt.Fprintf(&s, "cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate %v\n", tl.CAFile, tl.CertFile, tl.KeyFile, tl.RequireCertificate)
	}
	for _, l := range b.opts.Config {
		s.WriteString(l + "\n")
	}
	return s.String()
}

// Start (re)starts the broker on the same port and waits until it accepts
// connections.
func (b *Broker) Start() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		b.t.Fatalf("uplinktest: broker already running")
	}
	conf := filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(b.config()), 0o600); err != nil {
		b.t.Fatalf("uplinktest: write broker config: %v", err)
	}
	cmd := exec.Command(b.bin, "-c", conf)
	cmd.Stdout = b.logBuf
	cmd.Stderr = b.logBuf
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("uplinktest: start mosquitto: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	b.cmd, b.exited = cmd, exited

	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr(), time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		select {
		case <-exited:
			b.cmd = nil
			b.t.Fatalf("uplinktest: mosquitto exited during start-up:\n%s", b.logBuf.tail(2048))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("uplinktest: mosquitto not accepting on %s after 10s: %v\n%s", b.Addr(), err, b.logBuf.tail(2048))
		}
	}
}

// Stop ends the broker with SIGTERM (it saves its state when Persistence
// is on) and waits for it to exit.
func (b *Broker) Stop() { b.signal(syscall.SIGTERM) }

// Kill ends the broker with SIGKILL: nothing is saved.
func (b *Broker) Kill() { b.signal(syscall.SIGKILL) }

func (b *Broker) signal(sig syscall.Signal) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(sig)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	b.cmd = nil
}

// WipeState deletes the persistence file of a stopped broker, as if it had
// been replaced by a fresh one.
func (b *Broker) WipeState() {
	if err := os.Remove(filepath.Join(b.dir, "mosquitto.db")); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.t.Fatalf("uplinktest: wipe broker state: %v", err)
	}
}

// Log returns the broker's log so far.
func (b *Broker) Log() string { return b.logBuf.String() }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("uplinktest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitFor polls cond every few milliseconds until it holds, failing the
// test with what when it does not within d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) tail(n int) string {
	str := s.String()
	if len(str) > n {
		str = "..." + str[len(str)-n:]
	}
	return str
}

// CPUTime is the user+system CPU this process has used; benchmarks report
// CPU per message with it, which a shared machine distorts less than wall
// time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
