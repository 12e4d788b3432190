package tflite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Hostile files may load; they may fail to load or to invoke; they must
// never panic (a recovered kernel panic surfaces as ErrInternal, which these
// tests treat as a crash), never hang (Invoke runs under a deadline, so a
// WHILE loop that never ends is cut off between operators) and never
// allocate past a small memory limit.

const fuzzMaxBytes = 64 << 20

// tryModel loads data and invokes it on zero inputs.
func tryModel(t testing.TB, data []byte, timeout time.Duration) {
	it, err := tflite.Load(data, models.Options{MaxBytes: fuzzMaxBytes})
	if errors.Is(err, tflite.ErrInternal) {
		t.Fatalf("load: %v", err)
	}
	if err != nil {
		return
	}
	defer it.Close()
	if timeout == 0 {
		return // load and prepare only
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := it.Invoke(ctx); errors.Is(err, tflite.ErrInternal) {
		t.Fatalf("invoke: %v", err)
	}
	// A second Invoke and a Reset exercise state kept between runs.
	if err := it.Reset(); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if err := it.Invoke(ctx); errors.Is(err, tflite.ErrInternal) {
		t.Fatalf("second invoke: %v", err)
	}
}

// seedModels are small generated models over real builtin kernels.
func seedModels(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}

	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 4}, nil)
	w := b.Const("w", models.Float32, []int{3, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, nil)
	bias := b.Const("b", models.Float32, []int{3}, []float32{0.5, -1, 2}, nil)
	h := b.Tensor("h", models.Float32, []int{1, 3}, nil)
	b.Op(ops.OpFullyConnected, 1, []int{x, w, bias}, []int{h}, build.Options{Type: build.OptFullyConnected, Fields: []build.Field{{Slot: 0, Value: int8(ops.ActRelu)}}})
	y := b.Tensor("y", models.Float32, []int{1, 3}, nil)
	b.Op(ops.OpAdd, 1, []int{h, h}, []int{y}, build.Options{Type: build.OptAdd})
	r := b.Tensor("r", models.Float32, []int{3}, nil)
	shape := b.Const("shape", models.Int32, []int{1}, []int32{3}, nil)
	b.Op(ops.OpReshape, 1, []int{y, shape}, []int{r}, build.Options{Type: build.OptReshape, Fields: []build.Field{{Slot: 0, Value: []int32{3}}}})
	b.Output(r)
	add(b)

	q := &models.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{-3}}
	b = build.New()
	x = b.Input("x", models.Int8, []int{2, 2, 3, 1}, q)
	f := b.Const("f", models.Int8, []int{2, 1, 1, 1}, []int8{5, -128}, &models.Quant{Scale: []float32{0.1, 0.2}, ZeroPoint: []int64{0, 0}})
	cb := b.Const("cb", models.Int32, []int{2}, []int32{10, -10}, nil)
	c := b.Tensor("c", models.Int8, []int{2, 2, 3, 2}, q)
	b.Op(ops.OpConv2d, 3, []int{x, f, cb}, []int{c}, build.Options{Type: build.OptConv2D, Fields: []build.Field{
		{Slot: 0, Value: int8(1)}, {Slot: 1, Value: int32(1)}, {Slot: 2, Value: int32(1)}}})
	p := b.Tensor("p", models.Int8, []int{2, 1, 1, 2}, q)
	b.Op(ops.OpMaxPool2d, 2, []int{c}, []int{p}, build.Options{Type: build.OptPool2D, Fields: []build.Field{
		{Slot: 0, Value: int8(1)}, {Slot: 1, Value: int32(2)}, {Slot: 2, Value: int32(2)}, {Slot: 3, Value: int32(2)}, {Slot: 4, Value: int32(2)}}})
	b.Output(p)
	add(b)

	// WHILE i < 10: i = i + 1
	b = build.New()
	i0 := b.Input("i", models.Int32, []int{}, nil)
	io := b.Tensor("i_out", models.Int32, []int{}, nil)
	b.Op(ops.OpWhile, 1, []int{i0}, []int{io}, build.Options{Type: build.OptWhile, Fields: []build.Field{{Slot: 0, Value: int32(1)}, {Slot: 1, Value: int32(2)}}})
	b.Output(io)
	cond := b.NewSubgraph("cond")
	ci := cond.Input("i", models.Int32, []int{}, nil)
	ten := cond.Const("ten", models.Int32, []int{}, []int32{10}, nil)
	cl := cond.Tensor("less", models.Bool, []int{}, nil)
	cond.Op(ops.OpLess, 1, []int{ci, ten}, []int{cl}, build.Options{})
	cond.Output(cl)
	body := b.NewSubgraph("body")
	bi := body.Input("i", models.Int32, []int{}, nil)
	one := body.Const("one", models.Int32, []int{}, []int32{1}, nil)
	bo := body.Tensor("next", models.Int32, []int{}, nil)
	body.Op(ops.OpAdd, 1, []int{bi, one}, []int{bo}, build.Options{Type: build.OptAdd})
	body.Output(bo)
	add(b)

	b = chain(8)
	b.SetExternalBuffers(true)
	add(b)

	// SSD post-processing: FlexBuffers options and uint8 inputs, so the
	// fuzzer mutates a custom op's options too (the COCO model is too large
	// to seed).
	det, err := flexbuf.Encode(flexbuf.Entries{
		"max_detections": 3, "max_classes_per_detection": 1, "num_classes": 2,
		"nms_score_threshold": 0.1, "nms_iou_threshold": 0.5, "use_regular_nms": false,
		"y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
	})
	if err != nil {
		t.Fatal(err)
	}
	uq := &models.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{128}}
	b = build.New()
	boxes := b.Input("boxes", models.UInt8, []int{1, 4, 4}, uq)
	scores := b.Input("scores", models.UInt8, []int{1, 4, 3}, &models.Quant{Scale: []float32{1.0 / 256}, ZeroPoint: []int64{0}})
	anchors := b.Const("anchors", models.Float32, []int{4, 4}, []float32{
		0.25, 0.25, 0.5, 0.5, 0.25, 0.75, 0.5, 0.5, 0.75, 0.25, 0.5, 0.5, 0.75, 0.75, 0.5, 0.5}, nil)
	var outs []int
	for _, name := range []string{"det_boxes", "det_classes", "det_scores", "num_det"} {
		outs = append(outs, b.Tensor(name, models.Float32, []int{}, nil))
	}
	b.CustomOp("TFLite_Detection_PostProcess", 1, []int{boxes, scores, anchors}, outs, det)
	b.Output(outs...)
	add(b)
	out = append(out, recurrentSeeds(t)...)
	out = append(out, spaceBatchNDSeeds(t)...)
	out = append(out, sparseSeeds(t)...)
	out = append(out, stablehloSeeds(t)...)
	out = append(out, bidiLSTMSeed(t))
	out = append(out, newOpsSeeds(t)...)
	out = append(out, narrowTypeSeeds(t)...)
	out = append(out, blockwiseSeeds(t)...)
	return append(out, rngBitGeneratorSeeds(t)...)
}

