package ops

import "github.com/axle-edge/axle/models"

// BATCH_MATMUL: out[..., i, j] = sum_k L[..., i, k] * R[..., k, j], with
// adj_x / adj_y meaning L / R are stored transposed, and the batch
// dimensions (up to three, ranks 2..5) broadcast against each other. R is
// packed per batch as N rows of K in the layouts of FULLY_CONNECTED
// (packRows, packRowsI8, packPairs16) so the inner loop is its dot product
// (gemmRowF32, gemmRowI8, gemmRow16); an adjoint L is transposed into
// scratch first.

type bmmKind uint8

const (
	bmmFloat    bmmKind = iota
	bmmInt8             // int8 x int8 -> int8
	bmmInt8To32         // int8 x int8 -> int32: raw products, zero points ignored as in TFLite
	bmmInt16            // int16 x int16/int8 -> int16, int64 accumulators
	bmmHybrid           // float x int8 -> float
)

type bmmState struct {
	kind        bmmKind
	adjX, adjY  bool
	asym        bool
	m, k, nCols int
	lBatches    int
	rBatches    int
	lIdx, rIdx  []int // per output batch: the L and R batch it reads
	outBatches  int
	block       int // packed R elements per batch
	constR      bool
	packed      bool
	mult        int32
	shift       int
	colMult     []int32 // per output column when the rhs is per-channel
	colShift    []int
	lZP, outZP  int32
	rZP         int32
	fScales     []float32

	lt    []byte // transposed L (adj_x), typed through views
	wF32  []float32
	wI8   []int8
	wI16  []int16
	wMax  int32   // bmmInt16: the largest |r| (gemmRow16)
	r16   bool    // bmmInt16: R is int16 (wI16), else int8 (wI8)
	corr  []int32 // per R batch and column: -zl*sum(r - zr)
	rsum  []int32 // hybrid: per R batch and column sum of r
	accF  []float32
	accI  []int32
	accL  []int64
	qIn   []int8
	scale []float32
	zp    []int32
}

func bmmPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	l, r, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if l == nil || r == nil || out == nil {
		return n.Errorf("both inputs and the output are required")
	}
	lr, rr := l.Dims(), r.Dims()
	if lr < 2 || lr > 5 || rr < 2 || rr > 5 {
		return n.Errorf("inputs must have rank 2 to 5, got shapes %v and %v", l.Shape, r.Shape)
	}
	st, _ := n.State.(*bmmState)
	if st == nil {
		st = &bmmState{}
		n.State = st
	}
	o := n.Opts.(*BatchMatMulOptions)
	st.adjX, st.adjY, st.asym = o.AdjX, o.AdjY, o.AsymmetricQuantizeInputs
	rank := max(lr, rr)
	ls, rs := extend(l.Shape, rank), extend(r.Shape, rank)
	for _, d := range append(append([]int(nil), l.Shape...), r.Shape...) {
		if d < 0 {
			return n.Errorf("input shapes %v and %v have a negative dimension", l.Shape, r.Shape)
		}
	}
	outShape := make([]int, rank)
	for i := 0; i < rank-2; i++ {
		switch {
		case ls[i] == rs[i] || rs[i] == 1:
			outShape[i] = ls[i]
		case ls[i] == 1:
			outShape[i] = rs[i]
		default:
			return n.Errorf("batch dimensions %v and %v do not broadcast", l.Shape[:lr-2], r.Shape[:rr-2])
		}
	}
	st.m, st.k = ls[rank-2], ls[rank-1]
	if st.adjX {
		st.m, st.k = st.k, st.m
	}
	rk, rn := rs[rank-2], rs[rank-1]
	if st.adjY {
		rk, rn = rn, rk
	}
	if rk != st.k {
		return n.Errorf("inner dimensions differ: %d (lhs) and %d (rhs)", st.k, rk)
	}
	st.nCols = rn
	outShape[rank-2], outShape[rank-1] = st.m, st.nCols
	var ok bool
	if st.outBatches, ok = mulChecked(outShape[:rank-2]...); !ok {
		return n.Errorf("output shape %v is too large", outShape)
	}
	st.lBatches, _ = mulChecked(ls[:rank-2]...)
	st.rBatches, _ = mulChecked(rs[:rank-2]...)
	if _, ok := mulChecked(st.outBatches, st.m, st.nCols); !ok {
		return n.Errorf("output shape %v is too large", outShape)
	}
	if _, ok := mulChecked(st.lBatches, st.m, st.k); !ok {
		return n.Errorf("lhs shape %v is too large", l.Shape)
	}
	if st.block, ok = mulChecked(roundUp4(st.nCols), st.k); !ok {
		return n.Errorf("rhs shape %v is too large", r.Shape)
	}
	if _, ok := mulChecked(st.block, st.rBatches); !ok {
		return n.Errorf("rhs shape %v is too large", r.Shape)
	}
	var err error
	if st.lIdx, err = broadcastIndex(c, outShape[:rank-2], ls[:rank-2]); err != nil {
		return n.Errorf("lhs broadcast index: %v", err)
	}
	if st.rIdx, err = broadcastIndex(c, outShape[:rank-2], rs[:rank-2]); err != nil {
		return n.Errorf("rhs broadcast index: %v", err)
	}
	if err := st.prepareTypes(c, n, l, r, out); err != nil {
		return err
	}
	if err := c.Resize(out, outShape); err != nil {
		return n.Errorf("%v", err)
	}
	st.constR, st.packed = r.Const, false
	if err := st.alloc(c, n, l); err != nil {
		return err
	}
	if r.Const {
		st.pack(r)
	}
	return nil
}

