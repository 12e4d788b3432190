package ops_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// BIDIRECTIONAL_SEQUENCE_RNN against a float64 reference built from the
// one-direction cell of sequence_rnn_test.go, in every mode: time-major or
// not, merged or separate outputs, an aux input with its own weights
// (stacking) or as the backward input (non-stacking), float and hybrid,
// with the TFLite behaviours the kernel keeps (see sequence_rnn_bidi.go).

type bidiCase struct {
	timeMajor, merge, hybrid, asym bool
	aux, nonStacking               bool
	batch, steps, in, auxIn        int
	fwUnits, bwUnits               int
	act                            ops.Activation
}

func (c bidiCase) String() string {
	return fmt.Sprintf("tm%v_merge%v_hybrid%v_asym%v_aux%v_nonstack%v", c.timeMajor, c.merge, c.hybrid, c.asym, c.aux, c.nonStacking)
}

func (c bidiCase) shape(d int) []int {
	if c.timeMajor {
		return []int{c.steps, c.batch, d}
	}
	return []int{c.batch, c.steps, d}
}

// row is the flat row index of (batch b, step t).
func (c bidiCase) row(b, t int) int {
	if c.timeMajor {
		return t*c.batch + b
	}
	return b*c.steps + t
}

type bidiDir struct {
	p   *rnnWeights
	aux []float64 // aux weights (codes when hybrid), nil without
}

func bidiModel(c bidiCase, fw, bw bidiDir) *build.Builder {
	b := build.New()
	x := b.Input("x", models.Float32, c.shape(c.in), nil)
	in := make([]int, 12)
	for i := range in {
		in[i] = -1
	}
	in[0] = x
	mat := func(name string, shape []int, v []float64, scale float64) int {
		if c.hybrid {
			return b.Const(name, models.Int8, shape, i8s(v), q1(scale, 0))
		}
		return b.Const(name, models.Float32, shape, f32s(v), nil)
	}
	for i, d := range []struct {
		bidiDir
		units int
	}{{fw, c.fwUnits}, {bw, c.bwUnits}} {
		o := 4 * i
		in[1+o] = mat(fmt.Sprint("w", i), []int{d.units, c.in}, d.p.w, d.p.wScale)
		in[2+o] = mat(fmt.Sprint("r", i), []int{d.units, d.units}, d.p.r, d.p.rScale)
		in[3+o] = b.Const(fmt.Sprint("bias", i), models.Float32, []int{d.units}, f32s(d.p.bias), nil)
		in[4+o] = b.Variable(fmt.Sprint("h", i), models.Float32, []int{c.batch, d.units}, nil, nil)
		if d.aux != nil {
			in[10+i] = mat(fmt.Sprint("aux", i), []int{d.units, c.auxIn}, d.aux, d.p.wScale)
		}
	}
	if c.aux {
		in[9] = b.Input("aux", models.Float32, c.shape(c.auxIn), nil)
	}
	fwUnits := c.fwUnits
	if c.merge {
		fwUnits += c.bwUnits
	}
	outs := []int{b.Tensor("fw", models.Float32, c.shape(fwUnits), nil)}
	if !c.merge {
		outs = append(outs, b.Tensor("bw", models.Float32, c.shape(c.bwUnits), nil))
	}
	b.Op(ops.OpBidirectionalSequenceRnn, 1, in, outs, opts(build.OptBidirectionalSequenceRNN, c.timeMajor, uint8(c.act), c.merge, c.asym))
	for _, o := range outs {
		b.Output(o)
	}
	return b
}

