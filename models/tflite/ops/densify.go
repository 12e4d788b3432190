package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// DENSIFY and the sparse constant tensors it reads.
//
// A sparse tensor (TFLite's SparsityParameters) stores only some values of
// a constant of dense shape D (rank n), optionally cut into blocks along k
// of its dimensions (block_map). Its values are listed in the order of a
// walk over n+k levels: level l walks dimension traversal_order[l] (a block
// dimension when >= n). A DENSE level visits every index 0..dense_size-1 of
// its dimension; a SPARSE_CSR level visits, for each position p reached at
// the level above, indices[segments[p]:segments[p+1]] (CSR row pointers and
// column indices). Each leaf of the walk is one stored value; its dense
// position puts the block coordinates back inside the blocked ones:
// x[block_map[b]] = x[block_map[b]] * block_size[b] + y[b].
//
//	traversal_order [0 1]   dim 0 DENSE size 2      dense [[1 0 0]
//	values [1 2 3]          dim 1 CSR seg [0 1 3]          [0 2 3]]
//	                              idx [0 1 2]

// Sparsity is the sparsity of a constant tensor, decoded by the loader and
// checked with CheckSparsity before the tensor's data is accepted.
type Sparsity struct {
	TraversalOrder []int
	BlockMap       []int
	Dims           []SparseDim // one per level, in traversal order
}

// SparseDim is the metadata of one level of a sparse tensor.
type SparseDim struct {
	CSR       bool // SPARSE_CSR; false is DENSE
	DenseSize int  // DENSE: the level's size
	Segments  []int32
	Indices   []int32
}

// CheckSparsity validates sp against the dense shape and returns the
// number of values the tensor stores. Level sizes must match the dense (or
// block) dimension they walk and every index must lie inside it, so DENSIFY
// never writes outside its output. Sizes are checked before anything is
// counted: the dense shape must hold within limit elements.
func CheckSparsity(sp *Sparsity, shape []int, limit int64) (int64, error) {
	n, k := len(shape), len(sp.BlockMap)
	if n > maxRank {
		return 0, fmt.Errorf("sparse tensor of rank %d, at most %d supported", n, maxRank)
	}
	if k > n {
		return 0, fmt.Errorf("block_map has %d entries for a tensor of rank %d", k, n)
	}
	if len(sp.TraversalOrder) != n+k {
		return 0, fmt.Errorf("traversal_order has %d entries, want rank %d + %d block dimensions", len(sp.TraversalOrder), n, k)
	}
	if len(sp.Dims) != n+k {
		return 0, fmt.Errorf("dim_metadata has %d entries, want %d", len(sp.Dims), n+k)
	}
	var seen [2 * maxRank]bool
	for l, d := range sp.TraversalOrder {
		lo, hi := 0, n
		if l >= n {
			lo, hi = n, n+k
		}
		if d < lo || d >= hi || seen[d] {
			return 0, fmt.Errorf("traversal_order %v is not a permutation of the %d dimensions followed by the %d block dimensions", sp.TraversalOrder, n, k)
		}
		seen[d] = true
	}
	for b, d := range sp.BlockMap {
		if d < 0 || d >= n || (b > 0 && d <= sp.BlockMap[b-1]) {
			return 0, fmt.Errorf("block_map %v must list increasing dimensions below %d", sp.BlockMap, n)
		}
	}
	var sizes [2 * maxRank]int
	if err := sparseLevelSizes(sp, shape, sizes[:n+k]); err != nil {
		return 0, err
	}
	// dense bounds the positions of every level: the product of the
	// non-zero dimensions.
	dense := int64(1)
	for _, d := range shape {
		if d == 0 {
			continue
		}
		if int64(d) > limit/dense {
			return 0, fmt.Errorf("dense shape %v has more than the limit of %d elements", shape, limit)
		}
		dense *= int64(d)
	}
	// count is how many positions the walk reaches at the current level.
	count := int64(1)
	for l, dm := range sp.Dims {
		if !dm.CSR {
			if dm.DenseSize != sizes[l] {
				return 0, fmt.Errorf("dim_metadata[%d]: dense_size %d, but the dimension it walks has size %d", l, dm.DenseSize, sizes[l])
			}
			if count *= int64(sizes[l]); count > dense {
				return 0, fmt.Errorf("dim_metadata[%d]: %d positions exceed the %d elements of the dense shape", l, count, dense)
			}
			continue
		}
		if int64(len(dm.Segments)) != count+1 {
			return 0, fmt.Errorf("dim_metadata[%d]: array_segments has %d entries, want %d (one more than the positions above)", l, len(dm.Segments), count+1)
		}
		if dm.Segments[0] != 0 {
			return 0, fmt.Errorf("dim_metadata[%d]: array_segments starts at %d, want 0", l, dm.Segments[0])
		}
		for i := 1; i < len(dm.Segments); i++ {
			if dm.Segments[i] < dm.Segments[i-1] {
				return 0, fmt.Errorf("dim_metadata[%d]: array_segments decreases at %d (%d after %d)", l, i, dm.Segments[i], dm.Segments[i-1])
			}
		}
		if last := dm.Segments[len(dm.Segments)-1]; int64(last) != int64(len(dm.Indices)) {
			return 0, fmt.Errorf("dim_metadata[%d]: array_segments ends at %d but array_indices has %d entries", l, last, len(dm.Indices))
		}
		for i, x := range dm.Indices {
			if x < 0 || int(x) >= sizes[l] {
				return 0, fmt.Errorf("dim_metadata[%d]: array_indices[%d] is %d, outside the dimension of size %d", l, i, x, sizes[l])
			}
		}
		count = int64(len(dm.Indices))
	}
	return count, nil
}