// extend left-pads a shape with ones to rank dimensions.
func extend(shape []int, rank int) []int {
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	copy(out[rank-len(shape):], shape)
	return out
}

// broadcastIndex maps every index of the output batch shape to the flat
// index of the input batch it reads (dimensions of size 1 broadcast).
func broadcastIndex(c Context, outDims, inDims []int) ([]int, error) {
	total, _ := mulChecked(outDims...)
	idx, err := allocSlice[int](c, total)
	if err != nil {
		return nil, err
	}
	var buf [maxRank]int
	coord := buf[:len(outDims)]
	for o := range idx {
		flat := 0
		for d, x := range coord {
			if inDims[d] != 1 {
				flat = flat*inDims[d] + x
			}
		}
		idx[o] = flat
		for d := len(coord) - 1; d >= 0; d-- {
			if coord[d]++; coord[d] < outDims[d] {
				break
			}
			coord[d] = 0
		}
	}
	return idx, nil
}

func (st *bmmState) prepareTypes(c Context, n *Node, l, r, out *Tensor) error {
	switch {
	case l.Type == models.Float32 && r.Type == models.Float32:
		st.kind = bmmFloat
	case l.Type == models.Float32 && r.Type == models.Int8:
		st.kind = bmmHybrid
		nd := r.Dims() - 1
		if st.adjY {
			nd = r.Dims() - 2
		}
		q := r.Quant
		if q == nil || len(q.Scale) == 0 {
			return n.Errorf("int8 rhs %q has no quantization parameters", r.Name)
		}
		fs, err := filterScales(c, n, r, q.Axis, len(q.Scale))
		if err != nil {
			return err
		}
		if len(fs) > 1 && (q.Axis != nd || len(fs) != st.nCols) {
			return n.Errorf("rhs %q has %d scales along dimension %d; per-channel scales must follow its %d output columns", r.Name, len(fs), q.Axis, st.nCols)
		}
		if st.fScales, err = allocSlice[float32](c, len(fs)); err != nil {
			return n.Errorf("%v", err)
		}
		for i, s := range fs {
			st.fScales[i] = float32(s)
		}
		if out.Type != models.Float32 {
			return n.Errorf("float lhs needs a float32 output, got %s", out.Type)
		}
		return nil
	case l.Type == models.Int8 && r.Type == models.Int8:
		switch out.Type {
		case models.Int8:
			st.kind = bmmInt8
		case models.Int32:
			st.kind = bmmInt8To32
			return nil
		default:
			return n.Errorf("int8 inputs need an int8 or int32 output, got %s", out.Type)
		}
	case l.Type == models.Int16 && (r.Type == models.Int16 || r.Type == models.Int8):
		st.kind = bmmInt16
		st.r16 = r.Type == models.Int16
	default:
		return n.Errorf("input types %s and %s are not supported", l.Type, r.Type)
	}
	if st.kind == bmmFloat {
		if out.Type != models.Float32 {
			return n.Errorf("float inputs need a float32 output, got %s", out.Type)
		}
		return nil
	}
	if out.Type != l.Type {
		return n.Errorf("%s inputs need a %s output, got %s", l.Type, l.Type, out.Type)
	}
	ls, lzp, err := tensorScale(n, "lhs", l)
	if err != nil {
		return err
	}
	rs, rzp, err := tensorScale(n, "rhs", r)
	if err != nil {
		return err
	}
	os, ozp, err := tensorScale(n, "output", out)
	if err != nil {
		return err
	}
	st.lZP, st.rZP, st.outZP = lzp, rzp, ozp
	st.mult, st.shift = productMultiplier(ls, rs, os)
	if err := st.prepareColumnScales(c, n, r, ls, os); err != nil {
		return err
	}
	if st.kind == bmmInt16 {
		if lzp != 0 || rzp != 0 || ozp != 0 {
			return n.Errorf("int16 batch matmul needs zero points 0, got %d, %d and %d", lzp, rzp, ozp)
		}
		if st.colShift != nil {
			return checkShift64(n, st.colShift)
		}
		return checkShift64(n, []int{st.shift})
	}
	return nil
}

