package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// addPool registers this family's kernels.
func addPool(r *Resolver) {
	r.Builtin[OpAveragePool2d] = &Kernel{MaxVersion: 3, Prepare: poolPrepare, Eval: poolEval}
	r.Builtin[OpMaxPool2d] = &Kernel{MaxVersion: 3, Prepare: poolPrepare, Eval: poolEval}
}

// poolState holds the window geometry; quantized pooling works on the raw
// integers (TFLite requires equal input and output quantization), so only
// the activation clamp depends on the output parameters.
type poolState struct {
	g        convGeom
	avg      bool
	fLo, fHi float32
	qLo, qHi int32

	threads int
	accF32  [][]float32
	accI32  [][]int32

	in, out *Tensor
	run     func(lo, hi int)
}

func poolPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	if in.Dims() != 4 {
		return n.Errorf("input must be 4-D, got shape %v", in.Shape)
	}
	if out.Type != in.Type {
		return n.Errorf("output type %s differs from input type %s", out.Type, in.Type)
	}
	st, _ := n.State.(*poolState)
	if st == nil {
		st = &poolState{}
		st.run = st.parallelRows
		n.State = st
	}
	st.avg = n.Op == OpAveragePool2d
	o := n.Opts.(*Pool2DOptions)
	g := &st.g
	*g = convGeom{
		batches: in.Shape[0], inH: in.Shape[1], inW: in.Shape[2], inC: in.Shape[3],
		sW: int(o.StrideW), sH: int(o.StrideH),
		fW: int(o.FilterWidth), fH: int(o.FilterHeight),
		dH: 1, dW: 1,
	}
	g.outC = g.inC
	if g.batches < 0 || g.inH < 0 || g.inW < 0 || g.inC < 0 {
		return n.Errorf("input shape %v is invalid", in.Shape)
	}
	if _, ok := mulChecked(g.batches, g.inH, g.inW, g.inC); !ok {
		return n.Errorf("input shape %v is too large", in.Shape)
	}
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	if err := g.solve(n, uint8(o.Padding)); err != nil {
		return err
	}
	st.fLo, st.fHi = act.FloatRange()
	switch in.Type {
	case models.Float32:
	case models.Int8, models.UInt8, models.Int16:
		scale, zp, err := tensorScale(n, "output", out)
		if err != nil {
			return err
		}
		st.qLo, st.qHi = quantActRange(act, out, scale, zp)
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if err := c.Resize(out, []int{g.batches, g.outH, g.outW, g.outC}); err != nil {
		return n.Errorf("%v", err)
	}
	st.threads = opThreads(c, macs(g.batches, g.outH, g.outW, g.outC, g.fH, g.fW))
	if in.Type == models.Float32 {
		st.accF32, err = allocRows[float32](c, st.threads, g.inC)
	} else {
		st.accI32, err = allocRows[int32](c, st.threads, g.inC)
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func poolEval(c Context, n *Node) error {
	st, ok := n.State.(*poolState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	g := &st.g
	if err := checkData(n, "input", in, g.batches*g.inH*g.inW*g.inC); err != nil {
		return err
	}
	if err := checkData(n, "output", out, g.batches*g.outH*g.outW*g.outC); err != nil {
		return err
	}
	if g.batches*g.outH*g.outW*g.outC == 0 {
		return nil
	}
	st.in, st.out = in, out
	if rows := g.batches * g.outH; st.threads > 1 && rows > 1 {
		c.Parallel(st.threads, st.run)
	} else {
		st.rows(0, 0, rows)
	}
	st.in, st.out = nil, nil
	return nil
}

func (st *poolState) parallelRows(lo, hi int) {
	total := st.g.batches * st.g.outH
	for t := lo; t < hi; t++ {
		a, b := share(total, st.threads, t)
		st.rows(t, a, b)
	}
}

func (st *poolState) rows(t, r0, r1 int) {
	switch st.in.Type {
	case models.Float32:
		if st.avg {
			avgPoolF32(st, st.in.F32(), st.out.F32(), st.accF32[t], r0, r1)
		} else {
			maxPool(st, st.in.F32(), st.out.F32(), -math.MaxFloat32, st.fLo, st.fHi, r0, r1)
		}
	case models.Int8:
		if st.avg {
			avgPoolInt(st, st.in.I8(), st.out.I8(), st.accI32[t], r0, r1)
		} else {
			maxPool(st, st.in.I8(), st.out.I8(), math.MinInt8, int8(st.qLo), int8(st.qHi), r0, r1)
		}
	case models.UInt8:
		if st.avg {
			avgPoolInt(st, st.in.U8(), st.out.U8(), st.accI32[t], r0, r1)
		} else {
			maxPool(st, st.in.U8(), st.out.U8(), 0, uint8(st.qLo), uint8(st.qHi), r0, r1)
		}
	case models.Int16:
		if st.avg {
			avgPoolInt(st, st.in.I16(), st.out.I16(), st.accI32[t], r0, r1)
		} else {
			maxPool(st, st.in.I16(), st.out.I16(), math.MinInt16, int16(st.qLo), int16(st.qHi), r0, r1)
		}
	}
}

// window returns the filter rows and columns of output pixel (oy, ox) that
// lie inside the image, as input coordinates.
func (g *convGeom) window(oy, ox int) (y0, y1, x0, x1 int) {
	iy, ix := oy*g.sH-g.padH, ox*g.sW-g.padW
	return max(iy, 0), min(iy+g.fH, g.inH), max(ix, 0), min(ix+g.fW, g.inW)
}

func avgPoolF32(st *poolState, in, out, acc []float32, r0, r1 int) {
	g := &st.g
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; ox++ {
			y0, y1, x0, x1 := g.window(oy, ox)
			clear(acc)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					o := ((b*g.inH+iy)*g.inW + ix) * g.inC
					for c, v := range in[o : o+g.inC] {
						acc[c] += v
					}
				}
			}
			cnt := float32((y1 - y0) * (x1 - x0))
			o := ((b*g.outH+oy)*g.outW + ox) * g.outC
			dst := out[o : o+g.outC]
			for c := range dst {
				dst[c] = min(max(acc[c]/cnt, st.fLo), st.fHi)
			}
		}
	}
}

