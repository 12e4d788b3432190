package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// SEGMENT_SUM and UNSORTED_SEGMENT_{SUM,PROD,MAX,MIN} on int32 and float32
// data. segment_ids name, for each leading slice of the data, the output
// row it folds into:
//
//	SEGMENT_SUM           ids [d0], sorted, starting at 0, steps of 0 or 1;
//	                      output [max id + 1, d1, ...]
//	UNSORTED_SEGMENT_*    ids of the shape of a data prefix [d0..dk-1];
//	                      output [num_segments, dk, ...]; negative ids are
//	                      skipped
//
// Rows nothing folds into keep the fold's initial value (0, 1, lowest,
// highest). Integer sums and products wrap; MAX and MIN keep the current
// value against NaN, as std::max and std::min do. The output shape depends
// on the ids (and num_segments), so it is dynamic unless they are constant.

func addSegment(r *Resolver) {
	r.Builtin[OpSegmentSum] = &Kernel{MaxVersion: 1, Prepare: segPrepare, Eval: segEval}
	for _, op := range []Op{OpUnsortedSegmentSum, OpUnsortedSegmentProd, OpUnsortedSegmentMax, OpUnsortedSegmentMin} {
		r.Builtin[op] = &Kernel{MaxVersion: 1, Prepare: segPrepare, Eval: segEval}
	}
}

type segState struct {
	shape   []int
	dynamic bool
	inner   int // elements per segment row
}

func segPrepare(c Context, n *Node) error {
	want := 3
	if n.Op == OpSegmentSum {
		want = 2
	}
	if len(n.Inputs) != want || len(n.Outputs) != 1 {
		return n.Errorf("takes %d inputs and 1 output, got %d and %d", want, len(n.Inputs), len(n.Outputs))
	}
	data, ids, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if data == nil || ids == nil || out == nil {
		return n.Errorf("data, segment_ids and output tensors are required")
	}
	if data.Type != models.Int32 && data.Type != models.Float32 {
		return n.Errorf("data tensor %q type %s is not supported (int32, float32)", data.Name, data.Type)
	}
	if out.Type != data.Type {
		return n.Errorf("output tensor %q type %s differs from data type %s", out.Name, out.Type, data.Type)
	}
	if ids.Type != models.Int32 {
		return n.Errorf("segment_ids tensor %q must be int32, got %s", ids.Name, ids.Type)
	}
	if _, ok := mulChecked(data.Shape...); !ok || data.Dims() < 1 {
		return n.Errorf("data tensor %q shape %v is invalid, too large or a scalar", data.Name, data.Shape)
	}
	konst := ids.Const
	rank := data.Dims()
	if n.Op == OpSegmentSum {
		if ids.Dims() != 1 || ids.Shape[0] != data.Shape[0] {
			return n.Errorf("segment_ids tensor %q must be 1-D with %d elements, got %v", ids.Name, data.Shape[0], ids.Shape)
		}
	} else {
		if ids.Dims() > data.Dims() {
			return n.Errorf("segment_ids tensor %q shape %v is not a prefix of data shape %v", ids.Name, ids.Shape, data.Shape)
		}
		for i, d := range ids.Shape {
			if data.Shape[i] != d {
				return n.Errorf("segment_ids tensor %q shape %v is not a prefix of data shape %v", ids.Name, ids.Shape, data.Shape)
			}
		}
		num := c.Input(n, 2)
		if num == nil || num.Type != models.Int32 || num.NumElements() != 1 || num.Dims() > 1 {
			return n.Errorf("num_segments must be an int32 scalar or 1-element vector")
		}
		konst = konst && num.Const
		rank = data.Dims() - ids.Dims() + 1
	}
	st := &segState{}
	var err error
	if st.shape, err = makeSlice[int](c, rank); err != nil {
		return n.Errorf("%v", err)
	}
	copy(st.shape[1:], data.Shape[data.Dims()-rank+1:])
	st.inner = 1
	for _, d := range st.shape[1:] {
		st.inner *= d
	}
	n.State = st
	st.dynamic = !konst
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, data, ids, out)
}

// resize validates the ids and sets the output's first dimension.
func (st *segState) resize(c Context, n *Node, data, ids, out *Tensor) error {
	k := ids.NumElements()
	if err := checkData(n, "segment_ids", ids, k); err != nil {
		return err
	}
	idv := ids.I32()[:k]
	if n.Op == OpSegmentSum {
		prev := int32(-1)
		for i, id := range idv {
			if (i == 0 && id != 0) || (i > 0 && id != prev && id != prev+1) {
				return n.Errorf("segment_ids tensor %q: element %d is %d; ids must start at 0 and grow by 0 or 1", ids.Name, i, id)
			}
			prev = id
		}
		st.shape[0] = int(prev) + 1
	} else {
		num := c.Input(n, 2)
		if err := checkData(n, "num_segments", num, 1); err != nil {
			return err
		}
		m := num.I32()[0]
		if m < 0 {
			return n.Errorf("num_segments is negative (%d)", m)
		}
		for i, id := range idv {
			if id >= m {
				return n.Errorf("segment_ids tensor %q: element %d is %d, not below num_segments %d", ids.Name, i, id, m)
			}
		}
		st.shape[0] = int(m)
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func segEval(c Context, n *Node) error {
	st, ok := n.State.(*segState)
	if !ok {
		return n.Errorf("not prepared")
	}
	data, ids, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if st.dynamic {
		if err := st.resize(c, n, data, ids, out); err != nil {
			return err
		}
	}
	k, total := ids.NumElements(), out.NumElements()
	if err := checkData(n, "data", data, data.NumElements()); err != nil {
		return err
	}
	if err := checkData(n, "output", out, total); err != nil {
		return err
	}
	idv := ids.I32()[:k]
	if data.Type == models.Float32 {
		segRun(n.Op, idv, data.F32(), out.F32()[:total], st.inner, -math.MaxFloat32, math.MaxFloat32)
	} else {
		segRun(n.Op, idv, data.I32(), out.I32()[:total], st.inner, math.MinInt32, math.MaxInt32)
	}
	return nil
}

func segRun[T int32 | float32](op Op, ids []int32, x, o []T, inner int, lowest, highest T) {
	var init T
	switch op {
	case OpUnsortedSegmentProd:
		init = 1
	case OpUnsortedSegmentMax:
		init = lowest
	case OpUnsortedSegmentMin:
		init = highest
	}
	for i := range o {
		o[i] = init
	}
	for i, id := range ids {
		if id < 0 {
			continue
		}
		dst, src := o[int(id)*inner:][:inner], x[i*inner:][:inner]
		switch op {
		case OpUnsortedSegmentProd:
			for j, v := range src {
				dst[j] *= v
			}
		case OpUnsortedSegmentMax:
			for j, v := range src {
				if dst[j] < v {
					dst[j] = v
				}
			}
		case OpUnsortedSegmentMin:
			for j, v := range src {
				if v < dst[j] {
					dst[j] = v
				}
			}
		default:
			for j, v := range src {
				dst[j] += v
			}
		}
	}
}
