package ops

import "github.com/axle-edge/axle/models"

// addDense registers this family's kernels.
func addDense(r *Resolver) {
	r.Builtin[OpFullyConnected] = &Kernel{MaxVersion: 14, Prepare: fcPackedPrepare, Eval: fcPackedEval}
	r.Builtin[OpBatchMatmul] = &Kernel{MaxVersion: 4, Prepare: bmmPrepare, Eval: bmmEval}
}

// FULLY_CONNECTED: output[b][o] = act(bias[o] + sum_k input[b][k]*w[o][k])
// with the input flattened to [batches, K] (K = the filter's depth). The
// filter is packed once (dense_gemm.go); the integer zero-point terms that
// depend only on the filter are folded into one per-channel constant, so the
// inner loop is a plain dot product:
//
//	sum (x - zx)(w - zw) = sum x*(w - zw) - zx*sum(w - zw)

type fcKind uint8

const (
	fcFloat      fcKind = iota
	fcInt8              // int8 activations, int8 filter without zero point
	fcInt8W16           // int8/uint8 activations, filter with a zero point (packed as int16)
	fcInt16             // int16 activations, int64 accumulators (gemmRow16)
	fcInt16Acc32        // int16 activations, int32 accumulators (int32 bias), gemmRow16 narrowed
	fcHybrid            // float activations, 8-bit weights quantized per row at runtime
)

type fcState struct {
	kind      fcKind
	batches   int
	units     int
	k         int
	asymInput bool // hybrid: asymmetric per-row input quantization
	act       Activation
	keepDims  bool

	fLo, fHi    float32
	qLo, qHi    int32
	inZP, outZP int32
	filterZP    int32
	mult        []int32
	shift       []int
	corr        []int32 // -zx*sum(w - zw)
	add         []int32 // corr + bias
	addOK       bool    // add is current: filter not repacked, bias constant
	fScales     []float32
	rowSum      []int32
	constFilter bool
	packed      bool

	wF32 []float32
	wI8  []int8
	wI16 []int16
	wMax int32 // int16 kinds: the largest |w| of the packed filter (gemmRow16)
	w16  bool  // int16 kinds: the filter is int16 (wI16), else int8 (wI8)

	threads int
	accF32  [][]float32
	accI32  [][]int32
	accI64  [][]int64

	qIn   []int8
	scale []float32
	zp    []int32

	in, out   *Tensor
	biasF     []float32
	bias64    []int64
	bias64buf []int64
	run       func(lo, hi int)
}

func fcPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 && len(n.Inputs) != 3 {
		return n.Errorf("takes 2 or 3 inputs, got %d", len(n.Inputs))
	}
	if len(n.Outputs) != 1 {
		return n.Errorf("takes 1 output, got %d (only the DEFAULT weights format is supported)", len(n.Outputs))
	}
	in, filter, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if in == nil || filter == nil || out == nil {
		return n.Errorf("input, filter and output tensors are required")
	}
	o := n.Opts.(*FullyConnectedOptions)
	if wf := uint8(o.WeightsFormat); wf != 0 {
		return n.Errorf("weights format %d is not supported (only DEFAULT)", wf)
	}
	if filter.Dims() != 2 {
		return n.Errorf("filter must be 2-D, got shape %v", filter.Shape)
	}
	if in.Dims() < 1 {
		return n.Errorf("input must have at least one dimension, got shape %v", in.Shape)
	}
	st, _ := n.State.(*fcState)
	if st == nil {
		st = &fcState{}
		st.run = st.parallel
		n.State = st
	}
	st.units, st.k = filter.Shape[0], filter.Shape[1]
	if st.units < 0 || st.k < 0 {
		return n.Errorf("filter shape %v is invalid", filter.Shape)
	}
	size, ok := mulChecked(in.Shape...)
	if !ok {
		return n.Errorf("input shape %v is invalid or too large", in.Shape)
	}
	if _, ok := mulChecked(st.units, st.k); !ok {
		return n.Errorf("filter shape %v is too large", filter.Shape)
	}
	st.keepDims = o.KeepNumDims
	if st.k > 0 {
		st.batches = size / st.k
	} else {
		// TFLite sizes the output early: every dimension but the last.
		st.batches, _ = mulChecked(in.Shape[:len(in.Shape)-1]...)
	}
	var shape []int
	if st.keepDims {
		if st.k > 0 && in.Shape[len(in.Shape)-1] != st.k {
			return n.Errorf("keep_num_dims needs the input depth %d to equal the filter depth %d", in.Shape[len(in.Shape)-1], st.k)
		}
		shape = append(append(shape, in.Shape[:len(in.Shape)-1]...), st.units)
	} else {
		shape = []int{st.batches, st.units}
	}
	if _, ok := mulChecked(st.batches, st.units); !ok {
		return n.Errorf("output of %d x %d elements is too large", st.batches, st.units)
	}
	if bias != nil && bias.NumElements() != st.units {
		return n.Errorf("bias has %d elements for %d units", bias.NumElements(), st.units)
	}
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	st.act = act
	st.asymInput = o.AsymmetricQuantizeInputs
	if err := st.prepareTypes(c, n, in, filter, bias, out); err != nil {
		return err
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	if err := st.alloc(c, n); err != nil {
		return err
	}
	st.constFilter, st.packed = filter.Const, false
	if filter.Const {
		st.pack(filter)
	}
	return nil
}

