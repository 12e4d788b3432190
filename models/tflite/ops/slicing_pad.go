package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// PAD, PADV2 (constant padding) and MIRROR_PAD (REFLECT / SYMMETRIC).

type padState struct {
	esz     int
	mirror  bool
	offset  int // MIRROR_PAD: 1 for REFLECT (edge not repeated), 0 for SYMMETRIC
	dynamic bool
	rank    int
	in      [maxRank]int
	shape   []int
	blk     block // PAD: input into the interior of the output
	pattern [8]byte
	// MIRROR_PAD: per axis, the source index of every output index
	maps [maxRank][]int
	inSt [maxRank]int
	outN int
	inN  int
}

func padPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 3)
	if err != nil {
		return err
	}
	st := &padState{esz: in.Type.Size()}
	n.State = st
	if cv := c.Input(n, 2); cv != nil {
		if cv.Type != in.Type {
			return n.Errorf("constant_values is %s, input is %s", cv.Type, in.Type)
		}
		if cv.NumElements() != 1 {
			return n.Errorf("constant_values must have one element, has shape %v", cv.Shape)
		}
		if isQuantizedInt(in.Type) && out.Quant != nil && (cv.Scale() != out.Scale() || cv.ZeroPoint() != out.ZeroPoint()) {
			return n.Errorf("constant_values quantization (%g, %d) differs from the output's (%g, %d)", cv.Scale(), cv.ZeroPoint(), out.Scale(), out.ZeroPoint())
		}
	} else if isQuantizedInt(in.Type) && out.Quant != nil {
		zp := out.ZeroPoint()
		lo, hi := TypeRange(in.Type)
		if zp < lo || zp > hi {
			return n.Errorf("output zero point %d is outside the %s range", zp, in.Type)
		}
		putInt(st.pattern[:st.esz], int64(zp))
	}
	return padCommonPrepare(c, n, st, in, out)
}

func mirrorPadPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	st := &padState{esz: in.Type.Size(), mirror: true}
	switch mode := n.Opts.(*MirrorPadOptions).Mode; mode {
	case 0:
		st.offset = 1
	case 1:
		st.offset = 0
	default:
		return n.Errorf("mode %d is neither REFLECT (0) nor SYMMETRIC (1)", mode)
	}
	n.State = st
	return padCommonPrepare(c, n, st, in, out)
}

func isQuantizedInt(t models.DType) bool {
	return t == models.Int8 || t == models.UInt8 || t == models.Int16
}

// putInt stores v little-endian in b (1, 2, 4 or 8 bytes).
func putInt(b []byte, v int64) {
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
}

func padCommonPrepare(c Context, n *Node, st *padState, in, out *Tensor) error {
	p := c.Input(n, 1)
	if p == nil {
		return n.Errorf("paddings input is missing")
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	if p.Dims() != 2 || p.Shape[0] != in.Dims() || p.Shape[1] != 2 {
		return n.Errorf("paddings has shape %v, want [%d 2]", p.Shape, in.Dims())
	}
	if !p.Const {
		st.dynamic = true
		c.SetDynamic(out)
		return nil
	}
	if st.mirror {
		// The index maps plan makes have one entry per output index of
		// each axis; mirror padding at most triples an axis.
		var sum int64
		for _, d := range in.Shape {
			sum += int64(d)
		}
		need := 3 * sum * int64(intSize)
		if need > maxTensorBytes {
			return n.Errorf("mirror index maps of %d bytes are too large", need)
		}
		if err := c.Reserve(int(need)); err != nil {
			return n.Errorf("mirror index maps: %v", err)
		}
	}
	if err := st.plan(in, p); err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, append([]int(nil), st.shape...))
}

