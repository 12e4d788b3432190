package tflite_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// allocSlack is what Load may allocate beyond the memory limit: error
// strings, the kernel table and other per-load constants that do not grow
// with the model.
const allocSlack = 256 << 10

// loadAllocated loads data under limit and returns Load's error and the
// bytes the Go heap handed out meanwhile (garbage included).
func loadAllocated(data []byte, limit int64) (error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	it, err := tflite.Load(data, models.Options{MaxBytes: limit, Threads: 1})
	runtime.ReadMemStats(&after)
	if it != nil {
		it.Close()
	}
	return err, after.TotalAlloc - before.TotalAlloc
}

const huge = 1 << 22 // a declared dimension: 4 Mi elements, 16 MiB of float32

var q8 = &models.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{0}}

// hostileModels are tiny files whose single operator declares huge shapes,
// one per kernel family, each built so that the kernel's Prepare gets past
// its validation to the point where it sizes its tables and scratch.
func hostileModels() []struct {
	name, op string
	build    func(b *build.Builder)
} {
	return []struct {
		name, op string
		build    func(b *build.Builder)
	}{
		{"batch_matmul broadcast index", "BATCH_MATMUL", func(b *build.Builder) {
			l := b.Input("l", models.Float32, []int{huge, 1, 1}, nil)
			r := b.Const("r", models.Float32, []int{1, 1, 1}, []float32{1}, nil)
			out := b.Tensor("out", models.Float32, []int{huge, 1, 1}, nil)
			b.Op(ops.OpBatchMatmul, 1, []int{l, r}, []int{out}, build.Options{Type: build.OptBatchMatMul})
			b.Output(out)
		}},
	}
}

func TestLoadHostileShapesStayWithinLimit(t *testing.T) {
	const limit = 1 << 20
	for _, m := range hostileModels() {
		t.Run(m.name, func(t *testing.T) {
			b := build.New()
			m.build(b)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			err, allocated := loadAllocated(data, limit)
			if err == nil {
				t.Fatalf("%d-byte model loaded under a %d-byte limit", len(data), limit)
			}
			if errors.Is(err, tflite.ErrInternal) {
				t.Fatal(err)
			}
			if allocated > limit+allocSlack {
				t.Errorf("Load allocated %d bytes for a %d-byte model under a %d-byte limit (error: %v)", allocated, len(data), limit, err)
			}
			for _, want := range []string{m.op, "limit"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}
