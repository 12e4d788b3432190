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

// Hybrid LSTM (int8 weights, float activations) against the float64 LSTM
// reference run on what the hybrid kernel multiplies: every input, output
// state and projected hidden row quantized per row as TFLite's
// BatchQuantizeFloats does, and the weights dequantized.

const (
	lstmHybW    = 0.6 / 127 // scale of input and recurrent weights
	lstmHybPeep = 0.5 / 127 // peephole and projection weights
)

// hybridLSTMParams turns random float weights into int8 codes (returned)
// and replaces p's matrices with their dequantized values.
func hybridLSTMParams(p *lstmParams) (codes lstmParams) {
	q := func(v []float64, scale float64) []float64 {
		if v == nil {
			return nil
		}
		c := make([]float64, len(v))
		for i, x := range v {
			c[i] = math.Max(-127, math.Min(127, math.Round(x/scale)))
			v[i] = float64(float32(scale) * float32(c[i]))
		}
		return c
	}
	for g := 0; g < 4; g++ {
		codes.w[g] = q(p.w[g], lstmHybW)
		codes.r[g] = q(p.r[g], lstmHybW)
		codes.peep[g] = q(p.peep[g], lstmHybPeep)
	}
	codes.proj = q(p.proj, lstmHybPeep)
	return codes
}

// buildHybridLSTM builds the float model of c and swaps its weights for
// int8 constants.
func buildHybridLSTM(c lstmCase, p *lstmParams, codes lstmParams) *build.Builder {
	return buildFloatLSTM(c, p, func(b *build.Builder, in []int) {
		i8 := func(name string, shape []int, v []float64, scale float64) int {
			if v == nil {
				return -1
			}
			return b.Const(name, models.Int8, shape, i8s(v), q1(scale, 0))
		}
		for g := 0; g < 4; g++ {
			in[1+g] = i8(fmt.Sprint("qw", g), []int{c.cell, c.in}, codes.w[g], lstmHybW)
			in[5+g] = i8(fmt.Sprint("qr", g), []int{c.cell, c.out}, codes.r[g], lstmHybW)
			if g != gC {
				in[peepSlot(g)] = i8(fmt.Sprint("qp", g), []int{c.cell}, codes.peep[g], lstmHybPeep)
			}
		}
		in[16] = i8("qproj", []int{c.out, c.cell}, codes.proj, lstmHybPeep)
	})
}

// dequantRow is what the hybrid kernel multiplies for row v.
func dequantRow(v []float64, asym bool) []float64 {
	q, sf, zp := bHybridQuant(v, asym)
	for i := range q {
		q[i] = (q[i] - zp) * sf
	}
	return q
}

// refLSTMHybrid is refLSTM with the matrix operands quantized per row.
func refLSTMHybrid(c lstmCase, p *lstmParams, x, h, cs []float64, asym bool) []float64 {
	steps := c.steps
	if !c.seq {
		steps = 1
	}
	out := make([]float64, c.batch*steps*c.out)
	for t := 0; t < steps; t++ {
		for b := 0; b < c.batch; b++ {
			xv := dequantRow(x[c.row(b, t, c.in):][:c.in], asym)
			hv := dequantRow(h[b*c.out:(b+1)*c.out], asym)
			cv := cs[b*c.cell : (b+1)*c.cell]
			gate := func(g int, cell []float64) []float64 {
				pre := make([]float64, c.cell)
				for k := range pre {
					for j := 0; j < c.in; j++ {
						pre[k] += p.w[g][k*c.in+j] * xv[j]
					}
					for j := 0; j < c.out; j++ {
						pre[k] += p.r[g][k*c.out+j] * hv[j]
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
				hq := dequantRow(hid, asym)
				for o := range hn {
					v := 0.0
					if p.projBias != nil {
						v = p.projBias[o]
					}
					for k := range hq {
						v += p.proj[o*c.cell+k] * hq[k]
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

func TestLSTMHybrid(t *testing.T) {
	for i, c := range lstmCases {
		if c.diag {
			continue // TFLite's hybrid kernel takes float diagonal weights; not supported
		}
		for _, asym := range []bool{false, true} {
			c.asym = asym
			t.Run(fmt.Sprint(c.name, " asym ", asym), func(t *testing.T) {
				p := randomLSTM(c, uint64(i))
				p.round32()
				codes := hybridLSTMParams(p)
				it := load(t, buildHybridLSTM(c, p, codes))
				defer it.Close()
				rng := rand.New(rand.NewPCG(uint64(i), 41))
				n := numel(c.inShape())
				inputs := [][]float64{uniform(rng, n, 2), make([]float64, n), uniform(rng, n, 1)}
				for _, x := range inputs {
					for k := range x {
						x[k] = float64(float32(x[k]))
					}
				}
				got := invokeSeq(t, it, models.Float32, inputs)
				h, cs := make([]float64, c.batch*c.out), make([]float64, c.batch*c.cell)
				for k, x := range inputs {
					compareF(t, fmt.Sprint("invoke ", k), got[k], refLSTMHybrid(c, p, x, h, cs, asym), 2e-3)
				}
				if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
					t.Errorf("%v allocations per Invoke, want 0", a)
				}
			})
		}
	}
}

func TestLSTMHybridErrors(t *testing.T) {
	c := lstmCase{seq: true, batch: 1, steps: 2, in: 3, cell: 4, out: 4, diag: true, act: ops.ActTanh}
	p := randomLSTM(c, 3)
	p.round32()
	b := buildFloatLSTM(c, p, func(b *build.Builder, in []int) {
		for g := 0; g < 4; g++ {
			in[1+g] = b.Const(fmt.Sprint("qw", g), models.Int8, []int{4, 3}, make([]int8, 12), q1(0.1, 0))
			in[5+g] = b.Const(fmt.Sprint("qr", g), models.Int8, []int{4}, make([]int8, 4), q1(0.1, 0))
		}
	})
	expectErr(t, loadErr(t, b), "UNIDIRECTIONAL_SEQUENCE_LSTM", "diagonal")
}
