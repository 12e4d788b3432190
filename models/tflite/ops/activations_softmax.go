package ops

import (
	"math"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// SOFTMAX, LOG_SOFTMAX and L2_NORMALIZATION work on the last dimension.
//
// The quantized forms follow what TFLite's CPU kernels run: 8-bit inputs
// use a 256-entry float table of exp(-scale*beta*d) indexed by the distance
// d from the row maximum and requantize in float; int16 SOFTMAX uses two
// interpolated int16 tables (exp on [-10, 0] and 1/(1+x) on [0, 1]);
// L2_NORMALIZATION uses a fixed-point inverse square root.

func addSoftmax(r *Resolver) {
	r.Builtin[OpSoftmax] = &Kernel{MaxVersion: 4, Prepare: actSoftmaxPrepare, Eval: actSoftmaxEval}
	r.Builtin[OpLogSoftmax] = &Kernel{MaxVersion: 2, Prepare: actSoftmaxPrepare, Eval: actSoftmaxEval}
	r.Builtin[OpL2Normalization] = &Kernel{MaxVersion: 2, Prepare: actL2Prepare, Eval: actL2Eval}
}

type actSoftmax struct {
	beta     float32
	inScale  float32
	outScale float32
	outZP    int32
	table    []float32 // 8-bit inputs: table[255-d] = exp(-inScale*beta*d)
	expLUT   *ewLUT16  // int16
	recipLUT *ewLUT16  // int16
	inMult   int32     // int16
	inShift  int       // int16
}

// actRows returns the row length (last dimension) and row count of t.
func actRows(n *Node, t *Tensor) (depth, rows int, err error) {
	if len(t.Shape) == 0 {
		return 0, 0, n.Errorf("input must have at least one dimension")
	}
	depth = t.Shape[len(t.Shape)-1]
	if depth == 0 {
		return 0, 0, nil
	}
	return depth, t.NumElements() / depth, nil
}

func actSoftmaxPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if _, _, err := actRows(n, in); err != nil {
		return err
	}
	st := &actSoftmax{beta: 1}
	if n.Op == OpSoftmax {
		// TFLite reads beta 0 when the options table is missing.
		st.beta = n.Opts.(*SoftmaxOptions).Beta
		if b := float64(st.beta); math.IsNaN(b) || math.IsInf(b, 0) {
			return n.Errorf("beta %g is not finite", b)
		}
	}
	n.State = st
	if err := c.Resize(out, in.Shape); err != nil {
		return err
	}
	if in.Type == models.Float32 {
		if out.Type != models.Float32 {
			return n.Errorf("output type %s differs from input type float32", out.Type)
		}
		return nil
	}
	okTypes := false
	switch in.Type {
	case models.UInt8:
		okTypes = out.Type == models.UInt8 || (n.Op == OpSoftmax && out.Type == models.Int16)
	case models.Int8:
		okTypes = out.Type == models.Int8 || (n.Op == OpSoftmax && out.Type == models.Int16)
	case models.Int16:
		okTypes = n.Op == OpSoftmax && out.Type == models.Int16
	}
	if !okTypes {
		return n.Errorf("input type %s with output type %s is not supported", in.Type, out.Type)
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	st.inScale, st.outScale, st.outZP = qi.f32, qo.f32, qo.zp
	if n.Op == OpLogSoftmax {
		wantZP := int32(127)
		if in.Type == models.UInt8 {
			wantZP = 255
		}
		if qo.scale != 16.0/256 || qo.zp != wantZP {
			return n.Errorf("output quantization must be scale 16/256 and zero point %d, got %g and %d", wantZP, qo.scale, qo.zp)
		}
	}
	switch {
	case in.Type == models.Int8 && out.Type == models.Int8 && n.Op == OpSoftmax:
		if qo.zp != -128 || math.Abs(qo.scale-1.0/256) > 0.001/256 {
			return n.Errorf("int8 output quantization must be scale 1/256 and zero point -128, got %g and %d", qo.scale, qo.zp)
		}
	case in.Type == models.Int16:
		if qi.zp != 0 || qo.zp != 0 || math.Abs(qo.scale-1.0/32768) > 0.001/32768 {
			return n.Errorf("int16 quantization must be symmetric with output scale 1/32768, got input zero point %d, output scale %g and zero point %d", qi.zp, qo.scale, qo.zp)
		}
		if err := st.prepare16(c, qi); err != nil {
			return n.Errorf("lookup tables: %v", err)
		}
		return nil
	}
	b, err := c.Alloc(256 * 4)
	if err != nil {
		return n.Errorf("lookup table: %v", err)
	}
	st.table = unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), 256)
	scale := -qi.f32 * st.beta
	for v := range 256 {
		st.table[255-v] = float32(math.Exp(float64(float32(scale * float32(v)))))
	}
	return nil
}

