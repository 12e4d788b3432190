package tflite_test

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkBenchDir runs the speed-only models of $AXLE_BENCH_DIR (no
// goldens: image classification and visual wake words of MLPerf Tiny) on
// zero inputs, one and two threads, the same harness as
// BenchmarkMLPerfTiny.
func BenchmarkBenchDir(b *testing.B) {
	dir := os.Getenv("AXLE_BENCH_DIR")
	if dir == "" {
		b.Skip("AXLE_BENCH_DIR is not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "mlperf_tiny", "*", "model.tflite"))
	if len(files) == 0 {
		b.Fatalf("no models under %s/mlperf_tiny", dir)
	}
	for _, m := range files {
		data, err := os.ReadFile(m)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(m))
		b.Run(name, func(b *testing.B) { benchModel(b, data, nil, 1) })
		b.Run(name+"/threads2", func(b *testing.B) { benchModel(b, data, nil, 2) })
	}
}
