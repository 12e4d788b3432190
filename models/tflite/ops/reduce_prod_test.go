package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func aggProd(g []float64) float64 {
	p := 1.0
	for _, v := range g {
		p *= v
	}
	return p
}

func TestReduceProd(t *testing.T) {
	// Hand-computed: [[1,2,3],[4,5,6]] over axis 1 is [6,120], over axis 0
	// [4,10,18].
	x := []float64{1, 2, 3, 4, 5, 6}
	for _, dt := range []models.DType{models.Float32, models.Int32, models.Int64, models.Int16, models.UInt8} {
		got := reduceModel(ops.OpReduceProd, dt, []int{2, 3}, []int{1}, false, nil, nil, x, []int{2}, false).mustRun(t, []int{2})
		bClose(t, "prod axis 1 "+dt.String(), got, []float64{6, 120}, 0, 0)
		got = reduceModel(ops.OpReduceProd, dt, []int{2, 3}, []int{0}, true, nil, nil, x, []int{1, 3}, true).mustRun(t, []int{1, 3})
		bClose(t, "prod axis 0 "+dt.String(), got, []float64{4, 10, 18}, 0, 0)
	}
	// Integer products wrap as in TFLite: 2^16 * 2^16 is 0 in int32, 16 * 8
	// is -128 in plain int8.
	got := reduceModel(ops.OpReduceProd, models.Int32, []int{2}, []int{0}, false, nil, nil, []float64{65536, 65536}, []int{}, false).mustRun(t, []int{})
	bClose(t, "int32 wrap", got, []float64{0}, 0, 0)
	got = reduceModel(ops.OpReduceProd, models.Int8, []int{2}, []int{0}, false, nil, nil, []float64{16, 8}, []int{}, false).mustRun(t, []int{})
	bClose(t, "int8 wrap", got, []float64{-128}, 0, 0)

	r := rand.New(rand.NewPCG(81, 82))
	for _, c := range reduceCases {
		name := fmt.Sprintf("float_%v_%v", c.shape, c.axes)
		x := bRandF(r, numelB(c.shape), 1.5)
		want, shape := refReduce(x, c.shape, c.axes, false, aggProd)
		o := reduceModel(ops.OpReduceProd, models.Float32, c.shape, c.axes, false, nil, nil, x, shape, false)
		bClose(t, name, o.mustRun(t, shape), want, 1e-5, 1e-5)
	}
}

// refProdQ is TFLite's reference quantized product of one group: every
// multiplication after the first is rescaled by in/out^(1/n), and the
// result once more, with the int64 (Q15) multiplier.
func refProdQ(g []float64, sx, zx, so, zo, lo, hi float64) float64 {
	s := float64(float32(sx)) / math.Pow(float64(float32(so)), 1/float64(len(g)))
	acc := int64(g[0] - zx)
	for _, v := range g[1:] {
		acc = bMulQ64(acc*int64(v-zx), s)
	}
	return math.Min(math.Max(float64(bMulQ64(acc, s))+zo, lo), hi)
}

func TestReduceProdQuantized(t *testing.T) {
	// Hand-computed: input scale 0.5, output scale 0.25 over 2 elements
	// rescale by 0.5/sqrt(0.25) = 1 exactly; codes 5 and 7 with zero point
	// 1 are 2.0 and 3.0, product 6.0 = code 24. Codes 101 and 101 saturate.
	q, oq := bQ(0.5, 1), bQ(0.25, 0)
	got := reduceModel(ops.OpReduceProd, models.Int8, []int{2, 2}, []int{1}, false, q, oq, []float64{5, 7, 101, 101}, []int{2}, false).mustRun(t, []int{2})
	bClose(t, "hand", got, []float64{24, 127}, 0, 0)

	r := rand.New(rand.NewPCG(83, 84))
	for _, dt := range []models.DType{models.Int8, models.Int16} {
		lo, hi := bRange(dt)
		sx, zx, so, zo := 0.02, 3.0, 0.01, -2.0
		if dt == models.Int16 {
			sx, zx, so, zo = 0.0004, 0, 0.0002, 0
		}
		for _, c := range reduceCases[:9] {
			name := fmt.Sprintf("%s_%v_%v", dt, c.shape, c.axes)
			x := bRandQ(r, numelB(c.shape), -60, 60)
			want, shape := refReduce(x, c.shape, c.axes, true, func(g []float64) float64 { return refProdQ(g, sx, zx, so, zo, lo, hi) })
			o := reduceModel(ops.OpReduceProd, dt, c.shape, c.axes, true, bQ(sx, int64(zx)), bQ(so, int64(zo)), x, shape, c.axes[0] == -1)
			bClose(t, name, o.mustRun(t, shape), want, 0, 0)
		}
	}
}

