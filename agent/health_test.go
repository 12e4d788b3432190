package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/sensors/quality"
)

func TestHealthProgress(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	const stall = time.Minute
	// base is a healthy idle agent: one pipeline, nothing queued, nothing in
	// flight, nothing waiting.
	base := func(at time.Duration) progressSample {
		return progressSample{at: t0.Add(at), pipes: []pipeSample{{name: "pump"}}, connected: true}
	}
	cases := []struct {
		name string
		// mod changes the samples taken after the first one, at time d.
		mod  func(s *progressSample, d time.Duration)
		want string // "" healthy at the end, else a substring of the reason
	}{
		{"idle", func(*progressSample, time.Duration) {}, ""},
		{"pipeline consuming", func(s *progressSample, d time.Duration) {
			s.pipes[0].queued, s.pipes[0].consumed = 10, uint64(d/time.Second)
		}, ""},
		{"pipeline wedged with chunks waiting", func(s *progressSample, d time.Duration) {
			s.pipes[0].queued, s.pipes[0].consumed = 10, 5
		}, `pipeline "pump" consumed nothing`},
		{"pipeline whose source ended", func(s *progressSample, d time.Duration) {
			s.pipes[0].queued, s.pipes[0].finished = 3, true
		}, ""},
		{"commits completing", func(s *progressSample, d time.Duration) {
			s.commitsDone = uint64(d / time.Second)
			s.commitsStarted = s.commitsDone + 1
		}, ""},
		{"a commit hung", func(s *progressSample, d time.Duration) {
			s.commitsStarted, s.commitsDone = 8, 7
		}, "outbox commit"},
		{"delivery acknowledging", func(s *progressSample, d time.Duration) {
			s.backlog, s.delivered = 500, uint64(d/time.Second)
		}, ""},
		{"delivery waiting for the broker", func(s *progressSample, d time.Duration) {
			s.backlog, s.connected = 500, false
		}, ""},
		{"delivery stuck while connected", func(s *progressSample, d time.Duration) {
			s.backlog, s.delivered = 500, 42
		}, "delivery acknowledged nothing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := health{stall: stall}
			first := base(0)
			first.pipes[0].consumed, first.delivered = 5, 42
			if why := h.observe(first); why != "" {
				t.Fatalf("first sample unhealthy: %s", why)
			}
			var why string
			for d := 10 * time.Second; d <= 2*stall; d += 10 * time.Second {
				s := base(d)
				tc.mod(&s, d)
				why = h.observe(s)
				if d <= stall && why != "" {
					t.Fatalf("unhealthy after only %v: %s", d, why)
				}
			}
			switch {
			case tc.want == "" && why != "":
				t.Fatalf("unhealthy: %s", why)
			case tc.want != "" && !strings.Contains(why, tc.want):
				t.Fatalf("reason %q, want one containing %q", why, tc.want)
			}
		})
	}
}

// A wedged part that moves again makes the agent healthy again.
func TestHealthRecovers(t *testing.T) {
	t0 := time.Unix(0, 0)
	h := health{stall: time.Minute}
	s := progressSample{at: t0, commitsStarted: 1}
	h.observe(s)
	s.at = t0.Add(2 * time.Minute)
	if why := h.observe(s); why == "" {
		t.Fatal("a commit in flight for 2 minutes counts as healthy")
	}
	s.at, s.commitsDone = t0.Add(2*time.Minute+time.Second), 1
	if why := h.observe(s); why != "" {
		t.Fatalf("still unhealthy after the commit completed: %s", why)
	}
}

// supervise restarts a failing function with backoff, logs the first
// failure of the episode once (the restarts at debug level), tells onErr
// each failure, and returns when ctx ends.
func TestSuperviseRestartsAfterErrors(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	a := &Agent{log: slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	var errs []error
	fn := func(ctx context.Context) error {
		if calls.Add(1) <= 3 {
			return errors.New("disk full")
		}
		<-ctx.Done()
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.supervise(ctx, "delivery", quality.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond, Factor: 2}, fn,
			func(err error) { errs = append(errs, err) })
	}()
	uplinktest.WaitFor(t, 10*time.Second, "the fourth run", func() bool { return calls.Load() >= 4 })
	if calls.Load() != 4 {
		t.Fatalf("fn called %d times, want 4 (3 failures, then running)", calls.Load())
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("supervise did not return after cancel")
	}
	if len(errs) != 3 {
		t.Errorf("onErr saw %v, want the 3 failures", errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(buf.String(), "delivery failed; restarting"); n != 1 {
		t.Errorf("the failure episode was logged %d times at info or above, want once:\n%s", n, buf.String())
	}
}
