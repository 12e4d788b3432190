package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refConcat joins xs (with shapes) along axis.
func refConcat(xs [][]float64, shapes [][]int, axis int) ([]float64, []int) {
	out := append([]int(nil), shapes[0]...)
	out[axis] = 0
	for _, s := range shapes {
		out[axis] += s[axis]
	}
	y := make([]float64, numel(out))
	for k := range y {
		ix := unravel(k, out)
		a := ix[axis]
		for i, s := range shapes {
			if a < s[axis] {
				src := append([]int(nil), ix...)
				src[axis] = a
				y[k] = xs[i][ravel(src, s)]
				break
			}
			a -= s[axis]
		}
	}
	return y, out
}

type joinCase struct {
	axis   int
	shapes [][]int
}

func buildJoin(dt models.DType, op ops.Op, o build.Options, shapes [][]int, outShape []int, q []*models.Quant, outQ *models.Quant) *build.Builder {
	b := build.New()
	var ins []int
	for i, s := range shapes {
		var qi *models.Quant
		if q != nil {
			qi = q[i]
		}
		ins = append(ins, b.Input("x", dt, s, qi))
	}
	y := b.Tensor("y", dt, outShape, outQ)
	b.Op(op, 1, ins, []int{y}, o)
	b.Output(y)
	return b
}

func TestConcatenation(t *testing.T) {
	cases := []joinCase{
		{0, [][]int{{3}}},
		{0, [][]int{{2}, {3}, {1}}},
		{1, [][]int{{2, 3}, {2, 1}, {2, 4}}},
		{-1, [][]int{{2, 2, 3}, {2, 2, 1}}},
		{1, [][]int{{2, 2, 3}, {2, 0, 3}, {2, 5, 3}}},
		{0, [][]int{{1, 2, 3, 2}, {2, 2, 3, 2}}},
		{3, [][]int{{1, 2, 3, 2}, {1, 2, 3, 1}, {1, 2, 3, 3}, {1, 2, 3, 1}}},
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			var xs [][]float64
			var raw [][]byte
			off := 0
			for _, s := range tc.shapes {
				v := seq(dt, off+numel(s))[off:]
				off += numel(s)
				xs = append(xs, v)
				raw = append(raw, encode(dt, v))
			}
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shapes[0])
			}
			want, outShape := refConcat(xs, tc.shapes, axis)
			b := buildJoin(dt, ops.OpConcatenation, opts(build.OptConcatenation, int32(tc.axis)), tc.shapes, outShape, nil, nil)
			expectOutput(t, run(t, b, raw...), 0, outShape, want)
		}
	}
}

func TestConcatenationScalars(t *testing.T) {
	b := build.New()
	a := b.Input("a", models.Int32, []int{}, nil)
	c := b.Const("c", models.Int32, []int{}, []int32{-7}, nil)
	y := b.Tensor("y", models.Int32, []int{2}, nil)
	b.Op(ops.OpConcatenation, 1, []int{a, c}, []int{y}, opts(build.OptConcatenation, int32(0)))
	b.Output(y)
	expectOutput(t, run(t, b, encode(models.Int32, []float64{5})), 0, []int{2}, []float64{5, -7})
}

func TestConcatenationActivation(t *testing.T) {
	x0 := []float64{-8, -1, -0.5, 0, 0.5, 2, 7, 100}
	x1 := []float64{3, -3, 6.5, 5.5}
	for _, tc := range []struct {
		act    ops.Activation
		lo, hi float64
	}{{ops.ActRelu, 0, math.Inf(1)}, {ops.ActRelu6, 0, 6}, {ops.ActReluN1To1, -1, 1}} {
		b := buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(1), int8(tc.act)), [][]int{{2, 4}, {2, 2}}, []int{2, 6}, nil, nil)
		want, shape := refConcat([][]float64{x0, x1}, [][]int{{2, 4}, {2, 2}}, 1)
		for i := range want {
			want[i] = math.Min(math.Max(want[i], tc.lo), tc.hi)
		}
		expectOutput(t, run(t, b, encode(models.Float32, x0), encode(models.Float32, x1)), 0, shape, want)
	}
	b := buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(0), int8(ops.ActTanh)), [][]int{{2}, {2}}, []int{4}, nil, nil)
	expectErr(t, loadErr(t, b), "CONCATENATION", "activation")
}

