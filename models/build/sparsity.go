package build

import (
	"encoding/binary"
	"fmt"

	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// Sparsity is the SparsityParameters of a sparse constant (the input of
// DENSIFY); the constant's data then holds only the stored values.
type Sparsity struct {
	TraversalOrder []int32
	BlockMap       []int32
	Dims           []SparseDim
}

// SparseDim is one level's DimensionMetadata. A DENSE level (CSR false)
// has DenseSize; a SPARSE_CSR level has Segments and Indices, written as
// IndexWidth-byte vectors (4: Int32Vector, 2: Uint16Vector, 1:
// Uint8Vector; 0 means 4).
type SparseDim struct {
	CSR               bool
	DenseSize         int32
	Segments, Indices []int32
	IndexWidth        int
}

// SetSparsity marks tensor t as sparse with sp.
func (s *Subgraph) SetSparsity(t int, sp Sparsity) {
	if t < 0 || t >= len(s.tensors) {
		s.b.fail(fmt.Errorf("build: sparsity for tensor %d: no such tensor", t))
		return
	}
	st := &fbTable{}
	st.ref(flatbuf.SparsityTraversalOrder, int32Vector(sp.TraversalOrder))
	st.ref(flatbuf.SparsityBlockMap, int32Vector(sp.BlockMap))
	dims := make(fbRefs, len(sp.Dims))
	for i, d := range sp.Dims {
		dt := &fbTable{}
		if !d.CSR {
			dt.u8(flatbuf.DimFormat, flatbuf.DimDense)
			dt.i32(flatbuf.DimDenseSize, d.DenseSize)
			dims[i] = dt
			continue
		}
		dt.u8(flatbuf.DimFormat, flatbuf.DimSparseCSR)
		for j, v := range [][]int32{d.Segments, d.Indices} {
			typ, vec, err := sparseIndexVector(v, d.IndexWidth)
			if err != nil {
				s.b.fail(fmt.Errorf("build: sparsity for tensor %d: dim %d: %w", t, i, err))
				return
			}
			dt.u8(flatbuf.DimArraySegmentsType+2*j, typ)
			dt.ref(flatbuf.DimArraySegments+2*j, (&fbTable{}).ref(flatbuf.IndexVectorValues, vec))
		}
		dims[i] = dt
	}
	st.ref(flatbuf.SparsityDimMetadata, dims)
	s.tensors[t].sparsity = st
}

// sparseIndexVector encodes v at width bytes per element: the union type
// of SparseIndexVector and its values vector.
func sparseIndexVector(v []int32, width int) (uint8, *fbVector, error) {
	switch width {
	case 0, 4:
		return flatbuf.IndexInt32, int32Vector(v), nil
	case 2, 1:
		var data []byte
		for _, x := range v {
			if x < 0 || x >= 1<<(8*width) {
				return 0, nil, fmt.Errorf("index %d does not fit in %d bytes", x, width)
			}
			if width == 2 {
				data = binary.LittleEndian.AppendUint16(data, uint16(x))
			} else {
				data = append(data, byte(x))
			}
		}
		typ := uint8(flatbuf.IndexUint16)
		if width == 1 {
			typ = flatbuf.IndexUint8
		}
		return typ, &fbVector{data: data, elem: width, align: 4}, nil
	}
	return 0, nil, fmt.Errorf("index width %d is not 1, 2 or 4", width)
}