// prepare16 builds the int16 SOFTMAX tables: exp on [-10, 0] with the
// input difference scaled so that [-65535, 0] maps onto it, and 1/(1+x)
// on [0, 1].
func (st *actSoftmax) prepare16(c Context, qi ewQ) error {
	var err error
	if st.expLUT, err = ewAllocLUT16(c); err != nil {
		return err
	}
	if st.recipLUT, err = ewAllocLUT16(c); err != nil {
		return err
	}
	const span = 65535.0
	ewLUT16Build(st.expLUT, 10/span, 32767, 2/span, 0, math.Exp)
	ewLUT16Build(st.recipLUT, 1/span, -32768, 2/span, 0, func(x float64) float64 { return 1 / (1 + x) })
	st.inMult, st.inShift = QuantizeMultiplier(float64(qi.f32*st.beta) / (10 / span))
	return nil
}

func actSoftmaxEval(c Context, n *Node) error {
	st, ok := n.State.(*actSoftmax)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	depth, rows, err := actRows(n, in)
	if err != nil || depth == 0 {
		return err
	}
	cnt := depth * rows
	log := n.Op == OpLogSoftmax
	switch in.Type {
	case models.Float32:
		x, o := in.F32()[:cnt], out.F32()[:cnt]
		if log {
			actLogSoftmaxF32(x, o, depth)
		} else {
			actSoftmaxF32(x, o, depth, st.beta)
		}
	case models.Int16:
		actSoftmax16(st, in.I16()[:cnt], out.I16()[:cnt], depth)
	case models.UInt8:
		x := in.U8()[:cnt]
		switch {
		case log:
			actLogSoftmax8(st, x, out.U8()[:cnt], depth)
		case out.Type == models.UInt8:
			actSoftmax8(st, x, out.U8()[:cnt], depth, true)
		default:
			actSoftmax8(st, x, out.I16()[:cnt], depth, false)
		}
	case models.Int8:
		x := in.I8()[:cnt]
		switch {
		case log:
			actLogSoftmax8(st, x, out.I8()[:cnt], depth)
		case out.Type == models.Int8:
			actSoftmax8(st, x, out.I8()[:cnt], depth, false)
		default:
			actSoftmax8(st, x, out.I16()[:cnt], depth, false)
		}
	}
	return nil
}

// actSoftmaxF32 computes in float64 and rounds once per element.
func actSoftmaxF32(x, o []float32, depth int, beta float32) {
	b := float64(beta)
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v-m) * b)
			dst[i] = float32(e)
			sum += e
		}
		inv := 1 / sum
		for i, v := range row {
			dst[i] = float32(math.Exp(float64(v-m)*b) * inv)
		}
	}
}

func actLogSoftmaxF32(x, o []float32, depth int) {
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - m))
		}
		ls := math.Log(sum)
		for i, v := range row {
			dst[i] = float32(float64(v-m) - ls)
		}
	}
}

// actSoftmax8 is TFLite's CPU SOFTMAX for 8-bit inputs. Float32
// arithmetic is spelled out with conversions so that no platform fuses it.
func actSoftmax8[In uint8 | int8, Out uint8 | int8 | int16](st *actSoftmax, x []In, o []Out, depth int, truncRound bool) {
	lo, hi := TypeRange(actTypeOf[Out]())
	t := st.table
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		maxV := int32(row[0])
		for _, v := range row {
			maxV = max(maxV, int32(v))
		}
		base := 255 - maxV
		var sum float32
		for _, v := range row {
			sum += t[base+int32(v)]
		}
		inv := 1 / float32(sum*st.outScale)
		for i, v := range row {
			p := float32(t[base+int32(v)] * inv)
			var q int32
			if truncRound {
				// TFLite's uint8 output rounds by adding 0.5 and truncating.
				q = ewSatInt32(float64(float32(p + 0.5)))
			} else {
				q = ewSatInt32(math.Round(float64(p)))
			}
			dst[i] = Out(min(max(q+st.outZP, lo), hi))
		}
	}
}