func (st *padState) plan(in, pT *Tensor) error {
	var buf [2 * maxRank]int
	p, err := tensorInts(pT, "paddings", buf[:0])
	if err != nil {
		return err
	}
	r := in.Dims()
	if len(p) != 2*r {
		return fmt.Errorf("paddings has %d values for rank %d", len(p), r)
	}
	if st.inN, err = shapeElems(in.Shape, st.esz); err != nil {
		return fmt.Errorf("input: %v", err)
	}
	st.rank = r
	st.shape = resized(st.shape, r)
	for i, d := range in.Shape {
		l, h := p[2*i], p[2*i+1]
		if l < 0 || h < 0 {
			return fmt.Errorf("paddings %v has a negative entry", p)
		}
		if st.mirror && (l > d-st.offset || h > d-st.offset) {
			return fmt.Errorf("mirror padding %d,%d is too large for axis %d of size %d", l, h, i, d)
		}
		if l > maxTensorBytes-d || h > maxTensorBytes-d-l {
			return fmt.Errorf("padding axis %d overflows", i)
		}
		st.in[i] = d
		st.shape[i] = d + l + h
	}
	if st.outN, err = shapeElems(st.shape, st.esz); err != nil {
		return fmt.Errorf("output: %v", err)
	}
	var outSt [maxRank]int
	stridesOf(in.Shape, st.inSt[:r])
	stridesOf(st.shape, outSt[:r])
	if st.mirror {
		for i := 0; i < r; i++ {
			st.maps[i] = resized(st.maps[i], st.shape[i])
			l := p[2*i]
			for j := range st.maps[i] {
				st.maps[i][j] = mirrorIndex(j, l, in.Shape[i], st.offset)
			}
		}
		return nil
	}
	dOff := 0
	for i := 0; i < r; i++ {
		dOff += p[2*i] * outSt[i]
	}
	st.blk.reset(dOff, 0)
	for i := 0; i < r; i++ {
		if err := st.blk.add(in.Shape[i], outSt[i], st.inSt[i]); err != nil {
			return err
		}
	}
	return nil
}

// mirrorIndex maps output index j of an axis padded with l on the left to
// its source index.
func mirrorIndex(j, l, size, offset int) int {
	if j < l {
		return l - j - 1 + offset
	}
	j -= l
	if j < size {
		return j
	}
	return 2*size - j - 1 - offset
}

func padEval(c Context, n *Node) error {
	st := n.State.(*padState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := st.resizeDynamic(c, n, in, out); err != nil {
		return err
	}
	if len(out.Data) < st.outN*st.esz || len(in.Data) < st.inN*st.esz {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	pat := st.pattern[:st.esz]
	if cv := c.Input(n, 2); cv != nil {
		if len(cv.Data) < st.esz {
			return n.Errorf("constant_values has no data")
		}
		pat = cv.Data[:st.esz]
	}
	fillPattern(out.Data[:st.outN*st.esz], pat)
	if err := st.blk.run(out.Data, in.Data, st.esz); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func (st *padState) resizeDynamic(c Context, n *Node, in, out *Tensor) error {
	if !st.dynamic {
		return nil
	}
	if err := st.plan(in, c.Input(n, 1)); err != nil {
		return n.Errorf("%v", err)
	}
	if !sameShape(out.Shape, st.shape) || out.Data == nil {
		if err := c.Resize(out, append([]int(nil), st.shape...)); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	return nil
}

func mirrorPadEval(c Context, n *Node) error {
	st := n.State.(*padState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := st.resizeDynamic(c, n, in, out); err != nil {
		return err
	}
	if len(out.Data) < st.outN*st.esz || len(in.Data) < st.inN*st.esz {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	if st.outN == 0 {
		return nil
	}
	switch st.esz {
	case 1:
		mirrorCopy(out.Data, in.Data, st)
	case 2:
		mirrorCopy(view[uint16](out.Data), view[uint16](in.Data), st)
	case 4:
		mirrorCopy(view[uint32](out.Data), view[uint32](in.Data), st)
	case 8:
		mirrorCopy(view[uint64](out.Data), view[uint64](in.Data), st)
	}
	return nil
}

// mirrorCopy writes the output in order, looking every index up in the
// per-axis maps.
func mirrorCopy[T any](dst, src []T, st *padState) {
	r := st.rank
	if r == 0 {
		dst[0] = src[0]
		return
	}
	last := st.maps[r-1]
	var idx [maxRank]int
	o := 0
	for {
		base := 0
		for k := 0; k < r-1; k++ {
			base += st.maps[k][idx[k]] * st.inSt[k]
		}
		row := dst[o : o+len(last)]
		for j, s := range last {
			row[j] = src[base+s]
		}
		o += len(last)
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < st.shape[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}
