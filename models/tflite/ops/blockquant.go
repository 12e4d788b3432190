package ops

// BlockQuant is blockwise quantization (schema.fbs BlockwiseQuantization):
// the last dimension of a packed weight tensor is cut into blocks of
// BlockSize elements, each with its own float16 scale. Scales has one
// element per block, in row-major order: [leading dims..., depth/BlockSize].
// The loader checks the indices, the constness and the sizes; the kernels
// that accept it (EMBEDDING_LOOKUP, FULLY_CONNECTED) check the types.
type BlockQuant struct {
	BlockSize int
	Scales    *Tensor // constant float16
	// ZeroPoints is nil when the model gives -1. LiteRT's kernels never
	// read it, and neither do these.
	ZeroPoints *Tensor

	ScalesIndex, ZeroPointsIndex int // tensor indices in the subgraph
}

// blockScales converts t's float16 block scales to float32 (exactly, as
// LiteRT's Dequantize of half does) into allocator memory.
func blockScales(c Context, n *Node, t *Tensor) ([]float32, error) {
	bq := t.Blockwise
	cnt := bq.Scales.NumElements()
	if err := checkData(n, "block scales", bq.Scales, cnt); err != nil {
		return nil, err
	}
	s, err := allocSlice[float32](c, cnt)
	if err != nil {
		return nil, n.Errorf("block scales of %q: %v", t.Name, err)
	}
	for i, h := range bq.Scales.U16()[:cnt] {
		s[i] = qzHalfToFloat(h)
	}
	return s, nil
}
