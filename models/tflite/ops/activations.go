package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// addActivations registers this family's kernels: the RELU family,
// LOGISTIC, TANH, LEAKY_RELU, PRELU, HARD_SWISH (this file) and SOFTMAX,
// LOG_SOFTMAX, L2_NORMALIZATION (activations_softmax.go). MaxVersion
// follows the TFLite builtin op resolver.
func addActivations(r *Resolver) {
	relu := &Kernel{MaxVersion: 3, Prepare: actReluPrepare, Eval: actReluEval}
	r.Builtin[OpRelu] = relu
	r.Builtin[OpRelu6] = relu
	r.Builtin[OpReluN1To1] = &Kernel{MaxVersion: 1, Prepare: actReluPrepare, Eval: actReluEval}
	r.Builtin[OpLogistic] = &Kernel{MaxVersion: 3, Prepare: actSigmoidPrepare, Eval: actSigmoidEval}
	r.Builtin[OpTanh] = &Kernel{MaxVersion: 3, Prepare: actSigmoidPrepare, Eval: actSigmoidEval}
	r.Builtin[OpLeakyRelu] = &Kernel{MaxVersion: 2, Prepare: actLeakyPrepare, Eval: actLeakyEval}
	r.Builtin[OpPrelu] = &Kernel{MaxVersion: 1, Prepare: actPreluPrepare, Eval: actPreluEval}
	r.Builtin[OpHardSwish] = &Kernel{MaxVersion: 1, Prepare: actHardSwishPrepare, Eval: actHardSwishEval}
	addSoftmax(r)
}

// actIO checks a one-input one-output node whose output has the input's
// type, and gives the output the input's shape.
func actIO(c Context, n *Node, types ...models.DType) (in, out *Tensor, err error) {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return nil, nil, n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out = c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return nil, nil, n.Errorf("missing input or output tensor")
	}
	if in.Type != out.Type {
		return nil, nil, n.Errorf("output type %s differs from input type %s", out.Type, in.Type)
	}
	ok := false
	for _, t := range types {
		ok = ok || t == in.Type
	}
	if !ok {
		return nil, nil, n.Errorf("input type %s is not supported", in.Type)
	}
	return in, out, c.Resize(out, in.Shape)
}

// actQuantIO reads the per-tensor quantization of a node's input and
// output.
func actQuantIO(n *Node, in, out *Tensor) (qi, qo ewQ, err error) {
	if qi, err = ewTensorQuant(n, in, "input"); err != nil {
		return qi, qo, err
	}
	qo, err = ewTensorQuant(n, out, "output")
	return qi, qo, err
}

// ---- RELU, RELU6, RELU_N1_TO_1 ----

// actRelu rescales quantized inputs to the output scale and clamps to the
// activation's range in output codes (TFLite's ReluX).
type actRelu struct {
	inZP, outZP int32
	mult        int32
	shift       int
	lo, hi      int32
}

