package ops_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// RNN and UNIDIRECTIONAL_SEQUENCE_RNN on generated models against a float64
// reference of h = act(bias + W·x + R·h): float models within float32
// rounding; hybrid models (int8 weights) with the reference quantizing each
// input and hidden row the way TFLite's BatchQuantizeFloats does, plus two
// cases computed by hand that pin the rounding of ties.

type rnnCase struct {
	seq, timeMajor, asym bool
	batch, steps         int
	in, units            int
	act                  ops.Activation
}

func (c rnnCase) String() string {
	return fmt.Sprintf("seq%v_tm%v_asym%v_b%d_t%d_in%d_u%d_act%d", c.seq, c.timeMajor, c.asym, c.batch, c.steps, c.in, c.units, c.act)
}

func (c rnnCase) inShape() []int {
	switch {
	case !c.seq:
		return []int{c.batch, c.in}
	case c.timeMajor:
		return []int{c.steps, c.batch, c.in}
	}
	return []int{c.batch, c.steps, c.in}
}

func (c rnnCase) outShape() []int {
	s := c.inShape()
	s[len(s)-1] = c.units
	return s
}

// rnnWeights are the cell's weights as the model stores them: float values,
// or int8 codes with one scale each when hybrid.
type rnnWeights struct {
	w, r, bias     []float64
	hybrid         bool
	wScale, rScale float64
}

// rnnModel builds the single-node model of case c.
func rnnModel(c rnnCase, p *rnnWeights) *build.Builder {
	b := build.New()
	x := b.Input("x", models.Float32, c.inShape(), nil)
	var w, r int
	if p.hybrid {
		w = b.Const("w", models.Int8, []int{c.units, c.in}, i8s(p.w), q1(p.wScale, 0))
		r = b.Const("r", models.Int8, []int{c.units, c.units}, i8s(p.r), q1(p.rScale, 0))
	} else {
		w = b.Const("w", models.Float32, []int{c.units, c.in}, f32s(p.w), nil)
		r = b.Const("r", models.Float32, []int{c.units, c.units}, f32s(p.r), nil)
	}
	bias := b.Const("bias", models.Float32, []int{c.units}, f32s(p.bias), nil)
	h := b.Variable("h", models.Float32, []int{c.batch, c.units}, nil, nil)
	y := b.Tensor("y", models.Float32, c.outShape(), nil)
	if c.seq {
		b.Op(ops.OpUnidirectionalSequenceRnn, 1, []int{x, w, r, bias, h}, []int{y}, opts(build.OptSequenceRNN, c.timeMajor, uint8(c.act), c.asym))
	} else {
		b.Op(ops.OpRnn, 1, []int{x, w, r, bias, h}, []int{y}, opts(build.OptRNN, uint8(c.act), c.asym))
	}
	b.Output(y)
	return b
}

func i8s(v []float64) []int8 {
	out := make([]int8, len(v))
	for i, x := range v {
		out[i] = int8(x)
	}
	return out
}

// rnnContrib is W·v for one row: in float64, or for a hybrid cell with v
// quantized as TFLite does and the integer products scaled back.
func rnnContrib(v, w []float64, scale float64, hybrid, asym bool, units int) []float64 {
	out := make([]float64, units)
	q, sf, zp := v, 1.0, 0.0
	if hybrid {
		q, sf, zp = bHybridQuant(v, asym)
		sf = float64(float32(sf) * float32(scale))
	}
	for o := range out {
		for i := range v {
			out[o] += w[o*len(v)+i] * (q[i] - zp)
		}
		out[o] *= sf
	}
	return out
}

