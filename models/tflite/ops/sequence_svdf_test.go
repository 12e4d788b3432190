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

// SVDF on generated models against a float64 reference: a [batch, filters,
// memory] window of feature projections, weighted over time and summed
// over the rank.

type svdfCase struct {
	batch, in, units, rank, memory int
	act                            ops.Activation
	bias                           bool
}

type svdfParams struct {
	wf, wt, bias []float64
}

func (c svdfCase) filters() int { return c.units * c.rank }

// refSVDF advances state by one input and returns the output before any
// output quantization. quant, when set, rounds each new state value the
// way the integer kernel stores it.
func refSVDF(c svdfCase, p *svdfParams, x, state []float64, quant func(float64) float64) []float64 {
	nf, mem := c.filters(), c.memory
	for b := 0; b < c.batch; b++ {
		for f := 0; f < nf; f++ {
			w := state[(b*nf+f)*mem : (b*nf+f+1)*mem]
			copy(w, w[1:])
			v := 0.0
			for j := 0; j < c.in; j++ {
				v += p.wf[f*c.in+j] * x[b*c.in+j]
			}
			if quant != nil {
				v = quant(v)
			}
			w[mem-1] = v
		}
	}
	out := make([]float64, c.batch*c.units)
	for b := 0; b < c.batch; b++ {
		for u := 0; u < c.units; u++ {
			v := 0.0
			if p.bias != nil {
				v = p.bias[u]
			}
			for r := 0; r < c.rank; r++ {
				f := u*c.rank + r
				for m := 0; m < mem; m++ {
					v += p.wt[f*mem+m] * state[(b*nf+f)*mem+m]
				}
			}
			out[b*c.units+u] = v
		}
	}
	return out
}

func svdfModel(c svdfCase, in, wf, wt, bias, state, out func(b *build.Builder) int) *build.Builder {
	b := build.New()
	inputs := []int{in(b), wf(b), wt(b), -1, state(b)}
	if c.bias {
		inputs[3] = bias(b)
	}
	y := out(b)
	b.Op(ops.OpSvdf, 1, inputs, []int{y}, opts(build.OptSVDF, int32(c.rank), uint8(c.act)))
	b.Output(y)
	return b
}

var svdfCases = []svdfCase{
	{batch: 1, in: 4, units: 3, rank: 1, memory: 4, act: ops.ActRelu, bias: true},
	{batch: 2, in: 3, units: 2, rank: 2, memory: 3, act: ops.ActNone, bias: true},
	{batch: 3, in: 5, units: 4, rank: 1, memory: 1, act: ops.ActRelu},
}

func TestSVDFFloat(t *testing.T) {
	for i, c := range svdfCases {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			p := &svdfParams{wf: uniform(rng, c.filters()*c.in, 1), wt: uniform(rng, c.filters()*c.memory, 1)}
			if c.bias {
				p.bias = uniform(rng, c.units, 0.5)
			}
			for _, v := range [][]float64{p.wf, p.wt, p.bias} {
				for k := range v {
					v[k] = float64(float32(v[k]))
				}
			}
			cf := func(name string, shape []int, v []float64) func(b *build.Builder) int {
				return func(b *build.Builder) int { return b.Const(name, models.Float32, shape, f32s(v), nil) }
			}
			window := c.filters() * c.memory
			it := load(t, svdfModel(c,
				func(b *build.Builder) int { return b.Input("x", models.Float32, []int{c.batch, c.in}, nil) },
				cf("wf", []int{c.filters(), c.in}, p.wf), cf("wt", []int{c.filters(), c.memory}, p.wt), cf("bias", []int{c.units}, p.bias),
				func(b *build.Builder) int {
					return b.Variable("state", models.Float32, []int{c.batch, window}, nil, nil)
				},
				func(b *build.Builder) int { return b.Tensor("y", models.Float32, []int{c.batch, c.units}, nil) }))
			var inputs [][]float64
			for range c.memory + 2 {
				x := uniform(rng, c.batch*c.in, 1)
				for k := range x {
					x[k] = float64(float32(x[k]))
				}
				inputs = append(inputs, x)
			}
			got := invokeSeq(t, it, models.Float32, inputs)
			state := make([]float64, c.batch*window)
			for k, x := range inputs {
				want := refSVDF(c, p, x, state, nil)
				for j := range want {
					want[j] = actRef(c.act, want[j])
				}
				compareF(t, fmt.Sprint("invoke ", k), got[k], want, 1e-5)
			}
			if err := it.Reset(); err != nil {
				t.Fatal(err)
			}
			compareF(t, "after Reset", invokeSeq(t, it, models.Float32, inputs[:1])[0], got[0], 0)
		})
	}
}