// sparseLevelSizes fills sizes with the size of the dimension each level
// walks: the blocked size of a tensor dimension, or a block's size. Block
// b's size is the dense_size of level traversal_order[n+b], which is how
// TFLite reads it (the same level as block b's own when blocks are walked
// in order).
func sparseLevelSizes(sp *Sparsity, shape []int, sizes []int) error {
	n := len(shape)
	var blocked [maxRank]int
	copy(blocked[:], shape)
	for b, d := range sp.BlockMap {
		bl := sp.Dims[sp.TraversalOrder[n+b]]
		if bl.CSR || bl.DenseSize <= 0 || shape[d]%bl.DenseSize != 0 {
			return fmt.Errorf("block %d of dimension %d: its size %d must come from a dense level and divide %d", b, d, bl.DenseSize, shape[d])
		}
		blocked[d] = shape[d] / bl.DenseSize
	}
	for l, d := range sp.TraversalOrder {
		if d < n {
			sizes[l] = blocked[d]
		} else {
			sizes[l] = sp.Dims[sp.TraversalOrder[d]].DenseSize
		}
	}
	return nil
}

func addDensify(r *Resolver) {
	r.Builtin[OpDensify] = &Kernel{MaxVersion: 1, Prepare: densifyPrepare, Eval: densifyEval}
}

// densifyState holds the dense element offset of every stored value, found
// once at Prepare by walking the sparsity metadata.
type densifyState struct {
	offsets []int
	esz     int
}

func densifyPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	switch in.Type {
	case models.Float32, models.Float16, models.Int8:
	default:
		return n.Errorf("input %q: type %s is not supported, want float32, float16 or int8", in.Name, in.Type)
	}
	if !in.Const || in.Sparsity == nil {
		return n.Errorf("input %q must be a sparse constant tensor", in.Name)
	}
	esz := in.Type.Size()
	if _, err := shapeElems(in.Shape, esz); err != nil {
		return n.Errorf("output: %v", err)
	}
	values, err := CheckSparsity(in.Sparsity, in.Shape, maxTensorBytes)
	if err != nil {
		return n.Errorf("input %q: sparsity: %v", in.Name, err)
	}
	if values*int64(esz) != int64(len(in.Data)) {
		return n.Errorf("input %q: %d bytes of data, its sparsity lists %d %s values", in.Name, len(in.Data), values, in.Type)
	}
	st, _ := n.State.(*densifyState)
	if st == nil {
		st = &densifyState{}
	}
	st.esz = esz
	if st.offsets, err = allocSlice[int](c, int(values)); err != nil {
		return n.Errorf("value offsets: %v", err)
	}
	w := sparseWalk{sp: in.Sparsity, shape: in.Shape, out: st.offsets}
	if err := sparseLevelSizes(in.Sparsity, in.Shape, w.sizes[:len(in.Sparsity.Dims)]); err != nil {
		return n.Errorf("input %q: sparsity: %v", in.Name, err)
	}
	w.walk(0, 0)
	n.State = st
	out.Type = in.Type
	return c.Resize(out, in.Shape)
}

// sparseWalk visits the levels of a checked sparse tensor depth first, as
// its values are stored, and appends each leaf's dense offset to out.
type sparseWalk struct {
	sp    *Sparsity
	shape []int
	sizes [2 * maxRank]int
	idx   [2 * maxRank]int // the index chosen at each level
	out   []int
	next  int
}

func (w *sparseWalk) walk(level, prev int) {
	if level == len(w.sp.Dims) {
		w.out[w.next] = w.offset()
		w.next++
		return
	}
	dm := &w.sp.Dims[level]
	if !dm.CSR {
		for i := 0; i < w.sizes[level]; i++ {
			w.idx[level] = i
			w.walk(level+1, prev*w.sizes[level]+i)
		}
		return
	}
	for p := int(dm.Segments[prev]); p < int(dm.Segments[prev+1]); p++ {
		w.idx[level] = int(dm.Indices[p])
		w.walk(level+1, p)
	}
}

// offset is the row-major dense offset of the current leaf.
func (w *sparseWalk) offset() int {
	n := len(w.shape)
	var x [maxRank]int
	for l := 0; l < n; l++ {
		x[w.sp.TraversalOrder[l]] = w.idx[l]
	}
	for l := n; l < len(w.sp.Dims); l++ {
		b := w.sp.TraversalOrder[l] - n
		d := w.sp.BlockMap[b]
		bs := w.sp.Dims[w.sp.TraversalOrder[n+b]].DenseSize // as in sparseLevelSizes
		x[d] = x[d]*bs + w.idx[l]
	}
	off := 0
	for d := 0; d < n; d++ {
		off = off*w.shape[d] + x[d]
	}
	return off
}

func densifyEval(c Context, n *Node) error {
	st, ok := n.State.(*densifyState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if len(in.Data) < len(st.offsets)*st.esz || len(out.Data) < out.NumElements()*st.esz {
		return n.Errorf("tensor data too small for input %q and output %v", in.Name, out.Shape)
	}
	clear(out.Data)
	switch st.esz {
	case 1:
		for i, off := range st.offsets {
			out.Data[off] = in.Data[i]
		}
	case 2:
		src, dst := view[uint16](in.Data), view[uint16](out.Data)
		for i, off := range st.offsets {
			dst[off] = src[i]
		}
	default:
		src, dst := view[uint32](in.Data), view[uint32](out.Data)
		for i, off := range st.offsets {
			dst[off] = src[i]
		}
	}
	return nil
}