// TestConcatenationRequantize joins quantized inputs with scales and zero
// points other than the output's, as TFLite's uint8 kernel rescales them.
func TestConcatenationRequantize(t *testing.T) {
	type qp struct {
		scale float32
		zp    int64
	}
	for _, dt := range []models.DType{models.UInt8, models.Int8, models.Int16} {
		lo, hi := ops.TypeRange(dt)
		params := []qp{{0.5, 10}, {0.05, -3}, {0.25, 0}}
		out := qp{0.1, 5}
		if dt == models.UInt8 {
			params = []qp{{0.5, 10}, {0.05, 200}, {0.25, 0}}
			out = qp{0.1, 128}
		}
		if dt == models.Int16 {
			params = []qp{{0.5, 0}, {0.05, 0}, {0.25, 0}}
			out = qp{0.1, 0}
		}
		shapes := [][]int{{2, 3}, {2, 5}, {2, 2}}
		var xs [][]float64
		var raw [][]byte
		var qs []*models.Quant
		for i, s := range shapes {
			v := seq(dt, numel(s)+i*7)[i*7:]
			xs = append(xs, v)
			raw = append(raw, encode(dt, v))
			qs = append(qs, &models.Quant{Scale: []float32{params[i].scale}, ZeroPoint: []int64{params[i].zp}})
		}
		// Reference: dequantize, requantize (round half away from zero), saturate.
		deq := make([][]float64, len(xs))
		for i, v := range xs {
			deq[i] = make([]float64, len(v))
			for k, q := range v {
				deq[i][k] = float64(params[i].scale) * (q - float64(params[i].zp))
			}
		}
		want, shape := refConcat(deq, shapes, 1)
		for k, r := range want {
			q := math.Round(r/float64(out.scale)) + float64(out.zp)
			want[k] = math.Min(math.Max(q, float64(lo)), float64(hi))
		}
		b := buildJoin(dt, ops.OpConcatenation, opts(build.OptConcatenation, int32(1)), shapes, shape, qs, &models.Quant{Scale: []float32{out.scale}, ZeroPoint: []int64{out.zp}})
		_, got := output(run(t, b, raw...), 0)
		saturated := 0
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1 {
				t.Fatalf("%s: output[%d] = %v, want %v ±1", dt, k, got[k], want[k])
			}
			if want[k] == float64(lo) || want[k] == float64(hi) {
				saturated++
			}
		}
		if dt != models.Int16 && saturated == 0 {
			t.Fatalf("%s: the case should exercise saturation", dt)
		}
	}
}

func TestConcatenationErrors(t *testing.T) {
	b := buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(1)), [][]int{{2, 3}, {3, 3}}, []int{2, 6}, nil, nil)
	expectErr(t, loadErr(t, b), "CONCATENATION", "incompatible")
	b = buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(2)), [][]int{{2, 3}, {2, 3}}, []int{2, 6}, nil, nil)
	expectErr(t, loadErr(t, b), "CONCATENATION", "out of range")
	b = buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(0)), [][]int{{2, 3}, {2}}, []int{2, 6}, nil, nil)
	expectErr(t, loadErr(t, b), "CONCATENATION", "rank")
	b = build.New()
	x0 := b.Input("a", models.Float32, []int{2}, nil)
	x1 := b.Input("b", models.Int32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{4}, nil)
	b.Op(ops.OpConcatenation, 1, []int{x0, x1}, []int{y}, opts(build.OptConcatenation, int32(0)))
	b.Output(y)
	expectErr(t, loadErr(t, b), "CONCATENATION", "int32")
}

