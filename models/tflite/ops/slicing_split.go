package ops

import "fmt"

// SPLIT (inputs: axis, input) and SPLIT_V (inputs: input, size_splits, axis)
// cut the input along one axis into the node's outputs.

type splitState struct {
	esz     int
	input   int // index of the data input
	v       bool
	dynamic bool
	ch      chunker
	shapes  [][]int
}

func splitPrepare(c Context, n *Node) error  { return splitCommon(c, n, false) }
func splitVPrepare(c Context, n *Node) error { return splitCommon(c, n, true) }

func splitCommon(c Context, n *Node, v bool) error {
	want, input, axisIn := 2, 1, 0
	if v {
		want, input, axisIn = 3, 0, 2
	}
	if len(n.Inputs) != want {
		return n.Errorf("has %d inputs, want %d", len(n.Inputs), want)
	}
	var num int
	switch o := n.Opts.(type) {
	case *SplitOptions:
		num = int(o.NumSplits)
	case *SplitVOptions:
		num = int(o.NumSplits)
	}
	if num < 1 || len(n.Outputs) != num {
		return n.Errorf("num_splits is %d with %d outputs", num, len(n.Outputs))
	}
	in, axis := c.Input(n, input), c.Input(n, axisIn)
	if in == nil || axis == nil {
		return n.Errorf("input or axis is missing")
	}
	esz, err := elemSize(in)
	if err != nil {
		return n.Errorf("input: %v", err)
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	for i := 0; i < num; i++ {
		out := c.Output(n, i)
		if out == nil {
			return n.Errorf("output %d is missing", i)
		}
		if out.Type != in.Type {
			return n.Errorf("output %d is %s, input is %s", i, out.Type, in.Type)
		}
	}
	st := &splitState{esz: esz, input: input, v: v}
	n.State = st
	static := axis.Const
	if v {
		sizes := c.Input(n, 1)
		if sizes == nil {
			return n.Errorf("size_splits is missing")
		}
		if sizes.Dims() != 1 || sizes.Shape[0] != num {
			return n.Errorf("size_splits has shape %v, want [%d]", sizes.Shape, num)
		}
		static = static && sizes.Const
	}
	if !static {
		st.dynamic = true
		for i := 0; i < num; i++ {
			c.SetDynamic(c.Output(n, i))
		}
		return nil
	}
	// Per output: its size, shape, chunk and part.
	if in := c.Input(n, st.input); in != nil {
		if err := c.Reserve(num * (2*intSize + 2*chunkPartSize + in.Dims()*intSize)); err != nil {
			return n.Errorf("%v", err)
		}
	}
	if err := st.plan(c, n); err != nil {
		return n.Errorf("%v", err)
	}
	for i, s := range st.shapes {
		if err := c.Resize(c.Output(n, i), append([]int(nil), s...)); err != nil {
			return err
		}
	}
	return nil
}

// plan computes the output shapes and the chunk layout.
func (st *splitState) plan(c Context, n *Node) error {
	in := c.Input(n, st.input)
	num := len(n.Outputs)
	axisT := c.Input(n, 0)
	if st.v {
		axisT = c.Input(n, 2)
	}
	axis, err := scalarInt(axisT, "axis")
	if err != nil {
		return err
	}
	a, err := normAxis(axis, in.Dims(), "axis")
	if err != nil {
		return err
	}
	if _, err := shapeElems(in.Shape, st.esz); err != nil {
		return fmt.Errorf("input: %v", err)
	}
	dim := in.Shape[a]
	sizes := make([]int, 0, num)
	if st.v {
		if sizes, err = tensorInts(c.Input(n, 1), "size_splits", sizes); err != nil {
			return err
		}
		if len(sizes) != num {
			return fmt.Errorf("size_splits has %d values for %d outputs", len(sizes), num)
		}
		sum, stretch := 0, -1
		for i, s := range sizes {
			switch {
			case s == -1 && stretch < 0:
				stretch = i
			case s < 0:
				return fmt.Errorf("size_splits %v has a negative size or more than one -1", sizes)
			default:
				sum += s
			}
		}
		if stretch >= 0 {
			if sum > dim {
				return fmt.Errorf("size_splits %v exceed axis %d of size %d", sizes, a, dim)
			}
			sizes[stretch] = dim - sum
			sum = dim
		}
		if sum != dim {
			return fmt.Errorf("size_splits %v do not add up to axis %d of size %d", sizes, a, dim)
		}
	} else {
		if dim%num != 0 {
			return fmt.Errorf("axis %d of size %d cannot be split into %d equal parts", a, dim, num)
		}
		for i := 0; i < num; i++ {
			sizes = append(sizes, dim/num)
		}
	}
	st.shapes = resized(st.shapes, num)
	for i, s := range sizes {
		st.shapes[i] = append(st.shapes[i][:0], in.Shape...)
		st.shapes[i][a] = s
	}
	outer, inner := axisSizes(in.Shape, a)
	st.ch.set(outer, sizes, inner, st.esz)
	return nil
}

func splitEval(c Context, n *Node) error {
	st := n.State.(*splitState)
	if st.dynamic {
		if err := st.plan(c, n); err != nil {
			return n.Errorf("%v", err)
		}
		for i, s := range st.shapes {
			out := c.Output(n, i)
			if !sameShape(out.Shape, s) || out.Data == nil {
				if err := c.Resize(out, append([]int(nil), s...)); err != nil {
					return n.Errorf("resize output %d: %v", i, err)
				}
			}
		}
	}
	for i := range st.ch.parts {
		st.ch.parts[i] = c.Output(n, i).Data
	}
	in := c.Input(n, st.input)
	if err := st.ch.check(in.Data); err != nil {
		return n.Errorf("%v", err)
	}
	st.ch.scatter(in.Data)
	return nil
}
