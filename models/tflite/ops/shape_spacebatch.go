package ops

import (
	"fmt"
	"math"

	"github.com/axle-edge/axle/models"
)

// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, the pair converters put around a
// dilated convolution. Both move whole depth rows of a 4D NHWC tensor (a
// 3D NHC tensor is treated as NH1C):
//
//	space to batch, block 2x2: [1,4,4,C] -> [4,2,2,C]; output batch
//	b = (sh*bw + sw)*N + n holds input pixels (h*2+sh, w*2+sw) of batch n,
//	after zero padding (the output zero point for quantized types)
//	batch to space is the inverse, with crops instead of paddings.
//
// block_shape and paddings/crops are int32 tensors; when they are not
// constant the output shape is computed in Eval.

func addSpaceBatch(r *Resolver) {
	r.Builtin[OpSpaceToBatchNd] = &Kernel{MaxVersion: 4, Prepare: spaceBatchPrepare, Eval: spaceBatchEval}
	r.Builtin[OpBatchToSpaceNd] = &Kernel{MaxVersion: 4, Prepare: spaceBatchPrepare, Eval: spaceBatchEval}
}

type spaceBatchState struct {
	esz               int
	pad               byte // fill byte of padded pixels (space to batch)
	inN, inH, inW, d  int  // input as NHWC
	outN, outH, outW  int
	bh, bw            int
	top, left         int // padding (space to batch) or crop (batch to space)
	inBytes, outBytes int
}

func spaceBatchPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 3, 3)
	if err != nil {
		return err
	}
	block, pads := c.Input(n, 1), c.Input(n, 2)
	if block == nil || pads == nil {
		return n.Errorf("block_shape or %s input is missing", spaceBatchPadName(n))
	}
	if r := in.Dims(); r < 3 || r > 4 {
		return n.Errorf("input has %d dimensions, want 3 or 4", r)
	}
	st := &spaceBatchState{esz: in.Type.Size()}
	switch in.Type {
	case models.Float32, models.Int32, models.Int64:
	case models.UInt8, models.Int8, models.Int16:
		if !spaceBatchSameQuant(in, out) {
			return n.Errorf("input and output quantization differ (scale %g zero point %d vs scale %g zero point %d)", in.Scale(), in.ZeroPoint(), out.Scale(), out.ZeroPoint())
		}
		if in.Type == models.Int16 && in.ZeroPoint() != 0 {
			return n.Errorf("int16 input has zero point %d, want 0", in.ZeroPoint())
		}
		// TFLite fills padding bytewise with the zero point's low byte.
		st.pad = byte(out.ZeroPoint())
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	n.State = st
	if !block.Const || !pads.Const {
		c.SetDynamic(out)
		return nil
	}
	shape, err := st.plan(n, in, block, pads)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

func spaceBatchPadName(n *Node) string {
	if n.Op == OpSpaceToBatchNd {
		return "paddings"
	}
	return "crops"
}

func spaceBatchSameQuant(a, b *Tensor) bool {
	return a.Scale() == b.Scale() && a.ZeroPoint() == b.ZeroPoint()
}

// plan validates block_shape and paddings/crops for in and returns the
// output shape.
func (st *spaceBatchState) plan(n *Node, in, block, pads *Tensor) ([]int, error) {
	spatial := in.Dims() - 2
	padName := spaceBatchPadName(n)
	if block.Type != models.Int32 || pads.Type != models.Int32 {
		return nil, fmt.Errorf("block_shape and %s must be int32, not %s and %s", padName, block.Type, pads.Type)
	}
	if block.Dims() != 1 || block.Shape[0] != spatial {
		return nil, fmt.Errorf("block_shape has shape %v, want [%d] for input %v", block.Shape, spatial, in.Shape)
	}
	if pads.Dims() != 2 || pads.Shape[0] != spatial || pads.Shape[1] != 2 {
		return nil, fmt.Errorf("%s has shape %v, want [%d 2] for input %v", padName, pads.Shape, spatial, in.Shape)
	}
	var bbuf, pbuf [4]int
	b, err := tensorInts(block, "block_shape", bbuf[:0])
	if err != nil {
		return nil, err
	}
	p, err := tensorInts(pads, padName, pbuf[:0])
	if err != nil {
		return nil, err
	}
	st.inN, st.inH, st.d = in.Shape[0], in.Shape[1], in.Shape[spatial+1]
	st.inW, st.bw, st.left = 1, 1, 0
	st.bh, st.top = b[0], p[0]
	var bottom, right int
	bottom = p[1]
	if spatial == 2 {
		st.inW, st.bw, st.left, right = in.Shape[2], b[1], p[2], p[3]
	}
	for i, v := range b {
		if v < 1 {
			return nil, fmt.Errorf("block_shape[%d] is %d, must be at least 1", i, v)
		}
	}
	for i, v := range p {
		if v < 0 {
			return nil, fmt.Errorf("%s[%d][%d] is %d, must not be negative", padName, i/2, i%2, v)
		}
	}
	blocks := int64(st.bh) * int64(st.bw)
	if n.Op == OpSpaceToBatchNd {
		h := int64(st.inH) + int64(st.top) + int64(bottom)
		w := int64(st.inW) + int64(st.left) + int64(right)
		if h > math.MaxInt32 || w > math.MaxInt32 {
			return nil, fmt.Errorf("padded spatial size %dx%d is too large", h, w)
		}
		if h%int64(st.bh) != 0 || w%int64(st.bw) != 0 {
			return nil, fmt.Errorf("padded spatial size %dx%d is not a multiple of block_shape %dx%d", h, w, st.bh, st.bw)
		}
		st.outH, st.outW = int(h/int64(st.bh)), int(w/int64(st.bw))
		nb := int64(st.inN) * blocks
		if nb > math.MaxInt32 {
			return nil, fmt.Errorf("output batch %d is too large", nb)
		}
		st.outN = int(nb)
	} else {
		if int64(st.inN)%blocks != 0 {
			return nil, fmt.Errorf("input batch %d is not a multiple of the block size %d", st.inN, blocks)
		}
		st.outN = int(int64(st.inN) / blocks)
		fullH, fullW := int64(st.inH)*int64(st.bh), int64(st.inW)*int64(st.bw)
		if fullH > math.MaxInt32 || fullW > math.MaxInt32 {
			return nil, fmt.Errorf("uncropped spatial size %dx%d is too large", fullH, fullW)
		}
		h := fullH - int64(st.top) - int64(bottom)
		w := fullW - int64(st.left) - int64(right)
		if h < 0 || w < 0 {
			return nil, fmt.Errorf("crops %v leave output size %dx%d", p, h, w)
		}
		st.outH, st.outW = int(h), int(w)
	}
	shape := []int{st.outN, st.outH, st.outW, st.d}
	if spatial == 1 {
		shape = []int{st.outN, st.outH, st.d}
	}
	outElems, err := shapeElems(shape, st.esz)
	if err != nil {
		return nil, fmt.Errorf("output: %v", err)
	}
	inElems, err := shapeElems(in.Shape, st.esz)
	if err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	st.inBytes, st.outBytes = inElems*st.esz, outElems*st.esz
	return shape, nil
}

func spaceBatchEval(c Context, n *Node) error {
	st, ok := n.State.(*spaceBatchState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		shape, err := st.plan(n, in, c.Input(n, 1), c.Input(n, 2))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if len(in.Data) < st.inBytes || len(out.Data) < st.outBytes {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	if n.Op == OpSpaceToBatchNd {
		st.spaceToBatch(out.Data[:st.outBytes], in.Data)
	} else {
		st.batchToSpace(out.Data[:st.outBytes], in.Data)
	}
	return nil
}

func (st *spaceBatchState) spaceToBatch(out, in []byte) {
	row := st.d * st.esz
	o := 0
	for ob := 0; ob < st.outN; ob++ {
		b := ob % st.inN
		shift := ob / st.inN
		sh, sw := shift/st.bw, shift%st.bw
		for oh := 0; oh < st.outH; oh++ {
			ih := oh*st.bh + sh - st.top
			for ow := 0; ow < st.outW; ow++ {
				iw := ow*st.bw + sw - st.left
				dst := out[o : o+row]
				o += row
				if ih < 0 || ih >= st.inH || iw < 0 || iw >= st.inW {
					for i := range dst {
						dst[i] = st.pad
					}
					continue
				}
				src := ((b*st.inH+ih)*st.inW + iw) * row
				copy(dst, in[src:src+row])
			}
		}
	}
}

func (st *spaceBatchState) batchToSpace(out, in []byte) {
	row := st.d * st.esz
	for ib := 0; ib < st.inN; ib++ {
		b := ib % st.outN
		shift := ib / st.outN
		sh, sw := shift/st.bw, shift%st.bw
		for ih := 0; ih < st.inH; ih++ {
			oh := ih*st.bh + sh - st.top
			if oh < 0 || oh >= st.outH {
				continue
			}
			for iw := 0; iw < st.inW; iw++ {
				ow := iw*st.bw + sw - st.left
				if ow < 0 || ow >= st.outW {
					continue
				}
				src := ((ib*st.inH+ih)*st.inW + iw) * row
				dst := ((b*st.outH+oh)*st.outW + ow) * row
				copy(out[dst:dst+row], in[src:src+row])
			}
		}
	}
}
