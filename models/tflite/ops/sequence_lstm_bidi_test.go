package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// BIDIRECTIONAL_SEQUENCE_LSTM against the float64 LSTM reference of
// sequence_test.go run forward and on the time-reversed sequence, and
// against the (conformance-tested) UNIDIRECTIONAL_SEQUENCE_LSTM kernel run
// the same way: float and hybrid, merged or separate outputs, time- or
// batch-major, with an aux input feeding both directions (stacking) or as
// the backward input (non-stacking).

type biLstmCase struct {
	lstmCase         // cell shape and options shared by both directions
	merge, hybrid    bool
	aux, nonStacking bool
	auxIn            int // aux features with aux weights; 0: as the input
}

func (c biLstmCase) auxWidth() int {
	if c.auxIn > 0 {
		return c.auxIn
	}
	return c.in
}

// biLstmDirParams is one direction: its weights (dequantized values when
// hybrid), their int8 codes and the aux weights.
type biLstmDirParams struct {
	p, codes  *lstmParams
	aux, auxQ [4][]float64
}

func randomBiDir(c biLstmCase, seed uint64) biLstmDirParams {
	p := randomLSTM(c.lstmCase, seed)
	p.round32()
	d := biLstmDirParams{p: p}
	if c.aux {
		rng := rand.New(rand.NewPCG(seed, 99))
		for g := 0; g < 4; g++ {
			if g == gI && c.cifg {
				continue
			}
			d.aux[g] = uniform(rng, c.cell*c.auxWidth(), 0.6)
		}
	}
	if c.hybrid {
		// The aux weights ride along as a fake projection-free gate set.
		aux := &lstmParams{w: d.aux}
		qa := hybridLSTMParams(aux)
		d.auxQ = qa.w
		codes := hybridLSTMParams(p)
		d.codes = &codes
	} else {
		for g := range d.aux {
			for k, v := range d.aux[g] {
				d.aux[g][k] = float64(float32(v))
			}
		}
	}
	return d
}

func buildBiLSTM(c biLstmCase, fw, bw biLstmDirParams, mut ...func(b *build.Builder, in []int)) *build.Builder {
	b := build.New()
	in := make([]int, 48)
	for i := range in {
		in[i] = -1
	}
	in[0] = b.Input("x", models.Float32, c.inShape(), nil)
	mat := func(name string, shape []int, v, q []float64, scale float64) int {
		switch {
		case v == nil:
			return -1
		case c.hybrid:
			return b.Const(name, models.Int8, shape, i8s(q), q1(scale, 0))
		}
		return b.Const(name, models.Float32, shape, f32s(v), nil)
	}
	konst := func(name string, shape []int, v []float64) int {
		if v == nil {
			return -1
		}
		return b.Const(name, models.Float32, shape, f32s(v), nil)
	}
	for i, d := range []biLstmDirParams{fw, bw} {
		o := 17 * i
		codes := d.codes
		if codes == nil {
			codes = &lstmParams{}
		}
		for g := 0; g < 4; g++ {
			in[1+o+g] = mat(fmt.Sprint("w", i, g), []int{c.cell, c.in}, d.p.w[g], codes.w[g], lstmHybW)
			in[5+o+g] = mat(fmt.Sprint("r", i, g), []int{c.cell, c.out}, d.p.r[g], codes.r[g], lstmHybW)
			if g != gC {
				in[o+peepSlot(g)] = mat(fmt.Sprint("peep", i, g), []int{c.cell}, d.p.peep[g], codes.peep[g], lstmHybPeep)
			}
			in[12+o+g] = konst(fmt.Sprint("bias", i, g), []int{c.cell}, d.p.bias[g])
			in[40+4*i+g] = mat(fmt.Sprint("aux", i, g), []int{c.cell, c.auxWidth()}, d.aux[g], d.auxQ[g], lstmHybW)
		}
		in[16+o] = mat(fmt.Sprint("proj", i), []int{c.out, c.cell}, d.p.proj, codes.proj, lstmHybPeep)
		in[17+o] = konst(fmt.Sprint("proj_bias", i), []int{c.out}, d.p.projBias)
		in[35+2*i] = b.Variable(fmt.Sprint("h", i), models.Float32, []int{c.batch, c.out}, nil, nil)
		in[36+2*i] = b.Variable(fmt.Sprint("c", i), models.Float32, []int{c.batch, c.cell}, nil, nil)
	}
	if c.aux || c.nonStacking {
		shape := c.inShape()
		shape[2] = c.auxWidth()
		in[39] = b.Input("aux", models.Float32, shape, nil)
	}
	for _, m := range mut {
		m(b, in)
	}
	width := c.out
	if c.merge {
		width *= 2
	}
	shape := c.inShape()
	shape[2] = width
	outs := []int{b.Tensor("fw", models.Float32, shape, nil)}
	if !c.merge {
		outs = append(outs, b.Tensor("bw", models.Float32, c.outShape(), nil))
	}
	b.Op(ops.OpBidirectionalSequenceLstm, 1, in, outs,
		opts(build.OptBidirectionalSequenceLSTM, uint8(c.act), c.cellClip, c.projClip, c.merge, c.timeMajor, c.asym))
	for _, o := range outs {
		b.Output(o)
	}
	return b
}

