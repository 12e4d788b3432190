package ops

import (
	"github.com/axle-edge/axle/models"
)

// addConv registers this family's kernels.
func addConv(r *Resolver) {
	r.Builtin[OpConv2d] = &Kernel{MaxVersion: 8, Prepare: convPrepare, Eval: convEval}
	r.Builtin[OpDepthwiseConv2d] = &Kernel{MaxVersion: 7, Prepare: dwPrepare, Eval: dwEval}
	r.Builtin[OpTransposeConv] = &Kernel{MaxVersion: 5, Prepare: tconvPrepare, Eval: tconvEval}
}

// maxStride bounds strides and dilations from the file so that window
// arithmetic cannot overflow; real models use single digits.
const maxStride = 1 << 16

// window is one spatial dimension of a convolution or pooling window.
type window struct {
	in, filter, stride, dilation int
	out, pad, padOffset          int
}

// solve computes the output size and leading padding as TFLite's
// ComputePaddingHeightWidth: SAME keeps ceil(in/stride) outputs, VALID only
// windows that fit; the total padding is split with the odd element at the
// end.
func (w *window) solve(n *Node, padding uint8, what string) error {
	if w.stride <= 0 || w.stride > maxStride {
		return n.Errorf("%s stride %d is out of range [1, %d]", what, w.stride, maxStride)
	}
	if w.dilation <= 0 || w.dilation > maxStride {
		return n.Errorf("%s dilation %d is out of range [1, %d]", what, w.dilation, maxStride)
	}
	if w.filter <= 0 {
		return n.Errorf("%s filter size %d must be positive", what, w.filter)
	}
	if w.in < 0 {
		return n.Errorf("%s input size %d is negative", what, w.in)
	}
	eff := int64(w.filter-1)*int64(w.dilation) + 1
	in, stride := int64(w.in), int64(w.stride)
	var out int64
	switch padding {
	case padSame:
		out = (in + stride - 1) / stride
	case padValid:
		out = (in + stride - eff) / stride
	default:
		return n.Errorf("padding %d is neither SAME nor VALID", padding)
	}
	if out < 0 {
		return n.Errorf("%s filter of effective size %d does not fit the input of size %d", what, eff, w.in)
	}
	total := max((out-1)*stride+eff-in, 0)
	w.out, w.pad, w.padOffset = int(out), int(total/2), int(total%2)
	return nil
}

// convGeom is the shape of a 2-D convolution over NHWC tensors.
type convGeom struct {
	batches, inH, inW, inC int
	fH, fW                 int
	outH, outW, outC       int
	sH, sW, dH, dW         int
	padH, padW             int
}

// solve computes output size and padding of both dimensions from the
// strides and dilations in g and the padding option.
func (g *convGeom) solve(n *Node, padding uint8) error {
	h := window{in: g.inH, filter: g.fH, stride: g.sH, dilation: g.dH}
	w := window{in: g.inW, filter: g.fW, stride: g.sW, dilation: g.dW}
	if err := h.solve(n, padding, "height"); err != nil {
		return err
	}
	if err := w.solve(n, padding, "width"); err != nil {
		return err
	}
	g.outH, g.outW, g.padH, g.padW = h.out, w.out, h.pad, w.pad
	if _, ok := mulChecked(g.batches, g.outH, g.outW, g.outC); !ok {
		return n.Errorf("output shape [%d %d %d %d] is too large", g.batches, g.outH, g.outW, g.outC)
	}
	return nil
}

// convKind selects the arithmetic of a CONV_2D node.
type convKind uint8

const (
	convFloat      convKind = iota
	convInt8                // int8 activations, per-channel symmetric int8 filter
	convUint8               // uint8 activations and filter, per-tensor
	convInt16               // int16 activations, int8 filter, int64 accumulators
	convInt16Acc32          // int16 activations with int32 bias: int32 accumulators
	convHybrid              // float activations, int8 filter, one scale
	convHybridPC            // float activations, int8 filter, per-channel scales
)

// convState is the per-node state of CONV_2D, built in Prepare.
type convState struct {
	g      convGeom
	kind   convKind
	groups int
	fC     int // filter depth: input channels per group
	fpg    int // output channels per group
	k      int // patch length: fH*fW*fC
	kp     int // packed depth: k, int8 segments padded to whole quadruples (packRowsI8Pad)
	seg    int // int8 packing segment: part or k (planFour)
	partP  int // packed depths of a part: part, or roundUp4(part) when that is seg
	block  int // packed filter elements per group: roundUp4(fpg)*kp
	direct bool
	four   bool // interior pixels go four at a time, read in place (conv_gemm.go)
	copy4  bool // other groups of four pixels too, through four im2col copies
	flat   bool // 1x1, stride 1, unpadded: four consecutive pixels of the tensor at a time
	part   int  // depths of one part of a four-pixel window: a filter row or a tap

	fLo, fHi     float32 // float activation clamp
	qLo, qHi     int32   // quantized activation clamp
	inZP, outZP  int32
	mult         []int32
	shift        []int
	corr         []int32 // -zp*sum(w) per output channel (8-bit kinds)
	zpRows       []int32 // int8 four-pixel windows crossing the top or bottom: [fH+1][outC] zp*sum(w) over filter rows [0, ky)
	add          []int32 // corr + bias, refreshed each Eval
	fScales      []float32
	rowSum       []int32 // filter row sums (asymmetric hybrid)
	constFilter  bool
	filterPacked bool

	wF32 []float32
	wI8  []int8
	wI16 []int16
	wMax int32 // int16 kinds: the largest |w| of the packed filter (gemmRow16)

	threads  int
	patchF32 [][]float32
	patchI8  [][]int8
	patchU8  [][]uint8
	patchI16 [][]int16
	accF32   [][]float32
	accI32   [][]int32
	accI64   [][]int64

	// hybrid: the quantized input, one scale and zero point per batch
	qIn   []int8
	scale []float32
	zp    []int32

	// bound for one Eval
	in, out *Tensor
	biasF   []float32
	bias64  []int64
	run     func(lo, hi int)
}

