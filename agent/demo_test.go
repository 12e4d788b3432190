package agent

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// TestDemoPrintsScoresAndAlert runs `axle demo` as a user would, with the
// fault brought forward to 3 s, and reads its terminal output.
func TestDemoPrintsScoresAndAlert(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var out bytes.Buffer
	text := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunDemo(ctx, DemoOptions{
			FaultAfter: 3 * time.Second, Stdout: lockedWriter{&out, &mu},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		})
	}()
	uplinktest.WaitFor(t, 60*time.Second, "the ALERT line", func() bool { return strings.Contains(text(), "*** ALERT") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunDemo: %v", err)
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
