package delivery_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// BenchmarkDayOffline (opt-in: AXLE_BENCH_DAY=1) fills the outbox with a
// day offline at 100 records/s, 8,640,000 score records of ~200 bytes with
// their times spread over the day (an event every minute), committed a
// minute at a time with fsync, then drains them to a local Mosquitto, one
// record per QoS 1 message. It reports the fill and drain times, the
// database size at its peak, the process's peak RSS (VmHWM) and the
// memory Go obtained from the OS.
// AXLE_BENCH_DAY_RECORDS overrides the record count.
func BenchmarkDayOffline(b *testing.B) {
	if os.Getenv("AXLE_BENCH_DAY") != "1" {
		b.Skip("a day of records takes minutes: set AXLE_BENCH_DAY=1")
	}
	n := 8_640_000
	if s := os.Getenv("AXLE_BENCH_DAY_RECORDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("AXLE_BENCH_DAY_RECORDS=%q: want a positive count", s)
		}
		n = v
	}
	const perSec, perCommit = 100, 6000
	br := uplinktest.StartBroker(b, uplinktest.BrokerOptions{})
	path := filepath.Join(b.TempDir(), "outbox.db")
	out, err := buffer.Open(path, buffer.Options{MaxBytes: 4 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()

	b.ResetTimer()
	start := time.Now()
	day := start.Add(-time.Duration(n/perSec) * time.Second)
	recs := make([]buffer.Record, 0, perCommit)
	for i := 0; i < n; i += perCommit {
		recs = recs[:0]
		for j := i; j < min(n, i+perCommit); j++ {
			at := day.Add(time.Duration(j) * time.Second / perSec)
			r := buffer.Record{Class: buffer.ClassScore, Topic: "axle/dev1/scores/pump", Time: at,
				Payload: fmt.Appendf(nil, `{"v":1,"ts":"%s","model":"pump","version":"3","score":0.%06d,"alert":"ok","features":[0.12,0.5,1.75,0.031]}`, at.UTC().Format(time.RFC3339Nano), j%1000000)}
			if j%(60*perSec) == 0 {
				r.Class, r.Topic = buffer.ClassEvent, "axle/dev1/events"
			}
			recs = append(recs, r)
		}
		if err := out.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	fill := time.Since(start)
	st := out.Stats()
	disk, stored := st.FileBytes, st.Bytes

	up, err := uplink.New(uplink.Config{Broker: br.URL(), ClientID: "dev1", InFlight: 1000})
	if err != nil {
		b.Fatal(err)
	}
	eng := delivery.New(out, up, delivery.Options{InFlight: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	upDone := make(chan error, 1)
	go func() { upDone <- up.Run(ctx) }()
	defer func() { cancel(); <-upDone }()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := up.WaitConnected(cctx); err != nil {
		b.Fatal(err)
	}
	drainStart := time.Now()
	engDone := make(chan error, 1)
	engCtx, engCancel := context.WithCancel(ctx)
	go func() { engDone <- eng.Run(engCtx) }()
	for out.Stats().Records > 0 {
		time.Sleep(10 * time.Millisecond) // polling interval of the measurement
	}
	drain := time.Since(drainStart)
	b.StopTimer()
	engCancel()
	if err := <-engDone; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(fill.Seconds(), "fill-s")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(n)/drain.Seconds(), "drain-records/s")
	b.ReportMetric(float64(disk)/(1<<20), "disk-MiB")
	b.ReportMetric(float64(stored)/(1<<20), "stored-MiB")
	b.ReportMetric(float64(vmHWM(b))/(1<<20), "peak-RSS-MiB")
	// VmHWM counts the database pages mapped by bbolt (page cache the
	// kernel can reclaim); Go's own memory is the rest.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "go-sys-MiB")
}

// vmHWM is the peak resident set of this process in bytes.
func vmHWM(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatalf("peak RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("parse VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