func (st *fcState) prepareTypes(c Context, n *Node, in, filter, bias, out *Tensor) error {
	st.fLo, st.fHi = st.act.FloatRange()
	hybrid := in.Type == models.Float32 && (filter.Type == models.Int8 || filter.Type == models.UInt8)
	if !hybrid && !st.act.Supported() {
		return n.Errorf("fused activation %d is not supported (only NONE, RELU, RELU_N1_TO_1, RELU6)", st.act)
	}
	if in.Type == models.Float32 {
		if out.Type != models.Float32 {
			return n.Errorf("float input needs a float32 output, got %s", out.Type)
		}
		if bias != nil && bias.Type != models.Float32 {
			return n.Errorf("float input needs a float32 bias, got %s", bias.Type)
		}
		switch {
		case filter.Type == models.Float32:
			st.kind = fcFloat
			return nil
		case hybrid:
			fs, err := filterScales(c, n, filter, 0, st.units)
			if err != nil {
				return err
			}
			st.kind = fcHybrid
			st.fScales, err = float32Scales(c, n, fs[:len(filter.Quant.Scale)])
			return err
		}
		return n.Errorf("float input with a %s filter is not supported", filter.Type)
	}
	if !isQuantType(in.Type) {
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if out.Type != in.Type {
		return n.Errorf("%s input needs a %s output, got %s", in.Type, in.Type, out.Type)
	}
	q, err := prepareQuant(c, n, quantSpec{
		what: "fully connected", filter: "filter", channels: st.units, uint8: true,
		int16Filter: true, productPerTensor: true,
		int16Bias: int16BiasOption, qbt: n.Opts.(*FullyConnectedOptions).QuantizedBiasType,
	}, in, filter, bias, out, st.act)
	if err != nil {
		return err
	}
	st.inZP, st.outZP, st.filterZP = q.inZP, q.outZP, q.filterZP
	st.qLo, st.qHi, st.mult, st.shift = q.qLo, q.qHi, q.mult, q.shift
	if err := allocAll(c, slot(&st.corr, st.units), slot(&st.add, st.units)); err != nil {
		return n.Errorf("%v", err)
	}
	switch q.path {
	case qInt8, qUint8:
		st.kind = fcInt8
		if q.path == qUint8 || st.filterZP != 0 {
			st.kind = fcInt8W16
		}
	case qInt16Acc32:
		st.kind = fcInt16Acc32
	case qInt16Acc64:
		st.kind = fcInt16
	}
	st.w16 = filter.Type == models.Int16
	return nil
}

func (st *fcState) alloc(c Context, n *Node) error {
	packed, ok := mulChecked(roundUp4(st.units), st.k)
	if !ok {
		return n.Errorf("filter is too large")
	}
	st.threads = opThreads(c, macs(st.batches, st.units, st.k))
	accLen := roundUp4(st.units)
	var err error
	switch st.kind {
	case fcFloat:
		st.wF32, err = allocSlice[float32](c, packed)
		if err == nil {
			st.accF32, err = allocRows[float32](c, st.threads, accLen)
		}
	case fcInt8, fcHybrid:
		st.wI8, err = allocSlice[int8](c, packed)
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accLen)
		}
		if err == nil && st.kind == fcHybrid {
			err = allocAll(c, slot(&st.rowSum, st.units), slot(&st.scale, st.batches), slot(&st.zp, st.batches), slot(&st.qIn, st.batches*st.k))
		}
	case fcInt8W16:
		st.wI16, err = allocSlice[int16](c, packed)
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accLen)
		}
	case fcInt16, fcInt16Acc32:
		if st.w16 {
			st.wI16, err = allocSlice[int16](c, packed)
		} else {
			st.wI8, err = allocSlice[int8](c, packed)
		}
		if err == nil {
			st.accI64, err = allocRows[int64](c, st.threads, accLen)
		}
		if err == nil {
			st.accI32, err = allocRows[int32](c, st.threads, accLen)
		}
		if err == nil {
			st.bias64buf, err = allocSlice[int64](c, st.units)
		}
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// pack packs the filter (minus its zero point where one applies) and
// computes the per-channel zero-point corrections.
func (st *fcState) pack(filter *Tensor) {
	u, k := st.units, st.k
	switch st.kind {
	case fcFloat:
		packRows(st.wF32, filter.F32()[:u*k], u, k)
	case fcInt8:
		w := filter.I8()[:u*k]
		packRowsI8(st.wI8, w, u, k)
		rowSums(st.corr, w, u, k)
		for o := range st.corr {
			st.corr[o] *= -st.inZP
		}
	case fcHybrid:
		// TFLite reads 8-bit hybrid weights as int8 whatever their type.
		w := view[int8](filter.Data)[:u*k]
		packRowsI8(st.wI8, w, u, k)
		rowSums(st.rowSum, w, u, k)
	case fcInt8W16:
		zw := int16(st.filterZP)
		if filter.Type == models.UInt8 {
			packRows(st.wI16, filter.U8()[:u*k], u, k)
		} else {
			packRows(st.wI16, filter.I8()[:u*k], u, k)
		}
		subtractPacked(st.wI16, zw, u, k)
		st.foldCorr16(filter)
	case fcInt16, fcInt16Acc32:
		// The filter zero point stays out of the int16 weights (an int16
		// w - zw may not fit): compute subtracts zw*sum(x) instead.
		if st.w16 {
			st.wMax = packPairs16(st.wI16, filter.I16()[:u*k], u, k, k, 1)
		} else {
			st.wMax = packPairs16(st.wI8, filter.I8()[:u*k], u, k, k, 1)
		}
	}
	st.packed = true
}

// subtractPacked subtracts z from the real (not padding) channels of a
// packed filter.
func subtractPacked(wp []int16, z int16, rows, k int) {
	if z == 0 {
		return
	}
	for o := 0; o < rows; o++ {
		base := o / 4 * 4 * k
		for i := 0; i < k; i++ {
			wp[base+4*i+o%4] -= z
		}
	}
}

