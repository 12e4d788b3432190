package flatbuf

// Field slots of the schema's SparsityParameters and DimensionMetadata
// tables (a tensor's sparsity), and the members of the SparseIndexVector
// union, shared by the loader and the writer.
const (
	SparsityTraversalOrder = 0
	SparsityBlockMap       = 1
	SparsityDimMetadata    = 2

	DimFormat            = 0 // DimensionType: DimDense or DimSparseCSR
	DimDenseSize         = 1
	DimArraySegmentsType = 2
	DimArraySegments     = 3
	DimArrayIndicesType  = 4
	DimArrayIndices      = 5

	DimDense     = 0
	DimSparseCSR = 1

	IndexInt32  = 1 // SparseIndexVector members
	IndexUint16 = 2
	IndexUint8  = 3

	IndexVectorValues = 0 // the one field of Int32Vector, Uint16Vector, Uint8Vector
)