func TestReduceAnyAll(t *testing.T) {
	// [[T,F,F],[F,F,F]]: ANY over axis 1 is [T,F], ALL is [F,F]; over axis
	// 0 ANY is [T,F,F]. [[T,T],[T,F]]: ALL over axis 0 is [T,F].
	run := func(op ops.Op, shape []int, x []float64, axes []float64, keep bool, outShape []int, want []float64) {
		t.Helper()
		ins := []ewtT{{dt: models.Bool, shape: shape, vals: x}, {dt: models.Int32, shape: []int{len(axes)}, vals: axes, konst: true}}
		_, gotShape, got := ewtRun(t, op, 1, ewtOpt(build.OptReducer, keep), ins, ewtT{dt: models.Bool, shape: outShape})
		ewtCompare(t, fmt.Sprintf("%s %v over %v", op, shape, axes), gotShape, got, want, 0)
		if fmt.Sprint(gotShape) != fmt.Sprint(outShape) {
			t.Fatalf("%s: shape %v, want %v", op, gotShape, outShape)
		}
	}
	x := []float64{1, 0, 0, 0, 0, 0}
	run(ops.OpReduceAny, []int{2, 3}, x, []float64{1}, false, []int{2}, []float64{1, 0})
	run(ops.OpReduceAll, []int{2, 3}, x, []float64{1}, false, []int{2}, []float64{0, 0})
	run(ops.OpReduceAny, []int{2, 3}, x, []float64{0}, true, []int{1, 3}, []float64{1, 0, 0})
	run(ops.OpReduceAll, []int{2, 2}, []float64{1, 1, 1, 0}, []float64{0}, false, []int{2}, []float64{1, 0})
	run(ops.OpReduceAll, []int{2, 2}, []float64{1, 1, 1, 1}, []float64{0, 1}, false, []int{}, []float64{1})
	noAllocsEwt(t, ops.OpReduceAll, 1, ewtOpt(build.OptReducer, false),
		[]ewtT{{dt: models.Bool, shape: []int{4, 6}, vals: ewtPattern(24, 1, 0, 1, true)}, {dt: models.Int32, shape: []int{1}, vals: []float64{0}, konst: true}},
		ewtT{dt: models.Bool, shape: []int{6}})
}

func TestReduceProdErrors(t *testing.T) {
	f := []float64{1, 2}
	o := v1(reduceModel(ops.OpReduceAny, models.Float32, []int{2}, []int{0}, false, nil, nil, f, []int{}, false))
	o.wantError(t, "REDUCE_ANY", "node 0", "must be bool")
	o = reduceModel(ops.OpReduceProd, models.UInt8, []int{2}, []int{0}, false, bQ(0.5, 0), bQ(0.5, 0), f, []int{}, false)
	o.wantError(t, "REDUCE_PROD", "must be int8 or int16")
	o = reduceModel(ops.OpReduceProd, models.Int16, []int{2}, []int{0}, false, bQ(0.5, 1), bQ(0.5, 0), f, []int{}, false)
	o.wantError(t, "REDUCE_PROD", "zero point 0")
	o = reduceModel(ops.OpReduceProd, models.Float32, []int{2}, []int{3}, false, nil, nil, f, []int{}, false)
	o.wantError(t, "REDUCE_PROD", "axis 3 is out of range")
	o = reduceModel(ops.OpReduceProd, models.Int8, []int{2}, []int{0}, false, bQ(100, 0), bQ(0.0001, 0), f, []int{}, false)
	o.wantError(t, "REDUCE_PROD", "out of range")
}

func TestReduceProdZeroAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	noAllocs(t, reduceModel(ops.OpReduceProd, models.Int8, []int{4, 6}, []int{1}, false, bQ(0.1, 0), bQ(0.1, 0), bRandQ(r, 24, -10, 10), []int{4}, false))
}
