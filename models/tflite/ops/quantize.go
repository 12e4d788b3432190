package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// addQuantize registers this family's kernels: QUANTIZE (from float, and
// requantization between integer types), DEQUANTIZE, CAST, ZEROS_LIKE and
// FILL. MaxVersion follows the TFLite builtin op resolver.
func addQuantize(r *Resolver) {
	r.Builtin[OpQuantize] = &Kernel{MaxVersion: 6, Prepare: qzQuantizePrepare, Eval: qzQuantizeEval}
	r.Builtin[OpDequantize] = &Kernel{MaxVersion: 9, Prepare: qzDequantizePrepare, Eval: qzDequantizeEval}
	r.Builtin[OpCast] = &Kernel{MaxVersion: 9, Prepare: qzCastPrepare, Eval: qzCastEval}
	r.Builtin[OpZerosLike] = &Kernel{MaxVersion: 1, Prepare: qzZerosLikePrepare, Eval: qzZerosLikeEval}
	r.Builtin[OpFill] = &Kernel{MaxVersion: 5, Prepare: qzFillPrepare, Eval: qzFillEval}
}

// ---- QUANTIZE ----

// qzQuantize is the state of a QUANTIZE node: per-tensor or per-channel
// float quantization, or an integer requantization multiplier.
type qzQuantize struct {
	scale    float64
	inZP     int32
	outZP    int32
	mult     int32
	shift    int
	channels []ewQ // per-channel float quantization
	axis     int
	inner    int // elements per step along the axis
}

func qzQuantizePrepare(c Context, n *Node) error {
	in, out, err := ewUnaryIO(c, n)
	if err != nil {
		return err
	}
	if !ewHasQuant(out) {
		return n.Errorf("output tensor %q has no quantization parameters", out.Name)
	}
	var ok bool
	switch in.Type {
	case models.Float32:
		ok = out.Type == models.UInt8 || out.Type == models.Int8 || out.Type == models.Int16 ||
			out.Type == models.Int4 || out.Type == models.UInt4
	case models.Int16:
		ok = out.Type == models.Int8 || out.Type == models.Int16 || out.Type == models.Int32
	case models.Int32:
		ok = out.Type == models.Int8 || out.Type == models.Int16
	case models.Int8, models.UInt8:
		ok = out.Type == models.UInt8 || out.Type == models.Int8 || out.Type == models.Int16
	}
	if !ok {
		return n.Errorf("input type %s with output type %s is not supported", in.Type, out.Type)
	}
	st := &qzQuantize{}
	n.State = st
	if err := c.Resize(out, in.Shape); err != nil {
		return err
	}
	if in.Type == models.Float32 {
		if isPacked(out.Type) && len(out.Quant.Scale) > 1 {
			return n.Errorf("per-channel quantization to %s is not supported (LiteRT quantizes %s per tensor)", out.Type, out.Type)
		}
		return st.prepareFloat(c, n, out)
	}
	qi, err := ewTensorQuant(n, in, "input")
	if err != nil {
		return err
	}
	qo, err := ewTensorQuant(n, out, "output")
	if err != nil {
		return err
	}
	if in.Type == models.Int16 && out.Type == models.Int16 && (qi.zp != 0 || qo.zp != 0) {
		return n.Errorf("int16 input and output must have zero point 0, got %d and %d", qi.zp, qo.zp)
	}
	st.inZP, st.outZP = qi.zp, qo.zp
	st.mult, st.shift = QuantizeMultiplier(qi.scale / qo.scale)
	return nil
}

