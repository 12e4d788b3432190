package delivery_test

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// vmRSS is the resident set of this process in bytes.
func vmRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("parse VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// rssBound is what the whole test process (broker client, backend
// collector, outbox map and engine) may grow by while draining the backlog.
const rssBound = 64 << 20

// TestTenMinuteOutage: 10 minutes of data at 100 records/s (60,000 scores,
// their times spread over the outage by an injected clock, plus an alert a
// minute) pile up while the network is cut. When it returns, live scores
// keep flowing within seconds while the backlog drains at DrainRate, and
// memory stays bounded.
func TestTenMinuteOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("long outage: skipped with -short")
	}
	const (
		outage   = 10 * time.Minute
		perSec   = 100
		total    = int(outage/time.Second) * perSec
		chunk    = 3000
		drain    = 8000.0
		liveFrst = 64
	)
	r := newRig(t, rigOptions{inFlight: 200, engine: delivery.Options{DrainRate: drain, LiveFirst: liveFrst}})
	r.waitConnected()
	r.proxy.Cut()
	uplinktest.WaitFor(t, wait, "disconnect", func() bool { return !r.up.Connected() })

	began := time.Now().Add(-outage)
	var outageSeqs []uint64
	for i := 0; i < total; i += chunk {
		at := func(j int) time.Time { return began.Add(time.Duration(i+j) * time.Second / perSec) }
		outageSeqs = append(outageSeqs, r.appendRecs(buffer.ClassScore, chunk, at)...)
		outageSeqs = append(outageSeqs, r.appendRecs(buffer.ClassEvent, 1, at)...)
	}
	if got := r.out.Stats().Records; got != int64(len(outageSeqs)) {
		t.Fatalf("outbox holds %d records, want %d", got, len(outageSeqs))
	}
	runtime.GC()
	base := vmRSS(t)

	stopLive := r.produce(10 * time.Millisecond)
	restored := time.Now()
	r.proxy.Restore()
	var peak int64
	sawProgress := false
	uplinktest.WaitFor(t, 2*wait, "the outage backlog at the backend", func() bool {
		peak = max(peak, vmRSS(t))
		if p := r.eng.Progress(); p.Draining && p.Backlog > 0 && p.Rate > 0 && p.ETA > 0 {
			sawProgress = true
		}
		return r.col.count() >= len(outageSeqs) && r.col.has(outageSeqs)
	})
	drained := time.Now()
	stopLive()
	r.waitDelivered()
	t.Logf("drained %d records in %v; RSS %d MiB before, peak %d MiB", len(outageSeqs), drained.Sub(restored).Round(time.Millisecond), base>>20, peak>>20)

	if !sawProgress {
		t.Error("Progress never showed a draining backlog with a rate and an ETA")
	}
	if peak-base > rssBound {
		t.Errorf("RSS grew by %d MiB while draining, bound %d MiB", (peak-base)>>20, rssBound>>20)
	}

	inOutage := map[uint64]bool{}
	for _, s := range outageSeqs {
		inOutage[s] = true
	}
	arr := r.col.arrivals(buffer.ClassScore)
	// Live-first: the newest pending scores led, not historical.
	first := 0
	for first < len(arr) && !arr[first].hist {
		first++
	}
	if first < liveFrst {
		t.Errorf("only %d live-first scores before the first historical one, want %d", first, liveFrst)
	}
	var liveDuringDrain, maxLag time.Duration
	nLive := 0
	for _, a := range arr[first:] {
		if inOutage[a.seq] {
			if !a.hist {
				t.Fatalf("outage score %d replayed without historical", a.seq)
			}
			continue
		}
		added, ok := r.appendedAt(a.seq)
		if !ok || a.hist {
			t.Fatalf("live score %d: known=%v historical=%v", a.seq, ok, a.hist)
		}
		if a.at.Before(drained) {
			nLive++
			liveDuringDrain = a.at.Sub(restored)
			maxLag = max(maxLag, a.at.Sub(added))
		}
	}
	t.Logf("%d live scores arrived during the drain (the last %v after restore), worst lag %v", nLive, liveDuringDrain.Round(time.Millisecond), maxLag.Round(time.Millisecond))
	if nLive < 100 {
		t.Errorf("only %d live scores arrived while the backlog drained", nLive)
	}
	if maxLag > 5*time.Second {
		t.Errorf("a live score waited %v behind the backlog", maxLag)
	}
}
