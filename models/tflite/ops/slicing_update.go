package ops

import (
	"github.com/axle-edge/axle/models"
)

// DYNAMIC_UPDATE_SLICE writes update into a copy of operand at the start
// indices given at run time. Starts are clamped so that the update fits,
// as in XLA and TFLite. Every fixed-size type moves as bytes; packed INT4
// (version 5) moves nibble by nibble (slicing_update_int4.go).

func addDynamicUpdateSlice(r *Resolver) {
	r.Builtin[OpDynamicUpdateSlice] = &Kernel{MaxVersion: 6, Prepare: dusPrepare, Eval: dusEval}
}

func dusPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("expects 3 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	op, upd, idx, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if op == nil || upd == nil || idx == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if op.Type != models.Int4 {
		if _, err := elemSize(op); err != nil {
			return n.Errorf("operand: %v", err)
		}
	}
	if upd.Type != op.Type {
		return n.Errorf("update is %s, operand %s", upd.Type, op.Type)
	}
	if idx.Type != models.Int32 && idx.Type != models.Int64 {
		return n.Errorf("start indices must be int32 or int64, not %s", idx.Type)
	}
	if op.Dims() > maxRank {
		return n.Errorf("operand has %d dimensions, at most %d are supported", op.Dims(), maxRank)
	}
	if upd.Dims() != op.Dims() || idx.Dims() != 1 || idx.Shape[0] != op.Dims() {
		return n.Errorf("operand %v, update %v and start indices %v must have one rank and one index per dimension", op.Shape, upd.Shape, idx.Shape)
	}
	for i, d := range upd.Shape {
		if d > op.Shape[i] {
			return n.Errorf("update %v is larger than operand %v in dimension %d", upd.Shape, op.Shape, i)
		}
	}
	if _, err := shapeElems(op.Shape, op.Type.Size()); err != nil {
		return n.Errorf("operand: %v", err)
	}
	out.Type = op.Type
	return c.Resize(out, op.Shape)
}

func dusEval(c Context, n *Node) error {
	op, upd, idx, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if err := ewHaveData(n, op, upd, idx, out); err != nil {
		return err
	}
	rank, esz := op.Dims(), op.Type.Size()
	start := dusStarts(op, upd, idx)
	if op.Type == models.Int4 {
		return dusEvalInt4(n, op, upd, out, &start)
	}
	if !sameData(out.Data, op.Data) {
		copy(out.Data[:op.Bytes()], op.Data)
	}
	if upd.NumElements() == 0 {
		return nil
	}
	if rank == 0 {
		copy(out.Data[:esz], upd.Data)
		return nil
	}
	var stride [maxRank]int
	s := esz
	for i := rank - 1; i >= 0; i-- {
		stride[i] = s
		s *= op.Shape[i]
	}
	row := upd.Shape[rank-1] * esz
	var ix [maxRank]int
	for src := 0; src < upd.Bytes(); src += row {
		dst := 0
		for i := 0; i < rank; i++ {
			dst += (start[i] + ix[i]) * stride[i]
		}
		copy(out.Data[dst:dst+row], upd.Data[src:src+row])
		for i := rank - 2; i >= 0; i-- {
			if ix[i]++; ix[i] < upd.Shape[i] {
				break
			}
			ix[i] = 0
		}
	}
	return nil
}

// dusStarts reads the start indices, clamped so that update fits in operand.
func dusStarts(op, upd, idx *Tensor) [maxRank]int {
	var start [maxRank]int
	for i := 0; i < op.Dims(); i++ {
		var v int64
		if idx.Type == models.Int32 {
			v = int64(idx.I32()[i])
		} else {
			v = idx.I64()[i]
		}
		start[i] = int(min(max(v, 0), int64(op.Shape[i]-upd.Shape[i])))
	}
	return start
}
