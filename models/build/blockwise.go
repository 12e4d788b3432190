package build

import (
	"fmt"

	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// Blockwise is the BlockwiseQuantization details of a tensor: the indices
// of its scale and zero point tensors (ZeroPoints -1 for none) and the
// block size. The values are written as given, so tests can build
// malformed models.
type Blockwise struct {
	Scales, ZeroPoints, BlockSize int32
}

// SetBlockwise gives tensor t blockwise quantization bw, in place of any
// scale and zero point it was made with.
func (s *Subgraph) SetBlockwise(t int, bw Blockwise) {
	if t < 0 || t >= len(s.tensors) {
		s.b.fail(fmt.Errorf("build: blockwise quantization for tensor %d: no such tensor", t))
		return
	}
	d := &fbTable{}
	d.i32(flatbuf.BlockwiseScales, bw.Scales)
	d.i32(flatbuf.BlockwiseZeroPoints, bw.ZeroPoints)
	d.i32(flatbuf.BlockwiseBlockSize, bw.BlockSize)
	q := &fbTable{}
	q.u8(flatbuf.QuantDetailsType, flatbuf.QuantDetailsBlockwise)
	q.ref(flatbuf.QuantDetails, d)
	s.tensors[t].quant = nil
	s.tensors[t].blockwise = q
}
