package ops

import (
	"github.com/axle-edge/axle/models"
)

// STABLEHLO_GATHER: StableHLO's gather. Each batch position of
// start_indices (every index but index_vector_dim) selects a start in the
// operand: its index vector fills the operand dimensions start_index_map
// names, clamped so the slice_sizes window stays inside. The window is
// copied to the output dimensions offset_dims, with collapsed_slice_dims
// (window size 1) dropped; the other output dimensions walk the batch:
//
//	out[b..., o...] = operand[clamp(start(b)) + expand(o)]
//
// Options (StablehloGatherOptions in builtin_options_2): offset_dims 0,
// collapsed_slice_dims 1, start_index_map 2, index_vector_dim 3,
// slice_sizes 4, indices_are_sorted 5 (a hint). Any fixed-size operand
// type moves as bytes; indices are int32 or int64.

func addStablehloGather(r *Resolver) {
	r.Builtin[OpStablehloGather] = &Kernel{MaxVersion: 1, Prepare: shloGatherPrepare, Eval: shloGatherEval}
}

type shloGatherState struct {
	outShape  []int
	isOffset  []bool // per output dimension: an offset (window) dimension
	offsetDim []int  // per output offset dimension: the operand dimension it walks
	batchDim  []int  // per output batch dimension: the start_indices dimension
	startMap  []int  // per index-vector entry: the operand dimension it starts
	maxStart  []int  // per operand dimension: operand size - slice size
	opStride  []int
	idxStride []int
	ivd       int // index_vector_dim; == rank(indices) when implicit
	ivdStride int
	coord     []int
	start     []int
}

func shloGatherPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs (operand, start_indices) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	op, idx, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if op == nil || idx == nil || out == nil {
		return n.Errorf("operand, start_indices and output tensors are required")
	}
	if op.Type.Size() == 0 || op.Type == models.Int4 {
		return n.Errorf("operand %q: type %s is not supported", op.Name, op.Type)
	}
	if idx.Type != models.Int32 && idx.Type != models.Int64 {
		return n.Errorf("start_indices %q: type %s is not supported, want int32 or int64", idx.Name, idx.Type)
	}
	if _, err := shapeElems(op.Shape, op.Type.Size()); err != nil {
		return n.Errorf("operand %q: %v", op.Name, err)
	}
	if _, err := shapeElems(idx.Shape, idx.Type.Size()); err != nil {
		return n.Errorf("start_indices %q: %v", idx.Name, err)
	}
	r, ir := op.Dims(), idx.Dims()
	if r > maxRank || ir > maxRank {
		return n.Errorf("operand rank %d or start_indices rank %d is above %d", r, ir, maxRank)
	}
	if err := c.Reserve(5 * (maxRank + 1) * 8); err != nil {
		return n.Errorf("%v", err)
	}
	o := n.Opts.(*StablehloGatherOptions)
	read := func(v []int64, what string) ([]int, error) { return stablehloInts(n, v, what, 1<<31, "") }
	offsetDims, err := read(o.OffsetDims, "offset_dims")
	if err != nil {
		return err
	}
	collapsed, err := read(o.CollapsedSliceDims, "collapsed_slice_dims")
	if err != nil {
		return err
	}
	startMap, err := read(o.StartIndexMap, "start_index_map")
	if err != nil {
		return err
	}
	sizes, err := read(o.SliceSizes, "slice_sizes")
	if err != nil {
		return err
	}
	ivd64 := o.IndexVectorDim
	if ivd64 < 0 || ivd64 > int64(ir) {
		return n.Errorf("index_vector_dim %d is outside 0..%d", ivd64, ir)
	}
	ivd := int(ivd64)
	if len(sizes) != r {
		return n.Errorf("slice_sizes has %d entries for a rank-%d operand", len(sizes), r)
	}
	for d, s := range sizes {
		if s > op.Shape[d] {
			return n.Errorf("slice_sizes[%d] is %d, larger than operand dimension %d", d, s, op.Shape[d])
		}
	}
	var isCollapsed [maxRank]bool
	for i, d := range collapsed {
		if d >= r || (i > 0 && d <= collapsed[i-1]) {
			return n.Errorf("collapsed_slice_dims %v must be increasing operand dimensions", collapsed)
		}
		if sizes[d] != 1 {
			return n.Errorf("collapsed_slice_dims: dimension %d has slice size %d, want 1", d, sizes[d])
		}
		isCollapsed[d] = true
	}
	vecLen := 1
	if ivd < ir {
		vecLen = idx.Shape[ivd]
	}
	if len(startMap) != vecLen {
		return n.Errorf("start_index_map has %d entries, the index vectors %d", len(startMap), vecLen)
	}
	var seen [maxRank]bool
	for _, d := range startMap {
		if d >= r || seen[d] {
			return n.Errorf("start_index_map %v must name distinct operand dimensions", startMap)
		}
		seen[d] = true
	}
	batchRank := ir
	if ivd < ir {
		batchRank--
	}
	outRank := batchRank + len(offsetDims)
	if len(offsetDims) != r-len(collapsed) {
		return n.Errorf("offset_dims has %d entries, want %d (operand rank less collapsed_slice_dims)", len(offsetDims), r-len(collapsed))
	}
	if outRank > maxRank {
		return n.Errorf("output rank %d is above %d", outRank, maxRank)
	}
	st, _ := n.State.(*shloGatherState)
	if st == nil {
		st = &shloGatherState{}
	}
	if err := allocAll(c, slot(&st.outShape, outRank), slot(&st.isOffset, outRank), slot(&st.offsetDim, outRank),
		slot(&st.batchDim, outRank), slot(&st.startMap, vecLen), slot(&st.maxStart, r), slot(&st.opStride, r),
		slot(&st.idxStride, ir+1), slot(&st.coord, outRank), slot(&st.start, r)); err != nil {
		return n.Errorf("%v", err)
	}
	for i, d := range offsetDims {
		if d >= outRank || (i > 0 && d <= offsetDims[i-1]) {
			return n.Errorf("offset_dims %v must be increasing output dimensions below %d", offsetDims, outRank)
		}
		st.isOffset[d] = true
	}
	opd, bd := 0, 0
	for o := 0; o < outRank; o++ {
		if st.isOffset[o] {
			for isCollapsed[opd] {
				opd++
			}
			st.offsetDim[o], st.outShape[o] = opd, sizes[opd]
			opd++
			continue
		}
		if bd == ivd {
			bd++
		}
		st.batchDim[o], st.outShape[o] = bd, idx.Shape[bd]
		bd++
	}
	copy(st.startMap, startMap)
	s := 1
	for d := r - 1; d >= 0; d-- {
		st.opStride[d], st.maxStart[d] = s, op.Shape[d]-sizes[d]
		s *= op.Shape[d]
	}
	s = 1
	for d := ir - 1; d >= 0; d-- {
		st.idxStride[d] = s
		s *= idx.Shape[d]
	}
	st.ivd, st.ivdStride = ivd, 0
	if ivd < ir {
		st.ivdStride = st.idxStride[ivd]
	}
	if _, err := shapeElems(st.outShape, op.Type.Size()); err != nil {
		return n.Errorf("output: %v", err)
	}
	n.State = st
	out.Type = op.Type
	return c.Resize(out, st.outShape)
}

