package ops

import (
	"context"

	"github.com/axle-edge/axle/models"
)

// STABLEHLO_SCATTER: StableHLO's scatter with one operand. The result starts
// as a copy of the operand; every element u of updates is combined into it
// by the update computation (a subgraph of two scalars to one):
//
//	result[start(s) + expand(w)] = body(result[...], updates[s..., w...])
//
// where s are the update dimensions not in update_window_dims, whose index
// vector in scatter_indices (along index_vector_dim) fills the operand
// dimensions scatter_dims_to_operand_dims names, and w the window
// dimensions, expanded with inserted_window_dims. Unlike gather, starts are
// not clamped: an update that lands outside the operand is skipped.
//
// Options (StablehloScatterOptions in builtin_options_2): indices_are_sorted
// 0, update_window_dims 1, inserted_window_dims 2,
// scatter_dims_to_operand_dims 3, index_vector_dim 4, unique_indices 5,
// update_computation_subgraph_index 6. The body runs once per update
// element, in row-major order of updates, so overlapping updates combine
// in that order.

func addStablehloScatter(r *Resolver) {
	r.Builtin[OpStablehloScatter] = &Kernel{MaxVersion: 1, Prepare: shloScatterPrepare, Eval: shloScatterEval}
}

type shloScatterState struct {
	body      Subgraph
	updShape  []int
	isWindow  []bool // per updates dimension
	winDim    []int  // per updates window dimension: the operand dimension
	batchDim  []int  // per updates scatter dimension: the scatter_indices dimension
	startMap  []int
	opShape   []int
	opStride  []int
	idxStride []int
	ivdStride int
	coord     []int
	full      []int
	active    bool
}

func shloScatterPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("takes 3 inputs (operand, scatter_indices, updates) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	op, idx, upd, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if op == nil || idx == nil || upd == nil || out == nil {
		return n.Errorf("operand, scatter_indices, updates and output tensors are required")
	}
	if op.Type.Size() == 0 || op.Type == models.Int4 || upd.Type != op.Type {
		return n.Errorf("operand %q (%s) and updates %q (%s) must share one fixed-size type", op.Name, op.Type, upd.Name, upd.Type)
	}
	if idx.Type != models.Int32 && idx.Type != models.Int64 {
		return n.Errorf("scatter_indices %q: type %s is not supported, want int32 or int64", idx.Name, idx.Type)
	}
	for _, t := range []*Tensor{op, idx, upd} {
		if t.Dims() > maxRank {
			return n.Errorf("tensor %q has rank %d, above %d", t.Name, t.Dims(), maxRank)
		}
		if _, err := shapeElems(t.Shape, t.Type.Size()); err != nil {
			return n.Errorf("tensor %q: %v", t.Name, err)
		}
	}
	r, ir, ur := op.Dims(), idx.Dims(), upd.Dims()
	if err := c.Reserve(4 * (2*maxRank + 1) * 8); err != nil {
		return n.Errorf("%v", err)
	}
	o := n.Opts.(*StablehloScatterOptions)
	read := func(v []int64, what string) ([]int, error) {
		return stablehloInts(n, v, what, maxRank, ", not a dimension")
	}
	window, err := read(o.UpdateWindowDims, "update_window_dims")
	if err != nil {
		return err
	}
	inserted, err := read(o.InsertedWindowDims, "inserted_window_dims")
	if err != nil {
		return err
	}
	startMap, err := read(o.ScatterDimsToOperandDims, "scatter_dims_to_operand_dims")
	if err != nil {
		return err
	}
	ivd64 := o.IndexVectorDim
	if ivd64 < 0 || ivd64 > int64(ir) {
		return n.Errorf("index_vector_dim %d is outside 0..%d", ivd64, ir)
	}
	ivd := int(ivd64)
	if len(window)+len(inserted) != r {
		return n.Errorf("update_window_dims (%d) and inserted_window_dims (%d) must together cover the operand's rank %d", len(window), len(inserted), r)
	}
	var isInserted [maxRank]bool
	for i, d := range inserted {
		if d >= r || (i > 0 && d <= inserted[i-1]) {
			return n.Errorf("inserted_window_dims %v must be increasing operand dimensions", inserted)
		}
		isInserted[d] = true
	}
	vecLen := 1
	if ivd < ir {
		vecLen = idx.Shape[ivd]
	}
	if len(startMap) != vecLen {
		return n.Errorf("scatter_dims_to_operand_dims has %d entries, the index vectors %d", len(startMap), vecLen)
	}
	var seen [maxRank]bool
	for _, d := range startMap {
		if d >= r || seen[d] {
			return n.Errorf("scatter_dims_to_operand_dims %v must name distinct operand dimensions", startMap)
		}
		seen[d] = true
	}
	batchRank := ir
	if ivd < ir {
		batchRank--
	}
	if ur != batchRank+len(window) {
		return n.Errorf("updates %q has rank %d, want %d scatter plus %d window dimensions", upd.Name, ur, batchRank, len(window))
	}
	st, _ := n.State.(*shloScatterState)
	if st == nil {
		st = &shloScatterState{}
	}
	if err := allocAll(c, slot(&st.updShape, ur), slot(&st.isWindow, ur), slot(&st.winDim, ur), slot(&st.batchDim, ur),
		slot(&st.startMap, vecLen), slot(&st.opShape, r), slot(&st.opStride, r), slot(&st.idxStride, ir+1),
		slot(&st.coord, ur), slot(&st.full, r)); err != nil {
		return n.Errorf("%v", err)
	}
	for i, d := range window {
		if d >= ur || (i > 0 && d <= window[i-1]) {
			return n.Errorf("update_window_dims %v must be increasing updates dimensions below %d", window, ur)
		}
		st.isWindow[d] = true
	}
	opd, bd := 0, 0
	for u := 0; u < ur; u++ {
		st.updShape[u] = upd.Shape[u]
		if st.isWindow[u] {
			for isInserted[opd] {
				opd++
			}
			if upd.Shape[u] > op.Shape[opd] {
				return n.Errorf("updates dimension %d (%d) is larger than operand dimension %d (%d)", u, upd.Shape[u], opd, op.Shape[opd])
			}
			st.winDim[u] = opd
			opd++
			continue
		}
		if bd == ivd {
			bd++
		}
		if upd.Shape[u] != idx.Shape[bd] {
			return n.Errorf("updates dimension %d (%d) does not match scatter_indices dimension %d (%d)", u, upd.Shape[u], bd, idx.Shape[bd])
		}
		st.batchDim[u] = bd
		bd++
	}
	copy(st.startMap, startMap)
	copy(st.opShape, op.Shape)
	s := 1
	for d := r - 1; d >= 0; d-- {
		st.opStride[d] = s
		s *= op.Shape[d]
	}
	s = 1
	for d := ir - 1; d >= 0; d-- {
		st.idxStride[d] = s
		s *= idx.Shape[d]
	}
	st.ivdStride = 0
	if ivd < ir {
		st.ivdStride = st.idxStride[ivd]
	}
	body, err := bodySubgraph(c, n, o.UpdateComputationSubgraphIndex, "update computation")
	if err != nil {
		return err
	}
	bin, bout := body.Inputs(), body.Outputs()
	if len(bin) != 2 || len(bout) != 1 {
		return n.Errorf("update computation subgraph %d has %d inputs and %d outputs, want 2 and 1", body.Index(), len(bin), len(bout))
	}
	for _, t := range []*Tensor{bin[0], bin[1], bout[0]} {
		if t.Type != op.Type || t.NumElements() != 1 {
			return n.Errorf("update computation subgraph %d: tensor %q is %s%v, want a %s scalar", body.Index(), t.Name, t.Type, t.Shape, op.Type)
		}
	}
	st.body = body
	n.State = st
	out.Type = op.Type
	return c.Resize(out, op.Shape)
}