func (st *fcState) foldCorr16(filter *Tensor) {
	k := st.k
	for o := range st.corr {
		var s int32
		if filter.Type == models.UInt8 {
			for _, v := range filter.U8()[o*k : (o+1)*k] {
				s += int32(v) - st.filterZP
			}
		} else {
			for _, v := range filter.I8()[o*k : (o+1)*k] {
				s += int32(v) - st.filterZP
			}
		}
		st.corr[o] = -st.inZP * s
	}
}

func fcEval(c Context, n *Node) error {
	st, ok := n.State.(*fcState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, filter, bias, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if err := checkData(n, "input", in, st.batches*st.k); err != nil {
		return err
	}
	if err := checkData(n, "filter", filter, st.units*st.k); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.batches*st.units); err != nil {
		return err
	}
	if bias != nil {
		if err := checkData(n, "bias", bias, st.units); err != nil {
			return err
		}
	}
	if st.batches*st.units == 0 {
		return nil
	}
	if st.k == 0 {
		clear(out.Data)
		return nil
	}
	if !st.constFilter || !st.packed {
		st.pack(filter)
		st.addOK = false
	}
	st.biasF, st.bias64 = nil, nil
	switch st.kind {
	case fcFloat, fcHybrid:
		if bias != nil {
			st.biasF = bias.F32()
		}
	case fcInt16:
		if bias != nil {
			// An int32 bias with an int16 filter still accumulates in 64
			// bits in TFLite: widen it.
			st.bias64 = st.bias64buf
			if bias.Type == models.Int64 {
				copy(st.bias64, bias.I64())
			} else {
				for o, v := range bias.I32()[:st.units] {
					st.bias64[o] = int64(v)
				}
			}
		}
	default:
		// corr changes only when the filter is repacked, so with a
		// constant bias (or none) the sum is kept from the last Eval: for
		// small models like ad01 redoing it was a tenth of the Invoke.
		if !st.addOK {
			copy(st.add, st.corr)
			if bias != nil {
				for o, b := range bias.I32()[:st.units] {
					st.add[o] += b
				}
			}
			st.addOK = bias == nil || bias.Const
		}
	}
	if st.kind == fcHybrid {
		x := in.F32()
		for b := 0; b < st.batches; b++ {
			row, q := x[b*st.k:(b+1)*st.k], st.qIn[b*st.k:(b+1)*st.k]
			if st.asymInput {
				st.scale[b], st.zp[b] = asymmetricQuantize(row, q)
			} else {
				st.scale[b], st.zp[b] = symmetricQuantize(row, q), 0
			}
			if len(st.fScales) == 1 {
				st.scale[b] *= st.fScales[0]
			}
		}
	}
	st.in, st.out = in, out
	if st.threads > 1 && st.batches*st.units > 64 {
		c.Parallel(st.threads, st.run)
	} else {
		st.compute(0, 0, st.batches, 0, roundUp4(st.units)/4)
	}
	st.in, st.out = nil, nil
	return nil
}

// parallel splits the batch rows across workers when there are enough of
// them, the channel blocks otherwise.
func (st *fcState) parallel(lo, hi int) {
	blocks := roundUp4(st.units) / 4
	for t := lo; t < hi; t++ {
		if st.batches >= st.threads {
			b0, b1 := share(st.batches, st.threads, t)
			st.compute(t, b0, b1, 0, blocks)
		} else {
			k0, k1 := share(blocks, st.threads, t)
			st.compute(t, 0, st.batches, k0, k1)
		}
	}
}

