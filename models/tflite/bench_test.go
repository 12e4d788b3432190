package tflite_test

import (
	"context"
	"os"
	"path/filepath"
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
	b.ResetTimer()
	for b.Loop() {
		if err := it.Invoke(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDemoModel(b *testing.B) {
	benchModel(b, demomodel.TFLite(), nil, 1)
}

func BenchmarkMLPerfTiny(b *testing.B) {
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		b.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	cases, _ := filepath.Glob(filepath.Join(dir, "mlperf_tiny", "*", "model.tflite"))
	for _, m := range cases {
		caseDir := filepath.Dir(m)
		data, err := os.ReadFile(m)
		if err != nil {
			b.Fatal(err)
		}
		var inputs [][]byte
		for i := 0; ; i++ {
			in, err := os.ReadFile(filepath.Join(caseDir, "in"+string(rune('0'+i))+".bin"))
			if err != nil {
				break
			}
			inputs = append(inputs, in)
		}
		for _, threads := range []int{1, 2} {
			name := filepath.Base(caseDir)
			if threads > 1 {
				name += "/threads2"
			}
			b.Run(name, func(b *testing.B) { benchModel(b, data, inputs, threads) })
		}
	}
}