func shloGatherEval(c Context, n *Node) error {
	st, ok := n.State.(*shloGatherState)
	if !ok {
		return n.Errorf("not prepared")
	}
	op, idx, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, op, idx, out); err != nil {
		return err
	}
	esz := op.Type.Size()
	total := out.NumElements()
	clear(st.coord)
	i32, i64 := idx.I32(), view[int64](idx.Data)
	for i := 0; i < total; i++ {
		// Start of this batch position's window, then the window offset.
		base := 0
		for o, b := range st.batchDim {
			if !st.isOffset[o] {
				base += st.coord[o] * st.idxStride[b]
			}
		}
		clear(st.start)
		for k, d := range st.startMap {
			var v int64
			if p := base + k*st.ivdStride; idx.Type == models.Int32 {
				v = int64(i32[p])
			} else {
				v = i64[p]
			}
			st.start[d] = int(min(max(v, 0), int64(st.maxStart[d])))
		}
		src := 0
		for d, s := range st.start {
			src += s * st.opStride[d]
		}
		for o, d := range st.offsetDim {
			if st.isOffset[o] {
				src += st.coord[o] * st.opStride[d]
			}
		}
		copy(out.Data[i*esz:(i+1)*esz], op.Data[src*esz:(src+1)*esz])
		for d := len(st.coord) - 1; d >= 0; d-- {
			if st.coord[d]++; st.coord[d] < st.outShape[d] {
				break
			}
			st.coord[d] = 0
		}
	}
	return nil
}

// stablehloInts checks an int64 options vector: at most 2*maxRank entries
// in [0, below); detail ends the message for a bad entry.
func stablehloInts(n *Node, v []int64, what string, below int64, detail string) ([]int, error) {
	if len(v) > 2*maxRank {
		return nil, n.Errorf("%s has %d entries", what, len(v))
	}
	out := make([]int, len(v))
	for i := range out {
		x := v[i]
		if x < 0 || x >= below {
			return nil, n.Errorf("%s[%d] is %d%s", what, i, x, detail)
		}
		out[i] = int(x)
	}
	return out, nil
}