// compute produces batch rows [b0, b1) for the channel blocks [k0, k1).
func (st *fcState) compute(t, b0, b1, k0, k1 int) {
	if k0 >= k1 {
		return
	}
	k, u := st.k, st.units
	c0, c1 := 4*k0, min(4*k1, u)
	wlo, whi := 4*k0*k, 4*k1*k
	for b := b0; b < b1; b++ {
		o := b*u + c0
		switch st.kind {
		case fcFloat:
			acc := st.accF32[t][4*k0 : 4*k1]
			gemmRowF32(st.in.F32()[b*k:(b+1)*k], st.wF32[wlo:whi], acc)
			var bias []float32
			if st.biasF != nil {
				bias = st.biasF[c0:c1]
			}
			biasActF32(st.out.F32()[o:o+c1-c0], acc, bias, st.fLo, st.fHi)
		case fcInt8:
			acc := st.accI32[t][4*k0 : 4*k1]
			gemmRowI8(st.in.I8()[b*k:(b+1)*k], st.wI8[wlo:whi], acc)
			requantize32(st.out.I8()[o:o+c1-c0], acc, st.add[c0:], st.mult[c0:], st.shift[c0:], st.outZP, st.qLo, st.qHi)
		case fcInt8W16:
			acc := st.accI32[t][4*k0 : 4*k1]
			if st.in.Type == models.UInt8 {
				gemmRow(st.in.U8()[b*k:(b+1)*k], st.wI16[wlo:whi], acc)
				requantize32(st.out.U8()[o:o+c1-c0], acc, st.add[c0:], st.mult[c0:], st.shift[c0:], st.outZP, st.qLo, st.qHi)
			} else {
				gemmRow(st.in.I8()[b*k:(b+1)*k], st.wI16[wlo:whi], acc)
				requantize32(st.out.I8()[o:o+c1-c0], acc, st.add[c0:], st.mult[c0:], st.shift[c0:], st.outZP, st.qLo, st.qHi)
			}
		case fcInt16:
			acc := st.int16Row(t, b, k0, k1)
			var bias []int64
			if st.bias64 != nil {
				bias = st.bias64[c0:c1]
			}
			requantize64(st.out.I16()[o:o+c1-c0], acc, bias, st.mult[c0:], st.shift[c0:], st.qLo, st.qHi)
		case fcInt16Acc32:
			acc := st.int16Row(t, b, k0, k1)
			a32 := st.accI32[t][:c1-c0]
			narrow32(a32, acc)
			requantize32(st.out.I16()[o:o+c1-c0], a32, st.add[c0:], st.mult[c0:], st.shift[c0:], 0, st.qLo, st.qHi)
		case fcHybrid:
			acc := st.accI32[t][4*k0 : 4*k1]
			gemmRowI8(st.qIn[b*k:(b+1)*k], st.wI8[wlo:whi], acc)
			st.hybridOut(st.out.F32()[o:o+c1-c0], acc, b, c0)
		}
	}
}

// int16Row returns the int64 sums of batch row b for the channel blocks
// [k0, k1): sum x*(w - zw) = sum x*w - zw*sum x.
func (st *fcState) int16Row(t, b, k0, k1 int) []int64 {
	k := st.k
	x := st.in.I16()[b*k : (b+1)*k]
	acc := st.accI64[t][4*k0 : 4*k1]
	if st.w16 {
		gemmRow16(x, st.wI16[4*k0*k:4*k1*k], acc, st.wMax)
	} else {
		gemmRow16(x, st.wI8[4*k0*k:4*k1*k], acc, st.wMax)
	}
	if st.filterZP != 0 {
		var sum int64
		for _, v := range x {
			sum += int64(v)
		}
		for o := range acc {
			acc[o] -= int64(st.filterZP) * sum
		}
	}
	return acc
}

// hybridOut is TFLite's hybrid epilogue: bias + float(dot - rowsum*zp) *
// input scale (times the channel's filter scale), then the activation.
func (st *fcState) hybridOut(out []float32, acc []int32, b, c0 int) {
	sf, zp := st.scale[b], st.zp[b]
	for i := range out {
		o := c0 + i
		scale := sf
		if len(st.fScales) > 1 {
			scale *= st.fScales[o]
		}
		var v float32
		if st.biasF != nil {
			v = st.biasF[o]
		}
		out[i] = v + float32(acc[i]-st.rowSum[o]*zp)*scale
	}
	applyFloatActivation(st.act, out)
}
