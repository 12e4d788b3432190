package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// addShape registers this family's kernels.
func addShape(r *Resolver) {
	r.Builtin[OpReshape] = &Kernel{MaxVersion: 1, Prepare: reshapePrepare, Eval: reshapeEval}
	r.Builtin[OpSqueeze] = &Kernel{MaxVersion: 2, Prepare: squeezePrepare, Eval: copyEval}
	r.Builtin[OpExpandDims] = &Kernel{MaxVersion: 1, Prepare: expandDimsPrepare, Eval: expandDimsEval}
	r.Builtin[OpShape] = &Kernel{MaxVersion: 1, Prepare: shapePrepare, Eval: shapeEval}
	r.Builtin[OpTranspose] = &Kernel{MaxVersion: 9, Prepare: transposePrepare, Eval: transposeEval}
	r.Builtin[OpTile] = &Kernel{MaxVersion: 3, Prepare: tilePrepare, Eval: tileEval}
	r.Builtin[OpConcatenation] = &Kernel{MaxVersion: 7, Prepare: concatPrepare, Eval: concatEval}
	r.Builtin[OpPack] = &Kernel{MaxVersion: 5, Prepare: packPrepare, Eval: packEval}
	r.Builtin[OpUnpack] = &Kernel{MaxVersion: 6, Prepare: unpackPrepare, Eval: unpackEval}
	r.Builtin[OpResizeNearestNeighbor] = &Kernel{MaxVersion: 4, Prepare: resizeNearestPrepare, Eval: resizeNearestEval}
	r.Builtin[OpResizeBilinear] = &Kernel{MaxVersion: 4, Prepare: resizeBilinearPrepare, Eval: resizeBilinearEval}
}

// io1 returns the node's first input and only output after checking the
// input and output counts.
func io1(c Context, n *Node, minIn, maxIn int) (in, out *Tensor, err error) {
	if len(n.Inputs) < minIn || len(n.Inputs) > maxIn {
		if minIn == maxIn {
			return nil, nil, n.Errorf("has %d inputs, want %d", len(n.Inputs), minIn)
		}
		return nil, nil, n.Errorf("has %d inputs, want %d to %d", len(n.Inputs), minIn, maxIn)
	}
	if len(n.Outputs) != 1 {
		return nil, nil, n.Errorf("has %d outputs, want 1", len(n.Outputs))
	}
	in, out = c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return nil, nil, n.Errorf("input 0 or output 0 is missing")
	}
	if in.Type != out.Type {
		return nil, nil, n.Errorf("input is %s but output is %s", in.Type, out.Type)
	}
	if _, err := elemSize(in); err != nil {
		return nil, nil, n.Errorf("input: %v", err)
	}
	return in, out, nil
}

// copyEval copies input 0 to output 0 unchanged (the data of RESHAPE,
// SQUEEZE and EXPAND_DIMS does not move).
func copyEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in.NumElements() != out.NumElements() {
		return n.Errorf("input %v and output %v differ in size", in.Shape, out.Shape)
	}
	if err := copyBytes(out.Data, in.Data, in.Bytes()); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// RESHAPE

func reshapePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 1, 2)
	if err != nil {
		return err
	}
	target, dynamic, err := reshapeTarget(c, n, false)
	if err != nil {
		return err
	}
	if dynamic {
		c.SetDynamic(out)
		return nil
	}
	shape, err := resolveReshape(in, target)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

// reshapeTarget is the requested shape (possibly with one -1): from the shape
// tensor when it is a vector, else from the options. Before Eval (atEval
// false), dynamic is true when the shape tensor's value is not known yet.
func reshapeTarget(c Context, n *Node, atEval bool) (target []int, dynamic bool, err error) {
	if st := c.Input(n, 1); st != nil && st.Dims() == 1 {
		if !st.Const && !atEval {
			return nil, true, nil
		}
		target, err = tensorInts(st, "shape tensor", nil)
		if err != nil {
			return nil, false, n.Errorf("%v", err)
		}
		return target, false, nil
	}
	target = widenInts(n.Opts.(*ReshapeOptions).NewShape)
	if len(target) == 1 && target[0] == 0 {
		// Old converters wrote [0] for a scalar.
		target = target[:0]
	}
	return target, false, nil
}