// reverse returns x with the time steps of every batch in reverse order.
func (c biLstmCase) reverse(x []float64, d int) []float64 {
	out := make([]float64, len(x))
	for b := 0; b < c.batch; b++ {
		for t := 0; t < c.steps; t++ {
			copy(out[c.row(b, t, d):][:d], x[c.row(b, c.steps-1-t, d):][:d])
		}
	}
	return out
}

// concatRows joins the rows of x (n wide) and a (k wide).
func concatRows(x, a []float64, n, k int) []float64 {
	out := make([]float64, 0, len(x)+len(a))
	for r := 0; r < len(x)/n; r++ {
		out = append(out, x[r*n:(r+1)*n]...)
		out = append(out, a[r*k:(r+1)*k]...)
	}
	return out
}

// refBiDir runs one direction of the float64 reference over the whole
// sequence (reversed for the backward one) from states h, cs. An aux input
// is added to each row's gate biases (its row quantized on its own when
// hybrid), one reference step per row.
func refBiDir(c biLstmCase, d biLstmDirParams, x, aux []float64, forward bool, h, cs []float64) []float64 {
	run := func(lc lstmCase, p *lstmParams, x, h, cs []float64) []float64 {
		if c.hybrid {
			return refLSTMHybrid(lc, p, x, h, cs, c.asym)
		}
		return refLSTM(lc, p, x, h, cs)
	}
	if !c.aux {
		if forward {
			return run(c.lstmCase, d.p, x, h, cs)
		}
		return c.reverse(run(c.lstmCase, d.p, c.reverse(x, c.in), h, cs), c.out)
	}
	out := make([]float64, c.batch*c.steps*c.out)
	one := c.lstmCase
	one.batch, one.steps, one.timeMajor = 1, 1, false
	na := c.auxWidth()
	for b := 0; b < c.batch; b++ {
		for s := 0; s < c.steps; s++ {
			t := s
			if !forward {
				t = c.steps - 1 - s
			}
			// TFLite's aux rows start every n_input elements.
			a := aux[c.row(b, t, c.in):][:na]
			if c.hybrid {
				a = dequantRow(a, c.asym)
			}
			p := *d.p
			for g := 0; g < 4; g++ {
				if p.bias[g] == nil {
					continue
				}
				p.bias[g] = append([]float64(nil), p.bias[g]...)
				for k := range p.bias[g] {
					for j, v := range a {
						p.bias[g][k] += d.aux[g][k*na+j] * v
					}
				}
			}
			o := run(one, &p, x[c.row(b, t, c.in):][:c.in], h[b*c.out:(b+1)*c.out], cs[b*c.cell:(b+1)*c.cell])
			copy(out[c.row(b, t, c.out):][:c.out], o)
		}
	}
	return out
}

// merged interleaves the two directions' rows as merge_outputs does.
func mergedRows(fw, bw []float64, n int) []float64 {
	return concatRows(fw, bw, n, n)
}