// actLogSoftmax8 is TFLite's CPU LOG_SOFTMAX for 8-bit inputs: the log of
// the table sum, rescaled in float and rounded half to even.
func actLogSoftmax8[T uint8 | int8](st *actSoftmax, x, o []T, depth int) {
	lo, hi := TypeRange(actTypeOf[T]())
	t := st.table
	scale := float32(st.inScale / st.outScale)
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		maxV := row[0]
		for _, v := range row {
			maxV = max(maxV, v)
		}
		base := 255 - int32(maxV)
		var sum float32
		for _, v := range row {
			sum += t[base+int32(v)]
		}
		lse := float32(math.Log(float64(sum)))
		pre := float32(float32(float32(st.inScale*float32(maxV))+lse) / st.outScale)
		for i, v := range row {
			lp := float32(float32(scale*float32(v)) - pre)
			q := ewSatInt32(float64(float32(float32(math.RoundToEven(float64(lp))) + float32(st.outZP))))
			dst[i] = T(min(max(q, lo), hi))
		}
	}
}

// actSoftmax16 is TFLite's int16 SOFTMAX (reference SoftmaxInt16).
func actSoftmax16(st *actSoftmax, x, o []int16, depth int) {
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		maxV := row[0]
		for _, v := range row {
			maxV = max(maxV, v)
		}
		var sum int32
		for i, v := range row {
			d := MultiplyByQuantizedMultiplier(int32(v)-int32(maxV), st.inMult, st.inShift)
			e := ewLUT16Lookup(int16(min(max(d+32767, -32768), 32767)), st.expLUT)
			dst[i] = e
			sum += int32(e)
		}
		hpo := fxCLZ32(sum)
		shifted := int32((int64(sum)<<(hpo-1) + 1<<13) >> 14)
		sym := shifted - (1<<15 + 1<<16)
		recip := int64(ewLUT16Lookup(int16(min(max(sym, -32768), 32767)), st.recipLUT))
		rs := 31 - hpo
		round := int64(1) << (rs - 1)
		for i, e := range dst {
			v := int32((int64(e)*recip + round) >> rs)
			dst[i] = int16(min(max(v, 0), 32767))
		}
	}
}

// ---- L2_NORMALIZATION ----

func actL2Prepare(c Context, n *Node) error {
	in, out, err := actIO(c, n, models.Float32, models.UInt8, models.Int8)
	if err != nil {
		return err
	}
	if _, _, err := actRows(n, in); err != nil {
		return err
	}
	if a := fusedActivation(n); a != ActNone {
		return n.Errorf("fused activation %d is not supported", a)
	}
	st := &actL2{}
	n.State = st
	if in.Type == models.Float32 {
		return nil
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	st.zp = qi.zp
	wantZP := int32(0)
	if out.Type == models.UInt8 {
		wantZP = 128
	}
	if qo.scale != 1.0/128 || qo.zp != wantZP {
		return n.Errorf("output quantization must be scale 1/128 and zero point %d, got %g and %d", wantZP, qo.scale, qo.zp)
	}
	return nil
}

// actL2 holds the input zero point of a quantized L2_NORMALIZATION.
type actL2 struct{ zp int32 }

func actL2Eval(c Context, n *Node) error {
	st, ok := n.State.(*actL2)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	depth, rows, err := actRows(n, in)
	if err != nil || depth == 0 {
		return err
	}
	cnt := depth * rows
	switch in.Type {
	case models.Float32:
		x, o := in.F32()[:cnt], out.F32()[:cnt]
		for r := 0; r < cnt; r += depth {
			row, dst := x[r:r+depth], o[r:r+depth]
			var ss float32
			for _, v := range row {
				ss += float32(v * v)
			}
			norm := max(float32(math.Sqrt(float64(ss))), 1e-6)
			for i, v := range row {
				dst[i] = v / norm
			}
		}
	case models.UInt8:
		actL2Quant(in.U8()[:cnt], out.U8()[:cnt], depth, st.zp)
	case models.Int8:
		actL2Quant(in.I8()[:cnt], out.I8()[:cnt], depth, st.zp)
	}
	return nil
}

// actL2Quant normalises rows with TFLite's fixed-point inverse square root;
// outputs have scale 1/128 (zero point 128 for uint8, 0 for int8).
func actL2Quant[T uint8 | int8](x, o []T, depth int, zp int32) {
	var z T
	_, unsigned := any(z).(uint8)
	for r := 0; r+depth <= len(x); r += depth {
		row, dst := x[r:r+depth], o[r:r+depth]
		var acc int32
		for _, v := range row {
			d := int32(v) - zp
			acc += d * d
		}
		m, s := fxInvSqrt(acc, -1)
		for i, v := range row {
			d := int32(v) - zp
			if unsigned {
				dst[i] = T(min(max(128+fxMulQ(128*d, m, s), 0), 255))
			} else {
				dst[i] = T(min(max(fxMulQ(d, m, s+7), -128), 127))
			}
		}
	}
}
