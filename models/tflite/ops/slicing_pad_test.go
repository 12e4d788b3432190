package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refPad pads x; mode "const" fills with v, "reflect"/"symmetric" mirror.
func refPad(x []float64, shape []int, pads [][2]int, mode string, v float64) ([]float64, []int) {
	out := make([]int, len(shape))
	for i := range shape {
		out[i] = shape[i] + pads[i][0] + pads[i][1]
	}
	y := make([]float64, numel(out))
	for k := range y {
		ix := unravel(k, out)
		inside := true
		for i := range ix {
			p, n := ix[i]-pads[i][0], shape[i]
			switch {
			case p >= 0 && p < n:
			case mode == "reflect" && p < 0:
				p = -p
			case mode == "reflect":
				p = 2*n - 2 - p
			case mode == "symmetric" && p < 0:
				p = -p - 1
			case mode == "symmetric":
				p = 2*n - 1 - p
			default:
				inside = false
			}
			ix[i] = p
		}
		if inside {
			y[k] = x[ravel(ix, shape)]
		} else {
			y[k] = v
		}
	}
	return y, out
}

func flatPads(pads [][2]int) []int {
	var v []int
	for _, p := range pads {
		v = append(v, p[0], p[1])
	}
	return v
}

var padCases = []struct {
	shape []int
	pads  [][2]int
}{
	{[]int{4}, [][2]int{{1, 2}}},
	{[]int{2, 3}, [][2]int{{0, 0}, {0, 0}}},
	{[]int{2, 3}, [][2]int{{1, 0}, {2, 1}}},
	{[]int{1, 3, 4, 2}, [][2]int{{0, 0}, {1, 1}, {2, 1}, {0, 0}}},
	{[]int{2, 2, 2, 2, 2}, [][2]int{{1, 0}, {0, 1}, {1, 1}, {0, 0}, {2, 0}}},
	{[]int{}, [][2]int{}},
}

func TestPad(t *testing.T) {
	for _, dt := range moveTypes {
		for _, tc := range padCases {
			x := seq(dt, numel(tc.shape))
			want, out := refPad(x, tc.shape, tc.pads, "const", 0)
			b := unary(dt, tc.shape, []int{1}, ops.OpPad, 1, build.Options{}, constI32("paddings", []int{len(tc.pads), 2}, flatPads(tc.pads)...))
			expectOutput(t, run(t, b, encode(dt, x)), 0, out, want)
		}
	}
}

// TestPadQuantized pads with the output zero point, which represents 0.
func TestPadQuantized(t *testing.T) {
	for _, tc := range []struct {
		dt models.DType
		zp int64
	}{{models.Int8, -128}, {models.Int8, 17}, {models.UInt8, 255}, {models.UInt8, 3}, {models.Int16, 0}} {
		q := &models.Quant{Scale: []float32{0.1}, ZeroPoint: []int64{tc.zp}}
		b := build.New()
		x := b.Input("x", tc.dt, []int{2, 3}, q)
		p := b.Const("paddings", models.Int64, []int{2, 2}, []int64{1, 1, 0, 2}, nil)
		y := b.Tensor("y", tc.dt, []int{4, 5}, q)
		b.Op(ops.OpPad, 1, []int{x, p}, []int{y}, build.Options{})
		b.Output(y)
		xv := seq(tc.dt, 6)
		want, out := refPad(xv, []int{2, 3}, [][2]int{{1, 1}, {0, 2}}, "const", float64(tc.zp))
		expectOutput(t, run(t, b, encode(tc.dt, xv)), 0, out, want)
	}
}

func TestPadV2(t *testing.T) {
	q := &models.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{3}}
	for _, tc := range []struct {
		dt  models.DType
		v   float64
		q   *models.Quant
		cvq *models.Quant
	}{{models.Float32, -2.5, nil, nil}, {models.Int8, -100, q, q}, {models.Int32, 77, nil, nil}, {models.Int64, -(1 << 40), nil, nil}} {
		b := build.New()
		x := b.Input("x", tc.dt, []int{3, 2}, tc.q)
		p := b.Const("paddings", models.Int32, []int{2, 2}, i32s(2, 0, 1, 1), nil)
		cv := b.Const("constant_values", tc.dt, []int{}, typed(tc.dt, []float64{tc.v}), tc.cvq)
		y := b.Tensor("y", tc.dt, []int{5, 4}, tc.q)
		b.Op(ops.OpPadv2, 1, []int{x, p, cv}, []int{y}, build.Options{})
		b.Output(y)
		xv := seq(tc.dt, 6)
		want, out := refPad(xv, []int{3, 2}, [][2]int{{2, 0}, {1, 1}}, "const", tc.v)
		expectOutput(t, run(t, b, encode(tc.dt, xv)), 0, out, want)
	}
	// constant_values quantized differently from the output.
	b := build.New()
	x := b.Input("x", models.Int8, []int{2}, q)
	p := b.Const("paddings", models.Int32, []int{1, 2}, i32s(1, 1), nil)
	cv := b.Const("constant_values", models.Int8, []int{}, []int8{0}, &models.Quant{Scale: []float32{0.25}, ZeroPoint: []int64{3}})
	y := b.Tensor("y", models.Int8, []int{4}, q)
	b.Op(ops.OpPadv2, 1, []int{x, p, cv}, []int{y}, build.Options{})
	b.Output(y)
	expectErr(t, loadErr(t, b), "PADV2", "quantization")
}

