package ops

import (
	"context"

	"github.com/axle-edge/axle/models"
)

// STABLEHLO_REDUCE_WINDOW: StableHLO's reduce_window on one operand. The
// operand is first padded with init_value (padding low/high per dimension,
// base_dilations-1 between elements); every output element then folds its
// window of that padded operand, from init_value, through the body subgraph
// (two scalars to one), in row-major window order:
//
//	out[i] = body(...body(body(init, p[i*s + 0]), p[i*s + 1*wd])..., p[i*s + (w-1)*wd])
//
// Options (StablehloReduceWindowOptions in builtin_options_2):
// window_dimensions 0, window_strides 1, base_dilations 2,
// window_dilations 3, padding 4 (rank x 2: low, high), body_subgraph_index
// 5; absent vectors mean strides and dilations of 1 and no padding.

func addStablehloReduceWindow(r *Resolver) {
	r.Builtin[OpStablehloReduceWindow] = &Kernel{MaxVersion: 1, Prepare: shloRWPrepare, Eval: shloRWEval}
}

type shloRWState struct {
	body                                 Subgraph
	window, stride, baseDil, winDil, low []int
	inShape, inStride, outShape          []int
	outCoord, winCoord                   []int
	winSize                              int
	active                               bool
}

func shloRWPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs (operand, init_value) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, init, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || init == nil || out == nil {
		return n.Errorf("operand, init_value and output tensors are required")
	}
	if in.Type.Size() == 0 || in.Type == models.Int4 || init.Type != in.Type || init.NumElements() != 1 {
		return n.Errorf("operand %q (%s) and init_value %q (%s %v) must be a tensor and a scalar of one fixed-size type", in.Name, in.Type, init.Name, init.Type, init.Shape)
	}
	r := in.Dims()
	if r < 1 || r > maxRank {
		return n.Errorf("operand %q has rank %d, want 1 to %d", in.Name, r, maxRank)
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("operand %q: %v", in.Name, err)
	}
	if err := c.Reserve(6 * 2 * maxRank * 8); err != nil {
		return n.Errorf("%v", err)
	}
	o := n.Opts.(*StablehloReduceWindowOptions)
	// An empty vector other than window_dimensions means the default.
	read := func(v []int64, want int, def int64, what string) ([]int64, error) {
		out := make([]int64, want)
		if len(v) == 0 && what != "window_dimensions" {
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != want {
			return nil, n.Errorf("%s has %d entries, want %d for a rank-%d operand", what, len(v), want, r)
		}
		for i := range out {
			// Bounds that keep every window offset inside a 32-bit int.
			if x := v[i]; x <= -(1<<30) || x >= 1<<30 {
				return nil, n.Errorf("%s[%d] is %d, out of range", what, i, x)
			} else {
				out[i] = x
			}
		}
		return out, nil
	}
	window, err := read(o.WindowDimensions, r, 1, "window_dimensions")
	if err != nil {
		return err
	}
	strides, err := read(o.WindowStrides, r, 1, "window_strides")
	if err != nil {
		return err
	}
	baseDil, err := read(o.BaseDilations, r, 1, "base_dilations")
	if err != nil {
		return err
	}
	winDil, err := read(o.WindowDilations, r, 1, "window_dilations")
	if err != nil {
		return err
	}
	padding, err := read(o.Padding, 2*r, 0, "padding")
	if err != nil {
		return err
	}
	st, _ := n.State.(*shloRWState)
	if st == nil {
		st = &shloRWState{}
	}
	if err := allocAll(c, slot(&st.window, r), slot(&st.stride, r), slot(&st.baseDil, r), slot(&st.winDil, r), slot(&st.low, r),
		slot(&st.inShape, r), slot(&st.inStride, r), slot(&st.outShape, r), slot(&st.outCoord, r), slot(&st.winCoord, r)); err != nil {
		return n.Errorf("%v", err)
	}
	winSize := int64(1)
	s := 1
	for d := r - 1; d >= 0; d-- {
		st.inStride[d] = s
		s *= in.Shape[d]
	}
	for d := 0; d < r; d++ {
		if window[d] < 1 || strides[d] < 1 || baseDil[d] < 1 || winDil[d] < 1 {
			return n.Errorf("dimension %d: window %d, stride %d, base dilation %d and window dilation %d must be positive", d, window[d], strides[d], baseDil[d], winDil[d])
		}
		padded := padding[2*d] + padding[2*d+1]
		if in.Shape[d] > 0 {
			padded += int64(in.Shape[d]-1)*baseDil[d] + 1
		}
		dw := (window[d]-1)*winDil[d] + 1
		o := int64(0)
		if padded >= dw {
			o = (padded-dw)/strides[d] + 1
		}
		if padded < 0 || padded >= 1<<30 || dw >= 1<<30 {
			return n.Errorf("dimension %d of size %d padded by (%d, %d) has size %d with a dilated window of %d; both must lie in 0..2^30", d, in.Shape[d], padding[2*d], padding[2*d+1], padded, dw)
		}
		st.window[d], st.stride[d], st.baseDil[d], st.winDil[d] = int(window[d]), int(strides[d]), int(baseDil[d]), int(winDil[d])
		st.low[d], st.inShape[d], st.outShape[d] = int(padding[2*d]), in.Shape[d], int(o)
		if winSize *= window[d]; winSize > 1<<30 {
			return n.Errorf("window %v is too large", window)
		}
	}
	st.winSize = int(winSize)
	if _, err := shapeElems(st.outShape, in.Type.Size()); err != nil {
		return n.Errorf("output: %v", err)
	}
	body, err := bodySubgraph(c, n, o.BodySubgraphIndex, "body")
	if err != nil {
		return err
	}
	bin, bout := body.Inputs(), body.Outputs()
	if len(bin) != 2 || len(bout) != 1 {
		return n.Errorf("body subgraph %d has %d inputs and %d outputs, want 2 and 1", body.Index(), len(bin), len(bout))
	}
	for _, t := range []*Tensor{bin[0], bin[1], bout[0]} {
		if t.Type != in.Type || t.NumElements() != 1 {
			return n.Errorf("body subgraph %d: tensor %q is %s%v, want a %s scalar", body.Index(), t.Name, t.Type, t.Shape, in.Type)
		}
	}
	st.body = body
	n.State = st
	out.Type = in.Type
	return c.Resize(out, st.outShape)
}

