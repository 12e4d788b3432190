package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// REVERSE_V2 reverses the input along each axis listed in its int32 axis
// input. The copy walks contiguous runs: everything after the innermost
// reversed axis moves as one block.

func addReverse(r *Resolver) {
	r.Builtin[OpReverseV2] = &Kernel{MaxVersion: 4, Prepare: reversePrepare, Eval: reverseEval}
}

func reversePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	axis := c.Input(n, 1)
	if axis == nil || axis.Type != models.Int32 || axis.Dims() != 1 {
		return n.Errorf("axis must be an int32 vector")
	}
	if axis.Const {
		var flip [maxRank]bool
		if err := reverseAxes(in, axis, &flip); err != nil {
			return n.Errorf("%v", err)
		}
	}
	return c.Resize(out, in.Shape)
}

// reverseAxes marks the axes to reverse.
func reverseAxes(in, axisT *Tensor, flip *[maxRank]bool) error {
	if axisT.NumElements() > in.Dims() {
		return fmt.Errorf("axis has %d values for an input of %d dimensions", axisT.NumElements(), in.Dims())
	}
	var buf [maxRank]int
	axes, err := tensorInts(axisT, "axis", buf[:0])
	if err != nil {
		return err
	}
	for _, a := range axes {
		ax, err := normAxis(a, in.Dims(), "axis")
		if err != nil {
			return err
		}
		if flip[ax] {
			return fmt.Errorf("axis %d is listed twice", a)
		}
		flip[ax] = true
	}
	return nil
}

func reverseEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	var flip [maxRank]bool
	if err := reverseAxes(in, c.Input(n, 1), &flip); err != nil {
		return n.Errorf("%v", err)
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	rank := in.Dims()
	// Dimensions after the innermost reversed one form a contiguous block.
	last := -1
	for i := 0; i < rank; i++ {
		if flip[i] {
			last = i
		}
	}
	block := in.Type.Size()
	for i := last + 1; i < rank; i++ {
		block *= in.Shape[i]
	}
	if last < 0 || in.NumElements() == 0 {
		copy(out.Data[:in.Bytes()], in.Data)
		return nil
	}
	var stride [maxRank]int
	s := block
	for i := last; i >= 0; i-- {
		stride[i] = s
		s *= in.Shape[i]
	}
	var idx [maxRank]int
	for o := 0; o < in.Bytes(); o += block {
		src := 0
		for i := 0; i <= last; i++ {
			k := idx[i]
			if flip[i] {
				k = in.Shape[i] - 1 - k
			}
			src += k * stride[i]
		}
		copy(out.Data[o:o+block], in.Data[src:src+block])
		for i := last; i >= 0; i-- {
			if idx[i]++; idx[i] < in.Shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return nil
}
