package ops

import (
	"math"
	"math/bits"

	"github.com/axle-edge/axle/models"
)

// addReduce registers this family's kernels.
func addReduce(r *Resolver) {
	for _, op := range []Op{OpMean, OpSum, OpReduceMax, OpReduceMin} {
		r.Builtin[op] = &Kernel{MaxVersion: 3, Prepare: reducePrepare, Eval: reduceEval}
	}
	r.Builtin[OpArgMax] = &Kernel{MaxVersion: 3, Prepare: argPrepare, Eval: argEval}
	r.Builtin[OpArgMin] = &Kernel{MaxVersion: 3, Prepare: argPrepare, Eval: argEval}
}

// MEAN, SUM, REDUCE_MAX and REDUCE_MIN over a set of axes. The input shape
// is collapsed into alternating runs of kept and reduced dimensions (size-1
// dimensions dropped), so one odometer step moves over a contiguous run of
// the innermost dimension:
//
//	[2,3,4,5] reduce {1,2} -> runs [2 kept][12 reduced][5 kept]
//
// Quantized MEAN and SUM follow TFLite's CPU kernels: MEAN uses the integer
// path of reference QuantizedMeanOrSum, except for int8/uint8 4-D inputs
// reduced over axes {1,2} with keep_dims, where TFLite takes its optimized
// Mean with a float-derived bias; SUM uses TFLite's float-scaled path.

type reduceState struct {
	plan    reducePlan
	dynamic bool // the axis tensor is not constant: plan during Eval
	count   int  // input elements per output element

	// quantized MEAN and SUM
	mult      int32
	shift     int
	fastMean  bool
	fastMult  int32
	fastShift int
	fastBias  int32

	acc32 []int32
	acc64 []int64
}

type reducePlan struct {
	sizes   []int // collapsed dimensions
	strides []int // output stride of each, 0 when reduced
	coord   []int
	inner   int // size of the last collapsed dimension
	reduced bool
	outer   int
	shape   []int // output shape
	axes    []int // resolved axes, sorted by first appearance, deduplicated
	outSize int
}

func reducePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || axis == nil || out == nil {
		return n.Errorf("input, axis and output tensors are required")
	}
	if axis.Type != models.Int32 {
		return n.Errorf("axis must be int32, got %s", axis.Type)
	}
	if out.Type != in.Type {
		return n.Errorf("output type %s differs from input type %s", out.Type, in.Type)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input shape %v is invalid or too large", in.Shape)
	}
	st, _ := n.State.(*reduceState)
	if st == nil {
		st = &reduceState{}
		n.State = st
	}
	if err := st.checkTypes(n, in, out); err != nil {
		return err
	}
	st.dynamic = !axis.Const
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.plan1(c, n, in, axis, out, true)
}