// refBidi runs both directions over x (and aux) from states hf, hb
// (updated) and returns the forward and backward outputs.
func refBidi(c bidiCase, fw, bw bidiDir, x, aux, hf, hb []float64) ([]float64, []float64) {
	rc := rnnCase{asym: c.asym, act: c.act}
	outF := make([]float64, c.batch*c.steps*c.fwUnits)
	outB := make([]float64, c.batch*c.steps*c.bwUnits)
	step := func(d bidiDir, units int, xr, ar, h, out []float64) {
		rc.units = units
		v := rnnContrib(xr, d.p.w, d.p.wScale, d.p.hybrid, rc.asym, units)
		var va []float64
		if d.aux != nil {
			va = rnnContrib(ar, d.aux, d.p.wScale, d.p.hybrid, rc.asym, units)
		}
		vr := rnnContrib(h, d.p.r, d.p.rScale, d.p.hybrid, rc.asym, units)
		for o := range out {
			s := d.p.bias[o] + v[o] + vr[o]
			if va != nil {
				s += va[o]
			}
			out[o] = bActF(c.act, s)
			h[o] = out[o]
		}
	}
	rows := func(v []float64, r, d int) []float64 {
		if v == nil {
			return nil
		}
		return v[r*d : (r+1)*d]
	}
	stackAux := aux
	bwX := x
	if c.nonStacking {
		stackAux = nil
		if c.timeMajor {
			bwX = aux // batch-major non-stacking reads the main input, as TFLite
		}
	}
	passes := 1
	if c.hybrid && c.timeMajor {
		passes = c.steps
	}
	for range passes {
		for b := 0; b < c.batch; b++ {
			for t := 0; t < c.steps; t++ {
				r := c.row(b, t)
				step(fw, c.fwUnits, rows(x, r, c.in), rows(stackAux, r, c.auxIn), hf[b*c.fwUnits:(b+1)*c.fwUnits], outF[r*c.fwUnits:(r+1)*c.fwUnits])
			}
			for t := c.steps - 1; t >= 0; t-- {
				r := c.row(b, t)
				step(bw, c.bwUnits, rows(bwX, r, c.in), rows(stackAux, r, c.auxIn), hb[b*c.bwUnits:(b+1)*c.bwUnits], outB[r*c.bwUnits:(r+1)*c.bwUnits])
			}
		}
	}
	return outF, outB
}

var bidiCases = []bidiCase{
	{timeMajor: true, merge: true, batch: 2, steps: 3, in: 3, fwUnits: 3, bwUnits: 2, act: ops.ActTanh},
	{batch: 2, steps: 3, in: 3, auxIn: 2, aux: true, fwUnits: 2, bwUnits: 3, act: ops.ActRelu},
	{timeMajor: true, batch: 2, steps: 2, in: 2, auxIn: 2, aux: true, nonStacking: true, fwUnits: 3, bwUnits: 3, act: ops.ActTanh},
	{merge: true, batch: 2, steps: 3, in: 2, auxIn: 2, aux: true, nonStacking: true, fwUnits: 2, bwUnits: 2, act: ops.ActReluN1To1},
	{timeMajor: true, merge: true, hybrid: true, batch: 2, steps: 3, in: 4, fwUnits: 3, bwUnits: 2, act: ops.ActTanh},
	{hybrid: true, asym: true, batch: 2, steps: 3, in: 3, auxIn: 4, aux: true, fwUnits: 2, bwUnits: 3, act: ops.ActTanh},
	{timeMajor: true, hybrid: true, asym: true, batch: 1, steps: 2, in: 3, auxIn: 3, aux: true, fwUnits: 2, bwUnits: 2, act: ops.ActRelu6},
}

