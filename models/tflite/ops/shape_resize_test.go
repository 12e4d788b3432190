package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

type resizeCase struct {
	in          []int // NHWC
	oh, ow      int
	align, half bool
}

var resizeCases = []resizeCase{
	{[]int{1, 2, 3, 1}, 5, 7, false, false},
	{[]int{2, 4, 4, 3}, 2, 2, false, false},
	{[]int{1, 3, 5, 2}, 3, 5, false, false},
	{[]int{1, 1, 1, 2}, 3, 3, false, false},
	{[]int{1, 5, 3, 1}, 2, 7, false, false},
	{[]int{1, 2, 3, 1}, 5, 7, true, false},
	{[]int{2, 4, 4, 3}, 3, 2, true, false},
	{[]int{1, 3, 4, 2}, 1, 1, true, false},
	{[]int{1, 2, 3, 1}, 5, 7, false, true},
	{[]int{2, 4, 4, 3}, 2, 3, false, true},
	{[]int{1, 3, 5, 2}, 6, 10, false, true},
	{[]int{1, 4, 6, 8}, 8, 12, false, false},
}

// nearestOnlyCases combine both flags, which only RESIZE_NEAREST_NEIGHBOR
// accepts.
var nearestOnlyCases = []resizeCase{
	{[]int{1, 2, 3, 1}, 5, 7, true, true},
	{[]int{1, 5, 4, 2}, 3, 2, true, true},
}

// scale is TFLite's source/destination ratio, a float32.
func resizeScale(in, out int, align bool) float64 {
	if align && out > 1 {
		return float64(float32(in-1) / float32(out-1))
	}
	return float64(float32(in) / float32(out))
}

func refNearest(x []float64, in []int, oh, ow int, align, half bool) []float64 {
	src := func(i, inSize, outSize int) int {
		s := resizeScale(inSize, outSize, align)
		f := float64(i)
		if half {
			f += 0.5
		}
		var v int
		if align {
			v = int(math.Round(f * s))
		} else {
			v = int(math.Floor(f * s))
		}
		return max(min(v, inSize-1), 0)
	}
	out := []int{in[0], oh, ow, in[3]}
	y := make([]float64, numel(out))
	for k := range y {
		ix := unravel(k, out)
		y[k] = x[ravel([]int{ix[0], src(ix[1], in[1], oh), src(ix[2], in[2], ow), ix[3]}, in)]
	}
	return y
}

// refBilinear is the textbook bilinear interpolation in float64 with
// TFLite's coordinate conventions.
func refBilinear(x []float64, in []int, oh, ow int, align, half bool) []float64 {
	coord := func(i, inSize, outSize int) (lo, hi int, frac float64) {
		s := resizeScale(inSize, outSize, align)
		f := float64(i) * s
		if half {
			f = (float64(i)+0.5)*s - 0.5
		}
		lo = max(int(math.Floor(f)), 0)
		hi = min(int(math.Ceil(f)), inSize-1)
		return lo, hi, f - float64(lo)
	}
	out := []int{in[0], oh, ow, in[3]}
	y := make([]float64, numel(out))
	for k := range y {
		ix := unravel(k, out)
		y0, y1, fy := coord(ix[1], in[1], oh)
		x0, x1, fx := coord(ix[2], in[2], ow)
		at := func(yy, xx int) float64 { return x[ravel([]int{ix[0], yy, xx, ix[3]}, in)] }
		top := at(y0, x0)*(1-fx) + at(y0, x1)*fx
		bot := at(y1, x0)*(1-fx) + at(y1, x1)*fx
		y[k] = top*(1-fy) + bot*fy
	}
	return y
}

func buildResize(op ops.Op, dt models.DType, tc resizeCase, sizeInput bool) *build.Builder {
	b := build.New()
	x := b.Input("x", dt, tc.in, nil)
	var size int
	if sizeInput {
		size = b.Input("size", models.Int32, []int{2}, nil)
	} else {
		size = b.Const("size", models.Int32, []int{2}, i32s(tc.oh, tc.ow), nil)
	}
	y := b.Tensor("y", dt, []int{tc.in[0], max(tc.oh, 1), max(tc.ow, 1), tc.in[3]}, nil)
	o := opts(build.OptResizeNearestNeighbor, tc.align, tc.half)
	if op == ops.OpResizeBilinear {
		o = opts(build.OptResizeBilinear, nil, nil, tc.align, tc.half)
	}
	b.Op(op, 1, []int{x, size}, []int{y}, o)
	b.Output(y)
	return b
}

func TestResizeNearestNeighbor(t *testing.T) {
	for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32} {
		for _, tc := range append(resizeCases[:len(resizeCases):len(resizeCases)], nearestOnlyCases...) {
			x := seq(dt, numel(tc.in))
			want := refNearest(x, tc.in, tc.oh, tc.ow, tc.align, tc.half)
			it := run(t, buildResize(ops.OpResizeNearestNeighbor, dt, tc, false), encode(dt, x))
			expectOutput(t, it, 0, []int{tc.in[0], tc.oh, tc.ow, tc.in[3]}, want)
		}
	}
}