// TestSVDFInt runs int8 SVDF with int16 state (TFLite) and with int8 state
// and a state zero point (TFLite Micro's variant).
func TestSVDFInt(t *testing.T) {
	const (
		inScale, inZP   = 1.0 / 50, -3
		outScale, outZP = 1.0 / 20, 5
	)
	for _, stateType := range []models.DType{models.Int16, models.Int8} {
		for i, c := range svdfCases {
			c.act = ops.ActRelu
			t.Run(fmt.Sprint(stateType, c), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 4))
				p := &svdfParams{wf: uniform(rng, c.filters()*c.in, 1), wt: uniform(rng, c.filters()*c.memory, 1)}
				wfq, wfs := quantizeSym(p.wf, 8)
				bits, stateScale, stateZP := 16, 1.0/4096, int64(0)
				if stateType == models.Int8 {
					bits, stateScale, stateZP = 8, 1.0/8, -20 // no int8 wrap-around after the zero point
				}
				wtq, wts := quantizeSym(p.wt, bits)
				var biasQ []int32
				if c.bias {
					p.bias = uniform(rng, c.units, 0.5)
					biasQ = quantizeWith(p.bias, stateScale*wts)
				}
				window := c.filters() * c.memory
				init := make([]int8, c.batch*window)
				for k := range init {
					init[k] = int8(stateZP)
				}
				it := load(t, svdfModel(c,
					func(b *build.Builder) int {
						return b.Input("x", models.Int8, []int{c.batch, c.in}, q1(inScale, inZP))
					},
					func(b *build.Builder) int {
						return b.Const("wf", models.Int8, []int{c.filters(), c.in}, int8s(wfq), q1(wfs, 0))
					},
					func(b *build.Builder) int {
						if stateType == models.Int8 {
							return b.Const("wt", models.Int8, []int{c.filters(), c.memory}, int8s(wtq), q1(wts, 0))
						}
						return b.Const("wt", models.Int16, []int{c.filters(), c.memory}, int16s(wtq), q1(wts, 0))
					},
					func(b *build.Builder) int {
						return b.Const("bias", models.Int32, []int{c.units}, biasQ, q1(stateScale*wts, 0))
					},
					func(b *build.Builder) int {
						if stateType == models.Int8 {
							return b.Variable("state", models.Int8, []int{c.batch, window}, init, q1(stateScale, stateZP))
						}
						return b.Variable("state", models.Int16, []int{c.batch, window}, nil, q1(stateScale, 0))
					},
					func(b *build.Builder) int {
						return b.Tensor("y", models.Int8, []int{c.batch, c.units}, q1(outScale, outZP))
					}))
				var inputs [][]float64
				for range c.memory + 2 {
					x := make([]float64, c.batch*c.in)
					for k := range x {
						x[k] = float64(rng.IntN(256) - 128)
					}
					inputs = append(inputs, x)
				}
				got := invokeSeq(t, it, models.Int8, inputs)
				state := make([]float64, c.batch*window)
				lim := math.Ldexp(1, bits-1)
				quant := func(v float64) float64 {
					return math.Max(-lim, math.Min(lim-1, math.Round(v/stateScale))) * stateScale
				}
				for k, xq := range inputs {
					x := make([]float64, len(xq))
					for j, v := range xq {
						x[j] = (v - inZP) * inScale
					}
					want := refSVDF(c, p, x, state, quant)
					for j := range want {
						want[j] = math.Max(-128, math.Min(127, math.Round(want[j]/outScale)+outZP))
					}
					compareF(t, fmt.Sprint("invoke ", k), got[k], want, 1)
				}
			})
		}
	}
}

