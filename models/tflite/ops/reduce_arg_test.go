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

// refArg returns the index of the first largest (smallest) value along
// axis; NaN never wins.
func refArg(x []float64, shape []int, axis int, isMax bool) ([]float64, []int) {
	if axis < 0 {
		axis += len(shape)
	}
	outer, inner := numelB(shape[:axis]), numelB(shape[axis+1:])
	n := shape[axis]
	out := make([]float64, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			best, at := math.NaN(), 0
			for k := 0; k < n; k++ {
				v := x[(o*n+k)*inner+i]
				if math.IsNaN(v) {
					continue
				}
				if math.IsNaN(best) || (isMax && v > best) || (!isMax && v < best) {
					best, at = v, k
				}
			}
			out[o*inner+i] = float64(at)
		}
	}
	shapeOut := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
	return out, shapeOut
}

func TestArgMinMax(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	shapes := []struct {
		shape []int
		axis  int
	}{{[]int{7}, 0}, {[]int{3, 5}, 1}, {[]int{3, 5}, -2}, {[]int{2, 3, 4}, 1}, {[]int{1, 1, 10}, -1}, {[]int{2, 4, 1, 3}, 3}}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32} {
		for si, s := range shapes {
			for _, op := range []ops.Op{ops.OpArgMax, ops.OpArgMin} {
				outDT := models.Int32
				axisDT := models.Int32
				if si%2 == 1 {
					outDT, axisDT = models.Int64, models.Int64
				}
				name := fmt.Sprintf("%s_%s_%v_axis%d_%s", op, dt, s.shape, s.axis, outDT)
				t.Run(name, func(t *testing.T) {
					var x []float64
					if dt == models.Float32 {
						x = bRandF(r, numelB(s.shape), 3)
						x[0] = math.NaN()
					} else {
						lo, hi := bRange(dt)
						x = bRandQ(r, numelB(s.shape), math.Max(lo, -4), math.Min(hi, 4)) // many ties
					}
					want, shape := refArg(x, s.shape, s.axis, op == ops.OpArgMax)
					ot := int8(2)
					if outDT == models.Int64 {
						ot = 4
					}
					var q *models.Quant
					if dt != models.Float32 && dt != models.Int32 {
						q = bQ(0.1, 0)
					}
					o := &bOp{op: op, version: 2, opts: bOpts(build.OptArgMax, 0, ot),
						ins: []*bT{bIn(dt, s.shape, q, x), bConst(axisDT, []int{1}, nil, []float64{float64(s.axis)})},
						out: &bT{dt: outDT, shape: shape}}
					if op == ops.OpArgMin {
						o.opts.Type = build.OptArgMin
					}
					bClose(t, name, o.mustRun(t, shape), want, 0, 0)
				})
			}
		}
	}
}

// TestArgMaxDefaultOutputType follows the output tensor when output_type is
// absent (the schema default FLOAT32 is not an index type).
func TestArgMaxDefaultOutputType(t *testing.T) {
	o := &bOp{op: ops.OpArgMax, ins: []*bT{bIn(models.Float32, []int{2, 3}, nil, []float64{1, 5, 2, 9, 0, 9}), bConst(models.Int32, []int{1}, nil, []float64{1})},
		out: &bT{dt: models.Int64, shape: []int{2}}}
	bClose(t, "argmax", o.mustRun(t, []int{2}), []float64{1, 0}, 0, 0)
}

func TestArgMinMaxErrors(t *testing.T) {
	f := models.Float32
	o := &bOp{op: ops.OpArgMax, opts: bOpts(build.OptArgMax, 0, int8(2)),
		ins: []*bT{bIn(f, []int{2, 3}, nil, make([]float64, 6)), bConst(models.Int32, []int{1}, nil, []float64{2})},
		out: &bT{dt: models.Int32, shape: []int{2}}}
	o.wantError(t, "ARG_MAX", "axis 2 is out of range for rank 2")
	o.ins[1] = bConst(models.Int32, []int{2}, nil, []float64{0, 1})
	o.wantError(t, "axis must be one int32 or int64 value")
	o.ins[1] = bConst(models.Int32, []int{1}, nil, []float64{0})
	o.out.dt = models.Float32
	o.wantError(t, "output type float32 must be int32 or int64")
	o.out.dt = models.Int64
	o.wantError(t, "output_type option 2 does not match the int64 output")
	o.ins[0] = bIn(f, []int{0, 3}, nil, nil)
	o.out.dt = models.Int32
	o.wantError(t, "empty axis 0")
}