func convPrepare(c Context, n *Node) error {
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
	st, _ := n.State.(*convState)
	if st == nil {
		st = &convState{}
		st.run = st.parallelRows
		n.State = st
	}
	o := n.Opts.(*Conv2DOptions)
	g := &st.g
	*g = convGeom{
		batches: in.Shape[0], inH: in.Shape[1], inW: in.Shape[2], inC: in.Shape[3],
		fH: filter.Shape[1], fW: filter.Shape[2], outC: filter.Shape[0],
		sW: int(o.StrideW), sH: int(o.StrideH),
		dW: int(o.DilationWFactor), dH: int(o.DilationHFactor),
	}
	st.fC = filter.Shape[3]
	if g.inH <= 0 || g.inW <= 0 || g.inC <= 0 || g.batches < 0 {
		return n.Errorf("input shape %v must have positive height, width and depth", in.Shape)
	}
	if g.fH <= 0 || g.fW <= 0 || g.outC <= 0 || st.fC <= 0 {
		return n.Errorf("filter shape %v must be positive", filter.Shape)
	}
	if g.inC%st.fC != 0 {
		return n.Errorf("input depth %d is not a multiple of the filter depth %d", g.inC, st.fC)
	}
	st.groups = g.inC / st.fC
	if g.outC%st.groups != 0 {
		return n.Errorf("%d output channels do not split into %d groups", g.outC, st.groups)
	}
	st.fpg = g.outC / st.groups
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	if err := g.solve(n, uint8(o.Padding)); err != nil {
		return err
	}
	var ok bool
	if st.k, ok = mulChecked(g.fH, g.fW, st.fC); !ok {
		return n.Errorf("filter shape %v is too large", filter.Shape)
	}
	if _, ok = mulChecked(g.outC, st.k); !ok {
		return n.Errorf("filter shape %v is too large", filter.Shape)
	}
	if _, ok = mulChecked(g.batches, g.inH, g.inW, g.inC); !ok {
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
	st.direct = g.fH == 1 && g.fW == 1 && st.groups == 1
	st.planFour()
	if err := st.allocScratch(c, n); err != nil {
		return err
	}
	st.constFilter, st.filterPacked = filter.Const, false
	if filter.Const {
		st.pack(filter)
	}
	return nil
}

// prepareTypes validates dtypes and quantization and derives multipliers.
func (st *convState) prepareTypes(c Context, n *Node, in, filter, bias, out *Tensor, act Activation) error {
	g := &st.g
	st.fLo, st.fHi = act.FloatRange()
	switch in.Type {
	case models.Float32:
		if bias != nil && bias.Type != models.Float32 {
			return n.Errorf("float convolution needs a float32 bias, got %s", bias.Type)
		}
		switch filter.Type {
		case models.Float32:
			st.kind = convFloat
			return nil
		case models.Int8, models.UInt8:
			return st.prepareHybrid(c, n, filter)
		}
		return n.Errorf("float input with a %s filter is not supported", filter.Type)
	}
	q, err := prepareQuant(c, n, quantSpec{
		what: "convolution", filter: "filter", channels: g.outC, uint8: true, symmetric: true,
		int16Bias: int16BiasOption, qbt: n.Opts.(*Conv2DOptions).QuantizedBiasType,
	}, in, filter, bias, out, act)
	if err != nil {
		return err
	}
	st.inZP, st.outZP, st.qLo, st.qHi, st.mult, st.shift = q.inZP, q.outZP, q.qLo, q.qHi, q.mult, q.shift
	switch q.path {
	case qInt8:
		st.kind = convInt8
	case qUint8:
		st.kind = convUint8
	case qInt16Acc64:
		st.kind = convInt16
	case qInt16Acc32:
		st.kind = convInt16Acc32
	}
	if err := allocAll(c, slot(&st.corr, g.outC), slot(&st.add, g.outC)); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// acc32For16x8 decides between TFLite's two int16x8 accumulators: int64 only
// for an int64 bias (or, without bias, when quantized_bias_type says INT64);
// TFLite's CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV take their int32
// kernels when there is no bias. qbt is the quantized_bias_type option.
func acc32For16x8(n *Node, bias *Tensor, qbt int8) (bool, error) {
	if qbt != schemaFloat32 && qbt != schemaInt32 && qbt != schemaInt64 {
		return false, n.Errorf("quantized_bias_type %d must be INT32 or INT64", qbt)
	}
	if bias == nil {
		return qbt != schemaInt64, nil
	}
	switch bias.Type {
	case models.Int32:
		if qbt == schemaInt64 {
			return false, n.Errorf("bias is int32 but quantized_bias_type is INT64")
		}
		return true, nil
	case models.Int64:
		if qbt == schemaInt32 {
			return false, n.Errorf("bias is int64 but quantized_bias_type is INT32")
		}
		return false, nil
	}
	return false, n.Errorf("int16 convolution needs an int32 or int64 bias, got %s", bias.Type)
}

// prepareHybrid sets up float activations with int8 weights. TFLite
// quantizes each batch symmetrically when all filter scales are equal and
// asymmetrically, with per-channel scales, otherwise (and for groups).
// uint8 filters (the older converters' hybrid format) hold int8 values:
// TFLite reads their bytes as int8 with the one per-tensor scale and no
// zero point, on the symmetric path only.
func (st *convState) prepareHybrid(c Context, n *Node, filter *Tensor) error {
	if filter.Type == models.UInt8 && (st.groups != 1 || filter.Quant == nil || len(filter.Quant.Scale) != 1) {
		return n.Errorf("a uint8 hybrid filter needs one per-tensor scale and no groups")
	}
	fs, err := filterScales(c, n, filter, 0, st.g.outC)
	if err != nil {
		return err
	}
	st.kind = convHybrid
	for _, s := range fs {
		if s != fs[0] || st.groups != 1 {
			st.kind = convHybridPC
		}
	}
	st.fScales, err = float32Scales(c, n, fs)
	return err
}

// allocScratch sizes the packed filter and the per-thread buffers.
func (st *convState) allocScratch(c Context, n *Node) error {
	g := &st.g
	st.block = roundUp4(st.fpg) * st.kp
	packed, ok := mulChecked(st.block, st.groups)
	if !ok {
		return n.Errorf("filter shape is too large")
	}
	st.threads = opThreads(c, macs(g.batches, g.outH, g.outW, g.outC, st.k))
	accLen := roundUp4(st.fpg)
	// Four-pixel steps read their windows in place and keep four rows of
	// accumulators for up to quadChunk channels, mostly within the one
	// row of accumulators the single pixels need anyway.
	accBuf, patches := accLen, 1
	if (st.four || st.copy4 || st.flat) && !st.inPlace() {
		accBuf = max(accLen, 4*min(quadChunk, accLen))
	}
	if st.copy4 {
		patches = 4
	}
	st.zpRows = nil
	var err error
	switch st.kind {
	case convFloat:
		st.wF32, err = allocSlice[float32](c, packed)
		if err == nil {
			st.patchF32, err = allocRows[float32](c, st.threads, patches*st.k)
		}
		if err == nil {
			st.accF32, err = allocRows[float32](c, st.threads, accBuf)
		}
	case convInt8, convHybrid, convHybridPC:
		st.wI8, err = allocSlice[int8](c, packed)
		if err == nil {
			st.patchI8, err = allocRows[int8](c, st.threads, patches*st.kp)
		}
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accBuf)
		}
		if err == nil && st.kind == convInt8 && st.four && st.crossesH() {
			st.zpRows, err = allocSlice[int32](c, (g.fH+1)*g.outC)
		}
		if err == nil && st.kind != convInt8 {
			err = allocAll(c, slot(&st.rowSum, g.outC), slot(&st.scale, g.batches), slot(&st.zp, g.batches),
				slot(&st.qIn, g.batches*g.inH*g.inW*g.inC))
		}
	case convUint8:
		st.wI16, err = allocSlice[int16](c, packed)
		if err == nil {
			st.patchU8, err = allocRows[uint8](c, st.threads, st.k)
		}
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accLen)
		}
	case convInt16, convInt16Acc32:
		st.wI8, err = allocSlice[int8](c, packed)
		if err == nil {
			st.patchI16, err = allocRows[int16](c, st.threads, st.k)
		}
		if err == nil {
			st.accI64, err = allocRows[int64](c, st.threads, accLen)
		}
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accLen)
		}
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// pack reorders the filter into per-group blocks of four channels and
// precomputes the zero-point terms that depend only on the filter.
func (st *convState) pack(filter *Tensor) {
	g := &st.g
	k, fpg := st.k, st.fpg
	st.wMax = 0
	for grp := 0; grp < st.groups; grp++ {
		lo, hi := grp*fpg*k, (grp+1)*fpg*k
		dst := grp * st.block
		switch st.kind {
		case convFloat:
			packRows(st.wF32[dst:dst+st.block], filter.F32()[lo:hi], fpg, k)
		case convUint8:
			// Packing w - zf leaves plain sums of x*(w - zf).
			zf := int16(filter.ZeroPoint())
			blk := st.wI16[dst : dst+st.block]
			packRows(blk, filter.U8()[lo:hi], fpg, k)
			for o := 0; o < fpg; o++ {
				base := o / 4 * 4 * k
				for i := 0; i < k; i++ {
					blk[base+4*i+o%4] -= zf
				}
			}
		case convInt16, convInt16Acc32:
			st.wMax = max(st.wMax, packPairs16(st.wI8[dst:dst+st.block], filter.I8()[lo:hi], fpg, k, k, 1))
		case convInt8:
			packRowsI8Pad(st.wI8[dst:dst+st.block], filter.I8()[lo:hi], fpg, k, st.seg)
		default:
			packRowsI8(st.wI8[dst:dst+st.block], filter.I8()[lo:hi], fpg, k)
		}
	}
	// Padding is filled with the input zero point, so every patch element
	// contributes w*x and the -zp*sum(w) term is the same for all pixels.
	switch st.kind {
	case convInt8:
		rowSums(st.corr, filter.I8(), g.outC, k)
		for o := range st.corr {
			st.corr[o] *= -st.inZP
		}
		st.packZPRows(filter.I8())
	case convUint8:
		zf := filter.ZeroPoint()
		for o := range st.corr {
			var s int32
			for _, v := range filter.U8()[o*k : (o+1)*k] {
				s += int32(v) - zf
			}
			st.corr[o] = -st.inZP * s
		}
	case convHybridPC:
		rowSums(st.rowSum, filter.I8(), g.outC, k)
	}
	st.filterPacked = true
}

