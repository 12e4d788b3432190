package flatbuf

// The BlockwiseQuantization member of the QuantizationDetails union
// (schema.fbs): per-block float16 scales of a packed weight tensor, held
// in other tensors of the same subgraph.
const (
	QuantDetailsBlockwise = 2 // QuantizationDetails union type

	BlockwiseScales     = 0 // int: tensor index of the scales
	BlockwiseZeroPoints = 1 // int: tensor index of the zero points, -1 for none
	BlockwiseBlockSize  = 2 // int: elements per block along the last dimension
)
