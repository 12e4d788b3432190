package agent

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// A model offered to a running slot takes over between two windows: the
// scores switch version once, and their windows stay contiguous across the
// swap (none dropped, none scored twice).
func TestOfferSwapsAtWindowBoundary(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var scores []fleet.Score
	h := setupAgent(t, pumpYAML(t, "swap-dev", fmt.Sprintf("tcp://127.0.0.1:%d", uplinktest.FreePort(t)), ""), Options{OnScore: func(s fleet.Score) {
		mu.Lock()
		scores = append(scores, s)
		mu.Unlock()
	}})
	r := h.a.pipes[0].runners[0]
	h.start(t)
	uplinktest.WaitFor(t, 30*time.Second, "scores from version 1", func() bool { return r.windows.Load() >= 3 })

	next := r.cfg
	next.Version = "swap-2"
	lm, err := h.a.loadModel(next, r.win.Len())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Offer(context.Background(), lm); err != nil {
		t.Fatal(err)
	}
	if cur := r.Current(); cur.Version != "swap-2" || cur.State != fleet.ModelActive {
		t.Fatalf("slot after Offer: %+v", cur)
	}
	swappedAt := r.windows.Load()
	uplinktest.WaitFor(t, 30*time.Second, "scores from the new version", func() bool { return r.windows.Load() >= swappedAt+3 })
	h.stop(t, context.Canceled)

	mu.Lock()
	defer mu.Unlock()
	switches := 0
	for i := 1; i < len(scores); i++ {
		prev, s := scores[i-1], scores[i]
		if s.Version != prev.Version {
			switches++
			if prev.Version != r.cfg.Version || s.Version != "swap-2" {
				t.Errorf("score %d: version %q after %q", i, s.Version, prev.Version)
			}
		}
		if hop := s.Window.Start.Sub(prev.Window.Start); hop != 250*time.Millisecond {
			t.Errorf("score %d (%s): window starts %v after the previous one, want one hop (250ms)", i, s.Version, hop)
		}
	}
	if switches != 1 {
		t.Errorf("%d version switches in %d scores, want 1", switches, len(scores))
	}

	// After the pipeline ended an offer is refused and the caller keeps it.
	lm, err = h.a.loadModel(next, r.win.Len())
	if err != nil {
		t.Fatal(err)
	}
	defer lm.close()
	if err := r.Offer(context.Background(), lm); err == nil {
		t.Error("Offer to a stopped pipeline succeeded")
	}
}