var biLstmCases = []biLstmCase{
	{lstmCase: lstmCase{name: "batch-major", seq: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, act: ops.ActTanh}},
	{lstmCase: lstmCase{name: "time-major merged", seq: true, timeMajor: true, batch: 2, steps: 4, in: 3, cell: 4, out: 4, act: ops.ActTanh}, merge: true},
	{lstmCase: lstmCase{name: "batch-major merged one batch", seq: true, batch: 1, steps: 4, in: 2, cell: 3, out: 3, act: ops.ActTanh}, merge: true},
	{lstmCase: lstmCase{name: "cifg peephole clip", seq: true, timeMajor: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, cifg: true, peephole: true, act: ops.ActTanh, cellClip: 0.7}},
	{lstmCase: lstmCase{name: "peephole projection clip", seq: true, batch: 2, steps: 3, in: 3, cell: 5, out: 3, peephole: true, proj: true, projBias: true, act: ops.ActTanh, projClip: 0.4}},
	{lstmCase: lstmCase{name: "aux time-major merged", seq: true, timeMajor: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, act: ops.ActTanh}, merge: true, aux: true},
	{lstmCase: lstmCase{name: "aux batch-major cifg", seq: true, batch: 2, steps: 3, in: 2, cell: 3, out: 3, cifg: true, act: ops.ActTanh}, aux: true},
	{lstmCase: lstmCase{name: "wide aux rows at the input's stride", seq: true, timeMajor: true, batch: 2, steps: 3, in: 2, cell: 3, out: 3, peephole: true, act: ops.ActTanh}, aux: true, auxIn: 4},
	{lstmCase: lstmCase{name: "non-stacking", seq: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, act: ops.ActTanh}, nonStacking: true},
	{lstmCase: lstmCase{name: "non-stacking time-major", seq: true, timeMajor: true, batch: 2, steps: 3, in: 3, cell: 4, out: 4, act: ops.ActRelu6}, nonStacking: true},
}

func TestBiLSTM(t *testing.T) {
	for i, c := range biLstmCases {
		for _, mode := range []struct {
			hybrid, asym bool
		}{{false, false}, {true, false}, {true, true}} {
			c.hybrid, c.asym = mode.hybrid, mode.asym
			t.Run(fmt.Sprintf("%s hybrid %v asym %v", c.name, c.hybrid, c.asym), func(t *testing.T) {
				fw, bw := randomBiDir(c, uint64(i)), randomBiDir(c, uint64(i)+100)
				it := load(t, buildBiLSTM(c, fw, bw))
				defer it.Close()
				rng := rand.New(rand.NewPCG(uint64(i), 5))
				n := numel(c.inShape())
				round := func(v []float64) []float64 {
					for k := range v {
						v[k] = float64(float32(v[k]))
					}
					return v
				}
				hf, cf := make([]float64, c.batch*c.out), make([]float64, c.batch*c.cell)
				hb, cb := make([]float64, c.batch*c.out), make([]float64, c.batch*c.cell)
				tol := 1e-5
				if c.hybrid {
					tol = 2e-3
				}
				// Two invokes: the second starts from the states the first left.
				for k := 0; k < 2; k++ {
					x := round(uniform(rng, n, 1.5))
					var aux []float64
					ins := [][]byte{encode(models.Float32, x)}
					if c.aux || c.nonStacking {
						aux = round(uniform(rng, n/c.in*c.auxWidth(), 1.5))
						ins = append(ins, encode(models.Float32, aux))
					}
					setInputs(t, it, ins...)
					if err := it.Invoke(context.Background()); err != nil {
						t.Fatalf("invoke: %v", err)
					}
					bwIn := x
					if c.nonStacking {
						bwIn = aux
					}
					wantF := refBiDir(c, fw, x, aux, true, hf, cf)
					wantB := refBiDir(c, bw, bwIn, aux, false, hb, cb)
					_, got := output(it, 0)
					if c.merge {
						compareF(t, fmt.Sprint("merged output, invoke ", k), got, mergedRows(wantF, wantB, c.out), tol)
						continue
					}
					compareF(t, fmt.Sprint("forward output, invoke ", k), got, wantF, tol)
					_, gotB := output(it, 1)
					compareF(t, fmt.Sprint("backward output, invoke ", k), gotB, wantB, tol)
				}
				if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
					t.Errorf("%v allocations per Invoke, want 0", a)
				}
			})
		}
	}
}