// prepareColumnScales derives one output multiplier per column when the
// quantized rhs has per-channel scales along its output columns (what the
// 16x8 quantizer makes of an einsum's weights); the first scale alone would
// put every other column off by the ratio of the scales. The multipliers are
// computed in double precision as for per-channel CONV_2D and
// FULLY_CONNECTED. Per-channel scales along any other dimension, or with
// non-zero zero points, are refused.
func (st *bmmState) prepareColumnScales(c Context, n *Node, r *Tensor, ls, os float64) error {
	st.colMult, st.colShift = nil, nil
	q := r.Quant
	if len(q.Scale) <= 1 {
		return nil
	}
	nd := r.Dims() - 1
	if st.adjY {
		nd = r.Dims() - 2
	}
	if q.Axis != nd || len(q.Scale) != st.nCols {
		return n.Errorf("rhs %q has %d scales along dimension %d; per-channel scales must follow its %d output columns (dimension %d)", r.Name, len(q.Scale), q.Axis, st.nCols, nd)
	}
	if err := zeroFilterZeroPoints(n, r); err != nil {
		return err
	}
	fs, err := filterScales(c, n, r, nd, st.nCols)
	if err != nil {
		return err
	}
	st.colMult, st.colShift, err = perChannelMultipliers(c, n, ls, os, fs)
	return err
}

// colQuant is the output multiplier and shift of column j.
func (st *bmmState) colQuant(j int) (int32, int) {
	if st.colMult != nil {
		return st.colMult[j], st.colShift[j]
	}
	return st.mult, st.shift
}