func TestBidirectionalRNN(t *testing.T) {
	for i, c := range bidiCases {
		t.Run(c.String(), func(t *testing.T) {
			var dirs [2]bidiDir
			for k, units := range []int{c.fwUnits, c.bwUnits} {
				rc := rnnCase{in: c.in, units: units}
				dirs[k].p = randomRNN(rc, uint64(10*i+k), c.hybrid)
				if c.aux && !c.nonStacking {
					ra := rnnCase{in: c.auxIn, units: units}
					dirs[k].aux = randomRNN(ra, uint64(10*i+k+5), c.hybrid).w
				}
			}
			it := load(t, bidiModel(c, dirs[0], dirs[1]))
			defer it.Close()
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			hf, hb := make([]float64, c.batch*c.fwUnits), make([]float64, c.batch*c.bwUnits)
			for k := range 2 {
				x := uniform(rng, c.batch*c.steps*c.in, 2)
				var aux []float64
				feeds := [][]byte{encode(models.Float32, x)}
				if c.aux {
					aux = uniform(rng, c.batch*c.steps*c.auxIn, 1)
					feeds = append(feeds, encode(models.Float32, aux))
				}
				for _, v := range [][]float64{x, aux} {
					for j := range v {
						v[j] = float64(float32(v[j]))
					}
				}
				feeds[0] = encode(models.Float32, x)
				if c.aux {
					feeds[1] = encode(models.Float32, aux)
				}
				setInputs(t, it, feeds...)
				if err := it.Invoke(context.Background()); err != nil {
					t.Fatal(err)
				}
				wantF, wantB := refBidi(c, dirs[0], dirs[1], x, aux, hf, hb)
				tol := 1e-5
				if c.hybrid {
					tol = 2e-3
				}
				_, gotF := output(it, 0)
				if c.merge {
					merged := make([]float64, 0, len(wantF)+len(wantB))
					for r := 0; r < c.batch*c.steps; r++ {
						merged = append(merged, wantF[r*c.fwUnits:(r+1)*c.fwUnits]...)
						merged = append(merged, wantB[r*c.bwUnits:(r+1)*c.bwUnits]...)
					}
					compareF(t, fmt.Sprint("invoke ", k, " merged"), gotF, merged, tol)
				} else {
					_, gotB := output(it, 1)
					compareF(t, fmt.Sprint("invoke ", k, " forward"), gotF, wantF, tol)
					compareF(t, fmt.Sprint("invoke ", k, " backward"), gotB, wantB, tol)
				}
			}
			if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
				t.Errorf("%v allocations per Invoke, want 0", a)
			}
		})
	}
}

func TestBidirectionalRNNErrors(t *testing.T) {
	base := bidiCase{batch: 1, steps: 2, in: 2, auxIn: 3, aux: true, fwUnits: 2, bwUnits: 2}
	dir := func(seed uint64, aux bool) bidiDir {
		d := bidiDir{p: randomRNN(rnnCase{in: 2, units: 2}, seed, false)}
		if aux {
			d.aux = randomRNN(rnnCase{in: 3, units: 2}, seed+1, false).w
		}
		return d
	}
	load(t, bidiModel(base, dir(1, true), dir(2, true))).Close() // the valid model
	expectErr(t, loadErr(t, bidiModel(base, dir(1, true), dir(2, false))), "BIDIRECTIONAL_SEQUENCE_RNN", "both present or both absent")
	tm := base
	tm.timeMajor = true
	expectErr(t, loadErr(t, bidiModel(tm, dir(1, true), dir(2, true))), "BIDIRECTIONAL_SEQUENCE_RNN", "input's shape")
}

// countdownCtx reports cancellation from its n-th Err call on, so a test can
// cancel in the middle of a kernel without timing.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestBidirectionalRNNHybridCancel: the hybrid time-major kernel repeats
// the sequence max_time times (as TFLite), so it stops between passes when
// the Invoke's context is cancelled.
func TestBidirectionalRNNHybridCancel(t *testing.T) {
	c := bidiCase{timeMajor: true, hybrid: true, batch: 1, steps: 4, in: 2, fwUnits: 2, bwUnits: 2, act: ops.ActTanh}
	var dirs [2]bidiDir
	for k := range dirs {
		dirs[k].p = randomRNN(rnnCase{in: 2, units: 2}, uint64(k), true)
	}
	it := load(t, bidiModel(c, dirs[0], dirs[1]))
	defer it.Close()
	for budget := 0; budget < 64; budget++ {
		err := it.Invoke(&countdownCtx{Context: context.Background(), n: budget})
		if err == nil {
			t.Fatalf("budget %d: the run finished before the kernel checked its context", budget)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("budget %d: %v, want context.Canceled", budget, err)
		}
		if strings.Contains(err.Error(), "hybrid passes") {
			return // the kernel itself stopped
		}
	}
	t.Fatal("the kernel never stopped between passes")
}
