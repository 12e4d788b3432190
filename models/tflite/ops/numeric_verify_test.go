package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

func numericVerifyModel(t *testing.T, dt models.DType, q *models.Quant, n int, opts flexbuf.Entries) []byte {
	t.Helper()
	raw, err := flexbuf.Encode(opts)
	if err != nil {
		t.Fatal(err)
	}
	b := build.New()
	in := b.Input("quantized", dt, []int{1, n}, q)
	ref := b.Input("reference", models.Float32, []int{1, n}, nil)
	out := b.Tensor("diff", models.Float32, []int{}, nil)
	b.CustomOp("NumericVerify", 1, []int{in, ref}, []int{out}, raw)
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNumericVerifyDifferences(t *testing.T) {
	// int8 with scale 0.5 and zero point -1: q = 3 is 2.0, q = -1 is 0,
	// q = -5 is -2.0.
	q := &models.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-1}}
	it, err := tflite.Load(numericVerifyModel(t, models.Int8, q, 3,
		flexbuf.Entries{"tolerance": 5.0, "log_if_failed": true}), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	copy(it.Input(0), bEncode(models.Int8, []float64{3, -1, -5}))
	copy(it.Input(1), bEncode(models.Float32, []float64{1.75, 0.5, -2}))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := bDecode(models.Float32, it.Output(0))
	want := []float64{0.25, -0.5, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("difference %d = %g, want %g", i, got[i], want[i])
		}
	}
	if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
		t.Errorf("%v allocations per Invoke, want 0", a)
	}
	// Beyond tolerance 5 steps (2.5): the node fails naming the element.
	copy(it.Input(1), bEncode(models.Float32, []float64{1.75, 3.5, -2}))
	if err := it.Invoke(context.Background()); err == nil || !strings.Contains(err.Error(), "element 1") ||
		!strings.Contains(err.Error(), "NumericVerify") {
		t.Errorf("error %v, want one naming NumericVerify and element 1", err)
	}
}

func TestNumericVerifyWithoutFailFastOnlyReports(t *testing.T) {
	q := &models.Quant{Scale: []float32{0.25}, ZeroPoint: []int64{128}}
	it, err := tflite.Load(numericVerifyModel(t, models.UInt8, q, 2,
		flexbuf.Entries{"tolerance": 0.01, "log_if_failed": true}), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	copy(it.Input(0), bEncode(models.UInt8, []float64{132, 0}))
	copy(it.Input(1), bEncode(models.Float32, []float64{0, 0}))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatalf("tolerance below 0.1 must not fail: %v", err)
	}
	got := bDecode(models.Float32, it.Output(0))
	if got[0] != 1 || got[1] != -32 {
		t.Errorf("differences %v, want [1 -32]", got)
	}
}

func TestNumericVerifyErrors(t *testing.T) {
	q := &models.Quant{Scale: []float32{0.5}}
	for _, tc := range []struct {
		dt   models.DType
		q    *models.Quant
		want string
	}{
		{models.Int32, q, "input \"quantized\" type int32 is not supported"},
		{models.Int8, nil, "needs per-tensor quantization"},
		{models.Int8, &models.Quant{Scale: []float32{0}}, "invalid scale"},
	} {
		_, err := tflite.Load(numericVerifyModel(t, tc.dt, tc.q, 2, flexbuf.Entries{"tolerance": 1.0}), models.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "NumericVerify") {
			t.Errorf("%s: error %v, want one naming NumericVerify and %q", tc.dt, err, tc.want)
		}
	}
}
