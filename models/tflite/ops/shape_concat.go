package ops

import (
	"fmt"
	"math"

	"github.com/axle-edge/axle/models"
)

// CONCATENATION, PACK and UNPACK (and SPLIT, SPLIT_V in the slicing family)
// all move whole chunks along one axis: for each index of the axes before it
// ("outer"), part i contributes chunks[i] contiguous bytes.

// chunker moves chunks between one joined tensor and its parts.
type chunker struct {
	outer  int
	chunks []int    // bytes per outer step, per part
	total  int      // sum of chunks
	parts  [][]byte // data of each part, refreshed before every Eval
}

// set computes the chunk layout. shapes are the parts' shapes, all of the same
// rank with the join axis at axis; inner is the product of the dims after it.
func (ch *chunker) set(outer int, axisDims []int, inner, esz int) {
	ch.outer = outer
	ch.chunks = ch.chunks[:0]
	ch.total = 0
	for _, d := range axisDims {
		ch.chunks = append(ch.chunks, d*inner*esz)
		ch.total += d * inner * esz
	}
	if cap(ch.parts) < len(axisDims) {
		ch.parts = make([][]byte, len(axisDims))
	}
	ch.parts = ch.parts[:len(axisDims)]
}

// check verifies every buffer is large enough for the layout.
func (ch *chunker) check(joined []byte) error {
	if len(joined) < ch.outer*ch.total {
		return fmt.Errorf("joined tensor has %d bytes, want %d", len(joined), ch.outer*ch.total)
	}
	for i, p := range ch.parts {
		if len(p) < ch.outer*ch.chunks[i] {
			return fmt.Errorf("part %d has %d bytes, want %d", i, len(p), ch.outer*ch.chunks[i])
		}
	}
	return nil
}

// gather concatenates the parts into dst.
func (ch *chunker) gather(dst []byte) {
	off := 0
	for k := 0; k < ch.outer; k++ {
		for i, n := range ch.chunks {
			copy(dst[off:off+n], ch.parts[i][k*n:(k+1)*n])
			off += n
		}
	}
}

// scatter splits src into the parts.
func (ch *chunker) scatter(src []byte) {
	off := 0
	for k := 0; k < ch.outer; k++ {
		for i, n := range ch.chunks {
			copy(ch.parts[i][k*n:(k+1)*n], src[off:off+n])
			off += n
		}
	}
}

// axisSizes is the product of the dims before axis and after it.
func axisSizes(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < axis:
			outer *= d
		case i > axis:
			inner *= d
		}
	}
	return outer, inner
}

// concatMode says how one input's chunks reach the output.
type concatMode uint8

const (
	concatCopy    concatMode = iota
	concatClamp              // same quantization or float: clamp to the fused activation range
	concatRequant            // quantized with other parameters: rescale as TFLite's ConcatenationWithScaling
)

type concatPart struct {
	mode        concatMode
	scale, bias float32
	zp          int32
	flo, fhi    float32
	qlo, qhi    int32
	// lut maps every 8-bit input byte to its output byte (int8, uint8).
	lut *[256]byte
}

type concatState struct {
	esz   int
	typ   models.DType
	ch    chunker
	parts []concatPart
	plain bool // every part is a plain copy
}

func concatPrepare(c Context, n *Node) error {
	if len(n.Inputs) < 1 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want at least 1 and 1", len(n.Inputs), len(n.Outputs))
	}
	o := n.Opts.(*ConcatenationOptions)
	return joinPrepare(c, n, int(o.Axis), false, o.FusedActivationFunction)
}

func packPrepare(c Context, n *Node) error {
	o := n.Opts.(*PackOptions)
	count := int(o.ValuesCount)
	if len(n.Inputs) < 1 || len(n.Inputs) != count || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want values_count=%d and 1", len(n.Inputs), len(n.Outputs), count)
	}
	return joinPrepare(c, n, int(o.Axis), true, ActNone)
}