// conformanceModels returns the distinct model files of the corpus (up to
// maxSize bytes each) when AXLE_CONFORMANCE_DIR is set.
func conformanceModels(t testing.TB, maxSize int) map[string][]byte {
	out := map[string][]byte{}
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		return out
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Model string `json:"model"`
			SHA   string `json:"model_sha256"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, ok := out[c.SHA]; ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(f), c.Model))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) <= maxSize {
			out[c.SHA] = data
		}
	}
	return out
}

func FuzzLoad(f *testing.F) {
	for _, m := range seedModels(f) {
		f.Add(m)
	}
	for _, m := range conformanceModels(f, 1<<20) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Load alone, measured: whatever the bytes, it allocates no more
		// than the limit (fuzz inputs run one at a time per process, so
		// the heap counter is this Load's).
		if allocated, err := loadAllocated(data, fuzzMaxBytes); allocated > fuzzMaxBytes+allocSlack {
			t.Fatalf("Load of %d bytes allocated %d bytes under a %d-byte limit (error: %v)", len(data), allocated, fuzzMaxBytes, err)
		}
		tryModel(t, data, time.Second)
	})
}

// TestCorruptModels truncates every model at 64 lengths and flips 64
// random bytes (a fixed seed, so failures reproduce). Models over
// invokeLimit are only loaded and prepared when corrupted: their flips land
// almost always in weights, and running whole CNNs 128 times each would
// cost minutes under the race detector while the small models already
// exercise every kernel on damaged data.
func TestCorruptModels(t *testing.T) {
	const invokeLimit = 400 << 10
	modelsToTry := conformanceModels(t, 8<<20)
	for i, m := range seedModels(t) {
		modelsToTry[string(rune('a'+i))] = m
	}
	names := slices.Sorted(maps.Keys(modelsToTry))
	for i, name := range names {
		data := modelsToTry[name]
		n := len(data)
		if n == 0 {
			continue
		}
		timeout := 5 * time.Second
		if n > invokeLimit {
			timeout = 0
		}
		// Each model is its own parallel subtest with its own seed, so a
		// failure reproduces alone with -run TestCorruptModels/<name>.
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var phase string // what was being tried, for the failure message
			defer func() {
				if t.Failed() {
					t.Logf("model %s (%d bytes): %s", name, n, phase)
				}
			}()
			rng := rand.New(rand.NewSource(int64(i + 1)))
			for k := range 64 {
				cut := k * n / 64
				if k >= 56 {
					cut = n - (64 - k) // the last bytes, where builders put buffer data
				}
				phase = fmt.Sprintf("truncated to %d bytes", cut)
				tryModel(t, data[:max(cut, 0)], timeout)
			}
			buf := make([]byte, n)
			for flip := range 64 {
				copy(buf, data)
				for range 1 + rng.Intn(4) {
					p := rng.Intn(n)
					buf[p] ^= byte(1 + rng.Intn(255))
				}
				phase = fmt.Sprintf("byte flips, round %d", flip)
				tryModel(t, buf, timeout)
			}
		})
	}
}