func TestPack(t *testing.T) {
	for _, dt := range moveTypes {
		for _, tc := range []struct {
			shape []int
			n     int
			axis  int
		}{
			{[]int{3}, 2, 0}, {[]int{3}, 4, 1}, {[]int{2, 3}, 3, 1}, {[]int{2, 3}, 2, -1}, {[]int{}, 3, 0}, {[]int{2, 1, 2}, 2, 2},
		} {
			var raw [][]byte
			var xs [][]float64
			shapes := make([][]int, tc.n)
			for i := range shapes {
				shapes[i] = tc.shape
				v := seq(dt, (i+1)*numel(tc.shape))[i*numel(tc.shape):]
				xs = append(xs, v)
				raw = append(raw, encode(dt, v))
			}
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shape) + 1
			}
			out := append(append(append([]int(nil), tc.shape[:axis]...), tc.n), tc.shape[axis:]...)
			want := make([]float64, numel(out))
			for k := range want {
				ix := unravel(k, out)
				src := append(append([]int(nil), ix[:axis]...), ix[axis+1:]...)
				want[k] = xs[ix[axis]][ravel(src, tc.shape)]
			}
			b := buildJoin(dt, ops.OpPack, opts(build.OptPack, int32(tc.n), int32(tc.axis)), shapes, out, nil, nil)
			expectOutput(t, run(t, b, raw...), 0, out, want)
		}
	}
	b := buildJoin(models.Float32, ops.OpPack, opts(build.OptPack, int32(3), int32(0)), [][]int{{2}, {2}}, []int{2, 2}, nil, nil)
	expectErr(t, loadErr(t, b), "PACK", "values_count=3")
	b = buildJoin(models.Float32, ops.OpPack, opts(build.OptPack, int32(2), int32(0)), [][]int{{2}, {3}}, []int{2, 2}, nil, nil)
	expectErr(t, loadErr(t, b), "PACK", "shape")
}

func TestUnpack(t *testing.T) {
	for _, dt := range moveTypes {
		for _, tc := range []struct {
			shape []int
			axis  int
		}{{[]int{3}, 0}, {[]int{2, 3}, 0}, {[]int{2, 3}, 1}, {[]int{2, 3, 2}, -2}, {[]int{4, 1, 2}, 2}} {
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shape)
			}
			num := tc.shape[axis]
			outShape := append(append([]int(nil), tc.shape[:axis]...), tc.shape[axis+1:]...)
			b := build.New()
			x := b.Input("x", dt, tc.shape, nil)
			var outs []int
			for i := 0; i < num; i++ {
				outs = append(outs, b.Tensor("y", dt, outShape, nil))
			}
			b.Op(ops.OpUnpack, 1, []int{x}, outs, opts(build.OptUnpack, int32(num), int32(tc.axis)))
			b.Output(outs...)
			xv := seq(dt, numel(tc.shape))
			it := run(t, b, encode(dt, xv))
			for i := 0; i < num; i++ {
				want := make([]float64, numel(outShape))
				for k := range want {
					ix := unravel(k, outShape)
					src := append(append(append([]int(nil), ix[:axis]...), i), ix[axis:]...)
					want[k] = xv[ravel(src, tc.shape)]
				}
				expectOutput(t, it, i, outShape, want)
			}
		}
	}
	b := build.New()
	x := b.Input("x", models.Float32, []int{2, 3}, nil)
	y0, y1 := b.Tensor("a", models.Float32, []int{3}, nil), b.Tensor("b", models.Float32, []int{3}, nil)
	b.Op(ops.OpUnpack, 1, []int{x}, []int{y0, y1}, opts(build.OptUnpack, int32(2), int32(1)))
	b.Output(y0, y1)
	expectErr(t, loadErr(t, b), "UNPACK", "3 slices on axis 1")
}