func shloScatterEval(c Context, n *Node) error {
	st, ok := n.State.(*shloScatterState)
	if !ok {
		return n.Errorf("not prepared")
	}
	if st.active {
		return n.Errorf("called recursively through its own subgraphs")
	}
	st.active = true
	defer func() { st.active = false }()
	op, idx, upd, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if err := ewHaveData(n, op, idx, upd, out); err != nil {
		return err
	}
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	esz := op.Type.Size()
	copy(out.Data, op.Data[:op.NumElements()*esz])
	total := upd.NumElements()
	if total == 0 {
		return nil
	}
	bin, bout := st.body.Inputs(), st.body.Outputs()
	if len(bin[0].Data) < esz || len(bin[1].Data) < esz || len(bout[0].Data) < esz {
		return n.Errorf("update computation subgraph %d has no data for its scalars", st.body.Index())
	}
	clear(st.coord)
	i32, i64 := idx.I32(), view[int64](idx.Data)
	for i := 0; i < total; i++ {
		base := 0
		for u, b := range st.batchDim {
			if !st.isWindow[u] {
				base += st.coord[u] * st.idxStride[b]
			}
		}
		clear(st.full)
		for k, d := range st.startMap {
			p := base + k*st.ivdStride
			if idx.Type == models.Int32 {
				st.full[d] = int(i32[p])
			} else {
				// Beyond any dimension either way, and safe for a 32-bit int.
				st.full[d] = int(max(min(i64[p], 1<<30), -1<<30))
			}
		}
		for u, d := range st.winDim {
			if st.isWindow[u] {
				st.full[d] += st.coord[u]
			}
		}
		dst, inside := 0, true
		for d, x := range st.full {
			if x < 0 || x >= st.opShape[d] {
				inside = false
				break
			}
			dst += x * st.opStride[d]
		}
		if inside {
			cur := out.Data[dst*esz : (dst+1)*esz]
			copy(bin[0].Data[:esz], cur)
			copy(bin[1].Data[:esz], upd.Data[i*esz:(i+1)*esz])
			if err := st.body.Invoke(ctx); err != nil {
				return flowErr(n, err, "update computation subgraph %d", st.body.Index())
			}
			copy(cur, bout[0].Data[:esz])
		}
		for d := len(st.coord) - 1; d >= 0; d-- {
			if st.coord[d]++; st.coord[d] < st.updShape[d] {
				break
			}
			st.coord[d] = 0
		}
	}
	return nil
}
