package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// EMBEDDING_LOOKUP gathers rows of a value table (dimension 0) by int32 ids:
//
//	ids [k], value [rows, d1, ...] -> out [k, d1, ...]
//
// Same-typed outputs copy raw rows (every fixed-size type, like TFLite's
// memcpy). Float32 or float16 outputs of int8, uint8, packed int4 or packed
// int2 (version 5) values are the hybrid path: each element times the
// table's scale, or the row's scale when quantized per row (axis 0), in
// float32; a float16 output rounds that product to nearest even, as
// LiteRT's store into half does. Zero points must be 0 for float32 output;
// LiteRT ignores them for float16 output, and so does this kernel.
// uint8 tables hold int8 codes, as TFLite reads them.
// Packed int4 rows start at byte (row*cols)/2 and int2 rows at byte
// (row*cols)/4, LiteRT's addressing (a row then starts at its byte's first
// element even when cols is not a multiple of 2 or 4, as in LiteRT).
//
// EMBEDDING_LOOKUP_SPARSE combines weighted rows per position of a sparse
// tensor (ids, indices, dense_shape, weights) into a dense float32 output
// [dense_shape[:-1]..., d1, ...] with SUM, MEAN or SQRTN (the combiner
// option). Positions are runs of equal consecutive indices, as in TFLite;
// float32 products are rounded before they are added, never fused.

func addEmbedding(r *Resolver) {
	r.Builtin[OpEmbeddingLookup] = &Kernel{MaxVersion: 5, Prepare: embPrepare, Eval: embEval}
	r.Builtin[OpEmbeddingLookupSparse] = &Kernel{MaxVersion: 1, Prepare: embSparsePrepare, Eval: embSparseEval}
}

type embState struct {
	rows   int
	cols   int // elements per row
	hybrid bool
	block  int       // blockwise: elements per block, 0 otherwise
	scales []float32 // hybrid: one per table or per row
	row    []float32 // hybrid float16: one row in float32 before rounding
}

func embPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	ids, val, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if ids == nil || val == nil || out == nil {
		return n.Errorf("ids, value and output tensors are required")
	}
	if ids.Dims() != 1 || ids.Type != models.Int32 {
		return n.Errorf("ids tensor %q must be 1-D int32, got %s %v", ids.Name, ids.Type, ids.Shape)
	}
	if val.Dims() < 2 {
		return n.Errorf("value tensor %q must have at least 2 dimensions, got %v", val.Name, val.Shape)
	}
	total, ok := mulChecked(val.Shape...)
	if !ok {
		return n.Errorf("value tensor %q shape %v is invalid or too large", val.Name, val.Shape)
	}
	st := &embState{rows: val.Shape[0]}
	if st.rows > 0 {
		st.cols = total / st.rows
	} else {
		st.cols, _ = mulChecked(val.Shape[1:]...)
	}
	switch {
	case val.Blockwise != nil:
		if err := st.prepareBlockwise(c, n, val, out); err != nil {
			return err
		}
	case out.Type == val.Type:
		if val.Type.Size() == 0 {
			return n.Errorf("value tensor %q type %s is not supported", val.Name, val.Type)
		}
	case (out.Type == models.Float32 || out.Type == models.Float16) && (val.Type == models.Int8 || val.Type == models.UInt8 || val.Type == models.Int4 || val.Type == models.Int2):
		st.hybrid = true
		if err := st.prepareHybrid(c, n, val, out.Type == models.Float32); err != nil {
			return err
		}
		if out.Type == models.Float16 {
			var err error
			if st.row, err = allocSlice[float32](c, st.cols); err != nil {
				return n.Errorf("row buffer: %v", err)
			}
		}
	default:
		return n.Errorf("value tensor %q type %s with output tensor %q type %s is not supported (same types, or int8/uint8/int4/int2 values with float32 or float16 output)", val.Name, val.Type, out.Name, out.Type)
	}
	n.State = st
	shape := append([]int{ids.Shape[0]}, val.Shape[1:]...)
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func (st *embState) prepareHybrid(c Context, n *Node, val *Tensor, zeroZP bool) error {
	q := val.Quant
	if q == nil || len(q.Scale) == 0 {
		return n.Errorf("value tensor %q (%s) has no quantization parameters", val.Name, val.Type)
	}
	for i, z := range q.ZeroPoint {
		if zeroZP && z != 0 {
			return n.Errorf("value tensor %q: zero point %d (entry %d) must be 0 for float output", val.Name, z, i)
		}
	}
	if len(q.Scale) > 1 {
		if q.Axis != 0 || len(q.Scale) != st.rows {
			return n.Errorf("value tensor %q: per-axis quantization needs axis 0 and %d scales, got axis %d and %d scales", val.Name, st.rows, q.Axis, len(q.Scale))
		}
		if len(q.ZeroPoint) != 1 && len(q.ZeroPoint) != st.rows {
			return n.Errorf("value tensor %q: %d zero points for %d rows", val.Name, len(q.ZeroPoint), st.rows)
		}
	}
	var err error
	if st.scales, err = allocSlice[float32](c, len(q.Scale)); err != nil {
		return n.Errorf("scales: %v", err)
	}
	copy(st.scales, q.Scale)
	return nil
}