func TestPadErrors(t *testing.T) {
	b := unary(models.Float32, []int{2, 3}, []int{1}, ops.OpPad, 1, build.Options{}, constI32("paddings", []int{2, 2}, 0, 0, -1, 0))
	expectErr(t, loadErr(t, b), "PAD", "negative")
	b = unary(models.Float32, []int{2, 3}, []int{1}, ops.OpPad, 1, build.Options{}, constI32("paddings", []int{3, 2}, 0, 0, 0, 0, 0, 0))
	expectErr(t, loadErr(t, b), "PAD", "want [2 2]")
	b = unary(models.Float32, []int{2, 3}, []int{1}, ops.OpPad, 1, build.Options{}, constI32("paddings", []int{2, 2}, 0, 1<<30, 0, 1<<30))
	expectErr(t, loadErr(t, b), "PAD")
}

func TestPadDynamicPaddings(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{2, 2}, nil)
	p := b.Input("paddings", models.Int32, []int{2, 2}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpPad, 1, []int{x, p}, []int{y}, build.Options{})
	b.Output(y)
	it := load(t, b)
	xv := seq(models.Float32, 4)
	for _, pads := range [][2][2]int{{{1, 0}, {0, 2}}, {{0, 0}, {0, 0}}, {{3, 3}, {1, 1}}} {
		pp := [][2]int{pads[0], pads[1]}
		f := []float64{float64(pads[0][0]), float64(pads[0][1]), float64(pads[1][0]), float64(pads[1][1])}
		setInputs(t, it, encode(models.Float32, xv), encode(models.Int32, f))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		want, out := refPad(xv, []int{2, 2}, pp, "const", 0)
		expectOutput(t, it, 0, out, want)
	}
}

func TestMirrorPad(t *testing.T) {
	cases := []struct {
		shape []int
		pads  [][2]int
	}{
		{[]int{4}, [][2]int{{3, 2}}},
		{[]int{3, 3}, [][2]int{{1, 2}, {2, 1}}},
		{[]int{1, 4, 3, 2}, [][2]int{{0, 0}, {2, 3}, {1, 1}, {0, 0}}},
		{[]int{2, 3}, [][2]int{{0, 0}, {0, 0}}},
	}
	for _, dt := range moveTypes {
		for _, mode := range []string{"reflect", "symmetric"} {
			for _, tc := range cases {
				x := seq(dt, numel(tc.shape))
				pads := tc.pads
				if mode == "symmetric" {
					pads = append([][2]int(nil), pads...)
					pads[0][1]++ // symmetric allows one more
				}
				want, out := refPad(x, tc.shape, pads, mode, 0)
				m := map[string]int8{"reflect": 0, "symmetric": 1}[mode]
				b := unary(dt, tc.shape, []int{1}, ops.OpMirrorPad, 1, opts(build.OptMirrorPad, m), constI32("paddings", []int{len(pads), 2}, flatPads(pads)...))
				expectOutput(t, run(t, b, encode(dt, x)), 0, out, want)
			}
		}
	}
	b := unary(models.Float32, []int{3}, []int{1}, ops.OpMirrorPad, 1, opts(build.OptMirrorPad, int8(0)), constI32("paddings", []int{1, 2}, 3, 0))
	expectErr(t, loadErr(t, b), "MIRROR_PAD", "too large")
	b = unary(models.Float32, []int{3}, []int{1}, ops.OpMirrorPad, 1, opts(build.OptMirrorPad, int8(1)), constI32("paddings", []int{1, 2}, 4, 0))
	expectErr(t, loadErr(t, b), "MIRROR_PAD", "too large")
	b = unary(models.Float32, []int{3}, []int{1}, ops.OpMirrorPad, 1, opts(build.OptMirrorPad, int8(2)), constI32("paddings", []int{1, 2}, 1, 0))
	expectErr(t, loadErr(t, b), "MIRROR_PAD", "mode 2")
}