// refRNN runs the cell over x (laid out as c.inShape()) from state h
// (updated) and returns the outputs laid out as c.outShape().
func refRNN(c rnnCase, p *rnnWeights, x, h []float64) []float64 {
	steps := max(c.steps, 1)
	if !c.seq {
		steps = 1
	}
	out := make([]float64, c.batch*steps*c.units)
	idx := func(b, t int) int {
		if !c.seq || c.timeMajor {
			return t*c.batch + b
		}
		return b*steps + t
	}
	for t := 0; t < steps; t++ {
		for b := 0; b < c.batch; b++ {
			row := idx(b, t)
			hb := h[b*c.units : (b+1)*c.units]
			xin := rnnContrib(x[row*c.in:(row+1)*c.in], p.w, p.wScale, p.hybrid, c.asym, c.units)
			rec := rnnContrib(hb, p.r, p.rScale, p.hybrid, c.asym, c.units)
			for o := 0; o < c.units; o++ {
				v := bActF(c.act, p.bias[o]+xin[o]+rec[o])
				out[row*c.units+o] = v
				hb[o] = v
			}
		}
	}
	return out
}

var rnnCases = []rnnCase{
	{batch: 2, in: 3, units: 4, act: ops.ActTanh},
	{batch: 1, in: 5, units: 3, act: ops.ActRelu},
	{seq: true, timeMajor: true, batch: 2, steps: 3, in: 4, units: 3, act: ops.ActTanh},
	{seq: true, batch: 3, steps: 4, in: 2, units: 5, act: ops.ActReluN1To1},
	{seq: true, batch: 2, steps: 2, in: 3, units: 2, act: ops.ActNone, asym: true},
	{seq: true, timeMajor: true, batch: 3, steps: 2, in: 6, units: 4, act: ops.ActRelu6, asym: true},
}

func randomRNN(c rnnCase, seed uint64, hybrid bool) *rnnWeights {
	rng := rand.New(rand.NewPCG(seed, 17))
	p := &rnnWeights{hybrid: hybrid, bias: uniform(rng, c.units, 0.3)}
	p.w, p.r = uniform(rng, c.units*c.in, 0.8), uniform(rng, c.units*c.units, 0.5)
	if hybrid {
		p.wScale, p.rScale = float64(float32(0.8/127)), float64(float32(0.5/127))
		for i := range p.w {
			p.w[i] = math.Round(p.w[i] / 0.8 * 127)
		}
		for i := range p.r {
			p.r[i] = math.Round(p.r[i] / 0.5 * 127)
		}
	}
	for _, v := range [][]float64{p.w, p.r, p.bias} {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	return p
}

// runRNNCase invokes the model three times (the state carries over, the
// second input has an all-zero batch) and compares every output.
func runRNNCase(t *testing.T, c rnnCase, p *rnnWeights, seed uint64, tol float64) {
	it := load(t, rnnModel(c, p))
	defer it.Close()
	if got := it.Outputs()[0].Shape; !equalInts(got, c.outShape()) {
		t.Fatalf("output shape %v, want %v", got, c.outShape())
	}
	rng := rand.New(rand.NewPCG(seed, 5))
	n := numel(c.inShape())
	inputs := [][]float64{uniform(rng, n, 2), make([]float64, n), uniform(rng, n, 1)}
	for _, x := range inputs {
		for i := range x {
			x[i] = float64(float32(x[i]))
		}
	}
	got := invokeSeq(t, it, models.Float32, inputs)
	h := make([]float64, c.batch*c.units)
	for k, x := range inputs {
		compareF(t, fmt.Sprint("invoke ", k), got[k], refRNN(c, p, x, h), tol)
	}
	if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
		t.Errorf("%v allocations per Invoke, want 0", a)
	}
}

func TestRNNFloat(t *testing.T) {
	for i, c := range rnnCases {
		t.Run(c.String(), func(t *testing.T) {
			runRNNCase(t, c, randomRNN(c, uint64(i), false), uint64(i), 1e-5)
		})
	}
}

func TestRNNHybrid(t *testing.T) {
	for i, c := range rnnCases {
		for _, asym := range []bool{false, true} {
			c.asym = asym
			t.Run(c.String(), func(t *testing.T) {
				p := randomRNN(c, uint64(i), true)
				// The reference keeps the hidden state in float64, so a
				// quantized hidden value can land one step away from the
				// kernel's on a rounding tie: allow a little more than
				// float32 rounding.
				runRNNCase(t, c, p, uint64(i), 2e-3)
			})
		}
	}
}

