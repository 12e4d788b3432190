package ops

import (
	"github.com/axle-edge/axle/models"
)

// MATRIX_DIAG turns the last dimension of its input into the diagonal of
// square matrices ([..., n] -> [..., n, n], zeros elsewhere);
// MATRIX_SET_DIAG replaces the main diagonal of the last two dimensions
// ([..., r, c]) with diagonal ([..., min(r, c)]). Elements are copied as
// bytes, so both work for every type TFLite's kernels take: float32, int64,
// int32, int16, int8, uint8.

func addMatrixDiag(r *Resolver) {
	r.Builtin[OpMatrixDiag] = &Kernel{MaxVersion: 1, Prepare: matDiagPrepare, Eval: matDiagEval}
	r.Builtin[OpMatrixSetDiag] = &Kernel{MaxVersion: 1, Prepare: matDiagPrepare, Eval: matDiagEval}
}

type matDiagState struct {
	batch, rows, cols int
	shape             []int
}

func matDiagPrepare(c Context, n *Node) error {
	set := n.Op == OpMatrixSetDiag
	want, minRank := 1, 1
	if set {
		want, minRank = 2, 2
	}
	if len(n.Inputs) != want || len(n.Outputs) != 1 {
		return n.Errorf("takes %d inputs and 1 output, got %d and %d", want, len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	switch in.Type {
	case models.Float32, models.Int64, models.Int32, models.Int16, models.Int8, models.UInt8:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	if in.Dims() < minRank {
		return n.Errorf("input tensor %q must have rank >= %d, got %v", in.Name, minRank, in.Shape)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	out.Type = in.Type // as TFLite's Prepare does
	st := &matDiagState{}
	rank := in.Dims()
	if !set {
		rank++
	}
	var err error
	if st.shape, err = makeSlice[int](c, rank); err != nil {
		return n.Errorf("%v", err)
	}
	copy(st.shape, in.Shape)
	if !set {
		st.shape[rank-1] = in.Shape[rank-2]
	}
	st.rows, st.cols = st.shape[rank-2], st.shape[rank-1]
	st.batch = 1
	for _, d := range st.shape[:rank-2] {
		st.batch *= d
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if set {
		diag := c.Input(n, 1)
		if diag == nil || diag.Type != in.Type {
			return n.Errorf("diagonal tensor must have the input's type %s", in.Type)
		}
		ok := diag.Dims() == rank-1 && diag.Shape[rank-2] == min(st.rows, st.cols)
		for i := 0; ok && i < rank-2; i++ {
			ok = diag.Shape[i] == in.Shape[i]
		}
		if !ok {
			return n.Errorf("diagonal tensor %q shape %v does not fit input shape %v (want [%v..., %d])", diag.Name, diag.Shape, in.Shape, in.Shape[:rank-2], min(st.rows, st.cols))
		}
	}
	n.State = st
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func matDiagEval(c Context, n *Node) error {
	st, ok := n.State.(*matDiagState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	size := in.Type.Size()
	m := st.rows * st.cols
	if err := checkData(n, "input", in, in.NumElements()); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.batch*m); err != nil {
		return err
	}
	diag, k := in, st.cols // MATRIX_DIAG: the input row is the diagonal
	if n.Op == OpMatrixSetDiag {
		diag, k = c.Input(n, 1), min(st.rows, st.cols)
		if err := checkData(n, "diagonal", diag, st.batch*k); err != nil {
			return err
		}
		copy(out.Data[:st.batch*m*size], in.Data)
	} else {
		clear(out.Data[:st.batch*m*size])
	}
	for b := 0; b < st.batch; b++ {
		for i := 0; i < k; i++ {
			dst := (b*m + i*st.cols + i) * size
			src := (b*k + i) * size
			copy(out.Data[dst:dst+size], diag.Data[src:src+size])
		}
	}
	return nil
}