func (st *qzQuantize) prepareFloat(c Context, n *Node, out *Tensor) error {
	q := out.Quant
	if len(q.Scale) == 1 {
		qo, err := ewTensorQuant(n, out, "output")
		if err != nil {
			return err
		}
		st.scale, st.outZP = qo.scale, qo.zp
		return nil
	}
	// Per-channel: one scale per index along the quantized dimension.
	if q.Axis < 0 || q.Axis >= len(out.Shape) || out.Shape[q.Axis] != len(q.Scale) {
		return n.Errorf("per-channel quantization with %d scales on axis %d does not fit shape %v", len(q.Scale), q.Axis, out.Shape)
	}
	if len(q.ZeroPoint) != len(q.Scale) && len(q.ZeroPoint) > 1 {
		return n.Errorf("per-channel quantization has %d scales but %d zero points", len(q.Scale), len(q.ZeroPoint))
	}
	lo, hi := TypeRange(out.Type)
	var err error
	if st.channels, err = makeSlice[ewQ](c, len(q.Scale)); err != nil {
		return n.Errorf("%v", err)
	}
	for i, s := range q.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return n.Errorf("output channel %d has invalid scale %g", i, s)
		}
		var zp int64
		if len(q.ZeroPoint) == len(q.Scale) {
			zp = q.ZeroPoint[i]
		} else if len(q.ZeroPoint) == 1 {
			zp = q.ZeroPoint[0]
		}
		if zp < int64(lo) || zp > int64(hi) {
			return n.Errorf("output channel %d has zero point %d outside the %s range", i, zp, out.Type)
		}
		st.channels[i] = ewQ{scale: float64(s), f32: s, zp: int32(zp)}
	}
	st.axis = q.Axis
	st.inner = 1
	for _, d := range out.Shape[q.Axis+1:] {
		st.inner *= d
	}
	return nil
}

