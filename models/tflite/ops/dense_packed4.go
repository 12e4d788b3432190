package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// LiteRT's optimized hybrid 4-bit FULLY_CONNECTED (optimized_4bit, taken by
// the builtin resolver's kernel when the filter is a constant int4 tensor
// of at least 4 units and an even depth of at least 32, with a non-empty
// batch). Its arithmetic, from the reference implementation that the SSE
// and NEON ones vectorize:
//
//   - each batch row is quantized to int8 symmetrically with its own
//     scale: m = max|x| (127 when 0), codes round(x * float(127/m)) half
//     away from zero, row scale float(m/127); asymmetric_quantize_inputs
//     is ignored;
//   - filter codes w are stored as w+7, so the int32 accumulator is
//     sum((w+7)*q), and the row's offset -7*sum(q) cancels the +7;
//   - out = float(offset)*s*fs + bias, then out += float(acc)*s*fs, each
//     product rounded to float32 in that order (fs is the channel's filter
//     scale), then the fused activation.
//
// The integer sums do not depend on order, so this matches the reference
// bit for bit. SIMD builds that fuse a multiply into an add may differ in
// the last bit of the two float terms. A filter value of -8 has no w+7
// nibble: LiteRT's builds store it inconsistently (the reference prepack
// turns it and sometimes its neighbour into +8), which a converter's
// symmetric [-7, 7] int4 filter never meets; here -8 counts as -8.

// fc4bit is the state of the optimized 4-bit path.
type fc4bit struct {
	units, depth, batches int
	act                   Activation
	fScales               []float32 // one per unit
	q                     []int8    // one quantized input row
}

// prepare4bit decides, as LiteRT's Prepare does, whether the node takes
// the optimized 4-bit path, and readies it.
func (ps *fcPacked) prepare4bit(c Context, n *Node, filter *Tensor) error {
	ps.opt4 = nil
	in := c.Input(n, 0)
	if in.Type != models.Float32 || filter.Type != models.Int4 || !filter.Const {
		return nil
	}
	units, depth := filter.Shape[0], filter.Shape[1]
	if units < 4 || depth < 32 || depth%2 != 0 {
		return nil
	}
	size, _ := mulChecked(in.Shape...)
	batches := size / depth
	if batches == 0 {
		return nil
	}
	q := filter.Quant
	if q == nil || len(q.Scale) == 0 {
		return n.Errorf("filter %q (%s) has no quantization parameters", filter.Name, filter.Type)
	}
	inner, ok := ps.inner.(*fcState)
	if !ok {
		return nil
	}
	st := &fc4bit{units: units, depth: depth, batches: batches, act: inner.act}
	var err error
	if st.fScales, err = allocSlice[float32](c, units); err != nil {
		return n.Errorf("filter scales: %v", err)
	}
	for o := range st.fScales {
		st.fScales[o] = q.Scale[0]
		if len(q.Scale) > 1 {
			st.fScales[o] = q.Scale[o]
		}
	}
	if st.q, err = allocSlice[int8](c, depth); err != nil {
		return n.Errorf("quantized input row: %v", err)
	}
	ps.opt4 = st
	return nil
}

// eval runs the 4-bit path; w is the filter unpacked to one int8 a code.
func (st *fc4bit) eval(c Context, n *Node, w []byte) error {
	in, bias, out := c.Input(n, 0), c.Input(n, 2), c.Output(n, 0)
	if err := checkData(n, "input", in, st.batches*st.depth); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.batches*st.units); err != nil {
		return err
	}
	var b []float32
	if bias != nil {
		if err := checkData(n, "bias", bias, st.units); err != nil {
			return err
		}
		b = bias.F32()[:st.units]
	}
	x, y := in.F32(), out.F32()
	for r := range st.batches {
		row := x[r*st.depth : (r+1)*st.depth]
		var m float32
		for _, v := range row {
			if m < abs32(v) { // std::max keeps m when v is NaN
				m = abs32(v)
			}
		}
		if m == 0 {
			m = 127
		}
		inv := float32(127 / float64(m))
		s := float32(float64(m) / 127)
		var sum int32
		for i, v := range row {
			qc := int8(math.Round(float64(float32(v * inv))))
			st.q[i] = qc
			sum += int32(qc)
		}
		off := float32(float32(sum*-7) * s)
		dst := y[r*st.units : (r+1)*st.units]
		for o := range dst {
			var acc int32
			for i, wc := range w[o*st.depth : (o+1)*st.depth] {
				acc += (int32(int8(wc)) + 7) * int32(st.q[i])
			}
			fs := st.fScales[o]
			v := float32(off * fs)
			if b != nil {
				v += b[o]
			}
			dst[o] = v + float32(float32(float32(acc)*s)*fs)
		}
		applyFloatActivation(st.act, dst)
	}
	return nil
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
