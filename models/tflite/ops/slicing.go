package ops

import (
	"fmt"
	"math"
)

// addSlicing registers this family's kernels.
func addSlicing(r *Resolver) {
	r.Builtin[OpStridedSlice] = &Kernel{MaxVersion: 8, Prepare: stridedSlicePrepare, Eval: stridedSliceEval}
	r.Builtin[OpSlice] = &Kernel{MaxVersion: 8, Prepare: slicePrepare, Eval: sliceEval}
	r.Builtin[OpSplit] = &Kernel{MaxVersion: 5, Prepare: splitPrepare, Eval: splitEval}
	r.Builtin[OpSplitV] = &Kernel{MaxVersion: 3, Prepare: splitVPrepare, Eval: splitEval}
	r.Builtin[OpGather] = &Kernel{MaxVersion: 8, Prepare: gatherPrepare, Eval: gatherEval}
	r.Builtin[OpPad] = &Kernel{MaxVersion: 6, Prepare: padPrepare, Eval: padEval}
	r.Builtin[OpPadv2] = &Kernel{MaxVersion: 6, Prepare: padPrepare, Eval: padEval}
	r.Builtin[OpMirrorPad] = &Kernel{MaxVersion: 3, Prepare: mirrorPadPrepare, Eval: mirrorPadEval}
}

// STRIDED_SLICE
//
// The begin/end/strides vectors index an "effective" input: the input with
// the ellipsis expanded to as many full axes as needed and a size-1 axis
// inserted for every new_axis bit. Each effective axis then has a start,
// a stride and an element count; shrunk axes keep one element and are
// dropped from the output shape.

// maxSliceIndices is TFLite's limit on the length of begin/end/strides.
const maxSliceIndices = 31

type stridedState struct {
	esz int
	blk block

	// options
	beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask uint32
	offset                                                    bool

	// scratch reused by plan
	begin, end, strides []int
	shape, effIn        []int
	start, step, count  []int
	inStride, outStride []int
	shrink              []bool
}

func stridedSlicePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 4, 4)
	if err != nil {
		return err
	}
	b, e, s := c.Input(n, 1), c.Input(n, 2), c.Input(n, 3)
	if b == nil || e == nil || s == nil {
		return n.Errorf("begin, end or strides is missing")
	}
	for _, t := range []*Tensor{b, e, s} {
		if t.Dims() != 1 {
			return n.Errorf("begin, end and strides must be vectors, %s has shape %v", t.Name, t.Shape)
		}
	}
	if b.Shape[0] != e.Shape[0] || b.Shape[0] != s.Shape[0] {
		return n.Errorf("begin, end and strides have lengths %d, %d and %d", b.Shape[0], e.Shape[0], s.Shape[0])
	}
	if b.Shape[0] > maxSliceIndices {
		return n.Errorf("%d indices, at most %d are supported", b.Shape[0], maxSliceIndices)
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	o := n.Opts.(*StridedSliceOptions)
	st := &stridedState{
		esz:          in.Type.Size(),
		beginMask:    uint32(o.BeginMask),
		endMask:      uint32(o.EndMask),
		ellipsisMask: uint32(o.EllipsisMask),
		newAxisMask:  uint32(o.NewAxisMask),
		shrinkMask:   uint32(o.ShrinkAxisMask),
		offset:       o.Offset,
	}
	n.State = st
	if !b.Const || !e.Const || !s.Const {
		c.SetDynamic(out)
		return nil
	}
	if err := st.plan(in, b, e, s); err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, append([]int(nil), st.shape...))
}

func bit(mask uint32, i int) bool { return i < 32 && mask&(1<<uint(i)) != 0 }