func shloRWEval(c Context, n *Node) error {
	st, ok := n.State.(*shloRWState)
	if !ok {
		return n.Errorf("not prepared")
	}
	if st.active {
		return n.Errorf("called recursively through its own subgraphs")
	}
	st.active = true
	defer func() { st.active = false }()
	in, init, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, in, init, out); err != nil {
		return err
	}
	esz := in.Type.Size()
	bin, bout := st.body.Inputs(), st.body.Outputs()
	if len(bin[0].Data) < esz || len(bin[1].Data) < esz || len(bout[0].Data) < esz {
		return n.Errorf("body subgraph %d has no data for its scalars", st.body.Index())
	}
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	total := out.NumElements()
	clear(st.outCoord)
	for i := 0; i < total; i++ {
		acc := out.Data[i*esz : (i+1)*esz]
		copy(acc, init.Data[:esz])
		clear(st.winCoord)
		for w := 0; w < st.winSize; w++ {
			val := init.Data[:esz] // padding holds init_value
			off, inside := 0, true
			for d := range st.window {
				q := st.outCoord[d]*st.stride[d] + st.winCoord[d]*st.winDil[d] - st.low[d]
				if q < 0 || q%st.baseDil[d] != 0 || q/st.baseDil[d] >= st.inShape[d] {
					inside = false
					break
				}
				off += q / st.baseDil[d] * st.inStride[d]
			}
			if inside {
				val = in.Data[off*esz : (off+1)*esz]
			}
			copy(bin[0].Data[:esz], acc)
			copy(bin[1].Data[:esz], val)
			if err := st.body.Invoke(ctx); err != nil {
				return flowErr(n, err, "body subgraph %d", st.body.Index())
			}
			copy(acc, bout[0].Data[:esz])
			for d := len(st.winCoord) - 1; d >= 0; d-- {
				if st.winCoord[d]++; st.winCoord[d] < st.window[d] {
					break
				}
				st.winCoord[d] = 0
			}
		}
		for d := len(st.outCoord) - 1; d >= 0; d-- {
			if st.outCoord[d]++; st.outCoord[d] < st.outShape[d] {
				break
			}
			st.outCoord[d] = 0
		}
	}
	return nil
}