func qzQuantizeEval(c Context, n *Node) error {
	st, ok := n.State.(*qzQuantize)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if isPacked(out.Type) {
		return qzQuantizePacked(n, st, in, out)
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	if in.Type == models.Float32 {
		x := in.F32()[:cnt]
		switch out.Type {
		case models.Int8:
			qzQuantizeFloat(st, x, out.I8()[:cnt])
		case models.UInt8:
			qzQuantizeFloat(st, x, out.U8()[:cnt])
		case models.Int16:
			qzQuantizeFloat(st, x, out.I16()[:cnt])
		}
		return nil
	}
	switch in.Type {
	case models.Int8:
		qzRequantizeTo(st, in.I8()[:cnt], out)
	case models.UInt8:
		qzRequantizeTo(st, in.U8()[:cnt], out)
	case models.Int16:
		qzRequantizeTo(st, in.I16()[:cnt], out)
	case models.Int32:
		qzRequantizeTo(st, in.I32()[:cnt], out)
	}
	return nil
}

// qzQuantizeFloat rounds x/scale half away from zero and saturates. TFLite
// divides in double for per-tensor int8, uint8 and int16 outputs (the
// scalar loop of its optimized kernels) and in float per channel.
func qzQuantizeFloat[T int8 | uint8 | int16](st *qzQuantize, x []float32, o []T) {
	o = o[:len(x)]
	lo, hi := TypeRange(actTypeOf[T]())
	if st.channels != nil {
		nc, inner := len(st.channels), st.inner
		for i, v := range x {
			ch := &st.channels[(i/inner)%nc]
			q := int64(ewSatInt32(math.Round(float64(v/ch.f32)))) + int64(ch.zp)
			o[i] = T(min(max(q, int64(lo)), int64(hi)))
		}
		return
	}
	for i, v := range x {
		q := int64(ewSatInt32(math.Round(float64(v)/st.scale))) + int64(st.outZP)
		o[i] = T(min(max(q, int64(lo)), int64(hi)))
	}
}

func qzRequantizeTo[S int8 | uint8 | int16 | int32](st *qzQuantize, x []S, out *Tensor) {
	switch out.Type {
	case models.Int8:
		qzRequantize(st, x, out.I8()[:len(x)])
	case models.UInt8:
		qzRequantize(st, x, out.U8()[:len(x)])
	case models.Int16:
		qzRequantize(st, x, out.I16()[:len(x)])
	case models.Int32:
		qzRequantize(st, x, out.I32()[:len(x)])
	}
}

// qzRequantize is TFLite's Requantize: offset, one fixed-point multiply,
// offset, saturate. (Its int8<->uint8 same-scale shortcut, a sign-bit flip,
// gives the same codes.)
func qzRequantize[S int8 | uint8 | int16 | int32, D int8 | uint8 | int16 | int32](st *qzQuantize, x []S, o []D) {
	o = o[:len(x)]
	lo, hi := qzRange[D]()
	for i, v := range x {
		r := int64(MultiplyByQuantizedMultiplier(int32(v)-st.inZP, st.mult, st.shift)) + int64(st.outZP)
		o[i] = D(min(max(r, lo), hi))
	}
}

// qzRange is the range of an integer element type.
func qzRange[D int8 | uint8 | int16 | int32]() (lo, hi int64) {
	var z D
	switch any(z).(type) {
	case int8:
		return math.MinInt8, math.MaxInt8
	case uint8:
		return 0, math.MaxUint8
	case int16:
		return math.MinInt16, math.MaxInt16
	}
	return math.MinInt32, math.MaxInt32
}

// ---- DEQUANTIZE ----

type qzDequantize struct {
	channels []ewQ // one per index along axis; len 1 for per-tensor
	inner    int
}

func qzDequantizePrepare(c Context, n *Node) error {
	in, out, err := ewUnaryIO(c, n)
	if err != nil {
		return err
	}
	switch in.Type {
	case models.UInt8, models.Int8, models.Int16, models.Float16, models.Int4, models.UInt4, models.Int2:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	out.Type = models.Float32 // as TFLite's Prepare does
	st := &qzDequantize{inner: 1}
	n.State = st
	if err := c.Resize(out, in.Shape); err != nil {
		return err
	}
	if in.Type == models.Float16 {
		return nil
	}
	q := in.Quant
	if q == nil || len(q.Scale) == 0 {
		return n.Errorf("input tensor %q (%s) has no quantization parameters", in.Name, in.Type)
	}
	lo, hi := TypeRange(in.Type)
	if _, plo, phi, ok := packedLayout(in.Type); ok {
		lo, hi = plo, phi
	}
	if len(q.Scale) > 1 {
		if q.Axis < 0 || q.Axis >= len(in.Shape) || in.Shape[q.Axis] != len(q.Scale) {
			return n.Errorf("per-channel quantization with %d scales on axis %d does not fit shape %v", len(q.Scale), q.Axis, in.Shape)
		}
		if in.Type == models.Int16 || in.Type == models.Float16 {
			return n.Errorf("per-channel quantization of %s is not supported", in.Type)
		}
		for _, d := range in.Shape[q.Axis+1:] {
			st.inner *= d
		}
	}
	if len(q.ZeroPoint) != len(q.Scale) && len(q.ZeroPoint) > 1 {
		return n.Errorf("%d scales but %d zero points", len(q.Scale), len(q.ZeroPoint))
	}
	if st.channels, err = makeSlice[ewQ](c, len(q.Scale)); err != nil {
		return n.Errorf("%v", err)
	}
	for i, s := range q.Scale {
		var zp int64
		if len(q.ZeroPoint) == len(q.Scale) {
			zp = q.ZeroPoint[i]
		} else if len(q.ZeroPoint) == 1 {
			zp = q.ZeroPoint[0]
		}
		if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return n.Errorf("channel %d has invalid scale %g", i, s)
		}
		if zp < int64(lo) || zp > int64(hi) {
			return n.Errorf("channel %d has zero point %d outside the %s range", i, zp, in.Type)
		}
		if in.Type == models.Int16 && zp != 0 {
			return n.Errorf("int16 input must have zero point 0, got %d", zp)
		}
		st.channels[i] = ewQ{scale: float64(s), f32: s, zp: int32(zp)}
	}
	return nil
}

func qzDequantizeEval(c Context, n *Node) error {
	st, ok := n.State.(*qzDequantize)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	o := out.F32()[:cnt]
	if bits, _, _, ok := packedLayout(in.Type); ok {
		if err := packedCheck(n, in, bits, cnt); err != nil {
			return err
		}
		signed := in.Type != models.UInt4
		for i := range o {
			v := packedGet(in.Data, i, bits, signed)
			ch := &st.channels[(i/st.inner)%len(st.channels)]
			o[i] = float32(ch.scale * float64(v-ch.zp))
		}
		return nil
	}
	if err := ewHaveData(n, in); err != nil {
		return err
	}
	switch in.Type {
	case models.Float16:
		for i, h := range in.U16()[:cnt] {
			o[i] = qzHalfToFloat(h)
		}
	case models.UInt8:
		qzDequantize8(st, in.U8()[:cnt], o)
	case models.Int8:
		qzDequantize8(st, in.I8()[:cnt], o)
	case models.Int16:
		qzDequantize8(st, in.I16()[:cnt], o)
	}
	return nil
}

// qzDequantize8 computes scale*(q-zp) in double and rounds to float, which
// equals TFLite's float product for per-channel scales too (the exact
// product rounds the same way).
func qzDequantize8[T uint8 | int8 | int16](st *qzDequantize, x []T, o []float32) {
	o = o[:len(x)]
	if len(st.channels) == 1 {
		s, zp := st.channels[0].scale, st.channels[0].zp
		for i, v := range x {
			o[i] = float32(s * float64(int32(v)-zp))
		}
		return
	}
	nc, inner := len(st.channels), st.inner
	for i, v := range x {
		ch := &st.channels[(i/inner)%nc]
		o[i] = float32(ch.scale * float64(int32(v)-ch.zp))
	}
}

// qzHalfToFloat converts IEEE binary16 bits to float32.
func qzHalfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value is man * 2^-24.
	f := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		return -f
	}
	return f
}