func (st *bmmState) alloc(c Context, n *Node, l *Tensor) error {
	packed := st.block * st.rBatches
	cols := roundUp4(st.nCols)
	lsize := st.lBatches * st.m * st.k
	var err error
	switch st.kind {
	case bmmFloat:
		st.wF32, err = allocSlice[float32](c, packed)
		if err == nil {
			st.accF, err = allocSlice[float32](c, cols)
		}
	case bmmInt8, bmmInt8To32, bmmHybrid:
		st.wI8, err = allocSlice[int8](c, packed)
		if err == nil {
			st.accI, err = allocSlice[int32](c, cols)
		}
		if err == nil {
			st.corr, err = allocSlice[int32](c, st.rBatches*st.nCols)
		}
		if err == nil && st.kind == bmmHybrid {
			st.rsum, err = allocSlice[int32](c, st.rBatches*st.nCols)
			if err == nil {
				st.qIn, err = allocSlice[int8](c, lsize)
			}
			if err == nil {
				st.scale, err = allocSlice[float32](c, st.lBatches*st.m)
			}
			if err == nil {
				st.zp, err = allocSlice[int32](c, st.lBatches*st.m)
			}
		}
	case bmmInt16:
		if st.r16 {
			st.wI16, err = allocSlice[int16](c, packed)
		} else {
			st.wI8, err = allocSlice[int8](c, packed)
		}
		if err == nil {
			st.accL, err = allocSlice[int64](c, cols)
		}
	}
	if err == nil && st.adjX {
		st.lt, err = c.Alloc(lsize * l.Type.Size())
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// pack packs every R batch as N rows of K (transposing unless adj_y).
func (st *bmmState) pack(r *Tensor) {
	k, nc := st.k, st.nCols
	// Element (column j, depth i) of a batch is at j*rs + i*ds.
	rs, ds := 1, nc
	if st.adjY {
		rs, ds = k, 1
	}
	st.wMax = 0
	for b := 0; b < st.rBatches; b++ {
		lo, hi := b*k*nc, (b+1)*k*nc
		dst := b * st.block
		switch st.kind {
		case bmmFloat:
			packRhs(st.wF32[dst:dst+st.block], r.F32()[lo:hi], k, nc, st.adjY)
		case bmmInt8, bmmInt8To32, bmmHybrid:
			// The zero points stay out of the int8 weights (r - zr may not
			// fit): bmmEval corrects the raw sums.
			packStrided(bestPath(), st.wI8[dst:dst+st.block], r.I8()[lo:hi], nc, k, k, k, rs, ds)
		case bmmInt16:
			var m int32
			if st.r16 {
				m = packPairs16(st.wI16[dst:dst+st.block], r.I16()[lo:hi], nc, k, rs, ds)
			} else {
				m = packPairs16(st.wI8[dst:dst+st.block], r.I8()[lo:hi], nc, k, rs, ds)
			}
			st.wMax = max(st.wMax, m)
		}
		if st.kind == bmmInt8 || st.kind == bmmHybrid {
			src := r.I8()[lo:hi]
			for j := 0; j < nc; j++ {
				s := -int32(k) * st.rZP // sum(r - zr)
				for i := 0; i < k; i++ {
					s += int32(src[j*rs+i*ds])
				}
				if st.kind == bmmInt8 {
					st.corr[b*nc+j] = -st.lZP * s
				} else {
					st.rsum[b*nc+j] = s
				}
			}
		}
	}
	st.packed = true
}

// bmmAt is the offset of R[k=i][n=j] in one batch of R.
func bmmAt(i, j, k, nc int, adjY bool) int {
	if adjY {
		return j*k + i
	}
	return i*nc + j
}

// packRhs packs one float R batch ([K][N], or [N][K] when adjY) into
// blocks of four output columns.
func packRhs(dst, src []float32, k, nc int, adjY bool) {
	for j := 0; j < roundUp4(nc); j++ {
		base := j / 4 * 4 * k
		for i := 0; i < k; i++ {
			var v float32
			if j < nc {
				v = src[bmmAt(i, j, k, nc, adjY)]
			}
			dst[base+4*i+j%4] = v
		}
	}
}

func bmmEval(c Context, n *Node) error {
	st, ok := n.State.(*bmmState)
	if !ok {
		return n.Errorf("not prepared")
	}
	l, r, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	m, k, nc := st.m, st.k, st.nCols
	if err := checkData(n, "lhs", l, st.lBatches*m*k); err != nil {
		return err
	}
	if err := checkData(n, "rhs", r, st.rBatches*k*nc); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.outBatches*m*nc); err != nil {
		return err
	}
	if st.outBatches*m*nc == 0 {
		return nil
	}
	if k == 0 {
		clear(out.Data)
		return nil
	}
	if !st.constR || !st.packed {
		st.pack(r)
	}
	lData := l.Data
	if st.adjX {
		transposeLast2(st.lt, l.Data, st.lBatches, k, m, l.Type.Size())
		lData = st.lt
	}
	if st.kind == bmmHybrid {
		x := view[float32](lData)
		for row := 0; row < st.lBatches*m; row++ {
			v, q := x[row*k:(row+1)*k], st.qIn[row*k:(row+1)*k]
			if st.asym {
				st.scale[row], st.zp[row] = asymmetricQuantize(v, q)
			} else {
				st.scale[row], st.zp[row] = symmetricQuantize(v, q), 0
			}
			if len(st.fScales) == 1 {
				st.scale[row] *= st.fScales[0]
			}
		}
	}
	for ob := 0; ob < st.outBatches; ob++ {
		lb, rb := st.lIdx[ob], st.rIdx[ob]
		w0, w1 := rb*st.block, (rb+1)*st.block
		for i := 0; i < m; i++ {
			row := lb*m + i
			o := (ob*m + i) * nc
			switch st.kind {
			case bmmFloat:
				gemmRowF32(view[float32](lData)[row*k:(row+1)*k], st.wF32[w0:w1], st.accF)
				copy(out.F32()[o:o+nc], st.accF)
			case bmmInt8:
				// sum (l - zl)(r - zr) = sum l*r - zr*sum l - zl*sum(r - zr)
				x := view[int8](lData)[row*k : (row+1)*k]
				gemmRowI8(x, st.wI8[w0:w1], st.accI)
				var lsum int32
				if st.rZP != 0 {
					for _, v := range x {
						lsum += int32(v)
					}
				}
				add := st.corr[rb*nc : (rb+1)*nc]
				dst := out.I8()[o : o+nc]
				for j := range dst {
					m, sh := st.colQuant(j)
					v := MultiplyByQuantizedMultiplier(st.accI[j]-st.rZP*lsum+add[j], m, sh) + st.outZP
					dst[j] = int8(min(max(v, -128), 127))
				}
			case bmmInt8To32:
				gemmRowI8(view[int8](lData)[row*k:(row+1)*k], st.wI8[w0:w1], st.accI)
				copy(out.I32()[o:o+nc], st.accI)
			case bmmInt16:
				x := view[int16](lData)[row*k : (row+1)*k]
				if st.r16 {
					gemmRow16(x, st.wI16[w0:w1], st.accL, st.wMax)
				} else {
					gemmRow16(x, st.wI8[w0:w1], st.accL, st.wMax)
				}
				dst := out.I16()[o : o+nc]
				for j := range dst {
					m, sh := st.colQuant(j)
					v := mulQuant64(st.accL[j], m, sh)
					dst[j] = int16(min(max(v, -32768), 32767))
				}
			case bmmHybrid:
				gemmRowI8(st.qIn[row*k:(row+1)*k], st.wI8[w0:w1], st.accI)
				dst := out.F32()[o : o+nc]
				sf, zp := st.scale[row], st.zp[row]
				for j := range dst {
					s := sf
					if len(st.fScales) > 1 {
						s *= st.fScales[j]
					}
					dst[j] = s * float32(st.accI[j]-st.rsum[rb*nc+j]*zp)
				}
			}
		}
	}
	return nil
}

// transposeLast2 swaps the last two dimensions ([batches][rows][cols] to
// [batches][cols][rows]) of elements of size bytes.
func transposeLast2(dst, src []byte, batches, rows, cols, size int) {
	for b := 0; b < batches; b++ {
		base := b * rows * cols * size
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s := base + (i*cols+j)*size
				d := base + (j*rows+i)*size
				copy(dst[d:d+size], src[s:s+size])
			}
		}
	}
}
