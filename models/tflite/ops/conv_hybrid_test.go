package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestConv2DHybridUint8 runs a hybrid convolution whose filter is uint8
// (older converters' hybrid format): TFLite reads the bytes as int8 with the
// per-tensor scale and ignores the zero point, so the output must equal the
// int8 filter's bit for bit.
func TestConv2DHybridUint8(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	g := convGeoms[3]
	if g.groups != 1 {
		t.Fatalf("geometry %v has groups", g)
	}
	x := bRandF(r, g.n*g.h*g.w*g.cin, 2)
	qw := bRandQ(r, g.cout*g.fh*g.fw*g.cin, -127, 127)
	asU8 := make([]float64, len(qw))
	for i, v := range qw {
		asU8[i] = float64(uint8(int8(v)))
	}
	bias := bRandF(r, g.cout, 0.5)
	oh, ow, _, _ := g.out()
	shape := []int{g.n, oh, ow, g.cout}
	run := func(dt models.DType, vals []float64, zp int64) []float64 {
		o := &bOp{op: ops.OpConv2d, version: 2, opts: convOpts(g, ops.ActNone),
			ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x), bConst(dt, []int{g.cout, g.fh, g.fw, g.cin}, bQ(0.01, zp), vals),
				bConst(models.Float32, []int{g.cout}, nil, bias)},
			out: &bT{dt: models.Float32, shape: shape}}
		return o.mustRun(t, shape)
	}
	bClose(t, "uint8 vs int8 filter", run(models.UInt8, asU8, 128), run(models.Int8, qw, 0), 0, 0)

	// Per-channel uint8 scales have no TFLite path: refused.
	scales := make([]float64, g.cout)
	for i := range scales {
		scales[i] = 0.01 * float64(i+1)
	}
	o := &bOp{op: ops.OpConv2d, version: 2, opts: convOpts(g, ops.ActNone),
		ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x), bConst(models.UInt8, []int{g.cout, g.fh, g.fw, g.cin}, bQC(scales, 0), asU8)},
		out: &bT{dt: models.Float32, shape: shape}}
	o.wantError(t, "uint8 hybrid filter")
}