// qzFloatToHalf converts a float32 to IEEE binary16, rounding to nearest
// even; NaN stays NaN and overflow becomes infinity.
func qzFloatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign // rounds to zero
		}
		man |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		rest := man & (1<<shift - 1)
		v := man >> shift
		if rest > half || (rest == half && v&1 == 1) {
			v++
		}
		return sign | uint16(v)
	}
	v := uint32(e)<<10 | man>>13
	rest := man & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && v&1 == 1) {
		v++ // may carry into the exponent, up to infinity: correct
	}
	return sign | uint16(v)
}

// ---- CAST ----

func qzCastPrepare(c Context, n *Node) error {
	in, out, err := ewUnaryIO(c, n)
	if err != nil {
		return err
	}
	if isPacked(in.Type) || isPacked(out.Type) {
		return qzPackedCastPrepare(c, n, in, out)
	}
	for _, t := range []*Tensor{in, out} {
		if !qzCastable(t.Type) {
			return n.Errorf("type %s is not supported", t.Type)
		}
	}
	return c.Resize(out, in.Shape)
}

func qzCastable(t models.DType) bool {
	switch t {
	case models.Bool, models.UInt8, models.Int8, models.Int16, models.UInt16, models.Int32,
		models.UInt32, models.Int64, models.UInt64, models.Float16, models.Float32, models.Float64:
		return true
	}
	return false
}

func qzCastEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if isPacked(in.Type) || isPacked(out.Type) {
		return qzPackedCastEval(n, in, out)
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	switch in.Type {
	case models.Bool:
		// Read as bytes so that any nonzero byte counts as true.
		src := in.U8()[:cnt]
		if out.Type == models.Bool {
			o := out.U8()[:cnt]
			for i, v := range src {
				o[i] = qzBool(v != 0)
			}
			return nil
		}
		qzCastFrom(src, out, false, true)
	case models.UInt8:
		qzCastFrom(in.U8()[:cnt], out, false, false)
	case models.Int8:
		qzCastFrom(in.I8()[:cnt], out, false, false)
	case models.Int16:
		qzCastFrom(in.I16()[:cnt], out, false, false)
	case models.UInt16:
		qzCastFrom(in.U16()[:cnt], out, false, false)
	case models.Int32:
		qzCastFrom(in.I32()[:cnt], out, false, false)
	case models.UInt32:
		qzCastFrom(in.U32()[:cnt], out, false, false)
	case models.Int64:
		qzCastFrom(in.I64()[:cnt], out, false, false)
	case models.UInt64:
		qzCastFrom(view[uint64](in.Data)[:cnt], out, false, false)
	case models.Float32:
		qzCastFrom(in.F32()[:cnt], out, true, false)
	case models.Float64:
		qzCastFrom(in.F64()[:cnt], out, true, false)
	case models.Float16:
		h := in.U16()[:cnt]
		if out.Type == models.Float16 {
			copy(out.U16()[:cnt], h)
			return nil
		}
		qzCastHalf(h, out)
	}
	return nil
}