func embEval(c Context, n *Node) error {
	st, ok := n.State.(*embState)
	if !ok {
		return n.Errorf("not prepared")
	}
	ids, val, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	k := ids.Shape[0]
	if err := checkData(n, "ids", ids, k); err != nil {
		return err
	}
	if st.rows == 0 || st.cols == 0 {
		return nil
	}
	idv := ids.I32()[:k]
	for i, id := range idv {
		if id < 0 || int(id) >= st.rows {
			return n.Errorf("ids tensor %q: element %d is %d, outside [0, %d)", ids.Name, i, id, st.rows)
		}
	}
	if !st.hybrid {
		rb := st.cols * val.Type.Size()
		if len(val.Data) < st.rows*rb || len(out.Data) < k*rb {
			return n.Errorf("value tensor %q or output tensor %q has too little data", val.Name, out.Name)
		}
		for i, id := range idv {
			copy(out.Data[i*rb:(i+1)*rb], val.Data[int(id)*rb:(int(id)+1)*rb])
		}
		return nil
	}
	if err := checkData(n, "output", out, k*st.cols); err != nil {
		return err
	}
	if val.Type != models.Int4 && val.Type != models.Int2 {
		if err := checkData(n, "value", val, st.rows*st.cols); err != nil {
			return err
		}
	}
	var o []float32
	var o16 []uint16
	if st.row != nil {
		o16 = out.U16()
	} else {
		o = out.F32()
	}
	for i, id := range idv {
		dst := st.row
		if o != nil {
			dst = o[i*st.cols : (i+1)*st.cols]
		}
		if st.block > 0 {
			if err := st.embRowBlockwise(n, val, int(id), dst); err != nil {
				return err
			}
			if o16 != nil {
				for j, v := range dst {
					o16[i*st.cols+j] = qzFloatToHalf(v)
				}
			}
			continue
		}
		s := st.scales[0]
		if len(st.scales) > 1 {
			s = st.scales[id]
		}
		switch val.Type {
		case models.Int8, models.UInt8:
			// A uint8 table holds int8 codes, the legacy hybrid
			// convention TFLite's kernel reads it with (as the hybrid
			// RNN/LSTM weights).
			for j, v := range val.Data[int(id)*st.cols:][:st.cols] {
				dst[j] = float32(int8(v)) * s
			}
		case models.Int4:
			if err := embRowInt4(n, val, int(id)*st.cols, s, dst); err != nil {
				return err
			}
		case models.Int2:
			if err := embRowInt2(n, val, int(id)*st.cols, s, dst); err != nil {
				return err
			}
		}
		if o16 != nil {
			for j, v := range dst {
				o16[i*st.cols+j] = qzFloatToHalf(v)
			}
		}
	}
	return nil
}

// embRowInt4 dequantizes the packed INT4 elements of val from element
// first on into dst. Two elements share a byte, the first in the low
// nibble; like LiteRT, the run starts at byte first/2 and each nibble is
// moved to the top of an int8 (code*16) and multiplied by scale/16: the
// same as code*scale unless the scale is subnormal.
func embRowInt4(n *Node, val *Tensor, first int, scale float32, dst []float32) error {
	start := first / 2
	if need := start + (len(dst)+1)/2; len(val.Data) < need {
		return n.Errorf("value tensor %q has %d bytes of data, elements from %d need %d", val.Name, len(val.Data), first, need)
	}
	src, s16 := val.Data[start:], scale/16
	for j := range dst {
		b := src[j/2]
		top := int8(b << 4) // low nibble first
		if j&1 == 1 {
			top = int8(b & 0xf0)
		}
		dst[j] = float32(top) * s16
	}
	return nil
}

// ---- EMBEDDING_LOOKUP_SPARSE ----

const (
	combinerSum = iota
	combinerMean
	combinerSqrtN
)

func readEmbSparseOptions(n *Node) (combiner int) {
	return int(n.Opts.(*EmbeddingLookupSparseOptions).Combiner)
}

type embSparseState struct {
	combiner int
	cols     int
	dynamic  bool
	shape    []int
}

func embSparsePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 5 || len(n.Outputs) != 1 {
		return n.Errorf("takes 5 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	ids, idx, dense, w, val, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Input(n, 4), c.Output(n, 0)
	if ids == nil || idx == nil || dense == nil || w == nil || val == nil || out == nil {
		return n.Errorf("ids, indices, dense_shape, weights, value and output tensors are required")
	}
	switch {
	case ids.Dims() != 1 || ids.Type != models.Int32:
		return n.Errorf("ids tensor %q must be 1-D int32, got %s %v", ids.Name, ids.Type, ids.Shape)
	case idx.Dims() != 2 || idx.Type != models.Int32:
		return n.Errorf("indices tensor %q must be 2-D int32, got %s %v", idx.Name, idx.Type, idx.Shape)
	case dense.Dims() != 1 || dense.Type != models.Int32:
		return n.Errorf("dense_shape tensor %q must be 1-D int32, got %s %v", dense.Name, dense.Type, dense.Shape)
	case w.Dims() != 1 || w.Type != models.Float32:
		return n.Errorf("weights tensor %q must be 1-D float32, got %s %v", w.Name, w.Type, w.Shape)
	case idx.Shape[0] != ids.Shape[0] || w.Shape[0] != ids.Shape[0]:
		return n.Errorf("ids, indices and weights must have the same length, got %d, %d and %d", ids.Shape[0], idx.Shape[0], w.Shape[0])
	case dense.Shape[0] != idx.Shape[1]:
		return n.Errorf("dense_shape tensor %q has %d elements, indices have rank %d", dense.Name, dense.Shape[0], idx.Shape[1])
	case idx.Shape[1] < 1:
		return n.Errorf("indices tensor %q must have rank at least 1, got %v", idx.Name, idx.Shape)
	case val.Dims() < 2 || val.Type != models.Float32:
		return n.Errorf("value tensor %q must be float32 with at least 2 dimensions, got %s %v", val.Name, val.Type, val.Shape)
	case out.Type != models.Float32:
		return n.Errorf("output tensor %q must be float32, got %s", out.Name, out.Type)
	}
	cols, ok := mulChecked(val.Shape[1:]...)
	if _, ok2 := mulChecked(val.Shape...); !ok || !ok2 {
		return n.Errorf("value tensor %q shape %v is invalid or too large", val.Name, val.Shape)
	}
	comb := readEmbSparseOptions(n)
	if comb < combinerSum || comb > combinerSqrtN {
		return n.Errorf("combiner %d is not SUM, MEAN or SQRTN", comb)
	}
	st := &embSparseState{combiner: comb, cols: cols, dynamic: !dense.Const}
	rank := (idx.Shape[1] - 1) + (val.Dims() - 1)
	var err error
	if st.shape, err = makeSlice[int](c, rank); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, dense, val, out)
}

// resize sets the output shape from dense_shape.
func (st *embSparseState) resize(c Context, n *Node, dense, val, out *Tensor) error {
	l := dense.Shape[0]
	if err := checkData(n, "dense_shape", dense, l); err != nil {
		return err
	}
	k := 0
	for i, d := range dense.I32()[:l-1] {
		if d < 0 {
			return n.Errorf("dense_shape tensor %q: element %d is negative (%d)", dense.Name, i, d)
		}
		st.shape[k] = int(d)
		k++
	}
	copy(st.shape[k:], val.Shape[1:])
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func embSparseEval(c Context, n *Node) error {
	st, ok := n.State.(*embSparseState)
	if !ok {
		return n.Errorf("not prepared")
	}
	ids, idx, dense, w, val, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Input(n, 4), c.Output(n, 0)
	if st.dynamic {
		if err := st.resize(c, n, dense, val, out); err != nil {
			return err
		}
	}
	k, rank := ids.Shape[0], idx.Shape[1]
	rows := val.Shape[0]
	total := out.NumElements()
	for _, e := range []struct {
		what  string
		t     *Tensor
		elems int
	}{{"ids", ids, k}, {"indices", idx, k * rank}, {"weights", w, k}, {"value", val, rows * st.cols}, {"output", out, total}, {"dense_shape", dense, rank}} {
		if err := checkData(n, e.what, e.t, e.elems); err != nil {
			return err
		}
	}
	o := out.F32()[:total]
	clear(o)
	if st.cols == 0 || k == 0 {
		return nil
	}
	idv, ix, wv, dv, v := ids.I32()[:k], idx.I32()[:k*rank], w.F32()[:k], dense.I32()[:rank], val.F32()
	cur, count := 0, 0
	var sum, sq float32
	for i, id := range idv {
		if id < 0 || int(id) >= rows {
			return n.Errorf("ids tensor %q: element %d is %d, outside [0, %d)", ids.Name, i, id, rows)
		}
		bucket, stride := 0, 1
		for d := rank - 2; d >= 0; d-- {
			p := ix[i*rank+d]
			if p < 0 || p >= dv[d] {
				return n.Errorf("indices tensor %q: row %d, column %d is %d, outside [0, %d)", idx.Name, i, d, p, dv[d])
			}
			bucket += int(p) * stride
			stride *= int(dv[d])
		}
		off := bucket * st.cols
		if off != cur {
			st.finish(o[cur:cur+st.cols], count, sum, sq)
			cur, count, sum, sq = off, 0, 0, 0
		}
		count++
		wt := wv[i]
		sq += float32(wt * wt)
		sum += wt
		dst, src := o[off:off+st.cols], v[int(id)*st.cols:][:st.cols]
		for j, x := range src {
			dst[j] += float32(x * wt)
		}
	}
	st.finish(o[cur:cur+st.cols], count, sum, sq)
	return nil
}

// finish divides a position's weighted sum for MEAN and SQRTN.
func (st *embSparseState) finish(o []float32, count int, sum, sq float32) {
	if st.combiner == combinerSum || count == 0 {
		return
	}
	m := sum
	if st.combiner == combinerSqrtN {
		m = float32(math.Sqrt(float64(sq)))
	}
	for j := range o {
		o[j] /= m
	}
}