// joinPrepare validates and plans CONCATENATION (stack false) and PACK
// (stack true: every input gets a new axis of size 1 at axis).
func joinPrepare(c Context, n *Node, axis int, stack bool, act Activation) error {
	out := c.Output(n, 0)
	in0 := c.Input(n, 0)
	if out == nil || in0 == nil {
		return n.Errorf("input 0 or output 0 is missing")
	}
	esz, err := elemSize(in0)
	if err != nil {
		return n.Errorf("input 0: %v", err)
	}
	if out.Type != in0.Type {
		return n.Errorf("input 0 is %s but output is %s", in0.Type, out.Type)
	}
	rank := in0.Dims()
	scalars := !stack && rank == 0
	if scalars {
		rank = 1 // scalars concatenate into a vector
	}
	if stack {
		rank++
	}
	if rank > maxRank {
		return n.Errorf("output would have %d dimensions, at most %d are supported", rank, maxRank)
	}
	a, err := normAxis(axis, rank, "axis")
	if err != nil {
		return n.Errorf("%v", err)
	}
	inShape := func(t *Tensor) []int {
		switch {
		case scalars:
			return []int{1}
		case stack:
			s := make([]int, 0, rank)
			s = append(s, t.Shape[:a]...)
			s = append(s, 1)
			return append(s, t.Shape[a:]...)
		}
		return t.Shape
	}
	shape0 := inShape(in0)
	outShape := append([]int(nil), shape0...)
	// Per input: its axis size, the chunker's chunk and part, its state.
	if err := c.Reserve(len(n.Inputs) * (2*intSize + chunkPartSize)); err != nil {
		return n.Errorf("%v", err)
	}
	axisDims := make([]int, len(n.Inputs))
	outShape[a] = 0
	for i := range n.Inputs {
		t := c.Input(n, i)
		if t == nil {
			return n.Errorf("input %d is missing", i)
		}
		if t.Type != in0.Type {
			return n.Errorf("input %d is %s, input 0 is %s", i, t.Type, in0.Type)
		}
		s := t.Shape
		if scalars || stack {
			if !sameShape(t.Shape, in0.Shape) {
				return n.Errorf("input %d has shape %v, input 0 has %v", i, t.Shape, in0.Shape)
			}
			s = shape0
		}
		if len(s) != rank {
			return n.Errorf("input %d has rank %d, input 0 has %d", i, len(s), rank)
		}
		for d := range s {
			if d != a && s[d] != shape0[d] {
				return n.Errorf("input %d has shape %v, incompatible with %v on axis %d", i, s, shape0, a)
			}
		}
		if s[a] < 0 || outShape[a] > maxTensorBytes-s[a] {
			return n.Errorf("concatenated axis %d is too large", a)
		}
		axisDims[i] = s[a]
		outShape[a] += s[a]
	}
	if _, err := shapeElems(outShape, esz); err != nil {
		return n.Errorf("output: %v", err)
	}
	parts, err := makeSlice[concatPart](c, len(n.Inputs))
	if err != nil {
		return n.Errorf("%v", err)
	}
	st := &concatState{esz: esz, typ: in0.Type, parts: parts, plain: true}
	outer, inner := axisSizes(outShape, a)
	st.ch.set(outer, axisDims, inner, esz)
	for i := range n.Inputs {
		p, err := concatPartFor(c, c.Input(n, i), out, act)
		if err != nil {
			return n.Errorf("input %d: %v", i, err)
		}
		st.parts[i] = p
		if p.mode != concatCopy {
			st.plain = false
		}
	}
	n.State = st
	return c.Resize(out, outShape)
}

// concatPartFor decides how input t reaches output out.
func concatPartFor(c Context, t, out *Tensor, act Activation) (concatPart, error) {
	var p concatPart
	if !act.Supported() {
		return p, fmt.Errorf("fused activation %d is not supported", act)
	}
	switch t.Type {
	case models.Float32:
		if act != ActNone {
			p.mode = concatClamp
			p.flo, p.fhi = act.FloatRange()
		}
		return p, nil
	case models.Int8, models.UInt8, models.Int16:
	default:
		if act != ActNone {
			return p, fmt.Errorf("fused activation on %s is not supported", t.Type)
		}
		return p, nil
	}
	tq, oq := t.Quant != nil && len(t.Quant.Scale) > 0, out.Quant != nil && len(out.Quant.Scale) > 0
	if !tq && !oq {
		if act != ActNone {
			return p, fmt.Errorf("fused activation needs quantization parameters")
		}
		return p, nil
	}
	if !tq || !oq {
		return p, fmt.Errorf("quantization parameters are missing on the input or the output")
	}
	if t.Quant.PerChannel() || out.Quant.PerChannel() {
		return p, fmt.Errorf("per-channel quantization is not supported")
	}
	os, is := float32(out.Scale()), float32(t.Scale())
	if !(os > 0) || !(is > 0) || math.IsInf(float64(os), 0) || math.IsInf(float64(is), 0) {
		return p, fmt.Errorf("quantization scales %g (input) and %g (output) must be positive and finite", is, os)
	}
	lo, hi := TypeRange(t.Type)
	p.qlo, p.qhi = act.QuantRange(lo, hi, float64(os), out.ZeroPoint())
	if is != os || t.ZeroPoint() != out.ZeroPoint() {
		p.mode = concatRequant
		inv := 1 / os
		p.scale = is * inv
		p.bias = -float32(t.ZeroPoint()) * p.scale
		p.zp = out.ZeroPoint()
	} else if act != ActNone {
		p.mode = concatClamp
	}
	if p.mode != concatCopy && t.Type != models.Int16 {
		if err := c.Reserve(256); err != nil {
			return p, err
		}
		p.lut = new([256]byte)
		for b := range p.lut {
			v := int32(b)
			if t.Type == models.Int8 {
				v = int32(int8(b))
			}
			p.lut[b] = byte(p.requant(v))
		}
	}
	return p, nil
}

