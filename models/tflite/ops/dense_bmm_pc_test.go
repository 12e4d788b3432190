package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestBatchMatMulPerChannel: a quantized rhs with one scale per output
// column (int16 activations with int8 weights, as the 16x8 quantizer makes
// of an einsum, and int8 x int8) is scaled per column, with multipliers in
// double precision; using the first scale for every column puts the other
// columns off by the scale ratio (hundreds of steps with these scales).
func TestBatchMatMulPerChannel(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	ls := []int{2, 3, 5}
	for _, adjY := range []bool{false, true} {
		rs, axis := []int{1, 5, 4}, 2
		if adjY {
			rs, axis = []int{1, 4, 5}, 1
		}
		srs := []float64{0.01, 0.002, 0.03, 0.0005}
		for _, ldt := range []models.DType{models.Int16, models.Int8} {
			t.Run(fmt.Sprintf("%s_adjY%v", ldt, adjY), func(t *testing.T) {
				lo, hi := bRange(ldt)
				ql, qr := bRandQ(r, 30, lo, hi), bRandQ(r, 20, -127, 127)
				sl, so := 0.0002, 0.004
				if ldt == models.Int8 {
					sl, so = 0.05, 0.5
				}
				acc, shape := refBMM(ql, qr, ls, rs, false, adjY)
				exact := make([]float64, len(acc))
				for i, a := range acc {
					m := float64(float32(sl)) * float64(float32(srs[i%4])) / float64(float32(so))
					if ldt == models.Int16 {
						exact[i] = math.Min(math.Max(float64(bMulQ64(int64(a), m)), lo), hi)
					} else {
						exact[i] = math.Min(math.Max(float64(bMulQ(int64(a), m)), lo), hi)
					}
				}
				o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, adjY, false),
					ins: []*bT{bIn(ldt, ls, bQ(sl, 0), ql), bConst(models.Int8, rs, bQC(srs, axis), qr)},
					out: &bT{dt: ldt, shape: shape, q: bQ(so, 0)}}
				bClose(t, "per-column exact", o.mustRun(t, shape), exact, 0, 0)
			})
		}
	}
	// Per-channel scales along the depth are refused.
	o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, false, false),
		ins: []*bT{bIn(models.Int16, ls, bQ(0.001, 0), bRandQ(r, 30, -100, 100)),
			bConst(models.Int8, []int{1, 5, 4}, bQC([]float64{0.1, 0.1, 0.1, 0.1, 0.1}, 1), bRandQ(r, 20, -100, 100))},
		out: &bT{dt: models.Int16, shape: []int{2, 3, 4}, q: bQ(0.01, 0)}}
	o.wantError(t, "per-channel scales must follow")
}
