package agent

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/sensors"
)

// flakyStream is a FIFO-style streamer whose every batch starts with a NaN
// sample (raising a fault) followed by enough good samples to clear it: two
// quality events per batch, reported on the sensor goroutine. The FIFO
// fills in real time; a reader that falls behind loses chunks.
type flakyStream struct {
	batches   int
	delivered *atomic.Int64
}

func (f *flakyStream) Channels() []sensors.Channel {
	return []sensors.Channel{{Name: "x", Unit: "m/s^2"}}
}
func (f *flakyStream) Read(context.Context, *sensors.Sample) error { return sensors.ErrEnd }
func (f *flakyStream) Close() error                                { return nil }

func (f *flakyStream) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	const n = 32 // one ADXL345 FIFO
	b := &sensors.Batch{Stride: 1, Times: make([]int64, n), Values: make([]float64, n), Valid: make([]bool, n)}
	// The device's clock: a full FIFO every 10 ms, as at 3.2 kHz.
	fifo := time.NewTicker(10 * time.Millisecond)
	defer fifo.Stop()
	t0 := time.Now().UnixNano()
	for i := range f.batches {
		select {
		case <-ctx.Done():
			return nil
		case <-fifo.C:
		}
		for j := range n {
			b.Times[j] = t0 + int64(i*n+j)*int64(time.Millisecond)
			b.Values[j] = float64(j) // varied: never stuck
			b.Valid[j] = true
		}
		b.Values[0] = math.NaN()
		if err := fn(b); err != nil {
			return err
		}
		f.delivered.Add(1)
	}
	return sensors.ErrEnd
}

// With every outbox commit held up (a stalled SD card), the sensor goroutine
// still hands over every batch: quality events are queued, not written on
// the read path; no chunk is dropped; events the queue cannot hold are
// counted, and once the disk moves every event is either stored or counted.
func TestSlowCommitDoesNotBlockSensor(t *testing.T) {
	t.Parallel()
	const batches = 150 // 300 events: more than the queue holds
	var delivered atomic.Int64
	open := func(context.Context, sensors.Spec, sensors.Buses) (sensors.Sensor, error) {
		return &flakyStream{batches: batches, delivered: &delivered}, nil
	}
	var stored atomic.Int64
	yaml := fmt.Sprintf(`device: slow-disk
state_dir: %q
mqtt: {broker: "tcp://127.0.0.1:%d"}
sensors:
  - {name: fifo, driver: flaky, rate: 3200}
`, t.TempDir(), uplinktest.FreePort(t))
	h := setupAgent(t, yaml, Options{Drivers: onlyDriver("flaky", open), OnEvent: func(ev fleet.Event) {
		if ev.Kind == fleet.EventSensorFault || ev.Kind == fleet.EventSensorOK {
			stored.Add(1)
		}
	}})
	gate := make(chan struct{})
	h.a.commitHook = func() { <-gate }
	h.start(t)

	uplinktest.WaitFor(t, 30*time.Second, "every batch handed over while commits are blocked", func() bool {
		return delivered.Load() == batches
	})
	if stored.Load() != 0 {
		t.Fatalf("%d events stored while every commit was blocked", stored.Load())
	}
	p := h.a.pipes[0]
	uplinktest.WaitFor(t, 10*time.Second, "the pipeline to consume every chunk", func() bool {
		return p.stats.Snapshot(time.Now()).Samples == batches*32 && len(p.data) == 0
	})
	if d := p.stats.Snapshot(time.Now()).Dropped; d != 0 {
		t.Errorf("%d samples dropped on the way to the pipeline", d)
	}
	if h.a.eventsDropped.Load() == 0 {
		t.Errorf("no events counted as dropped although %d did not fit the queue of %d", 2*batches, eventQueueLen)
	}

	close(gate)
	// >=: the report about dropped events may itself be dropped and counted.
	uplinktest.WaitFor(t, 30*time.Second, "every event stored or counted as dropped", func() bool {
		return stored.Load()+int64(h.a.eventsDropped.Load()) >= 2*batches
	})
	if stored.Load() > 2*batches {
		t.Errorf("%d quality events stored for %d transitions", stored.Load(), 2*batches)
	}
	if v := h.a.metrics().Values["events_dropped_total"]; v != float64(h.a.eventsDropped.Load()) || v == 0 {
		t.Errorf("events_dropped_total = %v, counter %d", v, h.a.eventsDropped.Load())
	}
}
