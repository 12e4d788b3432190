package ops_test

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestComplexParts128 feeds complex128 values to REAL, IMAG and COMPLEX_ABS
// and expects float64 outputs, as TFLite's complex support gives.
func TestComplexParts128(t *testing.T) {
	b := build.New()
	z := b.Input("z", models.Complex128, []int{2, 2}, nil)
	var outs []int
	for _, op := range []ops.Op{ops.OpReal, ops.OpImag, ops.OpComplexAbs} {
		o := b.Tensor(op.String(), models.Float64, []int{2, 2}, nil)
		b.Op(op, 1, []int{z}, []int{o}, build.Options{})
		outs = append(outs, o)
	}
	b.Output(outs...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if info := it.Inputs()[0]; info.DType != models.Complex128 || info.Bytes != 4*16 {
		t.Fatalf("input %s of %d bytes, want complex128 of 64", info.DType, info.Bytes)
	}
	// 3+4i has modulus 5; 1e200 parts check the float64 path (float32 would
	// overflow to +Inf).
	in := []complex128{3 + 4i, -1.5, 2i, 1e200 - 1e200i}
	buf := it.Input(0)
	for i, v := range in {
		binary.LittleEndian.PutUint64(buf[16*i:], math.Float64bits(real(v)))
		binary.LittleEndian.PutUint64(buf[16*i+8:], math.Float64bits(imag(v)))
	}
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := [][]float64{
		{3, -1.5, 0, 1e200},
		{4, 0, 2, -1e200},
		{5, 1.5, 2, math.Sqrt2 * 1e200},
	}
	for j, w := range want {
		info := it.Outputs()[j]
		if info.DType != models.Float64 || !slices.Equal(info.Shape, []int{2, 2}) {
			t.Fatalf("output %d: %s %v, want float64 [2 2]", j, info.DType, info.Shape)
		}
		out := it.Output(j)
		for i := range w {
			got := math.Float64frombits(binary.LittleEndian.Uint64(out[8*i:]))
			if math.Abs(got-w[i]) > 1e-12*math.Abs(w[i]) {
				t.Errorf("output %d [%d] = %g, want %g", j, i, got, w[i])
			}
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Invoke allocates %v times, want 0", allocs)
	}
}

func TestComplexParts128Errors(t *testing.T) {
	err := ewtErr(t, ops.OpReal, 1, build.Options{}, []ewtT{{dt: models.Float64, shape: []int{2}, vals: []float64{1, 2}}}, ewtT{dt: models.Float64, shape: []int{2}})
	ewtWantErr(t, err, ops.OpReal, "input type float64", "want complex64 or complex128")
}
