package tflite

import (
	"encoding/binary"
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// loadSparsity decodes a tensor's SparsityParameters. Every vector is
// charged to the budget before it is copied; CheckSparsity then validates
// the metadata against the dense shape and yields the number of stored
// values, which the loader compares with the tensor's buffer.
func loadSparsity(t flatbuf.Table, dt models.DType, shape []int, b *budget) (*ops.Sparsity, int64, error) {
	if dt.Size() == 0 || dt == models.Int4 {
		return nil, 0, fmt.Errorf("%s tensors cannot be sparse", dt)
	}
	st, err := t.Table(flatbuf.TensorSparsity)
	if err != nil {
		return nil, 0, err
	}
	sp := &ops.Sparsity{}
	if sp.TraversalOrder, err = sparseInts(st, flatbuf.SparsityTraversalOrder, b, "traversal_order"); err != nil {
		return nil, 0, err
	}
	if sp.BlockMap, err = sparseInts(st, flatbuf.SparsityBlockMap, b, "block_map"); err != nil {
		return nil, 0, err
	}
	dims, err := st.Vector(flatbuf.SparsityDimMetadata, 4)
	if err != nil {
		return nil, 0, fmt.Errorf("dim_metadata: %w", err)
	}
	if dims.Len() != len(sp.TraversalOrder) {
		return nil, 0, fmt.Errorf("dim_metadata has %d entries, traversal_order %d", dims.Len(), len(sp.TraversalOrder))
	}
	if err := b.charge(int64(dims.Len())*64, "sparsity metadata"); err != nil {
		return nil, 0, err
	}
	sp.Dims = make([]ops.SparseDim, dims.Len())
	for i := range sp.Dims {
		dt, err := dims.Table(i)
		if err != nil {
			return nil, 0, fmt.Errorf("dim_metadata[%d]: %w", i, err)
		}
		d := &sp.Dims[i]
		switch f := dt.Int8(flatbuf.DimFormat, 0); f {
		case flatbuf.DimDense:
			d.DenseSize = int(dt.Int32(flatbuf.DimDenseSize, 0))
		case flatbuf.DimSparseCSR:
			d.CSR = true
			if d.Segments, err = sparseIndexVector(dt, flatbuf.DimArraySegmentsType, flatbuf.DimArraySegments, b); err != nil {
				return nil, 0, fmt.Errorf("dim_metadata[%d]: array_segments: %w", i, err)
			}
			if d.Indices, err = sparseIndexVector(dt, flatbuf.DimArrayIndicesType, flatbuf.DimArrayIndices, b); err != nil {
				return nil, 0, fmt.Errorf("dim_metadata[%d]: array_indices: %w", i, err)
			}
		default:
			return nil, 0, fmt.Errorf("dim_metadata[%d]: format %d is neither DENSE (0) nor SPARSE_CSR (1)", i, f)
		}
	}
	values, err := ops.CheckSparsity(sp, shape, b.limit)
	if err != nil {
		return nil, 0, err
	}
	return sp, values, nil
}

// sparseInts reads an int vector of SparsityParameters.
func sparseInts(t flatbuf.Table, slot int, b *budget, what string) ([]int, error) {
	v, err := t.Vector(slot, 4)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if v.Len() > 2*maxTensorRank {
		return nil, fmt.Errorf("%s has %d entries, more than %d", what, v.Len(), 2*maxTensorRank)
	}
	if err := b.charge(int64(v.Len())*costIndex, "sparsity "+what); err != nil {
		return nil, err
	}
	out := make([]int, v.Len())
	for i := range out {
		out[i] = int(v.Int32(i))
	}
	return out, nil
}

// sparseIndexVector reads a SparseIndexVector union into int32s.
func sparseIndexVector(t flatbuf.Table, typeSlot, slot int, b *budget) ([]int32, error) {
	typ := t.Uint8(typeSlot, 0)
	elem := 0
	switch typ {
	case flatbuf.IndexInt32:
		elem = 4
	case flatbuf.IndexUint16:
		elem = 2
	case flatbuf.IndexUint8:
		elem = 1
	default:
		return nil, fmt.Errorf("index vector type %d is not Int32Vector (1), Uint16Vector (2) or Uint8Vector (3)", typ)
	}
	vt, err := t.Table(slot)
	if err != nil {
		return nil, err
	}
	if !vt.Present() {
		return nil, fmt.Errorf("missing")
	}
	v, err := vt.Vector(flatbuf.IndexVectorValues, elem)
	if err != nil {
		return nil, err
	}
	if err := b.charge(int64(v.Len())*4, "sparse index vectors"); err != nil {
		return nil, err
	}
	raw := v.Bytes()
	out := make([]int32, v.Len())
	for i := range out {
		switch elem {
		case 4:
			out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
		case 2:
			out[i] = int32(binary.LittleEndian.Uint16(raw[2*i:]))
		default:
			out[i] = int32(raw[i])
		}
	}
	return out, nil
}

// checkSparseUses refuses a sparse tensor anywhere but as DENSIFY's input:
// other kernels and the model's callers read a tensor's data as dense.
func (s *subgraph) checkSparseUses() error {
	for j := range s.nodes {
		n := &s.nodes[j]
		if n.Op == ops.OpDensify {
			continue
		}
		for _, x := range n.Inputs {
			if x >= 0 && s.tensors[x].Sparsity != nil {
				return fmt.Errorf("node %d: %s input tensor %d (%q) is sparse; only DENSIFY reads sparse tensors", j, n.Op, x, s.tensors[x].Name)
			}
		}
	}
	for _, x := range append(s.inputs[:len(s.inputs):len(s.inputs)], s.outputs...) {
		if x >= 0 && s.tensors[x].Sparsity != nil {
			return fmt.Errorf("subgraph %d: tensor %d (%q) is sparse and cannot be an input or output", s.index, x, s.tensors[x].Name)
		}
	}
	return nil
}