// plan computes the effective axes, the output shape (st.shape) and the copy.
func (st *stridedState) plan(in, bT, eT, sT *Tensor) error {
	var err error
	if st.begin, err = tensorInts(bT, "begin", st.begin[:0]); err != nil {
		return err
	}
	if st.end, err = tensorInts(eT, "end", st.end[:0]); err != nil {
		return err
	}
	if st.strides, err = tensorInts(sT, "strides", st.strides[:0]); err != nil {
		return err
	}
	m, r := len(st.begin), in.Dims()
	if len(st.end) != m || len(st.strides) != m {
		return fmt.Errorf("begin, end and strides have %d, %d and %d values", m, len(st.end), len(st.strides))
	}
	added := 0
	for i := 0; i < m; i++ {
		if !bit(st.ellipsisMask, i) && bit(st.newAxisMask, i) {
			added++
		}
	}
	eff := r + added

	// Expand the ellipsis and move new-axis bits to effective positions.
	var effEllipsis, effNewAxis uint64
	ellipsisStart, expanded := eff, 0
	for i := 0; i < eff; {
		if bit(st.ellipsisMask, i) {
			ellipsisStart = i
			endIdx := max(i+1, min(i+1+added+r-m, eff))
			expanded = endIdx - ellipsisStart - 1
			for ; i < endIdx; i++ {
				effEllipsis |= 1 << uint(i)
			}
			continue
		}
		if i-expanded >= 0 && bit(st.newAxisMask, i-expanded) {
			effNewAxis |= 1 << uint(i)
		}
		i++
	}

	st.effIn, st.start, st.step, st.count = resized(st.effIn, eff), resized(st.start, eff), resized(st.step, eff), resized(st.count, eff)
	st.shrink = resized(st.shrink, eff)
	st.shape = st.shape[:0]
	addedEllipsis, addedAxes := 0, 0
	for i := 0; i < eff; i++ {
		var begin, end, stride int
		var bmask, emask, shrink bool
		if effNewAxis&(1<<uint(i)) != 0 {
			st.effIn[i], st.start[i], st.step[i], st.count[i], st.shrink[i] = 1, 0, 1, 1, false
			addedAxes++
			st.shape = append(st.shape, 1)
			continue
		}
		src := i - addedAxes
		if src < 0 || src >= r {
			return fmt.Errorf("slice indexes axis %d of an input of rank %d", src, r)
		}
		size := in.Shape[src]
		switch {
		case effEllipsis&(1<<uint(i)) != 0:
			addedEllipsis = max(0, i-ellipsisStart)
			stride, bmask, emask = 1, true, true
		case i >= m+expanded:
			stride, bmask, emask = 1, true, true
		default:
			o := i - addedEllipsis
			if o < 0 || o >= m {
				return fmt.Errorf("slice index %d is out of range", o)
			}
			begin, end, stride = st.begin[o], st.end[o], st.strides[o]
			bmask, emask, shrink = bit(st.beginMask, o), bit(st.endMask, o), bit(st.shrinkMask, o)
		}
		if stride == 0 || stride == math.MinInt32 {
			return fmt.Errorf("stride %d on axis %d is not supported", stride, i)
		}
		start := sliceStart(begin, size, stride, bmask)
		st.effIn[i], st.start[i], st.step[i], st.shrink[i] = size, start, stride, shrink
		if shrink {
			if start < 0 || start >= size {
				return fmt.Errorf("shrunk axis %d: index %d is out of range for size %d", i, begin, size)
			}
			st.count[i] = 1
			continue
		}
		stop := sliceStop(end, start, size, stride, emask, st.offset)
		var cnt int
		if stride > 0 {
			if stop > start {
				cnt = (stop - start + stride - 1) / stride
			}
		} else if stop < start {
			cnt = (start - stop - stride - 1) / -stride
		}
		st.count[i] = cnt
		st.shape = append(st.shape, cnt)
	}
	if _, err := shapeElems(st.shape, st.esz); err != nil {
		return fmt.Errorf("output: %v", err)
	}

	// Strides of the effective input and of the output (over all effective
	// axes, shrunk ones counting 1).
	st.inStride, st.outStride = resized(st.inStride, eff), resized(st.outStride, eff)
	inSt, outSt := 1, 1
	for i := eff - 1; i >= 0; i-- {
		st.inStride[i], st.outStride[i] = inSt, outSt
		inSt *= st.effIn[i]
		outSt *= st.count[i]
	}
	sOff := 0
	for i := 0; i < eff; i++ {
		sOff += st.start[i] * st.inStride[i]
	}
	st.blk.reset(0, sOff)
	for i := 0; i < eff; i++ {
		if err := st.blk.add(st.count[i], st.outStride[i], st.step[i]*st.inStride[i]); err != nil {
			return err
		}
	}
	return nil
}

