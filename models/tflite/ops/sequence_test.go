package ops_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// LSTM and UNIDIRECTIONAL_SEQUENCE_LSTM run on generated models against a
// float64 reference of the LSTM equations written here: float models within
// float32 rounding, integer models within a few output steps (the integer
// kernel quantizes gates, cell and hidden state on the way).

type lstmCase struct {
	name                            string
	seq, timeMajor                  bool
	batch, steps, in, cell, out     int
	cifg, peephole, layerNorm, diag bool
	proj, projBias                  bool
	act                             ops.Activation
	cellClip, projClip              float32
	asym                            bool // asymmetric_quantize_inputs (hybrid)
}

// lstmParams are the weights as float64 values (already rounded to what the
// model stores).
type lstmParams struct {
	w, r, peep, bias, ln [4][]float64
	proj, projBias       []float64
}

const (
	gI = iota
	gF
	gC
	gO
)

func uniform(rng *rand.Rand, n int, a float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = (rng.Float64()*2 - 1) * a
	}
	return v
}

func randomLSTM(c lstmCase, seed uint64) *lstmParams {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := &lstmParams{}
	for g := 0; g < 4; g++ {
		if g == gI && c.cifg {
			continue
		}
		p.w[g] = uniform(rng, c.cell*c.in, 0.6)
		if c.diag {
			p.r[g] = uniform(rng, c.cell, 0.6)
		} else {
			p.r[g] = uniform(rng, c.cell*c.out, 0.6)
		}
		p.bias[g] = uniform(rng, c.cell, 0.5)
		if c.peephole && g != gC {
			p.peep[g] = uniform(rng, c.cell, 0.5)
		}
		if c.layerNorm {
			p.ln[g] = uniform(rng, c.cell, 1)
			for k := range p.ln[g] {
				p.ln[g][k] += 1.5 * math.Copysign(1, p.ln[g][k])
			}
		}
	}
	if c.proj {
		p.proj = uniform(rng, c.out*c.cell, 0.5)
		if c.projBias {
			p.projBias = uniform(rng, c.out, 0.3)
		}
	}
	return p
}

func (c lstmCase) inShape() []int {
	switch {
	case !c.seq:
		return []int{c.batch, c.in}
	case c.timeMajor:
		return []int{c.steps, c.batch, c.in}
	}
	return []int{c.batch, c.steps, c.in}
}

func (c lstmCase) outShape() []int {
	s := c.inShape()
	s[len(s)-1] = c.out
	return s
}

