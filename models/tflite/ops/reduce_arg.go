package ops

import "github.com/axle-edge/axle/models"

// ARG_MAX / ARG_MIN: the index of the largest (smallest) element along one
// axis, the first one on ties; NaN never wins, as in TFLite's reference.

type argState struct {
	dynamic bool
	axis    int
	outer   int
	size    int
	inner   int
}

func argPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || axis == nil || out == nil {
		return n.Errorf("input, axis and output tensors are required")
	}
	if axis.NumElements() != 1 || (axis.Type != models.Int32 && axis.Type != models.Int64) {
		return n.Errorf("axis must be one int32 or int64 value, got %s %v", axis.Type, axis.Shape)
	}
	switch in.Type {
	case models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64, models.Bool:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if in.Dims() < 1 {
		return n.Errorf("input must have at least one dimension")
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input shape %v is invalid or too large", in.Shape)
	}
	// output_type defaults to FLOAT32 in the schema, which TFLite rejects;
	// an absent or default value defers to the output tensor's type.
	var ot int8
	switch o := n.Opts.(type) {
	case *ArgMaxOptions:
		ot = o.OutputType
	case *ArgMinOptions:
		ot = o.OutputType
	}
	switch {
	case out.Type != models.Int32 && out.Type != models.Int64:
		return n.Errorf("output type %s must be int32 or int64", out.Type)
	case ot == schemaInt32 && out.Type != models.Int32, ot == schemaInt64 && out.Type != models.Int64:
		return n.Errorf("output_type option %d does not match the %s output", ot, out.Type)
	case ot != schemaFloat32 && ot != schemaInt32 && ot != schemaInt64:
		return n.Errorf("output_type %d must be INT32 or INT64", ot)
	}
	st, _ := n.State.(*argState)
	if st == nil {
		st = &argState{}
		n.State = st
	}
	st.dynamic = !axis.Const
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resolve(c, n, in, axis, out)
}

func (st *argState) resolve(c Context, n *Node, in, axis, out *Tensor) error {
	if err := checkData(n, "axis", axis, 1); err != nil {
		return err
	}
	var a int64
	if axis.Type == models.Int32 {
		a = int64(axis.I32()[0])
	} else {
		a = axis.I64()[0]
	}
	rank := int64(in.Dims())
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return n.Errorf("axis %d is out of range for rank %d", a, rank)
	}
	st.axis = int(a)
	st.size = in.Shape[st.axis]
	if st.size <= 0 {
		return n.Errorf("cannot reduce over the empty axis %d of shape %v", st.axis, in.Shape)
	}
	st.outer, st.inner = 1, 1
	shape := make([]int, 0, in.Dims()-1)
	for i, d := range in.Shape {
		switch {
		case i < st.axis:
			st.outer *= d
		case i > st.axis:
			st.inner *= d
		}
		if i != st.axis {
			shape = append(shape, d)
		}
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func argEval(c Context, n *Node) error {
	st, ok := n.State.(*argState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if st.dynamic {
		if err := st.resolve(c, n, in, axis, out); err != nil {
			return err
		}
	}
	total := st.outer * st.size * st.inner
	if err := checkData(n, "input", in, total); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.outer*st.inner); err != nil {
		return err
	}
	isMax := n.Op == OpArgMax
	var idx []int32
	var idx64 []int64
	if out.Type == models.Int32 {
		idx = out.I32()
	} else {
		idx64 = out.I64()
	}
	switch in.Type {
	case models.Float32:
		argReduce(st, in.F32(), idx, idx64, isMax)
	case models.UInt8:
		argReduce(st, in.U8(), idx, idx64, isMax)
	case models.Bool:
		argReduce(st, in.U8(), idx, idx64, isMax)
	case models.Int8:
		argReduce(st, in.I8(), idx, idx64, isMax)
	case models.Int16:
		argReduce(st, in.I16(), idx, idx64, isMax)
	case models.Int32:
		argReduce(st, in.I32(), idx, idx64, isMax)
	case models.Int64:
		argReduce(st, in.I64(), idx, idx64, isMax)
	}
	return nil
}

func argReduce[T ~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32](st *argState, x []T, idx []int32, idx64 []int64, isMax bool) {
	for o := 0; o < st.outer; o++ {
		for i := 0; i < st.inner; i++ {
			base := o*st.size*st.inner + i
			best, at := x[base], 0
			for k := 1; k < st.size; k++ {
				v := x[base+k*st.inner]
				if better(v, best, isMax) {
					best, at = v, k
				}
			}
			if idx != nil {
				idx[o*st.inner+i] = int32(at)
			} else {
				idx64[o*st.inner+i] = int64(at)
			}
		}
	}
}

// better reports whether candidate replaces current: strictly greater
// (less), with a NaN current always replaced and a NaN candidate never
// winning.
func better[T ~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32](candidate, current T, isMax bool) bool {
	if candidate != candidate {
		return false
	}
	if current != current {
		return true
	}
	if isMax {
		return candidate > current
	}
	return candidate < current
}
