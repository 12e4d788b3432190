package agent

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// Under a Type=notify unit with WatchdogSec, the agent pings systemd while
// it makes progress, stops when an outbox commit hangs (a wedged disk) and
// pings again once it completes. Not parallel: it sets the process's
// NOTIFY_SOCKET and WATCHDOG_USEC.
func TestWatchdogFollowsProgress(t *testing.T) {
	dir, err := os.MkdirTemp("", "axle-wd") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	var pings atomic.Int64
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 256)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "WATCHDOG=1" {
				pings.Add(1)
			}
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-readerDone
	})
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", "")

	h := setupAgent(t, pumpYAML(t, "wd-dev", fmt.Sprintf("tcp://127.0.0.1:%d", uplinktest.FreePort(t)), ""), Options{})
	h.a.healthStall = 1500 * time.Millisecond
	var blocked atomic.Bool
	gate := make(chan struct{})
	h.a.commitHook = func() {
		if blocked.Load() {
			<-gate
		}
	}
	h.start(t)
	released := false
	release := func() {
		if !released {
			released = true
			close(gate)
		}
	}
	t.Cleanup(release) // runs before the agent is stopped

	healthy := func() float64 { return h.a.metrics().Values["healthy"] }
	uplinktest.WaitFor(t, 20*time.Second, "watchdog pings while scoring", func() bool { return pings.Load() >= 2 })
	if healthy() != 1 {
		t.Fatal("healthy metric is not 1 while pinging")
	}

	blocked.Store(true) // the next score's commit hangs
	uplinktest.WaitFor(t, 20*time.Second, "the agent to count itself unhealthy", func() bool { return healthy() == 0 })

	release()
	before := pings.Load()
	uplinktest.WaitFor(t, 20*time.Second, "healthy again after the commit completed", func() bool { return healthy() == 1 })
	uplinktest.WaitFor(t, 20*time.Second, "pings again", func() bool { return pings.Load() > before })
}