func convEval(c Context, n *Node) error {
	st, ok := n.State.(*convState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, filter, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	g := &st.g
	if err := checkData(n, "input", in, g.batches*g.inH*g.inW*g.inC); err != nil {
		return err
	}
	if err := checkData(n, "filter", filter, g.outC*st.k); err != nil {
		return err
	}
	if err := checkData(n, "output", out, g.batches*g.outH*g.outW*g.outC); err != nil {
		return err
	}
	if bias != nil {
		if err := checkData(n, "bias", bias, g.outC); err != nil {
			return err
		}
	}
	if !st.constFilter || !st.filterPacked {
		st.pack(filter)
	}
	st.biasF, st.bias64 = nil, nil
	switch st.kind {
	case convFloat, convHybrid, convHybridPC:
		if bias != nil {
			st.biasF = bias.F32()
		}
	case convInt16:
		if bias != nil {
			st.bias64 = bias.I64()
		}
	case convInt16Acc32:
		clear(st.add)
		if bias != nil {
			copy(st.add, bias.I32())
		}
	default:
		copy(st.add, st.corr)
		if bias != nil {
			for o, b := range bias.I32()[:len(st.add)] {
				st.add[o] += b
			}
		}
	}
	if g.batches*g.outH*g.outW == 0 {
		return nil
	}
	switch st.kind {
	case convHybrid, convHybridPC:
		st.quantizeInput(in)
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

// quantizeInput quantizes each batch of a hybrid convolution's input.
func (st *convState) quantizeInput(in *Tensor) {
	g := &st.g
	size := g.inH * g.inW * g.inC
	x := in.F32()
	for b := 0; b < g.batches; b++ {
		v, q := x[b*size:(b+1)*size], st.qIn[b*size:(b+1)*size]
		if st.kind == convHybrid {
			st.scale[b] = symmetricQuantize(v, q) * st.fScales[0]
			st.zp[b] = 0
		} else {
			st.scale[b], st.zp[b] = asymmetricQuantize(v, q)
		}
	}
}

// parallelRows runs the share of output rows of workers [lo, hi).
func (st *convState) parallelRows(lo, hi int) {
	total := st.g.batches * st.g.outH
	for t := lo; t < hi; t++ {
		a, b := share(total, st.threads, t)
		st.rows(t, a, b)
	}
}

// share is part i of [0, total) split into parts contiguous ranges.
func share(total, parts, i int) (int, int) {
	size := (total + parts - 1) / parts
	return min(i*size, total), min((i+1)*size, total)
}

// maxCopy4 bounds the patch length of convolutions whose border pixels
// (and, where the int8 four-row kernels cannot take the windows in place,
// all pixels) go four at a time through im2col copies: small first layers
// and the borders of narrow ones, at 3*k extra elements of scratch per
// worker.
const maxCopy4 = 256

// planFour decides how pixels go four at a time: only where this CPU has
// the four-row kernel of the kind; in place where the four windows lie
// inside the image horizontally (quad) and, for int8 (VNNI, SDOT, NEON), the parts of a window
// are whole quadruples of depth; through copies elsewhere for short
// patches. A part is a filter row (fW*fC contiguous input elements when
// taps are adjacent and take all input channels) or one tap.
func (st *convState) planFour() {
	g := &st.g
	st.part = st.fC
	if (g.dW == 1 || g.fW == 1) && st.fC == g.inC {
		st.part = g.fW * st.fC
	}
	p := bestPath()
	kernel := false
	switch st.kind {
	case convFloat:
		kernel = fourRows(p, false)
	case convInt8:
		kernel = fourRows(p, true)
	}
	// int8 filters are packed in segments padded with zero weights to
	// whole quadruples of depth, so the int8 four-row kernels need no
	// portable tail (3x3x3 first layers: depth 27). A segment is a part where that adds
	// at most a third to the weights of a short patch: windows then go in
	// place, each part read with the input bytes after it, which meet zero
	// weights. Else it is the whole patch (copies, padded with zeros):
	// at most 3 bytes more per channel, less than its int32 bias.
	st.seg, st.kp, st.partP = st.k, st.k, st.part
	if st.kind == convInt8 {
		if r := roundUp4(st.part); st.part%4 != 0 && 3*r <= 4*st.part && st.k <= maxCopy4 {
			st.seg, st.partP = st.part, r
		}
		st.kp = st.k / st.seg * roundUp4(st.seg)
	}
	inPlace := kernel && (st.kind == convFloat || st.partP%4 == 0)
	// Pixels of a pointwise convolution that keeps the image size are
	// consecutive rows of the input matrix across image rows too, so
	// small maps (3x3 at the end of a network) go four at a time as well.
	st.flat = inPlace && st.direct && g.sH == 1 && g.sW == 1 && g.padH == 0 && g.padW == 0 &&
		g.inH == g.outH && g.inW == g.outW
	st.four = inPlace && g.outW >= 4
	st.copy4 = kernel && g.outW >= 4 && st.k <= maxCopy4
}

// crossesH says whether some window crosses the top or bottom border.
func (st *convState) crossesH() bool {
	g := &st.g
	return g.padH > 0 || (g.outH-1)*g.sH-g.padH+(g.fH-1)*g.dH >= g.inH
}

// packZPRows fills zpRows, if any: for each ky in [0, fH] and channel o,
// the input zero point times the sum of o's weights in filter rows [0, ky),
// what rows above or below the image add over padding (int32 wraps as
// the sums of the copies do).
func (st *convState) packZPRows(w []int8) {
	if st.zpRows == nil {
		return
	}
	g := &st.g
	oc, rowLen := g.outC, g.fW*st.fC
	clear(st.zpRows[:oc])
	for ky := 0; ky < g.fH; ky++ {
		for o := 0; o < oc; o++ {
			var s int32
			for _, v := range w[o*st.k+ky*rowLen : o*st.k+(ky+1)*rowLen] {
				s += int32(v)
			}
			st.zpRows[(ky+1)*oc+o] = st.zpRows[ky*oc+o] + st.inZP*s
		}
	}
}

// rowsInside returns the filter rows [lo, hi) of output row oy's windows
// that lie inside the image: those above are a prefix, those below a
// suffix (lo == hi when the dilated rows miss the image).
func (st *convState) rowsInside(oy int) (lo, hi int) {
	g := &st.g
	iy0 := oy*g.sH - g.padH
	if iy0 < 0 {
		lo = min(g.fH, (-iy0+g.dH-1)/g.dH)
	}
	hi = min(g.fH, (g.inH-iy0+g.dH-1)/g.dH)
	return lo, hi
}

// addBorderRows adds to the four rows of acc (m apart), channels
// [ch, ch+cnt), the sums of the filter rows outside [lo, hi) over padding
// of the input zero point, which windowParts skips.
func (st *convState) addBorderRows(acc []int32, m, cnt, ch, lo, hi int) {
	oc := st.g.outC
	zr := st.zpRows
	top, all, bot := zr[lo*oc+ch:][:cnt], zr[st.g.fH*oc+ch:][:cnt], zr[hi*oc+ch:][:cnt]
	r0, r1, r2, r3 := acc[:cnt], acc[m:m+cnt], acc[2*m:2*m+cnt], acc[3*m:3*m+cnt]
	for j := range cnt {
		v := top[j] + all[j] - bot[j]
		r0[j] += v
		r1[j] += v
		r2[j] += v
		r3[j] += v
	}
}

// quadChunk is how many channels a four-pixel step sums at once where it
// needs scratch accumulators: four rows of 64 int32 (1 KiB) per worker,
// while the VNNI kernel's per-call row sums stay a small share of its
// work (16 blocks per pass over the activations).
const quadChunk = 64

// inPlace says whether a float four-pixel step sums straight into the
// output: one group whose channels fill whole blocks of four.
func (st *convState) inPlace() bool {
	return st.kind == convFloat && st.groups == 1 && st.fpg%4 == 0
}

// rows computes output rows [r0, r1) (row = batch*outH + y) with the
// scratch buffers of worker t, four pixels at a time where planFour
// allows, the rest one by one.
func (st *convState) rows(t, r0, r1 int) {
	g := &st.g
	if st.flat {
		st.flatRows(t, r0, r1)
		return
	}
	for r := r0; r < r1; r++ {
		b, oy := r/g.outH, r%g.outH
		for ox := 0; ox < g.outW; {
			if ox+4 <= g.outW {
				// Windows may cross the top or bottom border: windowParts
				// skips their filter rows outside the image, which add
				// zeros for float and, for int8, the input zero point
				// times their weights (addBorderRows).
				inside := st.four && st.insideX(ox, ox+3)
				if inside || st.copy4 {
					for grp := 0; grp < st.groups; grp++ {
						st.quad(t, b, oy, ox, grp, inside)
					}
					ox += 4
					continue
				}
			}
			// Two or three inside pixels left before the border: one
			// group that ends with them, recomputing (the same values
			// for) pixels already done, costs less than one by one.
			left := 0
			for st.four && left < 3 && ox+left < g.outW && st.insideX(ox+left, ox+left) {
				left++
			}
			if x0 := ox + left - 4; left >= 2 && x0 >= 0 && st.insideX(x0, x0+3) {
				for grp := 0; grp < st.groups; grp++ {
					st.quad(t, b, oy, x0, grp, true)
				}
				ox += left
				continue
			}
			for grp := 0; grp < st.groups; grp++ {
				st.pixel(t, b, oy, ox, grp)
			}
			ox++
		}
	}
}

// flatRows is rows for flat convolutions: the pixels of output rows
// [r0, r1) four at a time in tensor order, the last two or three in a
// group overlapping the one before.
func (st *convState) flatRows(t, r0, r1 int) {
	g := &st.g
	p0, p1 := r0*g.outW, r1*g.outW
	q := p0
	for ; q+4 <= p1; q += 4 {
		st.flatQuad(t, q)
	}
	if p1-q >= 2 && p1-p0 >= 4 {
		st.flatQuad(t, p1-4)
		q = p1
	}
	for ; q < p1; q++ {
		st.pixel(t, q/(g.outH*g.outW), q/g.outW%g.outH, q%g.outW, 0)
	}
}

// flatQuad computes pixels q..q+3 (in tensor order) of a flat convolution.
func (st *convState) flatQuad(t, q int) {
	g := &st.g
	st.quad(t, q/(g.outH*g.outW), q/g.outW%g.outH, q%g.outW, 0, true)
}

// insideX says whether the windows of output columns [x0, x1] lie inside
// the input horizontally.
func (st *convState) insideX(x0, x1 int) bool {
	g := &st.g
	return x0*g.sW-g.padW >= 0 && x1*g.sW-g.padW+(g.fW-1)*g.dW < g.inW
}

// quad computes output pixels (b, oy, ox..ox+3) of group grp, reading
// their windows in place when inside the image horizontally (rows above
// or below are skipped), else from four im2col copies.
func (st *convState) quad(t, b, oy, ox, grp int, inside bool) {
	g := &st.g
	p := bestPath()
	k, fpg, n := st.k, st.fpg, roundUp4(st.fpg)
	ch := grp * fpg
	w0, w1 := grp*st.block, (grp+1)*st.block
	pix := ((b*g.outH+oy)*g.outW+ox)*g.outC + ch
	switch st.kind {
	case convFloat:
		in := st.in.F32()
		if !inside {
			buf := st.patchF32[t][:4*k]
			for i := 0; i < 4; i++ {
				im2col(st, in, buf[i*k:(i+1)*k], 0, b, oy, ox+i, grp)
			}
			in = buf
		}
		out := st.out.F32()
		var bias []float32
		if st.biasF != nil {
			bias = st.biasF[ch : ch+fpg]
		}
		if st.inPlace() {
			// No padding channels: the sums go straight into the output
			// (rows outC apart) and the epilogue runs in place.
			floatSums(st, p, in, st.wF32[w0:w1], out[pix:pix+3*g.outC+n], g.outC, inside, b, oy, ox, grp)
			for i := 0; i < 4; i++ {
				o := pix + i*g.outC
				biasActF32On(p, out[o:o+fpg], out[o:o+fpg], bias, st.fLo, st.fHi)
			}
			return
		}
		for c := 0; c < n; c += quadChunk {
			m, cnt := min(quadChunk, n-c), min(quadChunk, fpg-c)
			acc := st.accF32[t][:4*m]
			floatSums(st, p, in, st.wF32[w0+c*k:w0+(c+m)*k], acc, m, inside, b, oy, ox, grp)
			var bc []float32
			if bias != nil {
				bc = bias[c : c+cnt]
			}
			for i := 0; i < 4; i++ {
				o := pix + i*g.outC + c
				biasActF32On(p, out[o:o+cnt], acc[i*m:i*m+cnt], bc, st.fLo, st.fHi)
			}
		}
	case convInt8:
		in := st.in.I8()
		kp := st.kp
		lo, hi := st.rowsInside(oy)
		if inside && st.partP > st.part && !st.partsFit(len(in), b, oy, ox, grp) {
			inside = false
		}
		if !inside {
			buf := st.patchI8[t][:4*kp]
			for i := 0; i < 4; i++ {
				patchI8(st, in, buf[i*kp:(i+1)*kp], b, oy, ox+i, grp)
			}
			in = buf
		}
		out := st.out.I8()
		for c := 0; c < n; c += quadChunk {
			m, cnt := min(quadChunk, n-c), min(quadChunk, fpg-c)
			acc, wp := st.accI32[t][:4*m], st.wI8[w0+c*kp:w0+(c+m)*kp]
			if inside {
				windowParts(st, p, gemm4I8Part, in, wp, acc, m, b, oy, ox, grp)
				if lo > 0 || hi < g.fH {
					st.addBorderRows(acc, m, cnt, ch+c, lo, hi)
				}
			} else {
				// kp is whole quadruples of depth (copies are padded).
				gemm4I8Part(p, in, kp, wp, kp, 0, kp, acc, m, false)
			}
			add, mult, shift := st.add[ch+c:], st.mult[ch+c:], st.shift[ch+c:]
			if requantRowsI8(p, out[pix+c:], g.outC, acc, m, 4, cnt, add, mult, shift, st.outZP, st.qLo, st.qHi) {
				continue
			}
			for i := 0; i < 4; i++ {
				o := pix + i*g.outC + c
				requantize32On(p, out[o:o+cnt], acc[i*m:i*m+cnt], add, mult, shift, st.outZP, st.qLo, st.qHi)
			}
		}
	}
}

// partsFit says whether the padded parts of the in-place windows of
// pixels (b, oy, ox..ox+3), group grp, end inside the input (len n): the
// last part of the last pixel, in filter row hi-1 (the last inside the
// image), reads partP-part bytes beyond its window.
func (st *convState) partsFit(n, b, oy, ox, grp int) bool {
	g := &st.g
	lo, hi := st.rowsInside(oy)
	if lo == hi {
		return true // nothing read
	}
	iy := oy*g.sH - g.padH + (hi-1)*g.dH
	ix := ox*g.sW - g.padW + (g.fW-st.part/st.fC)*g.dW
	o := ((b*g.inH+iy)*g.inW+ix)*g.inC + grp*st.fC
	return o+3*g.sW*g.inC+st.partP <= n
}

// floatSums puts the float products of four windows with wp into acc rows
// ldc apart: in place from the input when inside, else from the four
// patches in a (k apart).
func floatSums(st *convState, p gemmPath, a, wp, acc []float32, ldc int, inside bool, b, oy, ox, grp int) {
	if inside {
		windowParts(st, p, gemm4F32Part, a, wp, acc, ldc, b, oy, ox, grp)
		return
	}
	gemm4F32Part(p, a, st.k, wp, st.k, 0, st.k, acc, ldc, false)
}

// windowParts runs kern over the parts (filter rows or taps, st.part
// depths each) of the windows of pixels (b, oy, ox..ox+3), read in place:
// the same part of the four windows lies stride*depth elements apart.
// Filter rows above or below the image are skipped: float padding adds
// zeros, int8 padding the zero point (addBorderRows).
func windowParts[T, A elem](st *convState, p gemmPath, kern func(gemmPath, []T, int, []T, int, int, int, []A, int, bool), in, wp []T, acc []A, ldc, b, oy, ox, grp int) {
	g := &st.g
	iy0, ix0 := oy*g.sH-g.padH, ox*g.sW-g.padW
	lda, run, step := g.sW*g.inC, st.partP, st.part/st.fC
	c0 := grp * st.fC
	d, summed := 0, false
	for ky := 0; ky < g.fH; ky++ {
		iy := iy0 + ky*g.dH
		if iy < 0 || iy >= g.inH {
			d += g.fW / step * run
			continue
		}
		row := (b*g.inH + iy) * g.inW
		for kx := 0; kx < g.fW; kx += step {
			o := (row+ix0+kx*g.dW)*g.inC + c0
			kern(p, in[o:o+3*lda+run], lda, wp, st.kp, d, run, acc, ldc, summed)
			d += run
			summed = true
		}
	}
	if !summed {
		n := len(wp) / st.kp
		for r := 0; r < 4; r++ {
			clear(acc[r*ldc : r*ldc+n])
		}
	}
}

// pixel computes output pixel (b, oy, ox) of group grp.
func (st *convState) pixel(t, b, oy, ox, grp int) {
	g := &st.g
	fpg, n := st.fpg, roundUp4(st.fpg)
	ch := grp * fpg
	wlo, whi := grp*st.block, (grp+1)*st.block
	pix := ((b*g.outH+oy)*g.outW + ox) * g.outC
	switch st.kind {
	case convFloat:
		p := patch(st, st.in.F32(), st.patchF32[t], 0, b, oy, ox, grp)
		acc := st.accF32[t][:n]
		gemmRowF32(p, st.wF32[wlo:whi], acc)
		var bias []float32
		if st.biasF != nil {
			bias = st.biasF[ch : ch+fpg]
		}
		biasActF32(st.out.F32()[pix+ch:pix+ch+fpg], acc, bias, st.fLo, st.fHi)
	case convInt8:
		var p []int8
		if st.kp > st.k { // padded: always a copy, even for 1x1 filters
			p = patchI8(st, st.in.I8(), st.patchI8[t][:st.kp], b, oy, ox, grp)
		} else {
			p = patch(st, st.in.I8(), st.patchI8[t], int8(st.inZP), b, oy, ox, grp)
		}
		acc := st.accI32[t][:n]
		gemmRowI8(p, st.wI8[wlo:whi], acc)
		requantize32(st.out.I8()[pix+ch:pix+ch+fpg], acc, st.add[ch:], st.mult[ch:], st.shift[ch:], st.outZP, st.qLo, st.qHi)
	case convUint8:
		p := patch(st, st.in.U8(), st.patchU8[t], uint8(st.inZP), b, oy, ox, grp)
		acc := st.accI32[t]
		gemmRow(p, st.wI16[wlo:whi], acc)
		requantize32(st.out.U8()[pix+ch:pix+ch+fpg], acc, st.add[ch:], st.mult[ch:], st.shift[ch:], st.outZP, st.qLo, st.qHi)
	case convInt16, convInt16Acc32:
		p := patch(st, st.in.I16(), st.patchI16[t], 0, b, oy, ox, grp)
		acc := st.accI64[t]
		gemmRow16(p, st.wI8[wlo:whi], acc, st.wMax)
		o := st.out.I16()[pix+ch : pix+ch+fpg]
		if st.kind == convInt16 {
			var bias []int64
			if st.bias64 != nil {
				bias = st.bias64[ch : ch+fpg]
			}
			requantize64(o, acc, bias, st.mult[ch:], st.shift[ch:], st.qLo, st.qHi)
		} else {
			a32 := st.accI32[t]
			narrow32(a32[:fpg], acc)
			requantize32(o, a32, st.add[ch:], st.mult[ch:], st.shift[ch:], 0, st.qLo, st.qHi)
		}
	case convHybrid, convHybridPC:
		zp := st.zp[b]
		p := patch(st, st.qIn, st.patchI8[t], int8(zp), b, oy, ox, grp)
		acc := st.accI32[t][:n]
		gemmRowI8(p, st.wI8[wlo:whi], acc)
		st.hybridOut(st.out.F32()[pix+ch:pix+ch+fpg], acc, b, ch)
	}
}

// hybridOut dequantizes the accumulators of one pixel and group.
func (st *convState) hybridOut(out []float32, acc []int32, b, ch int) {
	sf := st.scale[b]
	for i := range out {
		var v float32
		if st.kind == convHybrid {
			v = float32(acc[i]) * sf
		} else {
			o := ch + i
			v = float32(acc[i]-st.rowSum[o]*st.zp[b]) * (st.fScales[o] * sf)
		}
		if st.biasF != nil {
			v += st.biasF[ch+i]
		}
		out[i] = min(max(v, st.fLo), st.fHi)
	}
}

// patch returns the im2col window of output pixel (b, oy, ox) for group
// grp: the input pixel itself for unpadded 1x1 filters, otherwise a copy
// into buf (im2col).
func patch[T elem](st *convState, in, buf []T, pad T, b, oy, ox, grp int) []T {
	g := &st.g
	if st.direct {
		iy0, ix0 := oy*g.sH-g.padH, ox*g.sW-g.padW
		if iy0 >= 0 && iy0 < g.inH && ix0 >= 0 && ix0 < g.inW {
			o := ((b*g.inH+iy0)*g.inW + ix0) * g.inC
			return in[o : o+g.inC]
		}
	}
	return im2col(st, in, buf[:st.k], pad, b, oy, ox, grp)
}

// patchI8 fills dst (len st.kp) with the int8 window of output pixel (b,
// oy, ox), group grp, in the segments of the padded packing
// (packRowsI8Pad): im2col with the input zero point outside the image,
// segments moved apart from the last, zeros for the zero weights between.
func patchI8(st *convState, in, dst []int8, b, oy, ox, grp int) []int8 {
	im2col(st, in, dst[:st.k], int8(st.inZP), b, oy, ox, grp)
	seg, segP := st.seg, roundUp4(st.seg)
	for s := st.k/seg - 1; s >= 0; s-- {
		d := dst[s*segP : (s+1)*segP]
		copy(d[:seg], dst[s*seg:(s+1)*seg])
		clear(d[seg:])
	}
	return dst
}

// im2col copies the window of output pixel (b, oy, ox), group grp, into
// dst (len k) in filter order [fH][fW][fC], with pad outside the image.
// Where a filter row lies inside the image with undilated, ungrouped taps
// it is one contiguous run of fW*inC input elements, copied at once.
func im2col[T elem](st *convState, in, dst []T, pad T, b, oy, ox, grp int) []T {
	g := &st.g
	iy0, ix0 := oy*g.sH-g.padH, ox*g.sW-g.padW
	fC, c0 := st.fC, grp*st.fC
	run := g.fW * fC
	whole := g.dW == 1 && fC == g.inC && ix0 >= 0 && ix0+g.fW <= g.inW
	i := 0
	for ky := 0; ky < g.fH; ky++ {
		iy := iy0 + ky*g.dH
		if iy < 0 || iy >= g.inH {
			fill := dst[i : i+run]
			for j := range fill {
				fill[j] = pad
			}
			i += run
			continue
		}
		rowBase := (b*g.inH + iy) * g.inW
		if whole {
			o := (rowBase + ix0) * g.inC
			copy(dst[i:i+run], in[o:o+run])
			i += run
			continue
		}
		for kx := 0; kx < g.fW; kx++ {
			ix := ix0 + kx*g.dW
			d := dst[i : i+fC]
			if ix < 0 || ix >= g.inW {
				for j := range d {
					d[j] = pad
				}
			} else {
				o := (rowBase+ix)*g.inC + c0
				copy(d, in[o:o+fC])
			}
			i += fC
		}
	}
	return dst
}

// checkData verifies that a tensor holds at least elems elements, so that a
// kernel never indexes past data the interpreter did not provide.
func checkData(n *Node, what string, t *Tensor, elems int) error {
	if size := t.Type.Size(); size == 0 || len(t.Data)/size < elems {
		return n.Errorf("%s tensor %q has %d bytes of data, need %d elements of %s", what, t.Name, len(t.Data), elems, t.Type)
	}
	return nil
}