func TestResizeBilinear(t *testing.T) {
	for _, dt := range []models.DType{models.Float32, models.UInt8, models.Int8, models.Int16} {
		for _, tc := range resizeCases {
			x := seq(dt, numel(tc.in))
			want := refBilinear(x, tc.in, tc.oh, tc.ow, tc.align, tc.half)
			shape, got := output(run(t, buildResize(ops.OpResizeBilinear, dt, tc, false), encode(dt, x)), 0)
			if !equalInts(shape, []int{tc.in[0], tc.oh, tc.ow, tc.in[3]}) {
				t.Fatalf("%s %+v: shape %v", dt, tc, shape)
			}
			for k := range want {
				w, tol := want[k], 1.0 // one quantization step for integers
				switch dt {
				case models.Float32:
					tol = 1e-5 * math.Max(1, math.Abs(w))
				case models.UInt8:
					w = math.Floor(w + 0.5)
				default:
					w = math.Round(w)
				}
				if math.Abs(got[k]-w) > tol {
					t.Fatalf("%s %+v: output[%d] (index %v) = %v, want %v", dt, tc, k, unravel(k, shape), got[k], w)
				}
			}
		}
	}
}

// TestResizeBilinearIntegerExact pins values of TFLite's 10-bit fixed-point
// int8 path, worked out by hand: 2x upsampling of [0, 100] with
// half_pixel_centers gives source coordinates -0.25, 0.25, 0.75, 1.25.
func TestResizeBilinearIntegerExact(t *testing.T) {
	tc := resizeCase{[]int{1, 1, 2, 1}, 1, 4, false, true}
	it := run(t, buildResize(ops.OpResizeBilinear, models.Int8, tc, false), encode(models.Int8, []float64{0, 100}))
	// scale_10 = 512; x coords (1/1024): -256, 256, 768, 1280 -> lower
	// 0,0,0,1 upper 0,1,1,1; weights give 0, 25, 75, 100.
	expectOutput(t, it, 0, []int{1, 1, 4, 1}, []float64{0, 25, 75, 100})
	it = run(t, buildResize(ops.OpResizeBilinear, models.Int8, tc, false), encode(models.Int8, []float64{0, -2}))
	// -0.5 and -1.5 round away from zero.
	expectOutput(t, it, 0, []int{1, 1, 4, 1}, []float64{0, -1, -2, -2})
}

func TestResizeDynamicSize(t *testing.T) {
	for _, op := range []ops.Op{ops.OpResizeNearestNeighbor, ops.OpResizeBilinear} {
		tc := resizeCase{in: []int{1, 3, 4, 2}, oh: 1, ow: 1}
		b := buildResize(op, models.Float32, tc, true)
		it := load(t, b)
		x := seq(models.Float32, numel(tc.in))
		for _, hw := range [][2]int{{6, 8}, {2, 3}, {3, 4}} {
			setInputs(t, it, encode(models.Float32, x), encode(models.Int32, []float64{float64(hw[0]), float64(hw[1])}))
			if err := it.Invoke(t.Context()); err != nil {
				t.Fatal(err)
			}
			want := refNearest(x, tc.in, hw[0], hw[1], false, false)
			if op == ops.OpResizeBilinear {
				want = refBilinear(x, tc.in, hw[0], hw[1], false, false)
			}
			shape, got := output(it, 0)
			if !equalInts(shape, []int{1, hw[0], hw[1], 2}) {
				t.Fatalf("%s: shape %v", op, shape)
			}
			for k := range want {
				if math.Abs(got[k]-want[k]) > 1e-5 {
					t.Fatalf("%s %v: output[%d] = %v, want %v", op, hw, k, got[k], want[k])
				}
			}
		}
		setInputs(t, it, encode(models.Float32, x), encode(models.Int32, []float64{0, 3}))
		expectErr(t, it.Invoke(t.Context()), op.String(), "output size")
	}
}

func TestResizeErrors(t *testing.T) {
	b := buildResize(ops.OpResizeBilinear, models.Float32, resizeCase{[]int{1, 2, 2, 1}, 4, 4, true, true}, false)
	expectErr(t, loadErr(t, b), "RESIZE_BILINEAR", "align_corners")
	b = build.New()
	x := b.Input("x", models.Float32, []int{2, 2, 1}, nil)
	s := b.Const("size", models.Int32, []int{2}, i32s(4, 4), nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpResizeNearestNeighbor, 1, []int{x, s}, []int{y}, build.Options{})
	b.Output(y)
	expectErr(t, loadErr(t, b), "RESIZE_NEAREST_NEIGHBOR", "4-D")
	b = buildResize(ops.OpResizeBilinear, models.Float32, resizeCase{[]int{1, 2, 2, 1}, -4, 4, false, false}, false)
	expectErr(t, loadErr(t, b), "RESIZE_BILINEAR", "output size")
}