// row is the flat offset of (batch b, step t) in a tensor whose last
// dimension is d.
func (c lstmCase) row(b, t, d int) int {
	if c.timeMajor {
		return (t*c.batch + b) * d
	}
	return (b*c.steps + t) * d
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func actRef(a ops.Activation, x float64) float64 {
	switch a {
	case ops.ActTanh:
		return math.Tanh(x)
	case ops.ActRelu:
		return math.Max(x, 0)
	case ops.ActRelu6:
		return math.Min(math.Max(x, 0), 6)
	}
	return x
}

func clipRef(x float64, c float32) float64 {
	if c > 0 {
		return math.Min(math.Max(x, -float64(c)), float64(c))
	}
	return x
}

// refLSTM runs the LSTM equations over x, updating h and cs in place, and
// returns the output sequence.
func refLSTM(c lstmCase, p *lstmParams, x, h, cs []float64) []float64 {
	steps := c.steps
	if !c.seq {
		steps = 1
	}
	out := make([]float64, c.batch*steps*c.out)
	for t := 0; t < steps; t++ {
		for b := 0; b < c.batch; b++ {
			xv := x[c.row(b, t, c.in):][:c.in]
			hv := append([]float64(nil), h[b*c.out:(b+1)*c.out]...)
			cv := cs[b*c.cell : (b+1)*c.cell]
			gate := func(g int, cell []float64) []float64 {
				pre := make([]float64, c.cell)
				for k := range pre {
					for j := 0; j < c.in; j++ {
						pre[k] += p.w[g][k*c.in+j] * xv[j]
					}
					if c.diag {
						pre[k] += p.r[g][k] * hv[k]
					} else {
						for j := 0; j < c.out; j++ {
							pre[k] += p.r[g][k*c.out+j] * hv[j]
						}
					}
					if p.peep[g] != nil {
						pre[k] += p.peep[g][k] * cell[k]
					}
				}
				if c.layerNorm {
					mean, vr := 0.0, 0.0
					for _, v := range pre {
						mean += v
					}
					mean /= float64(len(pre))
					for _, v := range pre {
						vr += (v - mean) * (v - mean)
					}
					vr /= float64(len(pre))
					for k := range pre {
						pre[k] = (pre[k]-mean)/math.Sqrt(vr+1e-8)*p.ln[g][k] + p.bias[g][k]
					}
				} else {
					for k := range pre {
						pre[k] += p.bias[g][k]
					}
				}
				for k := range pre {
					if g == gC {
						pre[k] = actRef(c.act, pre[k])
					} else {
						pre[k] = sigmoid(pre[k])
					}
				}
				return pre
			}
			var ig []float64
			if !c.cifg {
				ig = gate(gI, cv)
			}
			fg, cg := gate(gF, cv), gate(gC, cv)
			for k := range cv {
				in := 1 - fg[k]
				if !c.cifg {
					in = ig[k]
				}
				cv[k] = clipRef(fg[k]*cv[k]+in*cg[k], c.cellClip)
			}
			og := gate(gO, cv)
			hid := make([]float64, c.cell)
			for k := range hid {
				hid[k] = og[k] * actRef(c.act, cv[k])
			}
			hn := h[b*c.out : (b+1)*c.out]
			if c.proj {
				for o := range hn {
					v := 0.0
					if p.projBias != nil {
						v = p.projBias[o]
					}
					for k := range hid {
						v += p.proj[o*c.cell+k] * hid[k]
					}
					hn[o] = clipRef(v, c.projClip)
				}
			} else {
				copy(hn, hid)
			}
			copy(out[c.row(b, t, c.out):], hn)
		}
	}
	return out
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// round32 rounds parameters to what a float32 model stores.
func (p *lstmParams) round32() {
	r := func(v []float64) {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	for g := 0; g < 4; g++ {
		r(p.w[g])
		r(p.r[g])
		r(p.peep[g])
		r(p.bias[g])
		r(p.ln[g])
	}
	r(p.proj)
	r(p.projBias)
}

func lstmOp(c lstmCase) (ops.Op, build.Options) {
	if c.seq {
		return ops.OpUnidirectionalSequenceLstm, opts(build.OptUnidirectionalSequenceLSTM,
			uint8(c.act), c.cellClip, c.projClip, c.timeMajor, c.asym, c.diag)
	}
	return ops.OpLstm, opts(build.OptLSTM, uint8(c.act), c.cellClip, c.projClip, nil, c.asym)
}

// peepSlot maps a gate to its cell-to-gate input slot (9, 10, 11).
func peepSlot(g int) int {
	if g == gO {
		return 11
	}
	return 9 + g
}

// buildFloatLSTM builds a float model; mut may change the operator's inputs
// (for error tests) before the operator is added.
func buildFloatLSTM(c lstmCase, p *lstmParams, mut ...func(b *build.Builder, inputs []int)) *build.Builder {
	b := build.New()
	inputs := make([]int, 24)
	for i := range inputs {
		inputs[i] = -1
	}
	inputs[0] = b.Input("x", models.Float32, c.inShape(), nil)
	konst := func(name string, shape []int, v []float64) int {
		if v == nil {
			return -1
		}
		return b.Const(name, models.Float32, shape, f32s(v), nil)
	}
	rshape := []int{c.cell, c.out}
	if c.diag {
		rshape = []int{c.cell}
	}
	for g := 0; g < 4; g++ {
		inputs[1+g] = konst(fmt.Sprint("w", g), []int{c.cell, c.in}, p.w[g])
		inputs[5+g] = konst(fmt.Sprint("r", g), rshape, p.r[g])
		if g != gC {
			inputs[peepSlot(g)] = konst(fmt.Sprint("peep", g), []int{c.cell}, p.peep[g])
		}
		inputs[12+g] = konst(fmt.Sprint("bias", g), []int{c.cell}, p.bias[g])
		inputs[20+g] = konst(fmt.Sprint("ln", g), []int{c.cell}, p.ln[g])
	}
	inputs[16] = konst("proj", []int{c.out, c.cell}, p.proj)
	inputs[17] = konst("proj_bias", []int{c.out}, p.projBias)
	inputs[18] = b.Variable("h", models.Float32, []int{c.batch, c.out}, nil, nil)
	inputs[19] = b.Variable("c", models.Float32, []int{c.batch, c.cell}, nil, nil)
	for _, m := range mut {
		m(b, inputs)
	}
	y := b.Tensor("y", models.Float32, c.outShape(), nil)
	op, o := lstmOp(c)
	b.Op(op, 1, inputs, []int{y}, o)
	b.Output(y)
	return b
}

var lstmCases = []lstmCase{
	{name: "seq basic", seq: true, batch: 1, steps: 4, in: 3, cell: 5, out: 5, act: ops.ActTanh},
	{name: "seq batch-major", seq: true, batch: 3, steps: 3, in: 4, cell: 3, out: 3, act: ops.ActTanh},
	{name: "seq time-major", seq: true, timeMajor: true, batch: 2, steps: 3, in: 2, cell: 4, out: 4, act: ops.ActTanh},
	{name: "seq cifg peephole clip", seq: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, cifg: true, peephole: true, act: ops.ActTanh, cellClip: 0.7},
	{name: "seq peephole projection", seq: true, batch: 2, steps: 2, in: 3, cell: 5, out: 3, peephole: true, proj: true, projBias: true, act: ops.ActTanh, projClip: 0.4},
	{name: "seq layer norm projection", seq: true, timeMajor: true, batch: 2, steps: 3, in: 3, cell: 4, out: 2, layerNorm: true, proj: true, act: ops.ActTanh},
	{name: "seq layer norm cifg", seq: true, batch: 1, steps: 3, in: 2, cell: 4, out: 4, layerNorm: true, cifg: true, act: ops.ActTanh},
	{name: "seq relu6", seq: true, batch: 2, steps: 2, in: 3, cell: 3, out: 3, act: ops.ActRelu6},
	{name: "seq diagonal recurrent", seq: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, diag: true, act: ops.ActTanh},
	{name: "seq peephole projection square", seq: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, peephole: true, proj: true, projBias: true, act: ops.ActTanh, cellClip: 1.5, projClip: 0.9},
	{name: "lstm peephole layer norm", batch: 2, steps: 1, in: 3, cell: 4, out: 4, peephole: true, layerNorm: true, proj: true, act: ops.ActTanh},
	{name: "lstm basic", batch: 2, steps: 1, in: 3, cell: 4, out: 4, act: ops.ActTanh},
	{name: "lstm full", batch: 3, steps: 1, in: 4, cell: 4, out: 2, peephole: true, layerNorm: true, proj: true, projBias: true, act: ops.ActTanh, cellClip: 2, projClip: 1},
}

// invokeSeq runs the model on each input in turn and returns the outputs.
func invokeSeq(t *testing.T, it *tflite.Interpreter, dt models.DType, inputs [][]float64) [][]float64 {
	t.Helper()
	var outs [][]float64
	for _, x := range inputs {
		setInputs(t, it, encode(dt, x))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("invoke: %v", err)
		}
		_, got := output(it, 0)
		outs = append(outs, got)
	}
	return outs
}

func TestLSTMFloat(t *testing.T) {
	for i, c := range lstmCases {
		t.Run(c.name, func(t *testing.T) {
			p := randomLSTM(c, uint64(i))
			p.round32()
			it := load(t, buildFloatLSTM(c, p))
			if got := it.Outputs()[0].Shape; !equalInts(got, c.outShape()) {
				t.Fatalf("output shape %v, want %v", got, c.outShape())
			}
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			n := numel(c.inShape())
			inputs := [][]float64{uniform(rng, n, 2), uniform(rng, n, 2), nil}
			inputs[2] = inputs[0]
			for k := range inputs[0] {
				inputs[0][k] = float64(float32(inputs[0][k]))
				inputs[1][k] = float64(float32(inputs[1][k]))
			}
			// Three invocations: the state carries over from one to the next.
			got := invokeSeq(t, it, models.Float32, inputs)
			h, cs := make([]float64, c.batch*c.out), make([]float64, c.batch*c.cell)
			for k, x := range inputs {
				want := refLSTM(c, p, x, h, cs)
				compareF(t, fmt.Sprint("invoke ", k), got[k], want, 3e-5)
			}
			// Reset clears the state: the first input gives the first output again.
			if err := it.Reset(); err != nil {
				t.Fatal(err)
			}
			again := invokeSeq(t, it, models.Float32, inputs[:1])
			compareF(t, "after Reset", again[0], got[0], 0)
		})
	}
}

func compareF(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for k := range want {
		if d := math.Abs(got[k] - want[k]); d > tol || math.IsNaN(got[k]) {
			t.Fatalf("%s: [%d] = %.7g, want %.7g (diff %.3g > %.3g)", what, k, got[k], want[k], d, tol)
		}
	}
}

// Quantization of the integer LSTM test models.
const (
	lstmInScale  = 1.0 / 40
	lstmInZP     = 4
	lstmOutScale = 1.0 / 64
	lstmOutZP    = -2
	lstmCellLog2 = -11
	lstmLNScale  = 1.0 / 2048 // gate pre-activations with layer norm
)

func q1(scale float64, zp int64) *models.Quant {
	return &models.Quant{Scale: []float32{float32(scale)}, ZeroPoint: []int64{zp}}
}

// quantizeSym quantizes v symmetrically to bits and replaces v by the
// values the model stores; it returns the stored integers and the scale.
func quantizeSym(v []float64, bits int) ([]int64, float64) {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	lim := float64(int64(1)<<(bits-1) - 1)
	scale := float64(float32(m / lim))
	q := make([]int64, len(v))
	for i, x := range v {
		q[i] = int64(math.Max(-lim, math.Min(lim, math.Round(x/scale))))
		v[i] = float64(q[i]) * scale
	}
	return q, scale
}

// quantizeWith quantizes v to int32 with a given scale, in place.
func quantizeWith(v []float64, scale float64) []int32 {
	q := make([]int32, len(v))
	for i, x := range v {
		q[i] = int32(math.Round(x / scale))
		v[i] = float64(q[i]) * scale
	}
	return q
}

func int8s(q []int64) []int8 {
	out := make([]int8, len(q))
	for i, v := range q {
		out[i] = int8(v)
	}
	return out
}

func int16s(q []int64) []int16 {
	out := make([]int16, len(q))
	for i, v := range q {
		out[i] = int16(v)
	}
	return out
}

func filled[T int8 | int16](n int, v T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// buildIntLSTM quantizes p (in place, so the reference sees the stored
// values) and builds an integer LSTM model.
func buildIntLSTM(c lstmCase, p *lstmParams, mut ...func(b *build.Builder, inputs, inter []int) []int) *build.Builder {
	b := build.New()
	inputs := make([]int, 24)
	for i := range inputs {
		inputs[i] = -1
	}
	inputs[0] = b.Input("x", models.Int8, c.inShape(), q1(lstmInScale, lstmInZP))
	for g := 0; g < 4; g++ {
		if p.w[g] == nil {
			continue
		}
		wq, ws := quantizeSym(p.w[g], 8)
		inputs[1+g] = b.Const(fmt.Sprint("w", g), models.Int8, []int{c.cell, c.in}, int8s(wq), q1(ws, 0))
		rq, rs := quantizeSym(p.r[g], 8)
		inputs[5+g] = b.Const(fmt.Sprint("r", g), models.Int8, []int{c.cell, c.out}, int8s(rq), q1(rs, 0))
		if p.peep[g] != nil {
			pq, ps := quantizeSym(p.peep[g], 16)
			inputs[peepSlot(g)] = b.Const(fmt.Sprint("peep", g), models.Int16, []int{c.cell}, int16s(pq), q1(ps, 0))
		}
		biasScale := ws * lstmInScale
		if c.layerNorm {
			lq, ls := quantizeSym(p.ln[g], 16)
			inputs[20+g] = b.Const(fmt.Sprint("ln", g), models.Int16, []int{c.cell}, int16s(lq), q1(ls, 0))
			biasScale = ls / 1024
		}
		inputs[12+g] = b.Const(fmt.Sprint("bias", g), models.Int32, []int{c.cell}, quantizeWith(p.bias[g], biasScale), q1(biasScale, 0))
	}
	hidScale, hidZP := lstmOutScale, int64(lstmOutZP)
	if c.proj {
		hidScale, hidZP = 1.0/128, 0
		pq, ps := quantizeSym(p.proj, 8)
		inputs[16] = b.Const("proj", models.Int8, []int{c.out, c.cell}, int8s(pq), q1(ps, 0))
		if p.projBias != nil {
			inputs[17] = b.Const("proj_bias", models.Int32, []int{c.out}, quantizeWith(p.projBias, ps*hidScale), q1(ps*hidScale, 0))
		}
	}
	inputs[18] = b.Variable("h", models.Int8, []int{c.batch, c.out}, filled(c.batch*c.out, int8(lstmOutZP)), q1(lstmOutScale, lstmOutZP))
	inputs[19] = b.Variable("c", models.Int16, []int{c.batch, c.cell}, nil, q1(math.Ldexp(1, lstmCellLog2), 0))
	var inter []int
	for g := 0; g < 4; g++ {
		inter = append(inter, b.Tensor(fmt.Sprint("inter", g), models.Int16, []int{0}, q1(lstmLNScale, 0)))
	}
	inter = append(inter, b.Tensor("hidden", models.Int8, []int{0}, q1(hidScale, hidZP)))
	for _, m := range mut {
		inter = m(b, inputs, inter)
	}
	y := b.Tensor("y", models.Int8, c.outShape(), q1(lstmOutScale, lstmOutZP))
	op, o := lstmOp(c)
	k := b.Op(op, 1, inputs, []int{y}, o)
	b.SetIntermediates(k, inter)
	b.Output(y)
	return b
}

func TestLSTMInt8(t *testing.T) {
	for i, c := range lstmCases {
		if c.diag || c.act != ops.ActTanh || (c.peephole && c.out != c.cell) {
			continue // float only: see lstmIntPrepare
		}
		t.Run(c.name, func(t *testing.T) {
			p := randomLSTM(c, uint64(i))
			it := load(t, buildIntLSTM(c, p))
			rng := rand.New(rand.NewPCG(uint64(i), 5))
			n := numel(c.inShape())
			var inputs [][]float64
			for range 3 {
				x := make([]float64, n)
				for k := range x {
					x[k] = float64(rng.IntN(256) - 128)
				}
				inputs = append(inputs, x)
			}
			got := invokeSeq(t, it, models.Int8, inputs)
			h, cs := make([]float64, c.batch*c.out), make([]float64, c.batch*c.cell)
			for k, xq := range inputs {
				x := make([]float64, len(xq))
				for j, v := range xq {
					x[j] = (v - lstmInZP) * lstmInScale
				}
				want := refLSTM(c, p, x, h, cs)
				for j := range want {
					want[j] = math.Max(-128, math.Min(127, want[j]/lstmOutScale+lstmOutZP))
				}
				compareF(t, fmt.Sprint("invoke ", k), got[k], want, 1)
			}
			if err := it.Reset(); err != nil {
				t.Fatal(err)
			}
			again := invokeSeq(t, it, models.Int8, inputs[:1])
			compareF(t, "after Reset", again[0], got[0], 0)
		})
	}
}

func TestLSTMErrors(t *testing.T) {
	c := lstmCase{seq: true, batch: 2, steps: 2, in: 3, cell: 4, out: 4, act: ops.ActTanh}
	const name = "UNIDIRECTIONAL_SEQUENCE_LSTM"
	for _, tc := range []struct {
		want string
		c    lstmCase
		mut  func(b *build.Builder, in []int)
	}{
		{"forget gate weights are missing", c, func(b *build.Builder, in []int) { in[2] = -1 }},
		{"recurrent-to-cell weights have shape", c, func(b *build.Builder, in []int) {
			in[7] = b.Const("bad", models.Float32, []int{4, 3}, make([]float32, 12), nil)
		}},
		{"must be variable tensors", c, func(b *build.Builder, in []int) {
			in[19] = b.Tensor("not_var", models.Float32, []int{2, 4}, nil)
		}},
		{"output state has shape", c, func(b *build.Builder, in []int) {
			in[18] = b.Variable("short", models.Float32, []int{1, 4}, nil, nil)
		}},
		{"input has shape", c, func(b *build.Builder, in []int) {
			in[0] = b.Tensor("x2d", models.Float32, []int{2, 3}, nil)
		}},
		{"projection bias needs projection weights", c, func(b *build.Builder, in []int) {
			in[17] = b.Const("pb", models.Float32, []int{4}, make([]float32, 4), nil)
		}},
		{"peephole", c, func(b *build.Builder, in []int) {
			in[10] = b.Const("p", models.Float32, []int{4}, make([]float32, 4), nil)
		}},
		{"input gate weights must be all present", c, func(b *build.Builder, in []int) { in[5] = -1 }},
		{"needs exactly one quantization scale for a hybrid LSTM", c, func(b *build.Builder, in []int) {
			for g := 0; g < 4; g++ {
				in[1+g] = b.Const(fmt.Sprint("q", g), models.Int8, []int{4, 3}, make([]int8, 12), q1(0.1, 0))
				in[5+g] = b.Const(fmt.Sprint("qr", g), models.Int8, []int{4, 4}, make([]int8, 16), q1(0.1, 0))
			}
			pc := &models.Quant{Scale: []float32{0.1, 0.2, 0.1, 0.2}, ZeroPoint: []int64{0, 0, 0, 0}}
			in[2] = b.Const("qpc", models.Int8, []int{4, 3}, make([]int8, 12), pc)
		}},
		{"cell_clip", lstmCase{seq: true, batch: 2, steps: 2, in: 3, cell: 4, out: 4, act: ops.ActTanh, cellClip: -1}, nil},
		{"output size (2) must equal the cell count (4)", lstmCase{seq: true, batch: 2, steps: 2, in: 3, cell: 4, out: 2, act: ops.ActTanh}, nil},
	} {
		p := randomLSTM(tc.c, 1)
		var muts []func(*build.Builder, []int)
		if tc.mut != nil {
			muts = append(muts, tc.mut)
		}
		expectErr(t, loadErr(t, buildFloatLSTM(tc.c, p, muts...)), name, tc.want)
	}

	// 21 inputs, and the BASIC kernel of LSTM.
	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 2}, nil)
	y := b.Tensor("y", models.Float32, []int{1, 2}, nil)
	in := make([]int, 21)
	in[0] = x
	for i := 1; i < len(in); i++ {
		in[i] = -1
	}
	b.Op(ops.OpLstm, 1, in, []int{y}, opts(build.OptLSTM, nil, nil, nil, uint8(1)))
	b.Output(y)
	expectErr(t, loadErr(t, b), "LSTM", "has 21 inputs")
	b2 := build.New()
	ins := make([]int, 24)
	for i := range ins {
		ins[i] = -1
	}
	ins[0] = b2.Input("x", models.Float32, []int{1, 2}, nil)
	y2 := b2.Tensor("y", models.Float32, []int{1, 2}, nil)
	b2.Op(ops.OpLstm, 1, ins, []int{y2}, opts(build.OptLSTM, uint8(ops.ActTanh), nil, nil, uint8(1)))
	b2.Output(y2)
	expectErr(t, loadErr(t, b2), "LSTM", "BASIC")

	// Integer models: the intermediates and the cell state scale.
	ic := lstmCase{seq: true, batch: 1, steps: 2, in: 3, cell: 4, out: 4, act: ops.ActTanh}
	expectErr(t, loadErr(t, buildIntLSTM(ic, randomLSTM(ic, 2), func(b *build.Builder, in, inter []int) []int {
		return inter[:4]
	})), name, "5 intermediate")
	expectErr(t, loadErr(t, buildIntLSTM(ic, randomLSTM(ic, 2), func(b *build.Builder, in, inter []int) []int {
		in[19] = b.Variable("c3", models.Int16, []int{1, 4}, nil, q1(0.0003, 0))
		return inter
	})), name, "power of two")
	expectErr(t, loadErr(t, buildIntLSTM(ic, randomLSTM(ic, 2), func(b *build.Builder, in, inter []int) []int {
		in[13] = b.Const("fbias", models.Float32, []int{4}, make([]float32, 4), nil)
		return inter
	})), name, "forget gate bias is float32")
}
