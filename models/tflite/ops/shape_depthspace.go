package ops

import (
	"github.com/axle-edge/axle/models"
)

// SPACE_TO_DEPTH and DEPTH_TO_SPACE move bs x bs pixel blocks of an NHWC
// tensor into the channels and back:
//
//	space to depth: out[b, y, x, (dy*bs+dx)*C + c] = in[b, y*bs+dy, x*bs+dx, c]
//	depth to space: the inverse, C being the output depth.

func addDepthSpace(r *Resolver) {
	r.Builtin[OpSpaceToDepth] = &Kernel{MaxVersion: 2, Prepare: depthSpacePrepare, Eval: depthSpaceEval}
	r.Builtin[OpDepthToSpace] = &Kernel{MaxVersion: 2, Prepare: depthSpacePrepare, Eval: depthSpaceEval}
}

type depthSpaceState struct {
	bs, esz int
	// The space side (the input of SPACE_TO_DEPTH, the output of
	// DEPTH_TO_SPACE) as [n, h, w, c].
	n, h, w, c int
}

func depthSpacePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 1, 1)
	if err != nil {
		return err
	}
	switch in.Type {
	case models.Float32, models.Int32, models.Int64:
	case models.UInt8, models.Int8:
		if in.Scale() != out.Scale() || in.ZeroPoint() != out.ZeroPoint() {
			return n.Errorf("input and output quantization differ (scale %g zero point %d vs scale %g zero point %d)", in.Scale(), in.ZeroPoint(), out.Scale(), out.ZeroPoint())
		}
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if in.Dims() != 4 {
		return n.Errorf("input has shape %v, want 4 dimensions (NHWC)", in.Shape)
	}
	var bs int
	switch o := n.Opts.(type) {
	case *SpaceToDepthOptions:
		bs = int(o.BlockSize)
	case *DepthToSpaceOptions:
		bs = int(o.BlockSize)
	}
	if bs < 1 {
		return n.Errorf("block_size is %d, must be at least 1", bs)
	}
	st := &depthSpaceState{bs: bs, esz: in.Type.Size()}
	s := in.Shape
	var shape []int
	if n.Op == OpSpaceToDepth {
		if s[1]%bs != 0 || s[2]%bs != 0 {
			return n.Errorf("input height %d and width %d must be multiples of block_size %d", s[1], s[2], bs)
		}
		st.n, st.h, st.w, st.c = s[0], s[1], s[2], s[3]
		if s[3] > maxTensorBytes/bs/bs {
			return n.Errorf("output depth %d x %d x %d is too large", s[3], bs, bs)
		}
		shape = []int{s[0], s[1] / bs, s[2] / bs, s[3] * bs * bs}
	} else {
		if s[3]%(bs*bs) != 0 {
			return n.Errorf("input depth %d must be a multiple of block_size² %d", s[3], bs*bs)
		}
		if s[1] > maxTensorBytes/bs || s[2] > maxTensorBytes/bs {
			return n.Errorf("output height %d x %d or width %d x %d is too large", s[1], bs, s[2], bs)
		}
		st.n, st.h, st.w, st.c = s[0], s[1]*bs, s[2]*bs, s[3]/(bs*bs)
		shape = []int{st.n, st.h, st.w, st.c}
	}
	if _, err := shapeElems(shape, st.esz); err != nil {
		return n.Errorf("output: %v", err)
	}
	if _, err := shapeElems(in.Shape, st.esz); err != nil {
		return n.Errorf("input: %v", err)
	}
	n.State = st
	return c.Resize(out, shape)
}

func depthSpaceEval(c Context, n *Node) error {
	st, ok := n.State.(*depthSpaceState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	toDepth := n.Op == OpSpaceToDepth
	row := st.c * st.esz
	space := 0 // byte offset in the space-side tensor, walked in order
	for b := 0; b < st.n; b++ {
		for y := 0; y < st.h; y++ {
			for x := 0; x < st.w; x++ {
				// The depth-side pixel and channel block of (y, x).
				dy, dx := y%st.bs, x%st.bs
				pix := (b*(st.h/st.bs)+y/st.bs)*(st.w/st.bs) + x/st.bs
				depth := (pix*st.bs*st.bs + dy*st.bs + dx) * row
				if toDepth {
					copy(out.Data[depth:depth+row], in.Data[space:space+row])
				} else {
					copy(out.Data[space:space+row], in.Data[depth:depth+row])
				}
				space += row
			}
		}
	}
	return nil
}
