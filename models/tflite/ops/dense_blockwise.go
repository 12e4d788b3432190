package ops

import "github.com/axle-edge/axle/models"

// FULLY_CONNECTED with a blockwise-quantized int4 filter and float32
// activations, LiteRT's EvalBlockwise4Bit. LiteRT reaches it only from its
// optimized 4-bit path (a constant filter, at least 4 units, an even depth
// of at least 32, a non-empty batch); elsewhere it would read the block
// details as per-channel ones, so such nodes are refused here. Its
// arithmetic, for each batch row:
//
//   - the row is quantized to int8 asymmetrically with its own scale s and
//     zero point zp (AsymmetricQuantizeFloats, whatever the node's
//     asymmetric_quantize_inputs says);
//   - per unit and block b with float16 scale fb: acc_b = sum(q*w) and
//     ksum_b = sum(w) over the block's codes; out += float(acc_b)*fb and
//     kfsum += fb*float(ksum_b), each product rounded to float32, in
//     block order;
//   - out -= float(zp)*kfsum, out *= s, out += bias;
//   - the fused activation is not applied: LiteRT's kernel ignores it.
//
// LiteRT adds each q*w to acc_b in float32; that is exact while the sum
// stays within 2^24, which |q*w| <= 1024 guarantees for blocks of up to
// 2^14 elements. Longer blocks repeat the float32 rounding (blockDotF32).

type fcBlockwise struct {
	units, depth, batches, block int
	scales                       []float32 // [units, depth/block]
	w                            []byte    // filter codes, one int8 a byte
	q                            []int8    // one quantized input row
}

func fcBlockwisePrepare(c Context, n *Node, filter *Tensor) error {
	if len(n.Inputs) != 2 && len(n.Inputs) != 3 {
		return n.Errorf("takes 2 or 3 inputs, got %d", len(n.Inputs))
	}
	if len(n.Outputs) != 1 {
		return n.Errorf("takes 1 output, got %d", len(n.Outputs))
	}
	in, bias, out := c.Input(n, 0), c.Input(n, 2), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	o := n.Opts.(*FullyConnectedOptions)
	if wf := uint8(o.WeightsFormat); wf != 0 {
		return n.Errorf("weights format %d is not supported (only DEFAULT)", wf)
	}
	if filter.Type != models.Int4 || filter.Dims() != 2 {
		return n.Errorf("filter %q: blockwise quantization needs a 2-D int4 filter, got %s %v", filter.Name, filter.Type, filter.Shape)
	}
	if in.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("blockwise int4 filter %q needs float32 input and output, got %s and %s", filter.Name, in.Type, out.Type)
	}
	if bias != nil && bias.Type != models.Float32 {
		return n.Errorf("bias %q must be float32, got %s", bias.Name, bias.Type)
	}
	if in.Dims() < 1 {
		return n.Errorf("input must have at least one dimension, got shape %v", in.Shape)
	}
	st := &fcBlockwise{units: filter.Shape[0], depth: filter.Shape[1], block: filter.Blockwise.BlockSize}
	size, ok := mulChecked(in.Shape...)
	if !ok {
		return n.Errorf("input shape %v is invalid or too large", in.Shape)
	}
	if st.depth > 0 {
		st.batches = size / st.depth
	}
	if !filter.Const || st.units < 4 || st.depth < 32 || st.depth%2 != 0 || st.batches == 0 {
		return n.Errorf("blockwise int4 filter %q (shape %v, constant %v) with input %v: LiteRT runs blockwise filters only on constant filters of at least 4 units and an even depth of at least 32, with a non-empty batch", filter.Name, filter.Shape, filter.Const, in.Shape)
	}
	if bias != nil && bias.NumElements() != st.units {
		return n.Errorf("bias has %d elements for %d units", bias.NumElements(), st.units)
	}
	shape := []int{st.batches, st.units}
	if o.KeepNumDims {
		if in.Shape[len(in.Shape)-1] != st.depth {
			return n.Errorf("keep_num_dims needs the input depth %d to equal the filter depth %d", in.Shape[len(in.Shape)-1], st.depth)
		}
		shape = append(append([]int{}, in.Shape[:len(in.Shape)-1]...), st.units)
	}
	if _, ok := mulChecked(st.batches, st.units); !ok {
		return n.Errorf("output of %d x %d elements is too large", st.batches, st.units)
	}
	var err error
	if st.scales, err = blockScales(c, n, filter); err != nil {
		return err
	}
	elems := st.units * st.depth
	if st.w, err = allocSlice[byte](c, elems); err != nil {
		return n.Errorf("unpacked filter: %v", err)
	}
	// The depth is even, so LiteRT's rows padded to whole bytes are the
	// packed layout unpackFilter reads.
	if err := unpackFilter(n, filter, st.w); err != nil {
		return err
	}
	if st.q, err = allocSlice[int8](c, st.depth); err != nil {
		return n.Errorf("quantized input row: %v", err)
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	return nil
}

func (st *fcBlockwise) eval(c Context, n *Node) error {
	in, bias, out := c.Input(n, 0), c.Input(n, 2), c.Output(n, 0)
	if err := checkData(n, "input", in, st.batches*st.depth); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.batches*st.units); err != nil {
		return err
	}
	var b []float32
	if bias != nil {
		if err := checkData(n, "bias", bias, st.units); err != nil {
			return err
		}
		b = bias.F32()[:st.units]
	}
	x, y := in.F32(), out.F32()
	nb := st.depth / st.block
	for r := range st.batches {
		s, zp := asymmetricQuantize(x[r*st.depth:(r+1)*st.depth], st.q)
		dst := y[r*st.units : (r+1)*st.units]
		for u := range dst {
			w := st.w[u*st.depth : (u+1)*st.depth]
			fb := st.scales[u*nb : (u+1)*nb]
			var v, kfsum float32
			for bi, sc := range fb {
				acc, ksum := st.blockDot(w[bi*st.block:(bi+1)*st.block], st.q[bi*st.block:])
				// Explicit conversions keep each product rounded: no FMA.
				v += float32(float32(acc) * sc)
				kfsum += float32(sc * float32(ksum))
			}
			v -= float32(float32(zp) * kfsum)
			v *= s
			if b != nil {
				v += b[u]
			}
			dst[u] = v
		}
	}
	return nil
}

// blockDot is sum(q*w) and sum(w) over one block.
func (st *fcBlockwise) blockDot(w []byte, q []int8) (acc, ksum int32) {
	if st.block > 1<<14 {
		return blockDotF32(w, q)
	}
	q = q[:len(w)]
	for i, wc := range w {
		acc += int32(q[i]) * int32(int8(wc))
		ksum += int32(int8(wc))
	}
	return acc, ksum
}

// blockDotF32 is blockDot with LiteRT's float32 addition of every product
// into the int32 accumulator.
func blockDotF32(w []byte, q []int8) (acc, ksum int32) {
	q = q[:len(w)]
	for i, wc := range w {
		acc = int32(float32(acc) + float32(int32(q[i])*int32(int8(wc))))
		ksum += int32(int8(wc))
	}
	return acc, ksum
}
