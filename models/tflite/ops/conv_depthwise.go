package ops

import "github.com/axle-edge/axle/models"

// DEPTHWISE_CONV_2D: every input channel ic is convolved with its own
// depth_multiplier filters, giving output channels ic*m .. ic*m+m-1. The
// filter is [1, fH, fW, inC*m], so for one window position the filter taps
// and the input pixel are both contiguous along channels and the inner loop
// runs over channels.

type dwKind uint8

const (
	dwFloat dwKind = iota
	dwInt8
	dwUint8
	dwInt16
	dwHybrid
)

type dwState struct {
	g    convGeom
	kind dwKind
	mult int // depth multiplier

	fLo, fHi     float32
	qLo, qHi     int32
	inZP, outZP  int32
	omult        []int32
	oshift       []int
	fScales      []float32
	wU8          []int16 // uint8 filter minus its zero point
	filterU8Done bool

	threads int
	accF32  [][]float32
	accI32  [][]int32
	accI64  [][]int64
	zeros   []int32 // a zero "bias" for requantize32

	qIn   []int8
	scale []float32
	zp    []int32

	// The fused row kernels (dw_kernel.go) for float32 and int8 with a
	// multiplier of 1: output columns [oxLo, oxHi) of a row have every
	// filter column inside the input and run as one call; the pixels left
	// and right of them one call each.
	fused       bool
	path        gemmPath
	oxLo, oxHi  int
	taps, ftaps [][]int // per thread: input and filter offsets of the taps inside
	zerosF      []float32

	in, filter, out *Tensor
	biasF           []float32
	biasI32         []int32
	bias64          []int64
	run             func(lo, hi int)
}

func dwPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 && len(n.Inputs) != 3 {
		return n.Errorf("takes 2 or 3 inputs, got %d", len(n.Inputs))
	}
	if len(n.Outputs) != 1 {
		return n.Errorf("takes 1 output, got %d", len(n.Outputs))
	}
	in, filter, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if in == nil || filter == nil || out == nil {
		return n.Errorf("input, filter and output tensors are required")
	}
	if in.Dims() != 4 || filter.Dims() != 4 {
		return n.Errorf("input and filter must be 4-D, got shapes %v and %v", in.Shape, filter.Shape)
	}
	st, _ := n.State.(*dwState)
	if st == nil {
		st = &dwState{}
		st.run = st.parallelRows
		n.State = st
	}
	o := n.Opts.(*DepthwiseConv2DOptions)
	g := &st.g
	*g = convGeom{
		batches: in.Shape[0], inH: in.Shape[1], inW: in.Shape[2], inC: in.Shape[3],
		fH: filter.Shape[1], fW: filter.Shape[2], outC: filter.Shape[3],
		sW: int(o.StrideW), sH: int(o.StrideH),
		dW: int(o.DilationWFactor), dH: int(o.DilationHFactor),
	}
	if g.inH <= 0 || g.inW <= 0 || g.inC <= 0 || g.batches < 0 {
		return n.Errorf("input shape %v must have positive height, width and depth", in.Shape)
	}
	if filter.Shape[0] != 1 || g.fH <= 0 || g.fW <= 0 || g.outC <= 0 {
		return n.Errorf("filter shape %v must be [1, height, width, channels] with positive sizes", filter.Shape)
	}
	if g.outC%g.inC != 0 {
		return n.Errorf("%d output channels are not a multiple of the %d input channels", g.outC, g.inC)
	}
	// The depth_multiplier option is redundant; TFLite derives it from the
	// shapes as done here.
	st.mult = g.outC / g.inC
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	if err := g.solve(n, uint8(o.Padding)); err != nil {
		return err
	}
	if _, ok := mulChecked(g.fH, g.fW, g.outC); !ok {
		return n.Errorf("filter shape %v is too large", filter.Shape)
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
	if err := st.prepareTypes(c, n, in, filter, bias, out, act); err != nil {
		return err
	}
	if err := c.Resize(out, []int{g.batches, g.outH, g.outW, g.outC}); err != nil {
		return n.Errorf("%v", err)
	}
	st.threads = dwThreads(c, macs(g.batches, g.outH, g.outW, g.outC, g.fH, g.fW))
	st.prepareFused()
	switch {
	case st.fused:
		// The row kernels keep their sums in registers.
		st.taps, err = allocRows[int](c, st.threads, g.fH*g.fW)
		if err == nil {
			st.ftaps, err = allocRows[int](c, st.threads, g.fH*g.fW)
		}
	case st.kind == dwFloat:
		st.accF32, err = allocRows[float32](c, st.threads, g.outC)
	case st.kind == dwInt16:
		st.accI64, err = allocRows[int64](c, st.threads, g.outC)
		st.accI32 = nil
		if err == nil && st.mult == 1 && g.fH*g.fW <= dwInt16Taps32 {
			// Exact int32 sums on the vector tap, widened for requantize64.
			st.accI32, err = allocRows[int32](c, st.threads, g.outC)
		}
	default:
		st.accI32, err = allocRows[int32](c, st.threads, g.outC)
	}
	if err == nil && st.kind == dwUint8 {
		st.wU8, err = allocSlice[int16](c, g.fH*g.fW*g.outC)
		st.filterU8Done = false
	}
	if err == nil && st.kind == dwHybrid {
		err = allocAll(c, slot(&st.qIn, g.batches*g.inH*g.inW*g.inC), slot(&st.scale, g.batches), slot(&st.zp, g.batches))
	}
	if err == nil {
		st.zeros, err = allocSlice[int32](c, g.outC)
	}
	if err == nil && st.fused && st.kind == dwFloat {
		st.zerosF, err = allocSlice[float32](c, g.outC)
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// prepareFused decides whether the fused row kernels run the layer and
// finds the columns whose windows are inside the input across.
func (st *dwState) prepareFused() {
	g := &st.g
	st.path = bestPath()
	st.fused = st.mult == 1 && (st.kind == dwFloat || st.kind == dwInt8)
	// ox*sW - padW >= 0 and ox*sW - padW + (fW-1)*dW <= inW-1.
	st.oxLo = min((g.padW+g.sW-1)/g.sW, g.outW)
	st.oxHi = st.oxLo
	if last := g.inW - 1 - (g.fW-1)*g.dW + g.padW; last >= 0 {
		st.oxHi = max(min(g.outW, last/g.sW+1), st.oxLo)
	}
}

// tapRange returns the filter indices k < n whose input coordinate
// o0 + k*d lies in [0, size).
func tapRange(o0, d, n, size int) (lo, hi int) {
	if o0 < 0 {
		lo = min((-o0+d-1)/d, n)
	}
	hi = lo
	if last := size - 1 - o0; last >= 0 {
		hi = max(min(n, last/d+1), lo)
	}
	return lo, hi
}

func (st *dwState) prepareTypes(c Context, n *Node, in, filter, bias, out *Tensor, act Activation) error {
	g := &st.g
	st.fLo, st.fHi = act.FloatRange()
	if in.Type == models.Float32 {
		if bias != nil && bias.Type != models.Float32 {
			return n.Errorf("float depthwise convolution needs a float32 bias, got %s", bias.Type)
		}
		switch filter.Type {
		case models.Float32:
			st.kind = dwFloat
			return nil
		case models.Int8:
			fs, err := filterScales(c, n, filter, 3, g.outC)
			if err != nil {
				return err
			}
			st.kind = dwHybrid
			st.fScales, err = float32Scales(c, n, fs)
			return err
		}
		return n.Errorf("float input with a %s filter is not supported", filter.Type)
	}
	q, err := prepareQuant(c, n, quantSpec{
		what: "depthwise convolution", filter: "filter", filterAxis: 3, channels: g.outC, uint8: true,
		int16Bias: int16BiasInt64,
	}, in, filter, bias, out, act)
	if err != nil {
		return err
	}
	st.inZP, st.outZP, st.qLo, st.qHi, st.omult, st.oshift = q.inZP, q.outZP, q.qLo, q.qHi, q.mult, q.shift
	// int16BiasInt64 never takes 32-bit accumulators.
	switch q.path {
	case qInt8:
		st.kind = dwInt8
	case qUint8:
		st.kind = dwUint8
	case qInt16Acc64:
		st.kind = dwInt16
	}
	return nil
}

func dwEval(c Context, n *Node) error {
	st, ok := n.State.(*dwState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, filter, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	g := &st.g
	if err := checkData(n, "input", in, g.batches*g.inH*g.inW*g.inC); err != nil {
		return err
	}
	if err := checkData(n, "filter", filter, g.fH*g.fW*g.outC); err != nil {
		return err
	}
	if err := checkData(n, "output", out, g.batches*g.outH*g.outW*g.outC); err != nil {
		return err
	}
	st.biasF, st.biasI32, st.bias64 = nil, st.zeros, nil
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
		}
	}
	if st.kind == dwUint8 && (!filter.Const || !st.filterU8Done) {
		zf := int16(filter.ZeroPoint())
		for i, w := range filter.U8()[:len(st.wU8)] {
			st.wU8[i] = int16(w) - zf
		}
		st.filterU8Done = true
	}
	if g.batches*g.outH*g.outW == 0 {
		return nil
	}
	if st.kind == dwHybrid {
		size := g.inH * g.inW * g.inC
		x := in.F32()
		for b := 0; b < g.batches; b++ {
			st.scale[b], st.zp[b] = asymmetricQuantize(x[b*size:(b+1)*size], st.qIn[b*size:(b+1)*size])
		}
	}
	st.in, st.filter, st.out = in, filter, out
	if rows := g.batches * g.outH; st.threads > 1 && rows > 1 {
		c.Parallel(st.threads, st.run)
	} else {
		st.rows(0, 0, rows)
	}
	st.in, st.filter, st.out = nil, nil, nil
	return nil
}

func (st *dwState) parallelRows(lo, hi int) {
	total := st.g.batches * st.g.outH
	for t := lo; t < hi; t++ {
		a, b := share(total, st.threads, t)
		st.rows(t, a, b)
	}
}

func (st *dwState) rows(t, r0, r1 int) {
	g := &st.g
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		if !st.fused {
			for ox := 0; ox < g.outW; ox++ {
				st.pixel(t, b, oy, ox)
			}
			continue
		}
		for ox := 0; ox < st.oxLo; ox++ {
			st.fusedRun(t, b, oy, ox, ox+1)
		}
		if st.oxHi > st.oxLo {
			st.fusedRun(t, b, oy, st.oxLo, st.oxHi)
		}
		for ox := st.oxHi; ox < g.outW; ox++ {
			st.fusedRun(t, b, oy, ox, ox+1)
		}
	}
}

