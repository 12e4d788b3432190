package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func lrnOpt(radius int32, bias, alpha, beta float32) build.Options {
	return ewtOpt(build.OptLocalResponseNormalization, radius, bias, alpha, beta)
}

// refLRN is the textbook definition on float64.
func refLRN(x []float64, depth, radius int, bias, alpha, beta float64) []float64 {
	out := make([]float64, len(x))
	for off := 0; off < len(x); off += depth {
		for c := 0; c < depth; c++ {
			s := 0.0
			for k := max(0, c-radius); k <= min(depth-1, c+radius); k++ {
				s += x[off+k] * x[off+k]
			}
			out[off+c] = x[off+c] * math.Pow(bias+alpha*s, -beta)
		}
	}
	return out
}

func TestLocalResponseNorm(t *testing.T) {
	// Hand-computed, radius 1, bias 1, alpha 1 over [1,2,3]: the window
	// sums of squares are 5, 14, 13, so beta 1 gives 1/6, 2/15, 3/14 and
	// beta 0.5 gives 1/sqrt(6), 2/sqrt(15), 3/sqrt(14).
	in := []ewtT{{dt: models.Float32, shape: []int{1, 1, 1, 3}, vals: []float64{1, 2, 3}}}
	out := ewtT{dt: models.Float32, shape: []int{1, 1, 1, 3}}
	_, shape, got := ewtRun(t, ops.OpLocalResponseNormalization, 1, lrnOpt(1, 1, 1, 1), in, out)
	ewtCompare(t, "beta 1", shape, got, []float64{1.0 / 6, 2.0 / 15, 3.0 / 14}, 1e-7)
	_, _, got = ewtRun(t, ops.OpLocalResponseNormalization, 1, lrnOpt(1, 1, 1, 0.5), in, out)
	ewtCompare(t, "beta 0.5", shape, got, []float64{1 / math.Sqrt(6), 2 / math.Sqrt(15), 3 / math.Sqrt(14)}, 1e-7)

	for _, c := range []struct {
		radius            int
		bias, alpha, beta float64
	}{{2, 1, 1e-4, 0.75}, {0, 2, 0.5, 1}, {5, 0.5, 0.1, 0.5}, {1, 1, 0.3, 2}} {
		shape := []int{2, 2, 3, 7}
		x := ewtPattern(ewtNumel(shape), c.radius, -3, 3, false)
		ins := []ewtT{{dt: models.Float32, shape: shape, vals: x}}
		opt := lrnOpt(int32(c.radius), float32(c.bias), float32(c.alpha), float32(c.beta))
		_, gs, got := ewtRun(t, ops.OpLocalResponseNormalization, 1, opt, ins, ewtT{dt: models.Float32, shape: shape})
		ewtCompare(t, "pattern", gs, got, refLRN(x, 7, c.radius, c.bias, c.alpha, c.beta), 2e-6)
		noAllocsEwt(t, ops.OpLocalResponseNormalization, 1, opt, ins, ewtT{dt: models.Float32, shape: shape})
	}
}

func TestLocalResponseNormErrors(t *testing.T) {
	op := ops.OpLocalResponseNormalization
	err := ewtErr(t, op, 1, lrnOpt(-1, 1, 1, 1), []ewtT{{dt: models.Float32, shape: []int{1, 1, 1, 2}, vals: []float64{1, 2}}}, ewtT{dt: models.Float32, shape: []int{1, 1, 1, 2}})
	ewtWantErr(t, err, op, "node 0", "radius -1 is negative")
	err = ewtErr(t, op, 1, lrnOpt(1, 1, 1, 1), []ewtT{{dt: models.Float32, shape: []int{1, 2}, vals: []float64{1, 2}}}, ewtT{dt: models.Float32, shape: []int{1, 2}})
	ewtWantErr(t, err, op, "must be 4-D")
	err = ewtErr(t, op, 1, lrnOpt(1, 1, 1, 1), []ewtT{{dt: models.Int8, shape: []int{1, 1, 1, 2}, vals: []float64{1, 2}}}, ewtT{dt: models.Int8, shape: []int{1, 1, 1, 2}})
	ewtWantErr(t, err, op, "must be float32")
}
