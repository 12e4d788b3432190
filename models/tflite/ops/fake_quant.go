package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// FAKE_QUANT rounds float32 values onto the grid of num_bits quantization
// of [min, max], after nudging the range so that 0 is on the grid, as
// TFLite (and TensorFlow's FakeQuantWithMinMaxArgs) do, all in float32.
// narrow_range (version 2) is refused at run time, as TFLite refuses it.

func addFakeQuant(r *Resolver) {
	r.Builtin[OpFakeQuant] = &Kernel{MaxVersion: 2, Prepare: fakeQuantPrepare, Eval: fakeQuantEval}
}

type fakeQuantOpts struct {
	min, max float32
	numBits  int
	narrow   bool
}

func readFakeQuantOptions(n *Node) fakeQuantOpts {
	o := n.Opts.(*FakeQuantOptions)
	return fakeQuantOpts{min: o.Min, max: o.Max, numBits: int(o.NumBits), narrow: o.NarrowRange}
}

type fakeQuantState struct {
	min, max, scale float32
}

func fakeQuantPrepare(c Context, n *Node) error {
	if _, _, err := actIO(c, n, models.Float32); err != nil {
		return err
	}
	o := readFakeQuantOptions(n)
	if o.narrow {
		return n.Errorf("narrow_range is not supported at run time (TFLite applies it to weights only)")
	}
	if o.numBits < 2 || o.numBits > 16 {
		return n.Errorf("num_bits %d is outside [2, 16]", o.numBits)
	}
	if !(o.min <= 0 && 0 <= o.max && o.min < o.max) {
		return n.Errorf("range [%g, %g] must contain 0 and have min < max", o.min, o.max)
	}
	st := &fakeQuantState{}
	st.min, st.max, st.scale = fakeQuantNudge(o.min, o.max, 0, int32(1)<<o.numBits-1)
	n.State = st
	return nil
}

// fakeQuantNudge moves [min, max] so that zero falls on a grid point.
func fakeQuantNudge(min, max float32, qmin, qmax int32) (nmin, nmax, scale float32) {
	qminF, qmaxF := float32(qmin), float32(qmax)
	scale = (max - min) / (qmaxF - qminF)
	zpFromMin := qminF - float32(min/scale)
	var zp uint16
	switch {
	case zpFromMin < qminF:
		zp = uint16(qmin)
	case zpFromMin > qmaxF:
		zp = uint16(qmax)
	default:
		zp = uint16(math.Round(float64(zpFromMin)))
	}
	return (qminF - float32(zp)) * scale, (qmaxF - float32(zp)) * scale, scale
}

func fakeQuantEval(c Context, n *Node) error {
	st, ok := n.State.(*fakeQuantState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	k := in.NumElements()
	o := out.F32()[:k]
	inv := 1 / st.scale
	for i, v := range in.F32()[:k] {
		cl := min(st.max, ewMaxNaN(st.min, v))
		steps := float32(math.Round(float64(float32((cl - st.min) * inv))))
		o[i] = float32(steps*st.scale) + st.min
	}
	return nil
}

// ewMaxNaN is std::max(a, b): b only when a < b, so a NaN b is dropped.
func ewMaxNaN(a, b float32) float32 {
	if a < b {
		return b
	}
	return a
}