// fusedRun computes output columns [ox0, ox1) of row oy, which see the
// same filter taps inside the input, with one row kernel call.
func (st *dwState) fusedRun(t, b, oy, ox0, ox1 int) {
	g := &st.g
	iy0, ix0 := oy*g.sH-g.padH, ox0*g.sW-g.padW
	kyLo, kyHi := tapRange(iy0, g.dH, g.fH, g.inH)
	kxLo, kxHi := tapRange(ix0, g.dW, g.fW, g.inW)
	taps, ftaps := st.taps[t][:0], st.ftaps[t][:0]
	for ky := kyLo; ky < kyHi; ky++ {
		for kx := kxLo; kx < kxHi; kx++ {
			taps = append(taps, ((iy0+ky*g.dH)*g.inW+ix0+kx*g.dW)*g.inC)
			ftaps = append(ftaps, (ky*g.fW+kx)*g.outC)
		}
	}
	batch := g.inH * g.inW * g.inC
	pix := ((b*g.outH+oy)*g.outW + ox0) * g.outC
	npix := ox1 - ox0
	end := pix + npix*g.outC
	if st.kind == dwInt8 {
		dwRowI8On(st.path, st.out.I8()[pix:end], st.in.I8()[b*batch:(b+1)*batch], taps, ftaps, st.filter.I8(), st.biasI32, st.omult, st.oshift,
			-st.inZP, npix, g.sW*g.inC, st.outZP, st.qLo, st.qHi)
		return
	}
	bias := st.biasF
	if bias == nil {
		bias = st.zerosF
	}
	dwRowF32On(st.path, st.out.F32()[pix:end], st.in.F32()[b*batch:(b+1)*batch], taps, ftaps, st.filter.F32(), bias, npix, g.sW*g.inC, st.fLo, st.fHi)
}