func actReluPrepare(c Context, n *Node) error {
	types := []models.DType{models.Float32, models.UInt8, models.Int8, models.Int16}
	if n.Op == OpReluN1To1 {
		types = types[:3]
	}
	in, out, err := actIO(c, n, types...)
	if err != nil {
		return err
	}
	st := &actRelu{}
	n.State = st
	if in.Type == models.Float32 {
		return nil
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	if in.Type == models.Int16 && (qi.zp != 0 || qo.zp != 0) {
		return n.Errorf("int16 input and output must have zero point 0, got %d and %d", qi.zp, qo.zp)
	}
	st.inZP, st.outZP = qi.zp, qo.zp
	st.mult, st.shift = QuantizeMultiplier(float64(qi.f32 / qo.f32))
	tlo, thi := TypeRange(in.Type)
	code := func(v float32) int32 {
		return qo.zp + ewSatInt32(math.Round(float64(v/qo.f32)))
	}
	st.lo, st.hi = max(tlo, code(0)), thi
	switch n.Op {
	case OpRelu6:
		st.hi = min(thi, code(6))
	case OpReluN1To1:
		st.lo, st.hi = max(tlo, code(-1)), min(thi, code(1))
	}
	return nil
}

func actReluEval(c Context, n *Node) error {
	st, ok := n.State.(*actRelu)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	switch in.Type {
	case models.Float32:
		x, o := in.F32()[:cnt], out.F32()[:cnt]
		switch n.Op {
		case OpRelu:
			for i, v := range x {
				if v < 0 {
					v = 0
				}
				o[i] = v
			}
		case OpRelu6:
			for i, v := range x {
				o[i] = ewClamp(v, 0, 6)
			}
		default:
			for i, v := range x {
				o[i] = ewClamp(v, -1, 1)
			}
		}
	case models.UInt8:
		actReluQuant(st, in.U8()[:cnt], out.U8()[:cnt])
	case models.Int8:
		actReluQuant(st, in.I8()[:cnt], out.I8()[:cnt])
	case models.Int16:
		actReluQuant(st, in.I16()[:cnt], out.I16()[:cnt])
	}
	return nil
}

func actReluQuant[T uint8 | int8 | int16](st *actRelu, x, o []T) {
	o = o[:len(x)]
	for i, v := range x {
		r := st.outZP + MultiplyByQuantizedMultiplier(int32(v)-st.inZP, st.mult, st.shift)
		o[i] = T(min(max(r, st.lo), st.hi))
	}
}

// ---- LOGISTIC, TANH ----

// actSigmoid is the state of LOGISTIC and TANH. 8-bit inputs go through a
// 256-entry table; int16 uses gemmlowp fixed point when the input scale is
// the power of two the fixed-point format expects, and TFLite's
// interpolated sigmoid table otherwise.
type actSigmoid struct {
	lut       *ewLUT8
	mult      int32 // int16 table path; 0 selects the fixed-point path
	leftShift int
}

func actSigmoidPrepare(c Context, n *Node) error {
	in, out, err := actIO(c, n, models.Float32, models.UInt8, models.Int8, models.Int16)
	if err != nil {
		return err
	}
	st := &actSigmoid{}
	n.State = st
	if in.Type == models.Float32 {
		return nil
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	logistic := n.Op == OpLogistic
	switch in.Type {
	case models.UInt8, models.Int8:
		if logistic && qo.scale != 1.0/256 {
			return n.Errorf("output scale must be 1/256, got %g", qo.scale)
		}
		f := func(x float32) float32 { return float32(math.Tanh(float64(x))) }
		if logistic {
			f = func(x float32) float32 { return 1 / (1 + float32(math.Exp(float64(-x)))) }
		}
		if st.lut, err = ewAllocLUT8(c); err != nil {
			return n.Errorf("lookup table: %v", err)
		}
		ewLUT8Build(st.lut, in.Type == models.Int8, qi.f32, qi.zp, qo.f32, qo.zp, f)
		return nil
	}
	// int16: symmetric, output scale 2^-15.
	if qi.zp != 0 || qo.zp != 0 {
		return n.Errorf("int16 input and output must have zero point 0, got %d and %d", qi.zp, qo.zp)
	}
	if l, ok := ewCheckedLog2(qo.scale); !ok || l != -15 {
		return n.Errorf("int16 output scale must be 2^-15, got %g", qo.scale)
	}
	l, pot := ewCheckedLog2(qi.scale)
	st.leftShift = 12 + l
	if logistic {
		if qo.scale != 1.0/32768 {
			return n.Errorf("int16 output scale must be 1/32768, got %g", qo.scale)
		}
		pot = pot && st.leftShift == 0
	} else {
		pot = pot && (st.leftShift == 0 || st.leftShift == 1)
	}
	if pot {
		return nil
	}
	// Rescale the input so that the table's +-2^17 range represents +-10.7
	// (hence the factor 3: 3*4096 per unit).
	m := qi.scale * 4096 * 3
	st.leftShift = 0
	for m <= 32767.0/2 && st.leftShift <= 30 {
		st.leftShift++
		m *= 2
	}
	if m >= 1<<16 {
		return n.Errorf("int16 input scale %g is too large", qi.scale)
	}
	st.mult = int32(m)
	return nil
}

func actSigmoidEval(c Context, n *Node) error {
	st, ok := n.State.(*actSigmoid)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	logistic := n.Op == OpLogistic
	switch in.Type {
	case models.Float32:
		x, o := in.F32()[:cnt], out.F32()[:cnt]
		if logistic {
			for i, v := range x {
				o[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		} else {
			for i, v := range x {
				o[i] = float32(math.Tanh(float64(v)))
			}
		}
	case models.UInt8:
		x, o, t := in.U8()[:cnt], out.U8()[:cnt], st.lut
		for i, v := range x {
			o[i] = t[v]
		}
	case models.Int8:
		x, o, t := in.I8()[:cnt], out.I8()[:cnt], st.lut
		for i, v := range x {
			o[i] = int8(t[uint8(v)])
		}
	case models.Int16:
		x, o := in.I16()[:cnt], out.I16()[:cnt]
		switch {
		case st.mult > 0 && logistic:
			actLogistic16Table(st.mult, st.leftShift, x, o)
		case st.mult > 0:
			actTanh16Table(st.mult, st.leftShift, x, o)
		case logistic:
			for i, v := range x {
				o[i] = fxLogistic(v, 3)
			}
		default:
			for i, v := range x {
				o[i] = fxTanh(fxMulPOT(v, st.leftShift), 3)
			}
		}
	}
	return nil
}

// actSigmoidTable is sigmoid(i/24) in 0.16 fixed point, with each entry
// biased by half the interpolation error at the segment midpoint; it is the
// table TFLite's int16 LOGISTIC and TANH interpolate (tanh(x) =
// 2*sigmoid(2x) - 1). The last entry saturates.
var actSigmoidTable = func() (t [256]uint32) {
	f := func(x float64) float64 { return 65536 / (1 + math.Exp(-x/24)) }
	for i := range t {
		x := float64(i)
		mid := (f(x)+f(x+1))/2 - f(x+0.5)
		t[i] = uint32(min(math.Round(f(x)-mid/2), 65535))
	}
	t[255] = 65535
	return t
}()

// actLogistic16Table is TFLite's int16 LOGISTIC for general input scales.
func actLogistic16Table(mult int32, shift int, x, o []int16) {
	o = o[:len(x)]
	var round int32
	if shift > 0 {
		round = 1 << (shift - 1)
	}
	for i, v := range x {
		in := (int32(v)*mult + round) >> shift
		abs := uint32(in)
		if in < 0 {
			abs = uint32(-in)
		}
		var r uint32
		if uh := abs >> 9; uh >= 255 {
			r = 0x7fff << 10
		} else {
			ua, ub := actSigmoidTable[uh], actSigmoidTable[uh+1]
			r = ua<<9 + (abs&0x1ff)*(ub-ua)
		}
		if in >= 0 {
			r += 1 << 9
		} else {
			r = 1<<25 - r + 1<<9 - 1
		}
		o[i] = int16(r >> 10)
	}
}

// actTanh16Table is TFLite's int16 TANH for general input scales.
func actTanh16Table(mult int32, shift int, x, o []int16) {
	o = o[:len(x)]
	var round int32
	if shift > 0 {
		round = 1 << (shift - 1)
	}
	for i, v := range x {
		in := (int32(v)*mult + round) >> shift
		abs := uint32(in)
		if in < 0 {
			abs = uint32(-in)
		}
		var r int32
		if uh := abs >> 8; uh >= 255 {
			r = 0xffff << 8
		} else {
			ua, ub := actSigmoidTable[uh], actSigmoidTable[uh+1]
			r = int32(ua<<8 + (abs&0xff)*(ub-ua))
		}
		if in >= 0 {
			r = r - 1<<23 + 1<<7
		} else {
			r = -r + 1<<23 + 1<<7 - 1
		}
		o[i] = int16(r >> 8)
	}
}

// ---- LEAKY_RELU ----

type actLeaky struct {
	alpha          float32
	inZP, outZP    int32
	multA, multI   int32
	shiftA, shiftI int
}

func actLeakyPrepare(c Context, n *Node) error {
	in, out, err := actIO(c, n, models.Float32, models.UInt8, models.Int8, models.Int16)
	if err != nil {
		return err
	}
	st := &actLeaky{alpha: n.Opts.(*LeakyReluOptions).Alpha}
	n.State = st
	if in.Type == models.Float32 {
		return nil
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	if in.Type == models.Int16 && (qi.zp != 0 || qo.zp != 0) {
		return n.Errorf("int16 input and output must have zero point 0, got %d and %d", qi.zp, qo.zp)
	}
	if a := float64(st.alpha); math.IsNaN(a) || math.IsInf(a, 0) {
		return n.Errorf("alpha %g is not finite", a)
	}
	st.inZP, st.outZP = qi.zp, qo.zp
	// Float arithmetic, as TFLite's Prepare.
	st.multA, st.shiftA = QuantizeMultiplier(float64(float32(qi.f32*st.alpha) / qo.f32))
	st.multI, st.shiftI = QuantizeMultiplier(float64(qi.f32 / qo.f32))
	return nil
}

func actLeakyEval(c Context, n *Node) error {
	st, ok := n.State.(*actLeaky)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	switch in.Type {
	case models.Float32:
		x, o, a := in.F32()[:cnt], out.F32()[:cnt], st.alpha
		for i, v := range x {
			if v <= 0 {
				v *= a
			}
			o[i] = v
		}
	case models.UInt8:
		actLeakyQuant(st, in.U8()[:cnt], out.U8()[:cnt])
	case models.Int8:
		actLeakyQuant(st, in.I8()[:cnt], out.I8()[:cnt])
	case models.Int16:
		actLeakyQuant(st, in.I16()[:cnt], out.I16()[:cnt])
	}
	return nil
}

// actLeakyQuant applies the identity or the alpha multiplier by the sign
// of the offset input. A negative alpha multiplier is applied to the
// magnitude and negated, as TFLite's reference does.
func actLeakyQuant[T uint8 | int8 | int16](st *actLeaky, x, o []T) {
	o = o[:len(x)]
	lo, hi := TypeRange(actTypeOf[T]())
	ma, neg := st.multA, st.multA < 0
	if neg {
		ma = -ma
	}
	for i, v := range x {
		d := int32(v) - st.inZP
		r := st.outZP
		if d >= 0 {
			r += MultiplyByQuantizedMultiplier(d, st.multI, st.shiftI)
		} else if s := MultiplyByQuantizedMultiplier(d, ma, st.shiftA); neg {
			r -= s
		} else {
			r += s
		}
		o[i] = T(min(max(r, lo), hi))
	}
}

// actTypeOf maps a Go element type to its tensor type.
func actTypeOf[T uint8 | int8 | int16]() models.DType {
	var z T
	switch any(z).(type) {
	case uint8:
		return models.UInt8
	case int8:
		return models.Int8
	}
	return models.Int16
}

// ---- PRELU ----

type actPrelu struct {
	plan               ewPlan
	inOff, aOff, outZP int32
	mult1, mult2       int32
	shift1, shift2     int
	shape              [ewMaxDims * 2]int
}

func actPreluPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, alpha, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || alpha == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	wantAlpha := in.Type
	switch in.Type {
	case models.Float32, models.UInt8, models.Int8:
	case models.Int16:
		wantAlpha = models.Int8 // TFLite's int16 PRELU takes int8 alphas
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if alpha.Type != wantAlpha {
		return n.Errorf("alpha type %s does not match input type %s (want %s)", alpha.Type, in.Type, wantAlpha)
	}
	st := &actPrelu{}
	shape, err := ewBroadcastShape(n, st.shape[:0], in.Shape, alpha.Shape)
	if err != nil {
		return err
	}
	if !ewSameShape(shape, in.Shape) {
		return n.Errorf("alpha shape %v broadcasts the input shape %v to %v", alpha.Shape, in.Shape, shape)
	}
	if err := st.plan.plan(n, shape, in.Shape, alpha.Shape); err != nil {
		return err
	}
	out.Type = in.Type
	n.State = st
	if in.Type != models.Float32 {
		qi, qo, err := actQuantIO(n, in, out)
		if err != nil {
			return err
		}
		qa, err := ewTensorQuant(n, alpha, "alpha")
		if err != nil {
			return err
		}
		st.inOff, st.aOff, st.outZP = -qi.zp, -qa.zp, qo.zp
		st.mult1, st.shift1 = QuantizeMultiplier(float64(qi.f32 / qo.f32))
		st.mult2, st.shift2 = QuantizeMultiplier(float64(float32(qi.f32*qa.f32) / qo.f32))
	}
	return c.Resize(out, shape)
}

func actPreluEval(c Context, n *Node) error {
	st, ok := n.State.(*actPrelu)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, alpha, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, in, alpha, out); err != nil {
		return err
	}
	p := &st.plan
	switch in.Type {
	case models.Float32:
		x, a, o := in.F32(), alpha.F32(), out.F32()[:p.n]
		p.rows(func(oo, xo, ao, _, n int) {
			o := o[oo : oo+n]
			xs, as := ewRow(p, 0, x, xo, n), ewRow(p, 1, a, ao, n)
			sx, sa := ewStrides(n, len(xs), len(as))
			for i := range o {
				v := xs[i*sx]
				if v < 0 {
					v *= as[i*sa]
				}
				o[i] = v
			}
		})
	case models.UInt8:
		actPreluQuant(st, in.U8(), alpha.U8(), out.U8()[:p.n])
	case models.Int8:
		actPreluQuant(st, in.I8(), alpha.I8(), out.I8()[:p.n])
	case models.Int16:
		actPreluQuant(st, in.I16(), alpha.I8(), out.I16()[:p.n])
	}
	return nil
}

func actPreluQuant[T uint8 | int8 | int16, A uint8 | int8](st *actPrelu, x []T, a []A, o []T) {
	p := &st.plan
	lo, hi := TypeRange(actTypeOf[T]())
	p.rows(func(oo, xo, ao, _, n int) {
		o := o[oo : oo+n]
		xs, as := ewRow(p, 0, x, xo, n), ewRow(p, 1, a, ao, n)
		sx, sa := ewStrides(n, len(xs), len(as))
		for i := range o {
			v := st.inOff + int32(xs[i*sx])
			var r int32
			if v >= 0 {
				r = MultiplyByQuantizedMultiplier(v, st.mult1, st.shift1)
			} else {
				r = MultiplyByQuantizedMultiplier(v*(st.aOff+int32(as[i*sa])), st.mult2, st.shift2)
			}
			o[i] = T(min(max(r+st.outZP, lo), hi))
		}
	})
}

// ---- HARD_SWISH ----

// actHardSwish holds TFLite's HardSwishParams: x * relu6(x+3)/6 computed
// in 16-bit fixed point on a "hires" input scale.
type actHardSwish struct {
	inZP, outZP   int32
	outMult16     int16
	outExp        int
	reluishMult16 int16
	reluishExp    int
	outLo, outHi  int32
}

// actDownScale16 rounds a Q31 multiplier to Q15.
func actDownScale16(m int32) int16 {
	if m >= math.MaxInt32-(1<<15) {
		return math.MaxInt16
	}
	return int16((m + 1<<15) >> 16)
}

func actHardSwishPrepare(c Context, n *Node) error {
	in, out, err := actIO(c, n, models.Float32, models.UInt8, models.Int8)
	if err != nil {
		return err
	}
	st := &actHardSwish{}
	n.State = st
	if in.Type == models.Float32 {
		return nil
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	st.inZP, st.outZP = qi.zp, qo.zp
	st.outLo, st.outHi = TypeRange(out.Type)
	hires := float32(qi.f32 * (1.0 / 128))
	const reluishScale = float32(3.0 / 32768)
	m, e := QuantizeMultiplier(float64(hires / qo.f32))
	st.outMult16, st.outExp = actDownScale16(m), e
	if e > 0 {
		return n.Errorf("input scale %g is too large for output scale %g", qi.scale, qo.scale)
	}
	m, e = QuantizeMultiplier(float64(hires / reluishScale))
	st.reluishMult16, st.reluishExp = actDownScale16(m), e
	return nil
}

func actHardSwishEval(c Context, n *Node) error {
	st, ok := n.State.(*actHardSwish)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	switch in.Type {
	case models.Float32:
		x, o := in.F32()[:cnt], out.F32()[:cnt]
		for i, v := range x {
			o[i] = v * ewClamp(v+3, 0, 6) / 6
		}
	case models.UInt8:
		actHardSwishQuant(st, in.U8()[:cnt], out.U8()[:cnt])
	case models.Int8:
		actHardSwishQuant(st, in.I8()[:cnt], out.I8()[:cnt])
	}
	return nil
}

// actSatShl16 shifts an int16 left, saturating.
func actSatShl16(v int16, amount int) int16 {
	return fxSat[int16](int64(v) << min(amount, 32))
}

// actHardSwishQuant follows TFLite's reference HardSwish step by step; the
// biases of the rounding and truncating high multiplies are part of its
// results.
func actHardSwishQuant[T uint8 | int8](st *actHardSwish, x, o []T) {
	o = o[:len(x)]
	for i, v := range x {
		iv := int16(int32(v) - st.inZP)
		hires := iv * (1 << 7)
		preshift := fxSRDHM(hires, st.outMult16)
		reluish := hires
		if st.reluishExp > 0 {
			reluish = actSatShl16(reluish, st.reluishExp-1)
		}
		reluish = fxSRDHM(reluish, st.reluishMult16)
		if st.reluishExp > 0 {
			reluish = actSatShl16(reluish, 1)
		}
		if st.reluishExp < 0 {
			reluish = fxRDPOT(reluish, -st.reluishExp)
		}
		reluish = int16((int32(reluish) + 1<<15) >> 1)
		// Truncating doubling high multiply (ARM's SQDMULH).
		var pre int16
		if reluish == math.MinInt16 && preshift == math.MinInt16 {
			pre = math.MaxInt16
		} else {
			pre = int16(int32(reluish) * int32(preshift) / (1 << 15))
		}
		r := int16(int32(fxRDPOT(pre, -st.outExp)) + st.outZP)
		o[i] = T(min(max(int32(r), st.outLo), st.outHi))
	}
}