func qzBool(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

type qzNumber interface {
	~uint8 | ~int8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64
}

// qzCastFrom dispatches on the output type. fromFloat selects saturating
// float-to-integer conversion (NaN becomes the maximum, as TFLite's
// SafeCast); fromBool normalises bool bytes to 0/1.
func qzCastFrom[S qzNumber](x []S, out *Tensor, fromFloat, fromBool bool) {
	n := len(x)
	switch out.Type {
	case models.Bool:
		o := out.U8()[:n]
		for i, v := range x {
			o[i] = qzBool(v != 0)
		}
	case models.UInt8:
		qzConvert(x, out.U8()[:n], fromFloat, fromBool, 0, math.MaxUint8+1)
	case models.Int8:
		qzConvert(x, out.I8()[:n], fromFloat, fromBool, math.MinInt8, math.MaxInt8+1)
	case models.Int16:
		qzConvert(x, out.I16()[:n], fromFloat, fromBool, math.MinInt16, math.MaxInt16+1)
	case models.UInt16:
		qzConvert(x, out.U16()[:n], fromFloat, fromBool, 0, math.MaxUint16+1)
	case models.Int32:
		qzConvert(x, out.I32()[:n], fromFloat, fromBool, math.MinInt32, math.MaxInt32+1)
	case models.UInt32:
		qzConvert(x, out.U32()[:n], fromFloat, fromBool, 0, math.MaxUint32+1)
	case models.Int64:
		qzConvert(x, out.I64()[:n], fromFloat, fromBool, math.MinInt64, 1<<63)
	case models.UInt64:
		qzConvert(x, view[uint64](out.Data)[:n], fromFloat, fromBool, 0, 1<<64)
	case models.Float32:
		qzConvert(x, out.F32()[:n], false, fromBool, 0, 0)
	case models.Float64:
		qzConvert(x, out.F64()[:n], false, fromBool, 0, 0)
	case models.Float16:
		o := out.U16()[:n]
		for i, v := range x {
			if fromBool {
				o[i] = qzFloatToHalf(float32(qzBool(v != 0)))
			} else {
				o[i] = qzFloatToHalf(float32(v))
			}
		}
	}
}

// qzConvert converts element by element. For float sources into integers
// it saturates to [lo, hiExcl), hiExcl being the exclusive upper bound.
func qzConvert[S, D qzNumber](x []S, o []D, fromFloat, fromBool bool, lo, hiExcl float64) {
	o = o[:len(x)]
	switch {
	case fromBool:
		for i, v := range x {
			o[i] = D(qzBool(v != 0))
		}
	case fromFloat:
		maxD := qzMaxOf[D](hiExcl)
		for i, v := range x {
			o[i] = qzSatConv(float64(v), lo, hiExcl, maxD)
		}
	default:
		for i, v := range x {
			o[i] = D(v)
		}
	}
}

// qzSatConv truncates f toward zero into D, saturating; NaN becomes the
// maximum, as TFLite's SafeCast.
func qzSatConv[D qzNumber](f, lo, hiExcl float64, maxD D) D {
	switch {
	case f != f || f >= hiExcl:
		return maxD
	case f <= lo:
		return D(lo)
	}
	return D(f)
}

// qzMaxOf is the largest value of integer type D, whose exclusive bound is
// hiExcl (not exactly representable as a float for 64-bit types).
func qzMaxOf[D qzNumber](hiExcl float64) D {
	var z D
	switch any(z).(type) {
	case int64:
		v := int64(math.MaxInt64)
		return D(v)
	case uint64:
		v := uint64(math.MaxUint64)
		return D(v)
	}
	return D(hiExcl - 1)
}

// qzCastHalf converts float16 bits to any castable output type through
// float32, as TFLite does.
func qzCastHalf(h []uint16, out *Tensor) {
	n := len(h)
	switch out.Type {
	case models.Bool:
		o := out.U8()[:n]
		for i, v := range h {
			o[i] = qzBool(qzHalfToFloat(v) != 0)
		}
	case models.UInt8:
		qzHalfTo(h, out.U8()[:n], 0, math.MaxUint8+1)
	case models.Int8:
		qzHalfTo(h, out.I8()[:n], math.MinInt8, math.MaxInt8+1)
	case models.Int16:
		qzHalfTo(h, out.I16()[:n], math.MinInt16, math.MaxInt16+1)
	case models.UInt16:
		qzHalfTo(h, out.U16()[:n], 0, math.MaxUint16+1)
	case models.Int32:
		qzHalfTo(h, out.I32()[:n], math.MinInt32, math.MaxInt32+1)
	case models.UInt32:
		qzHalfTo(h, out.U32()[:n], 0, math.MaxUint32+1)
	case models.Int64:
		qzHalfTo(h, out.I64()[:n], math.MinInt64, 1<<63)
	case models.UInt64:
		qzHalfTo(h, view[uint64](out.Data)[:n], 0, 1<<64)
	case models.Float32:
		o := out.F32()[:n]
		for i, v := range h {
			o[i] = qzHalfToFloat(v)
		}
	case models.Float64:
		o := out.F64()[:n]
		for i, v := range h {
			o[i] = float64(qzHalfToFloat(v))
		}
	}
}

func qzHalfTo[D qzNumber](h []uint16, o []D, lo, hiExcl float64) {
	maxD := qzMaxOf[D](hiExcl)
	for i, v := range h {
		o[i] = qzSatConv(float64(qzHalfToFloat(v)), lo, hiExcl, maxD)
	}
}

// ---- ZEROS_LIKE ----

func qzZerosLikePrepare(c Context, n *Node) error {
	in, out, err := ewUnaryIO(c, n)
	if err != nil {
		return err
	}
	switch in.Type {
	case models.Int64, models.Int32, models.Float32:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	out.Type = in.Type
	return c.Resize(out, in.Shape)
}

func qzZerosLikeEval(c Context, n *Node) error {
	out := c.Output(n, 0)
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	clear(out.Data[:out.NumElements()*out.Type.Size()])
	return nil
}

// ---- FILL ----

type qzFill struct {
	shape []int // output shape buffer for dims known only at Eval
}

func qzFillPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	dims, value, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if dims == nil || value == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if len(dims.Shape) != 1 || (dims.Type != models.Int32 && dims.Type != models.Int64) {
		return n.Errorf("dims must be a 1-D int32 or int64 tensor, got %s %v", dims.Type, dims.Shape)
	}
	if len(value.Shape) != 0 {
		return n.Errorf("value must be a scalar, got shape %v", value.Shape)
	}
	switch value.Type.Size() {
	case 1, 2, 4, 8:
	default:
		return n.Errorf("value type %s is not supported", value.Type)
	}
	if ewHasQuant(value) || ewHasQuant(out) {
		qv, err := ewTensorQuant(n, value, "value")
		if err != nil {
			return err
		}
		qo, err := ewTensorQuant(n, out, "output")
		if err != nil {
			return err
		}
		if qv.scale != qo.scale || qv.zp != qo.zp {
			return n.Errorf("output quantization (%g, %d) differs from the value's (%g, %d)", qo.scale, qo.zp, qv.scale, qv.zp)
		}
		if value.Type == models.Int16 && qv.zp != 0 {
			return n.Errorf("int16 value must have zero point 0, got %d", qv.zp)
		}
	}
	out.Type = value.Type
	shape, err := allocSlice[int](c, dims.Shape[0])
	if err != nil {
		return n.Errorf("dims: %v", err)
	}
	st := &qzFill{shape: shape}
	n.State = st
	if dims.Const {
		shape, err := qzFillShape(n, dims, st.shape)
		if err != nil {
			return err
		}
		return c.Resize(out, shape)
	}
	c.SetDynamic(out)
	return nil
}

// qzFillShape reads the dims tensor into shape.
func qzFillShape(n *Node, dims *Tensor, shape []int) ([]int, error) {
	if err := ewHaveData(n, dims); err != nil {
		return nil, err
	}
	for i := range shape {
		var d int64
		if dims.Type == models.Int32 {
			d = int64(dims.I32()[i])
		} else {
			d = dims.I64()[i]
		}
		if d < 0 || d > math.MaxInt32 {
			return nil, n.Errorf("dimension %d is %d; dimensions must be in [0, 2^31)", i, d)
		}
		shape[i] = int(d)
	}
	return shape, nil
}

func qzFillEval(c Context, n *Node) error {
	st, ok := n.State.(*qzFill)
	if !ok {
		return n.Errorf("not prepared")
	}
	dims, value, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if out.Dynamic {
		shape, err := qzFillShape(n, dims, st.shape)
		if err != nil {
			return err
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("%v", err)
		}
	}
	if err := ewHaveData(n, value, out); err != nil {
		return err
	}
	sz := value.Type.Size()
	total := out.NumElements() * sz
	if total == 0 {
		return nil
	}
	dst := out.Data[:total]
	copy(dst, value.Data[:sz])
	// Double the filled prefix until the whole tensor is covered.
	for f := sz; f < total; f *= 2 {
		copy(dst[f:], dst[:f])
	}
	return nil
}
