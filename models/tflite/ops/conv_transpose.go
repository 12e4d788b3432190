package ops

import "github.com/axle-edge/axle/models"

// TRANSPOSE_CONV scatters every input pixel through the filter into the
// output. It is computed here in gather form: output pixel (oy, ox) sums the
// input pixels (iy, ix) with oy = iy*strideH - padH + ky for a filter tap ky
// (likewise in x), which gives the same integer sums as TFLite's scatter
// loop and lets one worker own each output row. Inputs: output_shape,
// weights [outC, fH, fW, inC], input [N, H, W, inC], optional bias.

type tconvKind uint8

const (
	tconvFloat tconvKind = iota
	tconvInt8
	tconvInt16
	tconvInt16Acc32
	tconvHybrid
)

type tconvState struct {
	g       convGeom
	kind    tconvKind
	padding uint8
	dynamic bool

	fLo, fHi    float32
	qLo, qHi    int32
	inZP, outZP int32
	mult        []int32
	shift       []int
	fScales     []float32
	wsum        []int32 // per (oc, ky, kx): sum over input channels of w
	wsumDone    bool

	threads int
	accF32  [][]float32
	accI32  [][]int32
	accI64  [][]int64
	zeros   []int32

	qIn   []int8
	scale []float32
	zp    []int32

	in, w, out *Tensor
	biasF      []float32
	biasI32    []int32
	bias64     []int64
	bias16     []int16
	run        func(lo, hi int)
}

func tconvPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 && len(n.Inputs) != 4 {
		return n.Errorf("takes 3 or 4 inputs, got %d", len(n.Inputs))
	}
	if len(n.Outputs) != 1 {
		return n.Errorf("takes 1 output, got %d", len(n.Outputs))
	}
	shape, w, in, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	if shape == nil || w == nil || in == nil || out == nil {
		return n.Errorf("output_shape, weights, input and output tensors are required")
	}
	if shape.Type != models.Int32 || shape.Dims() != 1 || shape.NumElements() != 4 {
		return n.Errorf("output_shape must be an int32 vector of 4 elements, got %s %v", shape.Type, shape.Shape)
	}
	if in.Dims() != 4 || w.Dims() != 4 {
		return n.Errorf("input and weights must be 4-D, got shapes %v and %v", in.Shape, w.Shape)
	}
	st, _ := n.State.(*tconvState)
	if st == nil {
		st = &tconvState{}
		st.run = st.parallelRows
		n.State = st
	}
	g := &st.g
	*g = convGeom{
		batches: in.Shape[0], inH: in.Shape[1], inW: in.Shape[2], inC: in.Shape[3],
		outC: w.Shape[0], fH: w.Shape[1], fW: w.Shape[2],
		sW: int(n.Options.Int32(1, 0)), sH: int(n.Options.Int32(2, 0)), dH: 1, dW: 1,
	}
	st.padding = n.Options.Uint8(0, 0)
	if g.inH <= 0 || g.inW <= 0 || g.inC <= 0 || g.batches < 0 {
		return n.Errorf("input shape %v must have positive height, width and depth", in.Shape)
	}
	if g.outC <= 0 || g.fH <= 0 || g.fW <= 0 {
		return n.Errorf("weights shape %v must be positive", w.Shape)
	}
	if w.Shape[3] != g.inC {
		return n.Errorf("weights depth %d differs from the input depth %d", w.Shape[3], g.inC)
	}
	if _, ok := mulChecked(g.outC, g.fH, g.fW, g.inC); !ok {
		return n.Errorf("weights shape %v is too large", w.Shape)
	}
	if _, ok := mulChecked(g.batches, g.inH, g.inW, g.inC); !ok {
		return n.Errorf("input shape %v is too large", in.Shape)
	}
	if bias != nil && bias.NumElements() != g.outC {
		return n.Errorf("bias has %d elements for %d output channels", bias.NumElements(), g.outC)
	}
	if out.Type != in.Type {
		return n.Errorf("output type %s differs from input type %s", out.Type, in.Type)
	}
	act, err := readActivation(n, 3)
	if err != nil {
		return err
	}
	if err := st.prepareTypes(c, n, w, in, bias, out, act); err != nil {
		return err
	}
	st.dynamic = !shape.Const
	if st.dynamic {
		c.SetDynamic(out)
	} else if err := st.resize(c, n, shape, out); err != nil {
		return err
	}
	st.threads = max(c.Threads(), 1)
	switch st.kind {
	case tconvFloat:
		st.accF32, err = allocRows[float32](c, st.threads, g.outC)
	case tconvInt16:
		st.accI64, err = allocRows[int64](c, st.threads, g.outC)
	default:
		st.accI32, err = allocRows[int32](c, st.threads, g.outC)
	}
	if err == nil && st.kind != tconvFloat {
		st.wsum, err = allocSlice[int32](c, g.outC*g.fH*g.fW)
		st.wsumDone = false
	}
	if err == nil && st.kind == tconvHybrid {
		err = allocAll(c, slot(&st.qIn, g.batches*g.inH*g.inW*g.inC), slot(&st.scale, g.batches), slot(&st.zp, g.batches))
	}
	if err == nil {
		st.zeros, err = allocSlice[int32](c, g.outC)
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func (st *tconvState) prepareTypes(c Context, n *Node, w, in, bias, out *Tensor, act Activation) error {
	g := &st.g
	st.fLo, st.fHi = act.FloatRange()
	if in.Type == models.Float32 {
		if bias != nil && bias.Type != models.Float32 {
			return n.Errorf("float transpose convolution needs a float32 bias, got %s", bias.Type)
		}
		switch w.Type {
		case models.Float32:
			st.kind = tconvFloat
			return nil
		case models.Int8:
			fs, err := filterScales(c, n, w, 0, g.outC)
			if err != nil {
				return err
			}
			st.kind = tconvHybrid
			st.fScales, err = float32Scales(c, n, fs)
			return err
		}
		return n.Errorf("float input with %s weights is not supported", w.Type)
	}
	if in.Type != models.Int8 && in.Type != models.Int16 {
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if w.Type != models.Int8 {
		return n.Errorf("%s input needs int8 weights, got %s", in.Type, w.Type)
	}
	inScale, inZP, err := tensorScale(n, "input", in)
	if err != nil {
		return err
	}
	outScale, outZP, err := tensorScale(n, "output", out)
	if err != nil {
		return err
	}
	fs, err := filterScales(c, n, w, 0, g.outC)
	if err != nil {
		return err
	}
	st.inZP, st.outZP = inZP, outZP
	st.qLo, st.qHi = quantActRange(act, out, outScale, outZP)
	if st.mult, st.shift, err = perChannelMultipliers(c, n, inScale, outScale, fs); err != nil {
		return err
	}
	if in.Type == models.Int8 {
		if bias != nil && bias.Type != models.Int32 {
			return n.Errorf("int8 transpose convolution needs an int32 bias, got %s", bias.Type)
		}
		st.kind = tconvInt8
		return nil
	}
	if inZP != 0 || outZP != 0 {
		return n.Errorf("int16 input and output need zero point 0, got %d and %d", inZP, outZP)
	}
	st.kind = tconvInt16
	if bias != nil && bias.Type == models.Int16 {
		// TFLite Micro widens an int16 bias to int64.
		return checkShift64(n, st.shift)
	}
	acc32, err := int16Acc32(n, bias, 4)
	if err != nil {
		return err
	}
	if acc32 {
		st.kind = tconvInt16Acc32
		return nil
	}
	return checkShift64(n, st.shift)
}

// resize sets the output shape from the output_shape tensor and solves the
// padding, checking that it maps back onto the actual input size.
func (st *tconvState) resize(c Context, n *Node, shape, out *Tensor) error {
	if err := checkData(n, "output_shape", shape, 4); err != nil {
		return err
	}
	s := shape.I32()
	g := &st.g
	if int(s[0]) != g.batches || int(s[3]) != g.outC || s[1] <= 0 || s[2] <= 0 {
		return n.Errorf("output_shape %v does not match batch %d and %d output channels with positive height and width", s[:4], g.batches, g.outC)
	}
	if _, ok := mulChecked(int(s[0]), int(s[1]), int(s[2]), int(s[3])); !ok {
		return n.Errorf("output_shape %v is too large", s[:4])
	}
	h := window{in: int(s[1]), filter: g.fH, stride: g.sH, dilation: 1}
	w := window{in: int(s[2]), filter: g.fW, stride: g.sW, dilation: 1}
	if err := h.solve(n, st.padding, "height"); err != nil {
		return err
	}
	if err := w.solve(n, st.padding, "width"); err != nil {
		return err
	}
	if h.out != g.inH || w.out != g.inW {
		return n.Errorf("output_shape %v needs an input of %dx%d, got %dx%d", s[:4], h.out, w.out, g.inH, g.inW)
	}
	g.outH, g.outW, g.padH, g.padW = int(s[1]), int(s[2]), h.pad, w.pad
	if err := c.Resize(out, []int{g.batches, g.outH, g.outW, g.outC}); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func tconvEval(c Context, n *Node) error {
	st, ok := n.State.(*tconvState)
	if !ok {
		return n.Errorf("not prepared")
	}
	shape, w, in, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	g := &st.g
	if st.dynamic {
		if err := st.resize(c, n, shape, out); err != nil {
			return err
		}
	}
	if err := checkData(n, "input", in, g.batches*g.inH*g.inW*g.inC); err != nil {
		return err
	}
	if err := checkData(n, "weights", w, g.outC*g.fH*g.fW*g.inC); err != nil {
		return err
	}
	if err := checkData(n, "output", out, g.batches*g.outH*g.outW*g.outC); err != nil {
		return err
	}
	st.biasF, st.biasI32, st.bias64, st.bias16 = nil, st.zeros, nil, nil
	if bias != nil {
		if err := checkData(n, "bias", bias, g.outC); err != nil {
			return err
		}
		switch bias.Type {
		case models.Float32:
			st.biasF = bias.F32()
		case models.Int32:
			st.biasI32 = bias.I32()
		case models.Int64:
			st.bias64 = bias.I64()
		case models.Int16:
			st.bias16 = bias.I16()
		}
	}
	if st.kind != tconvFloat && (!w.Const || !st.wsumDone) {
		taps := g.fH * g.fW
		rowSums(st.wsum, w.I8(), g.outC*taps, g.inC)
		st.wsumDone = true
	}
	if g.batches*g.outH*g.outW == 0 {
		return nil
	}
	if st.kind == tconvHybrid {
		size := g.inH * g.inW * g.inC
		x := in.F32()
		for b := 0; b < g.batches; b++ {
			st.scale[b], st.zp[b] = asymmetricQuantize(x[b*size:(b+1)*size], st.qIn[b*size:(b+1)*size])
		}
	}
	st.in, st.w, st.out = in, w, out
	if rows := g.batches * g.outH; st.threads > 1 && rows > 1 {
		c.Parallel(st.threads, st.run)
	} else {
		st.rows(0, 0, rows)
	}
	st.in, st.w, st.out = nil, nil, nil
	return nil
}

func (st *tconvState) parallelRows(lo, hi int) {
	total := st.g.batches * st.g.outH
	for t := lo; t < hi; t++ {
		a, b := share(total, st.threads, t)
		st.rows(t, a, b)
	}
}

// taps returns the input rows contributing to output row o: i in [lo, hi)
// with filter tap k = o + pad - i*stride in [0, f).
func taps(o, pad, stride, f, in int) (int, int) {
	num := o + pad - f + 1
	lo := 0
	if num > 0 {
		lo = (num + stride - 1) / stride
	}
	return lo, min((o+pad)/stride+1, in)
}

func (st *tconvState) rows(t, r0, r1 int) {
	g := &st.g
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; ox++ {
			pix := ((b*g.outH+oy)*g.outW + ox) * g.outC
			switch st.kind {
			case tconvFloat:
				acc := st.accF32[t]
				tconvPixel(st, st.in.F32(), st.w.F32(), acc, 0, b, oy, ox)
				biasActF32(st.out.F32()[pix:pix+g.outC], acc, st.biasF, st.fLo, st.fHi)
			case tconvInt8:
				acc := st.accI32[t]
				tconvPixel(st, st.in.I8(), st.w.I8(), acc, -st.inZP, b, oy, ox)
				requantize32(st.out.I8()[pix:pix+g.outC], acc, st.biasI32, st.mult, st.shift, st.outZP, st.qLo, st.qHi)
			case tconvInt16Acc32:
				acc := st.accI32[t]
				tconvPixel(st, st.in.I16(), st.w.I8(), acc, 0, b, oy, ox)
				requantize32(st.out.I16()[pix:pix+g.outC], acc, st.biasI32, st.mult, st.shift, 0, st.qLo, st.qHi)
			case tconvInt16:
				acc := st.accI64[t]
				tconvPixel(st, st.in.I16(), st.w.I8(), acc, 0, b, oy, ox)
				if st.bias16 != nil {
					for i, v := range st.bias16[:len(acc)] {
						acc[i] += int64(v)
					}
				}
				requantize64(st.out.I16()[pix:pix+g.outC], acc, st.bias64, st.mult, st.shift, st.qLo, st.qHi)
			case tconvHybrid:
				acc := st.accI32[t]
				tconvPixel(st, st.qIn, st.w.I8(), acc, -st.zp[b], b, oy, ox)
				out := st.out.F32()[pix : pix+g.outC]
				sf := st.scale[b]
				for oc := range out {
					pcs := st.fScales[0]
					if len(st.fScales) > 1 {
						pcs = st.fScales[oc]
					}
					v := float32(acc[oc]) * pcs * sf
					if st.biasF != nil {
						v += st.biasF[oc]
					}
					out[oc] = min(max(v, st.fLo), st.fHi)
				}
			}
		}
	}
}

// tconvPixel accumulates, for every output channel of pixel (b, oy, ox),
// the sum of (x+xo)*w over the contributing input pixels and filter taps.
// The xo term uses the precomputed per-tap weight sums.
func tconvPixel[A, W, Acc elem](st *tconvState, in []A, w []W, acc []Acc, xo Acc, b, oy, ox int) {
	g := &st.g
	clear(acc)
	iyLo, iyHi := taps(oy, g.padH, g.sH, g.fH, g.inH)
	ixLo, ixHi := taps(ox, g.padW, g.sW, g.fW, g.inW)
	taps := g.fH * g.fW
	for iy := iyLo; iy < iyHi; iy++ {
		ky := oy + g.padH - iy*g.sH
		for ix := ixLo; ix < ixHi; ix++ {
			kx := ox + g.padW - ix*g.sW
			o := ((b*g.inH+iy)*g.inW + ix) * g.inC
			x := in[o : o+g.inC]
			tap := ky*g.fW + kx
			for oc := range acc {
				f := w[(oc*taps+tap)*g.inC : (oc*taps+tap+1)*g.inC]
				f = f[:len(x)]
				var s Acc
				for i, xv := range x {
					s += Acc(xv) * Acc(f[i])
				}
				if xo != 0 {
					s += xo * Acc(st.wsum[oc*taps+tap])
				}
				acc[oc] += s
			}
		}
	}
}