func concatEval(c Context, n *Node) error {
	st := n.State.(*concatState)
	out := c.Output(n, 0)
	for i := range st.ch.parts {
		st.ch.parts[i] = c.Input(n, i).Data
	}
	if err := st.ch.check(out.Data); err != nil {
		return n.Errorf("%v", err)
	}
	if st.plain {
		st.ch.gather(out.Data)
		return nil
	}
	off := 0
	for k := 0; k < st.ch.outer; k++ {
		for i, nb := range st.ch.chunks {
			src := st.ch.parts[i][k*nb : (k+1)*nb]
			dst := out.Data[off : off+nb]
			off += nb
			p := &st.parts[i]
			switch {
			case p.mode == concatCopy:
				copy(dst, src)
			case st.typ == models.Float32:
				clampF32(view[float32](dst), view[float32](src), p.flo, p.fhi)
			case p.lut != nil:
				for i, v := range src {
					dst[i] = p.lut[v]
				}
			case st.typ == models.Int16:
				d, s := view[int16](dst), view[int16](src)
				for i, v := range s[:len(d)] {
					d[i] = int16(p.requant(int32(v)))
				}
			}
		}
	}
	return nil
}

func clampF32(dst, src []float32, lo, hi float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = min(max(v, lo), hi)
	}
}

// requant rescales (concatRequant) or clamps (concatClamp) one quantized
// value. The float32 arithmetic, including round-half-away-from-zero, is
// TFLite's; the explicit float32 conversion keeps the multiply and add from
// being fused.
func (p *concatPart) requant(v int32) int32 {
	if p.mode == concatRequant {
		f := float32(float32(v)*p.scale) + p.bias
		v = int32(math.Round(float64(f))) + p.zp
	}
	return min(max(v, p.qlo), p.qhi)
}

func packEval(c Context, n *Node) error { return concatEval(c, n) }

// UNPACK

type unpackState struct {
	ch chunker
}

func unpackPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 {
		return n.Errorf("has %d inputs, want 1", len(n.Inputs))
	}
	in := c.Input(n, 0)
	if in == nil {
		return n.Errorf("input is missing")
	}
	esz, err := elemSize(in)
	if err != nil {
		return n.Errorf("input: %v", err)
	}
	rank := in.Dims()
	if rank < 1 || rank > maxRank {
		return n.Errorf("input has %d dimensions, want 1 to %d", rank, maxRank)
	}
	o := n.Opts.(*UnpackOptions)
	a, err := normAxis(int(o.Axis), rank, "axis")
	if err != nil {
		return n.Errorf("%v", err)
	}
	num := int(o.Num)
	if num != in.Shape[a] || len(n.Outputs) != num {
		return n.Errorf("num=%d and %d outputs, but input %v has %d slices on axis %d", num, len(n.Outputs), in.Shape, in.Shape[a], a)
	}
	if _, err := shapeElems(in.Shape, esz); err != nil {
		return n.Errorf("input: %v", err)
	}
	shape := make([]int, 0, rank-1)
	shape = append(shape, in.Shape[:a]...)
	shape = append(shape, in.Shape[a+1:]...)
	// Per output: the chunker's ones, chunk and part.
	if err := c.Reserve(num * (2*intSize + chunkPartSize)); err != nil {
		return n.Errorf("%v", err)
	}
	ones := make([]int, num)
	for i := range ones {
		ones[i] = 1
	}
	st := &unpackState{}
	outer, inner := axisSizes(in.Shape, a)
	st.ch.set(outer, ones, inner, esz)
	for i := 0; i < num; i++ {
		out := c.Output(n, i)
		if out == nil {
			return n.Errorf("output %d is missing", i)
		}
		if out.Type != in.Type {
			return n.Errorf("output %d is %s, input is %s", i, out.Type, in.Type)
		}
		if err := c.Resize(out, append([]int(nil), shape...)); err != nil {
			return err
		}
	}
	n.State = st
	return nil
}

func unpackEval(c Context, n *Node) error {
	st := n.State.(*unpackState)
	in := c.Input(n, 0)
	for i := range st.ch.parts {
		st.ch.parts[i] = c.Output(n, i).Data
	}
	if err := st.ch.check(in.Data); err != nil {
		return n.Errorf("%v", err)
	}
	st.ch.scatter(in.Data)
	return nil
}
