package agent

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// When the outbox refuses writes (here: closed under the running agent, as
// a failed disk would), sensing and scoring go on, each lost result is
// counted, and the retained status tells the fleet what is wrong, since the
// outbox cannot carry an event about itself.
func TestStorageFailureIsReported(t *testing.T) {
	t.Parallel()
	addr := testBroker(t)
	url := "tcp://" + addr
	cfg := e2eConfig(t, addr)

	var mu sync.Mutex
	var last fleet.Status
	var scores int
	uplinktest.NewConsumer(t, url, "storage-backend", func(topic string, payload []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasSuffix(topic, "/status"):
			var s fleet.Status
			if err := strict(payload, &s); err != nil {
				t.Errorf("bad status %s: %v", payload, err)
			}
			last = s
		case strings.Contains(topic, "/scores/"):
			scores++
		}
	}, "axle/e2e-pump/#")

	a, _ := startAgent(t, cfg)
	windows := func() uint64 { return a.pipes[0].runners[0].windows.Load() }

	uplinktest.WaitFor(t, 30*time.Second, "a first score", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return scores > 0
	})
	if err := a.out.Close(); err != nil {
		t.Fatal(err)
	}
	failedAt := windows()
	uplinktest.WaitFor(t, 30*time.Second, "a retained status naming the storage failure", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last.State == fleet.StateOnline && strings.Contains(last.Storage, buffer.ErrClosed.Error())
	})
	uplinktest.WaitFor(t, 30*time.Second, "windows scored after the failure", func() bool {
		return windows() >= failedAt+2
	})
	if n := a.metrics().Values["outbox_append_errors_total"]; n < 2 {
		t.Errorf("outbox_append_errors_total = %v after two lost windows", n)
	}
}
