package delivery_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// benchDrain appends a backlog of n 200-byte records while offline, then
// measures the time to publish all of them to a local mosquitto, QoS1 with
// 1000 in flight, and acknowledge them in the outbox.
func benchDrain(b *testing.B, batch int) {
	n := b.N
	if os.Getenv("AXLE_BENCH_DRAIN") == "1" {
		n = 1_000_000
	}
	br := uplinktest.StartBroker(b, uplinktest.BrokerOptions{})
	out, err := buffer.Open(filepath.Join(b.TempDir(), "outbox.db"), buffer.Options{MaxBytes: 1 << 30, NoSync: os.Getenv("NOSYNC") == "1"})
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	payload := fmt.Appendf(nil, `{"v":1,"ts":"2026-01-01T00:00:00Z","model":"pump","version":"1","score":0.5,"alert":"ok","pad":"%0130d"}`, 0)
	old := time.Now().Add(-time.Hour)
	recs := make([]buffer.Record, 0, 4096)
	for i := 0; i < n; i += cap(recs) {
		recs = recs[:0]
		for j := i; j < min(n, i+cap(recs)); j++ {
			recs = append(recs, buffer.Record{Class: buffer.ClassScore, Topic: "axle/dev1/scores/pump", Time: old, Payload: payload})
		}
		if err := out.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	up, err := uplink.New(uplink.Config{Broker: br.URL(), ClientID: "dev1", InFlight: 1000})
	if err != nil {
		b.Fatal(err)
	}
	eng := delivery.New(out, up, delivery.Options{InFlight: 1000, Batch: batch})
	ctx, cancel := context.WithCancel(context.Background())
	upDone := make(chan error, 1)
	go func() { upDone <- up.Run(ctx) }()
	defer func() { cancel(); <-upDone }()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := up.WaitConnected(cctx); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	cpu := uplinktest.CPUTime()
	engDone := make(chan error, 1)
	engCtx, engCancel := context.WithCancel(ctx)
	go func() { engDone <- eng.Run(engCtx) }()
	for out.Stats().Records > 0 {
		time.Sleep(time.Millisecond) // polling interval of the measurement
	}
	b.StopTimer()
	engCancel()
	if err := <-engDone; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64((uplinktest.CPUTime()-cpu).Microseconds())/float64(n), "cpu-µs/record")
	if n != b.N {
		b.ReportMetric(b.Elapsed().Seconds(), "s/1e6")
	}
}

// BenchmarkDrain: one record per MQTT message.
func BenchmarkDrain(b *testing.B) { benchDrain(b, 1) }

// BenchmarkDrainBatch10: ten records per message (a JSON array).
func BenchmarkDrainBatch10(b *testing.B) { benchDrain(b, 10) }