// sliceStart clamps a begin index as TFLite's StridedSlice does.
func sliceStart(begin, size, stride int, mask bool) int {
	if mask {
		if stride > 0 {
			return 0
		}
		return size - 1
	}
	if begin < 0 {
		begin += size
	}
	if stride > 0 {
		return min(max(begin, 0), size)
	}
	return min(max(begin, -1), size-1)
}

// sliceStop clamps an end index (relative to start when offset is set).
func sliceStop(end, start, size, stride int, mask, offset bool) int {
	if mask {
		if stride > 0 {
			return size
		}
		return -1
	}
	if offset {
		end += start
	}
	if end < 0 {
		end += size
	}
	if stride > 0 {
		return min(max(end, 0), size)
	}
	return min(max(end, -1), size-1)
}

func stridedSliceEval(c Context, n *Node) error {
	st := n.State.(*stridedState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		if err := st.plan(in, c.Input(n, 1), c.Input(n, 2), c.Input(n, 3)); err != nil {
			return n.Errorf("%v", err)
		}
		if !sameShape(out.Shape, st.shape) || out.Data == nil {
			if err := c.Resize(out, append([]int(nil), st.shape...)); err != nil {
				return n.Errorf("resize output: %v", err)
			}
		}
	}
	if err := st.blk.run(out.Data, in.Data, st.esz); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// SLICE

type sliceState struct {
	esz   int
	blk   block
	shape []int
}

func slicePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 3, 3)
	if err != nil {
		return err
	}
	b, s := c.Input(n, 1), c.Input(n, 2)
	if b == nil || s == nil {
		return n.Errorf("begin or size is missing")
	}
	if b.Dims() != 1 || s.Dims() != 1 || b.Shape[0] != in.Dims() || s.Shape[0] != in.Dims() {
		return n.Errorf("begin %v and size %v must be vectors of the input rank %d", b.Shape, s.Shape, in.Dims())
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	st := &sliceState{esz: in.Type.Size()}
	n.State = st
	if !b.Const || !s.Const {
		c.SetDynamic(out)
		return nil
	}
	if err := st.plan(in, b, s); err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, append([]int(nil), st.shape...))
}

func (st *sliceState) plan(in, bT, sT *Tensor) error {
	var bb, sb [maxRank]int
	begin, err := tensorInts(bT, "begin", bb[:0])
	if err != nil {
		return err
	}
	size, err := tensorInts(sT, "size", sb[:0])
	if err != nil {
		return err
	}
	r := in.Dims()
	if len(begin) != r || len(size) != r {
		return fmt.Errorf("begin and size have %d and %d values for rank %d", len(begin), len(size), r)
	}
	st.shape = resized(st.shape, r)
	for i, d := range in.Shape {
		b, s := begin[i], size[i]
		if b < 0 || b > d {
			return fmt.Errorf("begin %d is out of range for axis %d of size %d", b, i, d)
		}
		if s == -1 {
			s = d - b
		}
		if s < 0 || s > d-b {
			return fmt.Errorf("size %d from begin %d does not fit axis %d of size %d", size[i], b, i, d)
		}
		st.shape[i] = s
	}
	var inSt, outSt [maxRank]int
	stridesOf(in.Shape, inSt[:r])
	stridesOf(st.shape, outSt[:r])
	off := 0
	for i := range begin {
		off += begin[i] * inSt[i]
	}
	st.blk.reset(0, off)
	for i := 0; i < r; i++ {
		if err := st.blk.add(st.shape[i], outSt[i], inSt[i]); err != nil {
			return err
		}
	}
	return nil
}

func sliceEval(c Context, n *Node) error {
	st := n.State.(*sliceState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		if err := st.plan(in, c.Input(n, 1), c.Input(n, 2)); err != nil {
			return n.Errorf("%v", err)
		}
		if !sameShape(out.Shape, st.shape) || out.Data == nil {
			if err := c.Resize(out, append([]int(nil), st.shape...)); err != nil {
				return n.Errorf("resize output: %v", err)
			}
		}
	}
	if err := st.blk.run(out.Data, in.Data, st.esz); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}
