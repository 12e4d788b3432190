package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// geluTable16 rebuilds LiteRT's int16 lookup table for GELU from its
// definition: 512 segments over the input range, each sample biased by
// half the error of linear interpolation at the segment's midpoint, all in
// float32 with rounding half away from zero.
func geluTable16(approx bool, si float32, zi int32, so float32, zo int32) [513]float32 {
	g := func(x float32) float32 {
		if approx {
			c := float32(math.Sqrt(2 / math.Pi))
			x3 := float32(float32(float32(0.044715)*x)*x) * x
			return 0.5 * x * (1 + float32(math.Tanh(float64(float32(c*float32(x+x3))))))
		}
		return 0.5 * x * float32(math.Erfc(float64(x*float32(-1/math.Sqrt2))))
	}
	r := func(x float32) float32 { return float32(math.Round(float64(x))) }
	// float32() around every product keeps Go from fusing it into an add
	// (arm64), which the float32 reference does not do.
	lo, hi := si*float32(-32768-zi), si*float32(32767-zi)
	inv := 65536 / (float32(so*float32(32767-zo)) - float32(so*float32(-32768-zo)))
	step := (hi - lo) / 512
	var t [513]float32
	for i := 0; i < 512; i++ {
		a := lo + float32(float32(i)*step)
		v, m, nx := g(a), g(a+step/2), g(lo+float32(float32(i+1)*step))
		interp := r((float32(nx*inv) + r(v*inv)) / 2)
		t[i] = min(max(r(v*inv)-r((interp-r(m*inv))/2), -32768), 32767)
	}
	t[512] = min(max(r(g(hi)*inv), -32768), 32767)
	return t
}

// lookup16 interpolates between two table entries with the low 7 bits of
// the code; the slope wraps to int16 as LiteRT's does.
func lookup16(t *[513]float32, v int16) float64 {
	i := 256 + int(v)>>7
	base := int32(t[i])
	slope := int32(int16(int32(t[i+1]) - base))
	return float64(int16(base + (slope*int32(v&0x7f)+64)>>7))
}

func TestGeluInt16(t *testing.T) {
	geluOpt := func(approx bool) build.Options { return ewtOpt(build.OptGelu, approx) }
	run := func(approx bool, qi, qo *models.Quant, x []float64) []float64 {
		t.Helper()
		ins := []ewtT{{dt: models.Int16, shape: []int{len(x)}, q: qi, vals: x}}
		_, _, got := ewtRun(t, ops.OpGelu, 2, geluOpt(approx), ins, ewtT{dt: models.Int16, shape: []int{len(x)}, q: qo})
		return got
	}
	// Hand-computed, input and output scale 1/4096 (range [-8, 8)):
	// gelu(1) = 0.841345 = 3446.1 codes, gelu(-1) = -0.158655 = -649.9,
	// gelu(2) = 1.954500 = 8005.6, gelu(-3) = -0.004050 = -16.6,
	// gelu(0) = 0. The table interpolates, so allow one code.
	q := ewtQ(1.0/4096, 0)
	got := run(false, q, q, []float64{4096, -4096, 8192, -12288, 0})
	ewtCompare(t, "GELU int16", []int{5}, got, []float64{3446, -650, 8006, -17, 0}, 1)
	// The tanh form at -3 is -0.003638 = -14.9 codes.
	got = run(true, q, q, []float64{-12288})
	ewtCompare(t, "GELU int16 approximate", []int{1}, got, []float64{-15}, 1)

	// Every code, bit for bit against the rebuilt table, with zero points
	// (LiteRT accepts them: they only move the table's range).
	all := make([]float64, 65536)
	for i := range all {
		all[i] = float64(i - 32768)
	}
	for _, c := range []struct {
		approx bool
		si, so float32
		zi, zo int32
	}{
		{false, 1.0 / 4096, 1.0 / 4096, 0, 0},
		{true, 1.0 / 4096, 1.0 / 4096, 0, 0},
		{false, 0.0003, 0.0002, 0, 0},
		{true, 0.0005, 0.00031, 100, -50},
	} {
		tab := geluTable16(c.approx, c.si, c.zi, c.so, c.zo)
		got := run(c.approx, ewtQ(c.si, int64(c.zi)), ewtQ(c.so, int64(c.zo)), all)
		want := make([]float64, len(all))
		for i, v := range all {
			want[i] = lookup16(&tab, int16(v))
		}
		ewtCompare(t, "GELU int16 sweep", []int{len(all)}, got, want, 0)
	}

	noAllocsEwt(t, ops.OpGelu, 2, geluOpt(false), []ewtT{{dt: models.Int16, shape: []int{64}, q: q, vals: ewtPattern(64, 997, -32768, 32767, true)}}, ewtT{dt: models.Int16, shape: []int{64}, q: q})

	err := ewtErr(t, ops.OpGelu, 2, geluOpt(false), []ewtT{{dt: models.Int16, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Int16, shape: []int{1}})
	ewtWantErr(t, err, ops.OpGelu, "node 0", "quantization")
	err = ewtErr(t, ops.OpGelu, 2, geluOpt(false), []ewtT{{dt: models.Int16, shape: []int{1}, q: q, vals: []float64{1}}}, ewtT{dt: models.Int8, shape: []int{1}, q: q})
	ewtWantErr(t, err, ops.OpGelu, "output type int8 differs from input type int16")
}
