package tflite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
)

// Benchmarks of whole-model Invoke: the MLPerf Tiny models of the
// conformance corpus (when AXLE_CONFORMANCE_DIR is set) and the demo model.
// Run: AXLE_CONFORMANCE_DIR=... go test -run NONE -bench . -benchmem ./models/tflite

func benchModel(b *testing.B, data []byte, inputs [][]byte, threads int) {
	it, err := tflite.Load(data, models.Options{Threads: threads})
	if err != nil {
		b.Skipf("load: %v", err)
	}
	defer it.Close()
	for i, in := range inputs {
		if dst := it.Input(i); len(dst) == len(in) {
			copy(dst, in)
		}
	}
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		b.Skipf("invoke: %v", err)
	}
	b.ReportAllocs()
	// One thread runs every op on this goroutine: pinned to its OS thread,
	// that thread's CPU time is the Invoke's (cpu-ns/op).
	if threads == 1 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	c0, cpuOK := threadCPUNanos()
	b.ResetTimer()
	for b.Loop() {
		if err := it.Invoke(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if c1, ok := threadCPUNanos(); ok && cpuOK && threads == 1 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkDemoModel(b *testing.B) {
	benchModel(b, demomodel.TFLite(), nil, 1)
}

// mlperfCase is one MLPerf Tiny model of the conformance corpus with its
// case inputs.
type mlperfCase struct {
	name   string
	model  []byte
	inputs [][]byte
}

func mlperfTinyCases(tb testing.TB) []mlperfCase {
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		tb.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "mlperf_tiny", "*", "model.tflite"))
	if len(files) == 0 {
		tb.Fatalf("no MLPerf Tiny models under %s", dir)
	}
	var out []mlperfCase
	for _, m := range files {
		caseDir := filepath.Dir(m)
		data, err := os.ReadFile(m)
		if err != nil {
			tb.Fatal(err)
		}
		c := mlperfCase{name: filepath.Base(caseDir), model: data}
		for i := 0; ; i++ {
			in, err := os.ReadFile(filepath.Join(caseDir, fmt.Sprintf("in%d.bin", i)))
			if err != nil {
				break
			}
			c.inputs = append(c.inputs, in)
		}
		out = append(out, c)
	}
	return out
}

func BenchmarkMLPerfTiny(b *testing.B) {
	for _, c := range mlperfTinyCases(b) {
		for _, threads := range []int{1, 2} {
			name := c.name
			if threads > 1 {
				name += "/threads2"
			}
			b.Run(name, func(b *testing.B) { benchModel(b, c.model, c.inputs, threads) })
		}
	}
}

// TestMLPerfTinyInvokeDoesNotAllocate holds the interpreter to its budget:
// after the first Invoke, a static model runs without heap allocations.
func TestMLPerfTinyInvokeDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	for _, c := range mlperfTinyCases(t) {
		for _, threads := range []int{1, 2} {
			it, err := tflite.Load(c.model, models.Options{Threads: threads})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			for i, in := range c.inputs {
				copy(it.Input(i), in)
			}
			if err := it.Invoke(ctx); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if a := testing.AllocsPerRun(3, func() { _ = it.Invoke(ctx) }); a != 0 {
				t.Errorf("%s threads=%d: %v allocations per Invoke, want 0", c.name, threads, a)
			}
			it.Close()
		}
	}
}