// TestRNNHybridByHand checks two hybrid steps computed by hand with W the
// identity (127 at scale 1/127), R zero and bias 0.25: ties round away from
// zero (std::round), not to even.
func TestRNNHybridByHand(t *testing.T) {
	c := rnnCase{batch: 1, in: 2, units: 2}
	p := &rnnWeights{hybrid: true, w: []float64{127, 0, 0, 127}, r: []float64{0, 0, 0, 0},
		bias: []float64{0.25, 0.25}, wScale: 1.0 / 127, rScale: 1}
	// Symmetric: max|x| = 127, so x quantizes to itself: -62.5 -> -63.
	it := load(t, rnnModel(c, p))
	got := invokeSeq(t, it, models.Float32, [][]float64{{127, -62.5}})[0]
	compareF(t, "symmetric", got, []float64{127.25, -62.75}, 1e-5)
	it.Close()
	// Asymmetric: [1, 2] over [0, 2] is scale 2/255 and zero point -128;
	// 1 quantizes to round(-0.5) = -1, 2 to 127. With row sums 127:
	// (127*-1 + 127*128) * 2/255/127 = 254/255 and (127*127 + 127*128)
	// * 2/255/127 = 2.
	c.asym = true
	it = load(t, rnnModel(c, p))
	defer it.Close()
	got = invokeSeq(t, it, models.Float32, [][]float64{{1, 2}})[0]
	compareF(t, "asymmetric", got, []float64{0.25 + 254.0/255, 2.25}, 1e-5)
}

func TestRNNErrors(t *testing.T) {
	c := rnnCase{batch: 1, in: 3, units: 2}
	p := randomRNN(c, 1, false)
	load(t, rnnModel(c, p)).Close() // the valid model the others break
	model := func(mut func(b *build.Builder, in []int)) *build.Builder {
		b := build.New()
		x := b.Input("x", models.Float32, []int{1, 3}, nil)
		w := b.Const("w", models.Float32, []int{2, 3}, make([]float32, 6), nil)
		r := b.Const("r", models.Float32, []int{2, 2}, make([]float32, 4), nil)
		bias := b.Const("bias", models.Float32, []int{2}, make([]float32, 2), nil)
		h := b.Variable("h", models.Float32, []int{1, 2}, nil, nil)
		in := []int{x, w, r, bias, h}
		mut(b, in)
		y := b.Tensor("y", models.Float32, []int{1, 2}, nil)
		b.Op(ops.OpRnn, 1, in, []int{y}, opts(build.OptRNN, uint8(0)))
		b.Output(y)
		return b
	}
	for _, tc := range []struct {
		name string
		mut  func(b *build.Builder, in []int)
		want string
	}{
		{"weights do not fit", func(b *build.Builder, in []int) {
			in[1] = b.Const("w2", models.Float32, []int{2, 4}, make([]float32, 8), nil)
		}, "do not fit"},
		{"recurrent shape", func(b *build.Builder, in []int) {
			in[2] = b.Const("r2", models.Float32, []int{2, 3}, make([]float32, 6), nil)
		}, "recurrent weights have shape"},
		{"state not variable", func(b *build.Builder, in []int) {
			in[4] = b.Tensor("h2", models.Float32, []int{1, 2}, nil)
		}, "variable"},
		{"mixed weight types", func(b *build.Builder, in []int) {
			in[1] = b.Const("w2", models.Int8, []int{2, 3}, make([]int8, 6), q1(0.1, 0))
		}, "same type"},
		{"per-channel hybrid", func(b *build.Builder, in []int) {
			qc := &models.Quant{Scale: []float32{0.1, 0.2}, ZeroPoint: []int64{0, 0}}
			in[1] = b.Const("w2", models.Int8, []int{2, 3}, make([]int8, 6), qc)
			in[2] = b.Const("r2", models.Int8, []int{2, 2}, make([]int8, 4), q1(0.1, 0))
		}, "exactly one quantization scale"},
		{"int32 weights", func(b *build.Builder, in []int) {
			in[1] = b.Const("w2", models.Int32, []int{2, 3}, make([]int32, 6), nil)
			in[2] = b.Const("r2", models.Int32, []int{2, 2}, make([]int32, 4), nil)
		}, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectErr(t, loadErr(t, model(tc.mut)), "RNN", tc.want)
		})
	}
}
