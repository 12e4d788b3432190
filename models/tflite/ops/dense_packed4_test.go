package ops_test

import (
	"context"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// pack4 packs int4 codes two a byte, the first in the low nibble.
func pack4(codes []int8) []byte {
	b := make([]byte, (len(codes)+1)/2)
	for i, c := range codes {
		b[i/2] |= byte(c&0xf) << (4 * (i % 2))
	}
	return b
}

func i8Bytes(codes []int8) []byte {
	b := make([]byte, len(codes))
	for i, c := range codes {
		b[i] = byte(c)
	}
	return b
}

// fc4Filter is a units x depth filter whose first four columns are given
// per unit and the rest are zero.
func fc4Filter(depth int, heads ...[]int8) []int8 {
	w := make([]int8, len(heads)*depth)
	for u, h := range heads {
		copy(w[u*depth:], h)
	}
	return w
}

func TestFullyConnectedHybrid4Bit(t *testing.T) {
	fc := ops.OpFullyConnected
	const depth = 32
	ones := make([]int8, depth)
	for i := range ones {
		ones[i] = 1
	}
	codes := fc4Filter(depth, []int8{1, 2, -3, 7}, []int8{-8, 0, 5, -1}, ones, []int8{-7, -7, -7, -7})
	// Row 0 has max 4: scale float(127/4) = 31.75, codes round(31.75*x)
	// half away from zero: [32 -64 16 127], row scale 4/127. Row 1 is all
	// zero: every code 0, so the output is the bias.
	x := make([]float32, 2*depth)
	copy(x, []float32{1, -2, 0.5, 4})
	xf := rawT{dt: models.Float32, shape: []int{2, depth}, data: f32Bytes(x...)}
	bias := []float32{0.25, -1, 0, 2}
	bf := rawT{dt: models.Float32, shape: []int{4}, data: f32Bytes(bias...), konst: true}
	outF := rawT{dt: models.Float32, shape: []int{2, 4}}
	// Dot products with [32 -64 16 127]: 32-128-48+889 = 745,
	// -256+80-127 = -303, 32-64+16+127 = 111, -7*111 = -777.
	dots := []float64{745, -303, 111, -777}
	for _, pc := range []bool{false, true} {
		fs := []float32{0.5, 0.5, 0.5, 0.5}
		q := ewtQ(0.5, 0)
		if pc {
			fs = []float32{0.5, 0.25, 1, 2}
			q = &models.Quant{Scale: fs, ZeroPoint: make([]int64, 4)}
		}
		w := rawT{dt: models.Int4, shape: []int{4, depth}, q: q, data: pack4(codes), konst: true}
		got, err := rawRun(t, fc, 10, ewtOpt(build.OptFullyConnected), []rawT{xf, w, bf}, outF)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, 8)
		for o := range 4 {
			want[o] = dots[o]*4/127*float64(fs[o]) + float64(bias[o])
			want[4+o] = float64(bias[o])
		}
		ewtCompare(t, "hybrid 4-bit", []int{2, 4}, decode(models.Float32, got), want, 2e-5)

		// Bit for bit: the two float terms of LiteRT's reference, the
		// offset -7*sum(q) = -777 and the accumulator of w+7, dot +
		// 7*111.
		s := float32(float64(4) / 127)
		for o := range 4 {
			v := float32(float32(float32(-777)*s)*fs[o]) + bias[o]
			v += float32(float32(float32(dots[o]+777)*s) * fs[o])
			if g := math.Float32frombits(uint32(got[4*o]) | uint32(got[4*o+1])<<8 | uint32(got[4*o+2])<<16 | uint32(got[4*o+3])<<24); g != v {
				t.Errorf("unit %d: got %v, want %v (the reference's two terms)", o, g, v)
			}
		}

		// asymmetric_quantize_inputs is ignored on this path.
		asym, err := rawRun(t, fc, 10, ewtOpt(build.OptFullyConnected, nil, nil, nil, true), []rawT{xf, w, bf}, outF)
		rawWant(t, "asymmetric option ignored", asym, err, got)
	}

	// RELU after the sum; no bias.
	w := rawT{dt: models.Int4, shape: []int{4, depth}, q: ewtQ(0.5, 0), data: pack4(codes), konst: true}
	got, err := rawRun(t, fc, 10, ewtOpt(build.OptFullyConnected, int8(1)), []rawT{xf, w}, outF)
	if err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "hybrid 4-bit relu", []int{2, 4}, decode(models.Float32, got), []float64{745 * 2.0 / 127, 0, 111 * 2.0 / 127, 0, 0, 0, 0, 0}, 2e-5)

	// Where LiteRT does not take the 4-bit path (depth under 32 or odd,
	// fewer than 4 units, a filter given at run time) it runs the int8
	// hybrid kernel on the unpacked filter: the same model with an int8
	// filter must agree bit for bit, for both input quantizations.
	for _, c := range []struct {
		name         string
		units, depth int
		konst        bool
	}{
		{"depth 30", 4, 30, true},
		{"depth 33", 4, 33, true},
		{"3 units", 3, 32, true},
		{"run-time filter", 4, 32, false},
	} {
		cw := make([]int8, c.units*c.depth)
		for i := range cw {
			cw[i] = int8(i*5%15 - 7)
		}
		xv := make([]float32, c.depth)
		for i := range xv {
			xv[i] = float32(i%7) - 2.5
		}
		in := rawT{dt: models.Float32, shape: []int{1, c.depth}, data: f32Bytes(xv...)}
		o := rawT{dt: models.Float32, shape: []int{1, c.units}}
		w4 := rawT{dt: models.Int4, shape: []int{c.units, c.depth}, q: ewtQ(0.125, 0), data: pack4(cw), konst: c.konst}
		w8 := rawT{dt: models.Int8, shape: []int{c.units, c.depth}, q: ewtQ(0.125, 0), data: i8Bytes(cw), konst: c.konst}
		for _, asym := range []bool{false, true} {
			opt := ewtOpt(build.OptFullyConnected, nil, nil, nil, asym)
			got, err := rawRun(t, fc, 10, opt, []rawT{in, w4}, o)
			want, err8 := rawRun(t, fc, 9, opt, []rawT{in, w8}, o)
			if err8 != nil {
				t.Fatal(c.name, err8)
			}
			rawWant(t, c.name, got, err, want)
		}
	}

	noAllocsRaw(t, fc, 10, ewtOpt(build.OptFullyConnected), []rawT{xf, w, bf}, outF)

	// Errors: a float filter scale is required.
	w.q = nil
	_, err = rawRun(t, fc, 10, ewtOpt(build.OptFullyConnected), []rawT{xf, w, bf}, outF)
	ewtWantErr(t, err, fc, "node 0", "no quantization parameters")
}

// noAllocsRaw runs a rawT model once, then checks that further invocations
// do not allocate.
func noAllocsRaw(t *testing.T, op ops.Op, version int, opt build.Options, ins []rawT, out rawT) {
	t.Helper()
	it, err := ewtLoad(t, rawModel(op, version, opt, ins, out))
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	k := 0
	for _, in := range ins {
		if !in.konst {
			copy(it.Input(k), in.data)
			k++
		}
	}
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%s: %v allocations per Invoke, want 0", op, a)
	}
}
