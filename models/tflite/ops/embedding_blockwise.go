package ops

import "github.com/axle-edge/axle/models"

// EMBEDDING_LOOKUP with a blockwise-quantized table (LiteRT's
// EvalBlockwise): a 2-D packed int4 or int2 table whose rows are cut into
// blocks of BlockSize elements, each with its own float16 scale; the
// output is float32 or float16. Quantization parameters other than the
// block scales (zero points) are ignored, as in LiteRT. A block starts at
// byte offset/2 (int4) or offset/4 (int2) of its first element and reads
// codes from that byte's lowest bits on, LiteRT's addressing, which
// matters only when BlockSize is not a multiple of 2 or 4. Each code is
// scaled the way the hybrid path does (embRowInt4, embRowInt2).

func (st *embState) prepareBlockwise(c Context, n *Node, val, out *Tensor) error {
	if val.Type != models.Int4 && val.Type != models.Int2 {
		return n.Errorf("value tensor %q: blockwise quantization needs int4 or int2 data, got %s", val.Name, val.Type)
	}
	if out.Type != models.Float32 && out.Type != models.Float16 {
		return n.Errorf("output tensor %q: blockwise quantization needs a float32 or float16 output, got %s", out.Name, out.Type)
	}
	if val.Dims() != 2 {
		return n.Errorf("value tensor %q: blockwise quantization needs 2-D data, got shape %v", val.Name, val.Shape)
	}
	var err error
	if st.scales, err = blockScales(c, n, val); err != nil {
		return err
	}
	st.hybrid, st.block = true, val.Blockwise.BlockSize
	if out.Type == models.Float16 {
		if st.row, err = allocSlice[float32](c, st.cols); err != nil {
			return n.Errorf("row buffer: %v", err)
		}
	}
	return nil
}

// embRowBlockwise dequantizes table row id into dst, block by block.
func (st *embState) embRowBlockwise(n *Node, val *Tensor, id int, dst []float32) error {
	nb := st.cols / st.block
	for j := 0; j < nb; j++ {
		s := st.scales[id*nb+j]
		first := id*st.cols + j*st.block
		d := dst[j*st.block : (j+1)*st.block]
		var err error
		if val.Type == models.Int4 {
			err = embRowInt4(n, val, first, s, d)
		} else {
			err = embRowInt2(n, val, first, s, d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
