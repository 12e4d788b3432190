package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// L2_POOL_2D: the root mean square of each window's valid (unpadded)
// elements, float32 only as in TFLite, with the pool geometry and fused
// activation of AVERAGE_POOL_2D (Pool2DOptions).

func addL2Pool(r *Resolver) {
	r.Builtin[OpL2Pool2d] = &Kernel{MaxVersion: 1, Prepare: l2PoolPrepare, Eval: l2PoolEval}
}

func l2PoolPrepare(c Context, n *Node) error {
	if len(n.Inputs) == 1 {
		if in := c.Input(n, 0); in != nil && in.Type != models.Float32 {
			return n.Errorf("input tensor %q type %s is not supported (float32 only)", in.Name, in.Type)
		}
	}
	return poolPrepare(c, n)
}

func l2PoolEval(c Context, n *Node) error {
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
	x, o, acc := in.F32(), out.F32(), st.accF32[0]
	for r := 0; r < g.batches*g.outH; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; ox++ {
			y0, y1, x0, x1 := g.window(oy, ox)
			clear(acc)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					off := ((b*g.inH+iy)*g.inW + ix) * g.inC
					for c, v := range x[off : off+g.inC] {
						acc[c] += v * v
					}
				}
			}
			cnt := float32((y1 - y0) * (x1 - x0))
			off := ((b*g.outH+oy)*g.outW + ox) * g.outC
			for c, s := range acc {
				v := float32(math.Sqrt(float64(s / cnt)))
				o[off+c] = min(max(v, st.fLo), st.fHi)
			}
		}
	}
	return nil
}
