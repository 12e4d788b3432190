package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestMathUnary(t *testing.T) {
	x := []float64{-2.5, -1.5, -0.5, 0.5, 1.5, 2.7}
	for _, c := range []struct {
		op   ops.Op
		opt  build.Options
		in   []float64
		want []float64
		tol  float64
	}{
		{ops.OpFloor, build.Options{}, x, []float64{-3, -2, -1, 0, 1, 2}, 0},
		{ops.OpCeil, build.Options{}, x, []float64{-2, -1, -0, 1, 2, 3}, 0},
		// Halves go to the even neighbour.
		{ops.OpRound, build.Options{}, x, []float64{-2, -2, -0, 0, 2, 3}, 0},
		{ops.OpSin, build.Options{}, []float64{0, math.Pi / 2, -math.Pi / 6}, []float64{0, 1, -0.5}, 1e-6},
		{ops.OpCos, build.Options{}, []float64{0, math.Pi, math.Pi / 3}, []float64{1, -1, 0.5}, 1e-6},
		{ops.OpSign, build.Options{}, []float64{-3, 0, 0.25}, []float64{-1, 0, 1}, 0},
		// e^x - 1 below zero.
		{ops.OpElu, build.Options{}, []float64{-1, 0, 2}, []float64{1/math.E - 1, 0, 2}, 1e-6},
		// x * Phi(x): Phi(1) = 0.841344746.
		{ops.OpGelu, build.Options{}, []float64{-1, 0, 1}, []float64{-0.158655254, 0, 0.841344746}, 1e-6},
		{ops.OpGelu, ewtOpt(build.OptGelu, true), []float64{1}, []float64{0.5 * (1 + math.Tanh(math.Sqrt(2/math.Pi)*1.044715))}, 1e-6},
	} {
		ins := []ewtT{{dt: models.Float32, shape: []int{len(c.in)}, vals: c.in}}
		_, shape, got := ewtRun(t, c.op, 1, c.opt, ins, ewtT{dt: models.Float32, shape: []int{len(c.in)}})
		ewtCompare(t, c.op.String(), shape, got, c.want, c.tol)
	}
	ins := []ewtT{{dt: models.Int32, shape: []int{3}, vals: []float64{-7, 0, 9}}}
	_, shape, got := ewtRun(t, ops.OpSign, 2, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{3}})
	ewtCompare(t, "SIGN/int32", shape, got, []float64{-1, 0, 1}, 0)
	err := ewtErr(t, ops.OpFloor, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{3}})
	ewtWantErr(t, err, ops.OpFloor, "input type int32 is not supported")
}

func TestPow(t *testing.T) {
	// [2,3] ** [2]-broadcast row (2, 0.5, 3) for floats.
	a := ewtT{dt: models.Float32, shape: []int{2, 3}, vals: []float64{3, 4, 2, -2, 9, 0.5}}
	b := ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{2, 0.5, 3}, konst: true}
	_, shape, got := ewtRun(t, ops.OpPow, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtCompare(t, "POW/float32", shape, got, []float64{9, 2, 8, 4, 3, 0.125}, 1e-6)
	a.dt, b.dt = models.Int32, models.Int32
	a.vals, b.vals = []float64{3, 4, 2, -2, 9, 1}, []float64{2, 0, 31}
	_, shape, got = ewtRun(t, ops.OpPow, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Int32, shape: []int{2, 3}})
	// 2**31 wraps to MinInt32.
	ewtCompare(t, "POW/int32", shape, got, []float64{9, 1, math.MinInt32, 4, 1, 1}, 0)
	b.vals = []float64{2, -1, 3}
	err := ewtErr(t, ops.OpPow, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Int32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpPow, "exponent -1 at element 1 is negative")
}

func TestLogical(t *testing.T) {
	a := ewtT{dt: models.Bool, shape: []int{2, 2}, vals: []float64{0, 0, 1, 1}}
	b := ewtT{dt: models.Bool, shape: []int{2}, vals: []float64{0, 1}}
	_, shape, got := ewtRun(t, ops.OpLogicalAnd, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Bool, shape: []int{2, 2}})
	ewtCompare(t, "LOGICAL_AND", shape, got, []float64{0, 0, 0, 1}, 0)
	_, shape, got = ewtRun(t, ops.OpLogicalOr, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Bool, shape: []int{2, 2}})
	ewtCompare(t, "LOGICAL_OR", shape, got, []float64{0, 1, 1, 1}, 0)
	_, shape, got = ewtRun(t, ops.OpLogicalNot, 1, build.Options{}, []ewtT{a}, ewtT{dt: models.Bool, shape: []int{2, 2}})
	ewtCompare(t, "LOGICAL_NOT", shape, got, []float64{1, 1, 0, 0}, 0)
	err := ewtErr(t, ops.OpLogicalOr, 1, build.Options{}, []ewtT{a, {dt: models.Int8, shape: []int{2}, vals: []float64{0, 1}}}, ewtT{dt: models.Bool, shape: []int{2, 2}})
	ewtWantErr(t, err, ops.OpLogicalOr, "input 1 must be bool")
}

func TestAddN(t *testing.T) {
	for _, dt := range []models.DType{models.Float32, models.Int32} {
		ins := []ewtT{
			{dt: dt, shape: []int{3}, vals: []float64{1, 2, 3}},
			{dt: dt, shape: []int{3}, vals: []float64{10, 20, 30}, konst: true},
			{dt: dt, shape: []int{3}, vals: []float64{-1, -1, -1}},
		}
		_, shape, got := ewtRun(t, ops.OpAddN, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3}})
		ewtCompare(t, "ADD_N/"+dt.String(), shape, got, []float64{10, 21, 32}, 0)
	}
	ins := []ewtT{{dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}, {dt: models.Float32, shape: []int{1}, vals: []float64{1}}}
	err := ewtErr(t, ops.OpAddN, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{3}})
	ewtWantErr(t, err, ops.OpAddN, "input 1 is float32 [1]")
}
