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

// rfftModel is x -> RFFT2D(fft_length) -> every complex output and its
// COMPLEX_ABS, REAL and IMAG.
func rfftModel(t *testing.T, inShape []int, fftLen []int32, outShape []int) *tflite.Interpreter {
	t.Helper()
	b := build.New()
	x := b.Input("x", models.Float32, inShape, nil)
	fl := b.Const("fft_length", models.Int32, []int{2}, fftLen, nil)
	z := b.Tensor("z", models.Complex64, outShape, nil)
	b.Op(ops.OpRfft2d, 1, []int{x, fl}, []int{z}, build.Options{})
	outs := []int{z}
	for _, op := range []ops.Op{ops.OpComplexAbs, ops.OpReal, ops.OpImag} {
		o := b.Tensor(op.String(), models.Float32, outShape, nil)
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
	t.Cleanup(func() { it.Close() })
	return it
}

func cplxF32s(b []byte) []float64 {
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

func TestRfft2d(t *testing.T) {
	for _, c := range []struct {
		name     string
		inShape  []int
		in       []float64
		fftLen   []int32
		outShape []int
		want     []complex128
	}{
		// Rows [1,2,3,4] and [5,6,7,8]: row spectra (10, -2+2i, -2) and
		// (26, -2+2i, -2); the column transform sums and subtracts them.
		{"2x4", []int{2, 4}, []float64{1, 2, 3, 4, 5, 6, 7, 8}, []int32{2, 4}, []int{2, 3},
			[]complex128{36, -4 + 4i, -4, -16, 0, 0}},
		// [1,2,3] zero-padded to 4: (6, -2-2i, 2).
		{"padded", []int{1, 3}, []float64{1, 2, 3}, []int32{1, 4}, []int{1, 3},
			[]complex128{6, -2 - 2i, 2}},
		// [1,2,3,4,5] cropped to 2 in a batch of one: (3, -1).
		{"cropped batch", []int{1, 1, 5}, []float64{1, 2, 3, 4, 5}, []int32{1, 2}, []int{1, 1, 2},
			[]complex128{3, -1}},
	} {
		it := rfftModel(t, c.inShape, c.fftLen, c.outShape)
		copy(it.Input(0), encode(models.Float32, c.in))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if info := it.Outputs()[0]; info.DType != models.Complex64 || !slices.Equal(info.Shape, c.outShape) {
			t.Fatalf("%s: output %s %v, want complex64 %v", c.name, info.DType, info.Shape, c.outShape)
		}
		k := len(c.want)
		z := cplxF32s(it.Output(0)[:8*k])
		var re, im, abs []float64
		for _, w := range c.want {
			re, im, abs = append(re, real(w)), append(im, imag(w)), append(abs, math.Hypot(real(w), imag(w)))
		}
		got := make([]float64, 0, 2*k)
		want := make([]float64, 0, 2*k)
		for i := range k {
			got = append(got, z[2*i], z[2*i+1])
			want = append(want, re[i], im[i])
		}
		ewtCompare(t, c.name+" RFFT2D", c.outShape, got, want, 1e-5)
		ewtCompare(t, c.name+" COMPLEX_ABS", c.outShape, cplxF32s(it.Output(1)[:4*k]), abs, 1e-5)
		ewtCompare(t, c.name+" REAL", c.outShape, cplxF32s(it.Output(2)[:4*k]), re, 1e-5)
		ewtCompare(t, c.name+" IMAG", c.outShape, cplxF32s(it.Output(3)[:4*k]), im, 1e-5)
	}
}

func TestRfft2dErrors(t *testing.T) {
	f := ewtT{dt: models.Float32, shape: []int{2, 4}, vals: make([]float64, 8)}
	fl := func(konst bool, v ...float64) ewtT {
		return ewtT{dt: models.Int32, shape: []int{len(v)}, vals: v, konst: konst}
	}
	out := ewtT{dt: models.Complex64, shape: []int{2, 3}}
	err := ewtErr(t, ops.OpRfft2d, 1, build.Options{}, []ewtT{f, fl(true, 2, 3)}, out)
	ewtWantErr(t, err, ops.OpRfft2d, "fft_length[1] is 3, must be a power of two")
	err = ewtErr(t, ops.OpRfft2d, 1, build.Options{}, []ewtT{f, fl(false, 2, 4)}, out)
	ewtWantErr(t, err, ops.OpRfft2d, "fft_length must be a constant")
	err = ewtErr(t, ops.OpRfft2d, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{4}, vals: make([]float64, 4)}, fl(true, 2, 4)}, out)
	ewtWantErr(t, err, ops.OpRfft2d, "want 2 to 8 dimensions")
	err = ewtErr(t, ops.OpComplexAbs, 1, build.Options{}, []ewtT{f}, ewtT{dt: models.Float32, shape: []int{2, 4}})
	ewtWantErr(t, err, ops.OpComplexAbs, "want complex64")
}