// TestBiLSTMIsTwoUnidirectional asserts that, without an aux input, the
// forward output equals UNIDIRECTIONAL_SEQUENCE_LSTM over the sequence and
// the backward output that kernel over the reversed sequence, reversed back,
// bit for bit.
func TestBiLSTMIsTwoUnidirectional(t *testing.T) {
	for i, c := range biLstmCases {
		if c.aux || c.nonStacking {
			continue
		}
		for _, mode := range []struct{ hybrid, asym bool }{{false, false}, {true, false}, {true, true}} {
			c.hybrid, c.asym = mode.hybrid, mode.asym
			t.Run(fmt.Sprintf("%s hybrid %v asym %v", c.name, c.hybrid, c.asym), func(t *testing.T) {
				fw, bw := randomBiDir(c, uint64(i)), randomBiDir(c, uint64(i)+100)
				bi := load(t, buildBiLSTM(c, fw, bw))
				defer bi.Close()
				uni := func(d biLstmDirParams) *build.Builder {
					if c.hybrid {
						return buildHybridLSTM(c.lstmCase, d.p, *d.codes)
					}
					return buildFloatLSTM(c.lstmCase, d.p)
				}
				uf, ub := load(t, uni(fw)), load(t, uni(bw))
				defer uf.Close()
				defer ub.Close()
				rng := rand.New(rand.NewPCG(uint64(i), 9))
				x := uniform(rng, numel(c.inShape()), 1.5)
				setInputs(t, bi, encode(models.Float32, x))
				if err := bi.Invoke(context.Background()); err != nil {
					t.Fatal(err)
				}
				wantF := invokeSeq(t, uf, models.Float32, [][]float64{x})[0]
				wantB := c.reverse(invokeSeq(t, ub, models.Float32, [][]float64{c.reverse(x, c.in)})[0], c.out)
				_, got := output(bi, 0)
				if c.merge {
					compareF(t, "merged", got, mergedRows(wantF, wantB, c.out), 0)
					return
				}
				_, gotB := output(bi, 1)
				compareF(t, "forward", got, wantF, 0)
				compareF(t, "backward", gotB, wantB, 0)
			})
		}
	}
}

func TestBiLSTMErrors(t *testing.T) {
	const op = "BIDIRECTIONAL_SEQUENCE_LSTM (node 0)"
	base := biLstmCase{lstmCase: lstmCase{name: "errors", seq: true, batch: 2, steps: 2, in: 3, cell: 2, out: 2, act: ops.ActTanh}}
	fw, bw := randomBiDir(base, 1), randomBiDir(base, 2)
	load(t, buildBiLSTM(base, fw, bw)).Close() // the valid model
	check := func(what string, c biLstmCase, mut func(b *build.Builder, in []int), fragments ...string) {
		t.Helper()
		fw, bw := randomBiDir(c, 1), randomBiDir(c, 2)
		var muts []func(*build.Builder, []int)
		if mut != nil {
			muts = append(muts, mut)
		}
		err := loadErr(t, buildBiLSTM(c, fw, bw, muts...))
		if err == nil {
			t.Fatalf("%s: model loaded", what)
		}
		expectErr(t, err, op, fragments...)
		if strings.Contains(err.Error(), "UNIDIRECTIONAL") {
			t.Errorf("%s: error %q names the per-direction view instead of the node", what, err)
		}
	}
	merged := base
	merged.merge = true
	check("batch-major merged", merged, nil, "batch-major merge_outputs with 2 batches")
	check("backward weights", base, func(b *build.Builder, in []int) {
		in[18+1] = b.Const("bad_bw_forget", models.Float32, []int{2, 4}, make([]float32, 8), nil)
	}, "backward direction", "input-to-forget weights", "[2 4]")
	check("forward state", base, func(b *build.Builder, in []int) {
		in[35] = b.Const("not_variable", models.Float32, []int{2, 2}, make([]float32, 4), nil)
	}, "forward direction", "variable")
	check("mixed weight types", base, func(b *build.Builder, in []int) {
		for g := 0; g < 4; g++ {
			in[18+g] = b.Const(fmt.Sprint("qw", g), models.Int8, []int{2, 3}, make([]int8, 6), q1(0.1, 0))
			in[22+g] = b.Const(fmt.Sprint("qr", g), models.Int8, []int{2, 2}, make([]int8, 4), q1(0.1, 0))
		}
	}, "must both be float32 or both 8-bit")
	aux := base
	aux.aux = true
	check("half the aux weights", aux, func(b *build.Builder, in []int) { in[45] = -1 }, "backward aux-input-to-forget weights are missing")
	check("aux weight shape", aux, func(b *build.Builder, in []int) {
		in[42] = b.Const("bad_aux", models.Float32, []int{2, 2}, make([]float32, 4), nil)
	}, "forward aux-input-to-cell weights are [2 2]", "[2 3]")
	check("narrow aux rows", aux, func(b *build.Builder, in []int) {
		in[39] = b.Input("narrow_aux", models.Float32, []int{2, 2, 2}, nil)
	}, "aux input has 2 features per row, fewer than the input's 3")
	nonStack := base
	nonStack.nonStacking = true
	check("non-stacking aux shape", nonStack, func(b *build.Builder, in []int) {
		in[39] = b.Input("short_aux", models.Float32, []int{2, 1, 3}, nil)
	}, "aux input (the backward input without aux weights) has shape [2 1 3]")
	check("inputs", base, func(b *build.Builder, in []int) { in[47] = in[0] }, "aux weights must be all present or all absent")
}