func TestSVDFErrors(t *testing.T) {
	c := svdfCase{batch: 1, in: 3, units: 2, rank: 2, memory: 3, act: ops.ActRelu}
	f32 := func(name string, shape ...int) func(b *build.Builder) int {
		return func(b *build.Builder) int {
			return b.Const(name, models.Float32, shape, make([]float32, numel(shape)), nil)
		}
	}
	x := func(b *build.Builder) int { return b.Input("x", models.Float32, []int{1, 3}, nil) }
	y := func(b *build.Builder) int { return b.Tensor("y", models.Float32, []int{1, 2}, nil) }
	state := func(b *build.Builder) int { return b.Variable("s", models.Float32, []int{1, 12}, nil, nil) }
	load(t, svdfModel(c, x, f32("wf", 4, 3), f32("wt", 4, 3), nil, state, y)) // the valid model the others break
	bad := c
	bad.rank = 3
	expectErr(t, loadErr(t, svdfModel(bad, x, f32("wf", 4, 3), f32("wt", 4, 3), nil, state, y)), "SVDF", "rank 3")
	bad.rank = 0
	expectErr(t, loadErr(t, svdfModel(bad, x, f32("wf", 4, 3), f32("wt", 4, 3), nil, state, y)), "SVDF", "rank 0")
	expectErr(t, loadErr(t, svdfModel(c, x, f32("wf", 4, 2), f32("wt", 4, 3), nil, state, y)), "SVDF", "do not fit")
	expectErr(t, loadErr(t, svdfModel(c, x, f32("wf", 4, 3), f32("wt", 4, 3), nil,
		func(b *build.Builder) int { return b.Variable("s", models.Float32, []int{1, 11}, nil, nil) }, y)), "SVDF", "state must be")
	expectErr(t, loadErr(t, svdfModel(c, x, f32("wf", 4, 3), f32("wt", 4, 3), nil,
		func(b *build.Builder) int { return b.Tensor("s", models.Float32, []int{1, 12}, nil) }, y)), "SVDF", "variable")
	expectErr(t, loadErr(t, svdfModel(c, x,
		func(b *build.Builder) int {
			return b.Const("wf", models.Int8, []int{4, 3}, make([]int8, 12), q1(0.1, 0))
		},
		f32("wt", 4, 3), nil, state, y)), "SVDF", "hybrid")
	none := c
	none.act = ops.ActNone
	expectErr(t, loadErr(t, svdfModel(none,
		func(b *build.Builder) int { return b.Input("x", models.Int8, []int{1, 3}, q1(0.1, 0)) },
		func(b *build.Builder) int {
			return b.Const("wf", models.Int8, []int{4, 3}, make([]int8, 12), q1(0.1, 0))
		},
		func(b *build.Builder) int {
			return b.Const("wt", models.Int16, []int{4, 3}, make([]int16, 12), q1(0.1, 0))
		},
		nil,
		func(b *build.Builder) int { return b.Variable("s", models.Int16, []int{1, 12}, nil, q1(0.1, 0)) },
		func(b *build.Builder) int { return b.Tensor("y", models.Int8, []int{1, 2}, q1(0.1, 0)) })), "SVDF", "RELU")
}

// TestSVDFHybrid runs float SVDF with int8 feature and time weights: each
// input row is quantized as TFLite's BatchQuantizeFloats does, so the
// reference is the float SVDF on the dequantized input and weights.
func TestSVDFHybrid(t *testing.T) {
	const wfScale, wtScale = 0.01, 0.02
	for i, c := range svdfCases {
		for _, asym := range []bool{false, true} {
			t.Run(fmt.Sprint(c, "_asym", asym), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 11))
				wfQ := bRandQ(rng, c.filters()*c.in, -127, 127)
				wtQ := bRandQ(rng, c.filters()*c.memory, -127, 127)
				p := &svdfParams{wf: make([]float64, len(wfQ)), wt: make([]float64, len(wtQ))}
				for k, v := range wfQ {
					p.wf[k] = v * float64(float32(wfScale))
				}
				for k, v := range wtQ {
					p.wt[k] = float64(float32(v) * float32(wtScale))
				}
				if c.bias {
					p.bias = uniform(rng, c.units, 0.5)
					for k := range p.bias {
						p.bias[k] = float64(float32(p.bias[k]))
					}
				}
				window := c.filters() * c.memory
				b := build.New()
				x := b.Input("x", models.Float32, []int{c.batch, c.in}, nil)
				wf := b.Const("wf", models.Int8, []int{c.filters(), c.in}, i8s(wfQ), q1(wfScale, 0))
				wt := b.Const("wt", models.Int8, []int{c.filters(), c.memory}, i8s(wtQ), q1(wtScale, 0))
				bias := -1
				if c.bias {
					bias = b.Const("bias", models.Float32, []int{c.units}, f32s(p.bias), nil)
				}
				state := b.Variable("state", models.Float32, []int{c.batch, window}, nil, nil)
				y := b.Tensor("y", models.Float32, []int{c.batch, c.units}, nil)
				b.Op(ops.OpSvdf, 1, []int{x, wf, wt, bias, state}, []int{y}, opts(build.OptSVDF, int32(c.rank), uint8(c.act), asym))
				b.Output(y)
				it := load(t, b)
				defer it.Close()
				var inputs [][]float64
				for k := range c.memory + 2 {
					x := uniform(rng, c.batch*c.in, 2)
					if k == 1 {
						x = make([]float64, len(x)) // all zero: no projection at all
					}
					for j := range x {
						x[j] = float64(float32(x[j]))
					}
					inputs = append(inputs, x)
				}
				got := invokeSeq(t, it, models.Float32, inputs)
				st := make([]float64, c.batch*window)
				for k, x := range inputs {
					xd := make([]float64, len(x))
					for r := 0; r < c.batch; r++ {
						q, sf, zp := bHybridQuant(x[r*c.in:(r+1)*c.in], asym)
						for j := range q {
							xd[r*c.in+j] = (q[j] - zp) * sf
						}
					}
					want := refSVDF(c, p, xd, st, nil)
					for j := range want {
						want[j] = actRef(c.act, want[j])
					}
					compareF(t, fmt.Sprint("invoke ", k), got[k], want, 1e-4)
				}
				if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
					t.Errorf("%v allocations per Invoke, want 0", a)
				}
			})
		}
	}
}
