package agent

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"
)

// When the outbox refuses writes (here: closed under the running agent, as
// a failed disk would), sensing and scoring go on, each lost result is
// counted, and the retained status tells the fleet what is wrong, since the
// outbox cannot carry an event about itself.
func TestStorageFailureIsReported(t *testing.T) {
	t.Parallel()
	broker, err := StartBroker("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	url := "tcp://" + broker.Addr()
	cfg := e2eConfig(t, broker.Addr())

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

	a, err := setup(context.Background(), Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Drivers: drivers.All(), Runtime: tflite.Runtime{}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	windows := func() uint64 { return a.pipes[0].runners[0].windows.Load() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

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