// pixel computes output pixel (b, oy, ox) of the layers the row kernels
// do not take: dwPixel's window into the accumulators of thread t, then
// the kind's requantization or activation.
func (st *dwState) pixel(t, b, oy, ox int) {
	g := &st.g
	pix := ((b*g.outH+oy)*g.outW + ox) * g.outC
	switch st.kind {
	case dwFloat:
		acc := st.accF32[t]
		dwPixel(g, st.mult, st.in.F32(), st.filter.F32(), acc, 0, b, oy, ox, nil)
		biasActF32(st.out.F32()[pix:pix+g.outC], acc, st.biasF, st.fLo, st.fHi)
	case dwInt8:
		acc := st.accI32[t]
		dwPixel(g, st.mult, st.in.I8(), st.filter.I8(), acc, -st.inZP, b, oy, ox, dwMACI8)
		requantize32(st.out.I8()[pix:pix+g.outC], acc, st.biasI32, st.omult, st.oshift, st.outZP, st.qLo, st.qHi)
	case dwUint8:
		acc := st.accI32[t]
		dwPixel(g, st.mult, st.in.U8(), st.wU8, acc, -st.inZP, b, oy, ox, nil)
		requantize32(st.out.U8()[pix:pix+g.outC], acc, st.biasI32, st.omult, st.oshift, st.outZP, st.qLo, st.qHi)
	case dwInt16:
		acc := st.accI64[t]
		if st.accI32 != nil {
			acc32 := st.accI32[t]
			dwPixel(g, 1, st.in.I16(), st.filter.I8(), acc32, 0, b, oy, ox, dwMACI16x)
			widen64(acc, acc32)
		} else {
			dwPixel(g, st.mult, st.in.I16(), st.filter.I8(), acc, 0, b, oy, ox, nil)
		}
		requantize64(st.out.I16()[pix:pix+g.outC], acc, st.bias64, st.omult, st.oshift, st.qLo, st.qHi)
	case dwHybrid:
		acc := st.accI32[t]
		dwPixel(g, st.mult, st.qIn, st.filter.I8(), acc, -st.zp[b], b, oy, ox, dwMACI8)
		out := st.out.F32()[pix : pix+g.outC]
		sf := st.scale[b]
		for oc := range out {
			pcs := st.fScales[0]
			if len(st.fScales) > 1 {
				pcs = st.fScales[oc]
			}
			v := float32(acc[oc]) * (pcs * sf)
			if st.biasF != nil {
				v += st.biasF[oc]
			}
			out[oc] = min(max(v, st.fLo), st.fHi)
		}
	}
}

// dwPixel accumulates sum w*(x+xo) over the window taps inside the image
// for every output channel of pixel (b, oy, ox). With a depth multiplier of
// 1 each tap is one multiply-accumulate over the channels, done by mac when
// the element types have a vector kernel (dense_gemm.go).
func dwPixel[A, W, Acc elem](g *convGeom, m int, in []A, w []W, acc []Acc, xo Acc, b, oy, ox int, mac func([]Acc, []A, []W, Acc)) {
	clear(acc)
	iy0, ix0 := oy*g.sH-g.padH, ox*g.sW-g.padW
	for ky := 0; ky < g.fH; ky++ {
		iy := iy0 + ky*g.dH
		if iy < 0 || iy >= g.inH {
			continue
		}
		for kx := 0; kx < g.fW; kx++ {
			ix := ix0 + kx*g.dW
			if ix < 0 || ix >= g.inW {
				continue
			}
			o := ((b*g.inH+iy)*g.inW + ix) * g.inC
			x := in[o : o+g.inC]
			f := w[(ky*g.fW+kx)*g.outC : (ky*g.fW+kx+1)*g.outC]
			if m == 1 && mac != nil {
				mac(acc[:len(x)], x, f[:len(x)], xo)
				continue
			}
			if m == 1 {
				f = f[:len(x)]
				a := acc[:len(x)]
				for c, xv := range x {
					a[c] += Acc(f[c]) * (Acc(xv) + xo)
				}
				continue
			}
			for ic, xv := range x {
				v := Acc(xv) + xo
				fo, ao := f[ic*m:(ic+1)*m], acc[ic*m:(ic+1)*m]
				for j := range ao {
					ao[j] += Acc(fo[j]) * v
				}
			}
		}
	}
}
