package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestDemoPrintsScoresAndAlert runs `axle demo` as a user would, with the
// fault brought forward to 3 s, reads its terminal output, and watches the
// embedded broker with an MQTT client as the printed hint suggests.
func TestDemoPrintsScoresAndAlert(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var out bytes.Buffer
	text := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	addr := fmt.Sprintf("127.0.0.1:%d", uplinktest.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			Listen: addr, FaultAfter: 3 * time.Second, Stdout: lockedWriter{&out, &mu},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		})
	}()
	uplinktest.WaitFor(t, 30*time.Second, "the demo banner", func() bool { return strings.Contains(text(), "embedded MQTT broker") })
	var scores atomic.Int64
	uplinktest.NewConsumer(t, "tcp://"+addr, "demo-watcher", func(topic string, _ []byte) {
		if strings.Contains(topic, "/scores/") {
			scores.Add(1)
		}
	}, "axle/demo-pump/#")
	uplinktest.WaitFor(t, 60*time.Second, "the ALERT line", func() bool { return strings.Contains(text(), "*** ALERT") })
	uplinktest.WaitFor(t, 30*time.Second, "scores on the embedded broker", func() bool { return scores.Load() > 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not stop within 20 s of Ctrl-C")
	}
	s := text()
	if !regexp.MustCompile(`mosquitto_sub -p \d+ -t 'axle/#' -v`).MatchString(s) {
		t.Errorf("no mosquitto_sub hint with the port:\n%s", s)
	}
	lines := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} +[0-9.]+ +(ok|warn|alarm)`).FindAllString(s, -1)
	if len(lines) < 4 {
		t.Errorf("want a line per window, got %d:\n%s", len(lines), s)
	}
	if !strings.Contains(s, "stopped cleanly") {
		t.Errorf("no clean stop message:\n%s", s)
	}
}