// avgPoolInt averages raw quantized values, rounding half away from zero
// as TFLite's integer AveragePool.
func avgPoolInt[T ~int8 | ~uint8 | ~int16](st *poolState, in, out []T, acc []int32, r0, r1 int) {
	g := &st.g
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; ox++ {
			y0, y1, x0, x1 := g.window(oy, ox)
			clear(acc)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					o := ((b*g.inH+iy)*g.inW + ix) * g.inC
					for c, v := range in[o : o+g.inC] {
						acc[c] += int32(v)
					}
				}
			}
			cnt := int32((y1 - y0) * (x1 - x0))
			o := ((b*g.outH+oy)*g.outW + ox) * g.outC
			dst := out[o : o+g.outC]
			for c := range dst {
				a := acc[c]
				if a > 0 {
					a = (a + cnt/2) / cnt
				} else {
					a = (a - cnt/2) / cnt
				}
				dst[c] = T(min(max(a, st.qLo), st.qHi))
			}
		}
	}
}

// maxPool takes the window maximum (NaN never wins, as with std::max in
// TFLite) and clamps it to [lo, hi].
func maxPool[T ~int8 | ~uint8 | ~int16 | ~float32](st *poolState, in, out []T, lowest, lo, hi T, r0, r1 int) {
	g := &st.g
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; ox++ {
			y0, y1, x0, x1 := g.window(oy, ox)
			o := ((b*g.outH+oy)*g.outW + ox) * g.outC
			dst := out[o : o+g.outC]
			for c := range dst {
				dst[c] = lowest
			}
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					o := ((b*g.inH+iy)*g.inW + ix) * g.inC
					src := in[o : o+g.inC]
					for c, v := range src[:len(dst)] {
						if v > dst[c] {
							dst[c] = v
						}
					}
				}
			}
			for c, v := range dst {
				dst[c] = min(max(v, lo), hi)
			}
		}
	}
}