// resolveReshape fills in a -1 dimension and checks the element count.
func resolveReshape(in *Tensor, target []int) ([]int, error) {
	esz := in.Type.Size()
	count, err := shapeElems(in.Shape, esz)
	if err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	if len(target) > maxRank {
		return nil, fmt.Errorf("new shape %v has more than %d dimensions", target, maxRank)
	}
	shape := append([]int(nil), target...)
	stretch := -1
	for i, d := range shape {
		switch {
		case d == -1 && stretch >= 0:
			return nil, fmt.Errorf("new shape %v has more than one -1", target)
		case d == -1:
			stretch = i
		case d < 0:
			return nil, fmt.Errorf("new shape %v has a negative dimension", target)
		}
	}
	if stretch >= 0 {
		shape[stretch] = 1
		known, err := shapeElems(shape, esz)
		if err != nil {
			return nil, fmt.Errorf("new shape: %v", err)
		}
		if known == 0 || count%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in.Shape, count, target)
		}
		shape[stretch] = count / known
	}
	got, err := shapeElems(shape, esz)
	if err != nil {
		return nil, fmt.Errorf("new shape: %v", err)
	}
	if got != count {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in.Shape, count, target, got)
	}
	return shape, nil
}

func reshapeEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		target, _, err := reshapeTarget(c, n, true)
		if err != nil {
			return err
		}
		shape, err := resolveReshape(in, target)
		if err != nil {
			return n.Errorf("%v", err)
		}
		if !sameShape(out.Shape, shape) || len(out.Data) < in.Bytes() {
			if err := c.Resize(out, shape); err != nil {
				return n.Errorf("resize output: %v", err)
			}
		}
	}
	return copyEval(c, n)
}

// SQUEEZE

func squeezePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 1, 1)
	if err != nil {
		return err
	}
	dims := widenInts(n.Opts.(*SqueezeOptions).SqueezeDims)
	rank := in.Dims()
	if rank > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", rank, maxRank)
	}
	var drop [maxRank]bool
	if len(dims) == 0 {
		for i, d := range in.Shape {
			drop[i] = d == 1
		}
	}
	for _, d := range dims {
		a, err := normAxis(d, rank, "squeeze dimension")
		if err != nil {
			return n.Errorf("%v", err)
		}
		if in.Shape[a] != 1 {
			return n.Errorf("cannot squeeze dimension %d of size %d (input %v)", d, in.Shape[a], in.Shape)
		}
		drop[a] = true
	}
	shape := make([]int, 0, rank)
	for i, d := range in.Shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return c.Resize(out, shape)
}

// EXPAND_DIMS

func expandDimsPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	axis := c.Input(n, 1)
	if axis == nil {
		return n.Errorf("axis input is missing")
	}
	if in.Dims() >= maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank-1)
	}
	if !axis.Const {
		if axis.Type != models.Int32 && axis.Type != models.Int64 {
			return n.Errorf("axis must be int32 or int64, not %s", axis.Type)
		}
		c.SetDynamic(out)
		return nil
	}
	shape, err := expandedShape(in, axis)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

func expandedShape(in, axisT *Tensor) ([]int, error) {
	axis, err := scalarInt(axisT, "axis")
	if err != nil {
		return nil, err
	}
	rank := in.Dims()
	if axis < 0 {
		axis += rank + 1
	}
	if axis < 0 || axis > rank {
		return nil, fmt.Errorf("axis %d is out of range for an input of rank %d", axis, rank)
	}
	shape := make([]int, 0, rank+1)
	shape = append(shape, in.Shape[:axis]...)
	shape = append(shape, 1)
	return append(shape, in.Shape[axis:]...), nil
}

func expandDimsEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		shape, err := expandedShape(in, c.Input(n, 1))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	return copyEval(c, n)
}

// SHAPE

func shapePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 1 and 1", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input or output is missing")
	}
	if out.Type != models.Int32 && out.Type != models.Int64 {
		return n.Errorf("output must be int32 or int64, not %s", out.Type)
	}
	return c.Resize(out, []int{in.Dims()})
}

func shapeEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.NumElements() != in.Dims() {
		return n.Errorf("output has %d elements for an input of rank %d", out.NumElements(), in.Dims())
	}
	switch out.Type {
	case models.Int32:
		v := out.I32()
		if len(v) < in.Dims() {
			return n.Errorf("output data too small")
		}
		for i, d := range in.Shape {
			v[i] = int32(d)
		}
	case models.Int64:
		v := out.I64()
		if len(v) < in.Dims() {
			return n.Errorf("output data too small")
		}
		for i, d := range in.Shape {
			v[i] = int64(d)
		}
	}
	return nil
}