func (st *reduceState) checkTypes(n *Node, in, out *Tensor) error {
	switch in.Type {
	case models.Float32, models.Int32, models.Int64:
		return nil
	case models.Int8, models.UInt8, models.Int16:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	inScale, inZP, err := tensorScale(n, "input", in)
	if err != nil {
		return err
	}
	outScale, outZP, err := tensorScale(n, "output", out)
	if err != nil {
		return err
	}
	switch n.Op {
	case OpReduceMax, OpReduceMin:
		if in.Quant.Scale[0] != out.Quant.Scale[0] || inZP != outZP {
			return n.Errorf("input and output quantization must be equal, got scale %g zero point %d and scale %g zero point %d", inScale, inZP, outScale, outZP)
		}
		return nil
	}
	if in.Type == models.Int16 && (inZP != 0 || outZP != 0) {
		return n.Errorf("int16 input and output need zero point 0, got %d and %d", inZP, outZP)
	}
	st.mult, st.shift = QuantizeMultiplier(inScale / outScale)
	return nil
}

// plan1 resolves the axes, sets the output shape and plans the walk.
// During Prepare it also allocates the accumulators; with a dynamic axis it
// runs during Eval and grows them as needed.
func (st *reduceState) plan1(c Context, n *Node, in, axis, out *Tensor, prepare bool) error {
	if err := checkData(n, "axis", axis, axis.NumElements()); err != nil {
		return err
	}
	p := &st.plan
	rank := in.Dims()
	p.axes = p.axes[:0]
	for _, a := range axis.I32()[:axis.NumElements()] {
		if rank == 0 {
			break
		}
		v := int(a)
		if v < 0 {
			v += rank
		}
		if v < 0 || v >= rank {
			return n.Errorf("axis %d is out of range for rank %d", a, rank)
		}
		dup := false
		for _, x := range p.axes {
			dup = dup || x == v
		}
		if !dup {
			p.axes = append(p.axes, v)
		}
	}
	keep := n.Opts.(*ReducerOptions).KeepDims
	p.shape = p.shape[:0]
	reducedDim := func(d int) bool {
		for _, a := range p.axes {
			if a == d {
				return true
			}
		}
		return false
	}
	for d := 0; d < rank; d++ {
		switch {
		case !reducedDim(d):
			p.shape = append(p.shape, in.Shape[d])
		case keep:
			p.shape = append(p.shape, 1)
		}
	}
	if err := c.Resize(out, p.shape); err != nil {
		return n.Errorf("%v", err)
	}
	// Collapse into runs of kept / reduced dimensions.
	p.sizes, p.strides = p.sizes[:0], p.strides[:0]
	var flags []bool
	for d := 0; d < rank; d++ {
		size, red := in.Shape[d], reducedDim(d)
		if size == 1 {
			continue
		}
		if k := len(p.sizes) - 1; k >= 0 && flags[k] == red {
			p.sizes[k] *= size
			continue
		}
		p.sizes = append(p.sizes, size)
		flags = append(flags, red)
	}
	if len(p.sizes) == 0 {
		p.sizes, flags = append(p.sizes, 1), append(flags, false)
	}
	p.strides = append(p.strides, make([]int, len(p.sizes))...)
	stride := 1
	for i := len(p.sizes) - 1; i >= 0; i-- {
		if !flags[i] {
			p.strides[i] = stride
			stride *= p.sizes[i]
		}
	}
	p.outSize = stride
	last := len(p.sizes) - 1
	p.inner, p.reduced = p.sizes[last], flags[last]
	p.outer = 1
	for _, s := range p.sizes[:last] {
		p.outer *= s
	}
	if cap(p.coord) < last {
		p.coord = make([]int, last)
	}
	p.coord = p.coord[:last]
	st.count = 0
	if p.outSize > 0 {
		st.count = in.NumElements() / p.outSize
	}
	st.planFastMean(n, in, out, axis.I32()[:axis.NumElements()], keep)
	need32, need64 := 0, 0
	switch {
	case isQuantType(in.Type) && (n.Op == OpMean || n.Op == OpSum):
		need32 = p.outSize
	case in.Type == models.Int32 && n.Op == OpMean:
		need64 = p.outSize
	}
	if prepare {
		var err error
		if st.acc32, err = allocSlice[int32](c, need32); err == nil {
			st.acc64, err = allocSlice[int64](c, need64)
		}
		if err != nil {
			return n.Errorf("%v", err)
		}
		return nil
	}
	if cap(st.acc32) < need32 {
		st.acc32 = make([]int32, need32)
	}
	if cap(st.acc64) < need64 {
		st.acc64 = make([]int64, need64)
	}
	st.acc32, st.acc64 = st.acc32[:need32], st.acc64[:need64]
	return nil
}

// planFastMean decides whether TFLite would take its optimized 4-D mean and
// derives that path's float-computed multiplier and bias. TFLite matches the
// axis tensor as written, not resolved: {1,2} or {2,1} take the fast path,
// while {1,-2} or {1,2,2} reduce the same dimensions on the reference path,
// whose rounding differs.
func (st *reduceState) planFastMean(n *Node, in, out *Tensor, raw []int32, keep bool) {
	st.fastMean = n.Op == OpMean && keep && in.Dims() == 4 && len(raw) == 2 &&
		(in.Type == models.Int8 || in.Type == models.UInt8) &&
		((raw[0] == 1 && raw[1] == 2) || (raw[0] == 2 && raw[1] == 1))
	if !st.fastMean {
		return
	}
	inScale, outScale := in.Quant.Scale[0], out.Quant.Scale[0]
	num := float32(in.Shape[1] * in.Shape[2])
	temp := float32(in.ZeroPoint()) * inScale / outScale
	if temp > 0 {
		temp += 0.5
	} else {
		temp -= 0.5
	}
	st.fastBias = out.ZeroPoint() - int32(temp)
	st.fastMult, st.fastShift = QuantizeMultiplier(float64(inScale / (num * outScale)))
}

func reduceEval(c Context, n *Node) error {
	st, ok := n.State.(*reduceState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if st.dynamic {
		if err := st.plan1(c, n, in, axis, out, false); err != nil {
			return err
		}
	}
	p := &st.plan
	if err := checkData(n, "input", in, in.NumElements()); err != nil {
		return err
	}
	if err := checkData(n, "output", out, p.outSize); err != nil {
		return err
	}
	if p.outSize == 0 {
		return nil
	}
	switch n.Op {
	case OpReduceMax, OpReduceMin:
		return st.evalMinMax(n, in, out)
	}
	switch in.Type {
	case models.Float32:
		o := out.F32()[:p.outSize]
		clear(o)
		walkSum(p, in.F32(), o)
		if n.Op == OpMean {
			if st.count == 0 {
				for i := range o {
					o[i] = float32(math.NaN())
				}
				return nil
			}
			cnt := float32(st.count)
			for i, v := range o {
				o[i] = v / cnt
			}
		}
	case models.Int32:
		if n.Op == OpSum {
			o := out.I32()[:p.outSize]
			clear(o)
			walkSum(p, in.I32(), o)
			return nil
		}
		acc := st.acc64
		clear(acc)
		walkSum(p, in.I32(), acc)
		o := out.I32()
		for i, v := range acc {
			if st.count > 0 {
				v /= int64(st.count)
			}
			o[i] = int32(v)
		}
	case models.Int64:
		o := out.I64()[:p.outSize]
		clear(o)
		walkSum(p, in.I64(), o)
		if n.Op == OpMean && st.count > 0 {
			for i := range o {
				o[i] /= int64(st.count)
			}
		}
	case models.Int8:
		quantMeanSum(st, n, in.I8(), out.I8()[:p.outSize], in, out)
	case models.UInt8:
		quantMeanSum(st, n, in.U8(), out.U8()[:p.outSize], in, out)
	case models.Int16:
		quantMeanSum(st, n, in.I16(), out.I16()[:p.outSize], in, out)
	}
	return nil
}

// quantMeanSum is the quantized MEAN / SUM of TFLite's CPU kernels.
func quantMeanSum[T ~int8 | ~uint8 | ~int16](st *reduceState, n *Node, x, o []T, in, out *Tensor) {
	lo, hi := TypeRange(in.Type)
	acc := st.acc32
	clear(acc)
	if st.count == 0 {
		clear(o)
		return
	}
	walkSum(&st.plan, x, acc)
	cnt := int64(st.count)
	switch {
	case n.Op == OpSum:
		scale := in.Quant.Scale[0] / out.Quant.Scale[0]
		bias := float32(-in.ZeroPoint()) * scale * float32(cnt)
		ozp := out.ZeroPoint()
		for i, s := range acc {
			v := int32(roundF32(float32(s)*scale+bias)) + ozp
			o[i] = T(min(max(v, lo), hi))
		}
	case st.fastMean:
		for i, s := range acc {
			v := MultiplyByQuantizedMultiplier(s, st.fastMult, st.fastShift) + st.fastBias
			o[i] = T(min(max(v, lo), hi))
		}
	default:
		// Fold 1/count into the multiplier, keeping as many bits as the
		// shift allows, exactly as TFLite's reference QuantizedMeanOrSum.
		sh := min(63-bits.LeadingZeros64(uint64(cnt)), 32, 31+st.shift)
		mult := int32((int64(st.mult) << uint(sh)) / cnt)
		shift := st.shift - sh
		zp, ozp := int64(in.ZeroPoint()), out.ZeroPoint()
		for i, s := range acc {
			v := MultiplyByQuantizedMultiplier(int32(int64(s)-zp*cnt), mult, shift) + ozp
			o[i] = T(min(max(v, lo), hi))
		}
	}
}

func (st *reduceState) evalMinMax(n *Node, in, out *Tensor) error {
	p := &st.plan
	isMax := n.Op == OpReduceMax
	switch in.Type {
	case models.Float32:
		walkMinMax(p, in.F32(), out.F32()[:p.outSize], isMax, -math.MaxFloat32, math.MaxFloat32)
	case models.Int32:
		walkMinMax(p, in.I32(), out.I32()[:p.outSize], isMax, math.MinInt32, math.MaxInt32)
	case models.Int64:
		walkMinMax(p, in.I64(), out.I64()[:p.outSize], isMax, math.MinInt64, math.MaxInt64)
	case models.Int8:
		walkMinMax(p, in.I8(), out.I8()[:p.outSize], isMax, math.MinInt8, math.MaxInt8)
	case models.UInt8:
		walkMinMax(p, in.U8(), out.U8()[:p.outSize], isMax, 0, math.MaxUint8)
	case models.Int16:
		walkMinMax(p, in.I16(), out.I16()[:p.outSize], isMax, math.MinInt16, math.MaxInt16)
	}
	return nil
}

// step advances the odometer over all but the last collapsed dimension and
// returns the new output offset.
func (p *reducePlan) step(off int) int {
	for d := len(p.coord) - 1; d >= 0; d-- {
		p.coord[d]++
		off += p.strides[d]
		if p.coord[d] < p.sizes[d] {
			return off
		}
		off -= p.strides[d] * p.sizes[d]
		p.coord[d] = 0
	}
	return off
}

// walkSum adds every input element into its output accumulator (wrapping
// for integers, as TFLite).
func walkSum[T, A elem](p *reducePlan, in []T, acc []A) {
	clear(p.coord)
	off, inner := 0, p.inner
	for o := 0; o < p.outer; o++ {
		run := in[o*inner : (o+1)*inner]
		if p.reduced {
			s := acc[off]
			for _, v := range run {
				s += A(v)
			}
			acc[off] = s
		} else {
			a := acc[off : off+inner]
			for i, v := range run {
				a[i] += A(v)
			}
		}
		off = p.step(off)
	}
}

// walkMinMax reduces with max (or min); NaN never replaces a value, as with
// TFLite's comparison-based reducers. Empty reductions give init.
func walkMinMax[T ~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32](p *reducePlan, in, out []T, isMax bool, lowest, highest T) {
	init := highest
	if isMax {
		init = lowest
	}
	for i := range out {
		out[i] = init
	}
	clear(p.coord)
	off, inner := 0, p.inner
	for o := 0; o < p.outer; o++ {
		run := in[o*inner : (o+1)*inner]
		if p.reduced {
			m := out[off]
			for _, v := range run {
				if (isMax && v > m) || (!isMax && v < m) {
					m = v
				}
			}
			out[off] = m
		} else {
			a := out[off : off+inner]
			for i, v := range run {
				if (isMax && v > a[i]) || (!isMax && v < a[i]) {
					a[i] = v
				}
			}
		}
		off = p.step(off)
	}
}
