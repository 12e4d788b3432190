package ops

import (
	"github.com/axle-edge/axle/models"
)

// CONV_3D and CONV_3D_TRANSPOSE on float32 NDHWC tensors, in the loop
// order of TFLite's reference kernels (so float sums round the same way
// as the reference; TFLite's default optimized CONV_3D goes through
// im2col and a GEMM and may differ in the last bits):
//
//	CONV_3D            input [n,d,h,w,ci], filter [fd,fh,fw,ci,co],
//	                   bias [co] -> [n,od,oh,ow,co]
//	CONV_3D_TRANSPOSE  output_shape [5], filter [fd,fh,fw,co,ci],
//	                   input [n,d,h,w,ci], bias [co] -> output_shape
//
// Both read Conv3DOptions: padding, strides (d, w, h), fused activation,
// dilations (d, w, h).

func addConv3D(r *Resolver) {
	r.Builtin[OpConv3d] = &Kernel{MaxVersion: 1, Prepare: conv3dPrepare, Eval: conv3dEval}
	r.Builtin[OpConv3dTranspose] = &Kernel{MaxVersion: 1, Prepare: conv3dPrepare, Eval: conv3dEval}
}

type conv3dOpts struct {
	padding    uint8
	sD, sW, sH int
	act        Activation
	dD, dW, dH int
}

func readConv3DOptions(n *Node) conv3dOpts {
	o := n.Opts.(*Conv3DOptions)
	return conv3dOpts{
		padding: uint8(o.Padding),
		sD:      int(o.StrideD), sW: int(o.StrideW), sH: int(o.StrideH),
		act: o.FusedActivationFunction,
		dD:  int(o.DilationDFactor), dW: int(o.DilationWFactor), dH: int(o.DilationHFactor),
	}
}

type conv3dState struct {
	o         conv3dOpts
	transpose bool
	// sizes: batch, input d/h/w/c, filter d/h/w, output d/h/w/c
	n, id, ih, iw, ic int
	fd, fh, fw        int
	od, oh, ow, oc    int
	pd, ph, pw        int
	lo, hi            float32
	shape             [5]int
}

func conv3dPrepare(c Context, n *Node) error {
	tr := n.Op == OpConv3dTranspose
	inIdx, fIdx, bIdx := 0, 1, 2
	if tr {
		inIdx, fIdx, bIdx = 2, 1, 3
	}
	if (len(n.Inputs) != bIdx && len(n.Inputs) != bIdx+1) || len(n.Outputs) != 1 {
		return n.Errorf("takes %d or %d inputs and 1 output, got %d and %d", bIdx, bIdx+1, len(n.Inputs), len(n.Outputs))
	}
	in, f, out := c.Input(n, inIdx), c.Input(n, fIdx), c.Output(n, 0)
	if in == nil || f == nil || out == nil {
		return n.Errorf("input, filter and output tensors are required")
	}
	if in.Type != models.Float32 || f.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("input %q, filter %q and output %q must be float32, got %s, %s and %s", in.Name, f.Name, out.Name, in.Type, f.Type, out.Type)
	}
	if in.Dims() != 5 || f.Dims() != 5 {
		return n.Errorf("input tensor %q and filter tensor %q must be 5-D, got %v and %v", in.Name, f.Name, in.Shape, f.Shape)
	}
	for _, t := range []*Tensor{in, f} {
		if _, ok := mulChecked(t.Shape...); !ok {
			return n.Errorf("tensor %q shape %v is invalid or too large", t.Name, t.Shape)
		}
	}
	o := readConv3DOptions(n)
	if !o.act.Supported() {
		return n.Errorf("fused activation %d is not supported", o.act)
	}
	st := &conv3dState{o: o, transpose: tr}
	st.n, st.id, st.ih, st.iw, st.ic = in.Shape[0], in.Shape[1], in.Shape[2], in.Shape[3], in.Shape[4]
	st.fd, st.fh, st.fw = f.Shape[0], f.Shape[1], f.Shape[2]
	st.lo, st.hi = o.act.FloatRange()
	fc, co := f.Shape[3], f.Shape[4] // CONV_3D: [.., ci, co]
	if tr {
		fc, co = f.Shape[4], f.Shape[3] // transpose: [.., co, ci]
	}
	if fc != st.ic {
		return n.Errorf("filter tensor %q has %d input channels, input tensor %q has %d", f.Name, fc, in.Name, st.ic)
	}
	st.oc = co
	if b := c.Input(n, bIdx); len(n.Inputs) > bIdx && b != nil {
		if b.Type != models.Float32 || b.NumElements() != co {
			return n.Errorf("bias tensor %q must be float32 with %d elements, got %s %v", b.Name, co, b.Type, b.Shape)
		}
	}
	var wd, wh, ww window
	if !tr {
		wd = window{in: st.id, filter: st.fd, stride: o.sD, dilation: o.dD}
		wh = window{in: st.ih, filter: st.fh, stride: o.sH, dilation: o.dH}
		ww = window{in: st.iw, filter: st.fw, stride: o.sW, dilation: o.dW}
	} else {
		os := c.Input(n, 0)
		if os == nil || os.Type != models.Int32 || os.Dims() != 1 || os.Shape[0] != 5 || !os.Const {
			return n.Errorf("output_shape must be a constant int32 [5] tensor")
		}
		if err := checkData(n, "output_shape", os, 5); err != nil {
			return err
		}
		v := os.I32()[:5]
		for i, d := range v {
			if d < 0 {
				return n.Errorf("output_shape element %d is negative (%d)", i, d)
			}
			st.shape[i] = int(d)
		}
		if st.shape[0] != st.n || st.shape[4] != co {
			return n.Errorf("output_shape %v does not match batch %d and filter output channels %d", st.shape, st.n, co)
		}
		wd = window{in: st.shape[1], filter: st.fd, stride: o.sD, dilation: o.dD}
		wh = window{in: st.shape[2], filter: st.fh, stride: o.sH, dilation: o.dH}
		ww = window{in: st.shape[3], filter: st.fw, stride: o.sW, dilation: o.dW}
	}
	for _, w := range []struct {
		w    *window
		name string
	}{{&wd, "depth"}, {&wh, "height"}, {&ww, "width"}} {
		if err := w.w.solve(n, o.padding, w.name); err != nil {
			return err
		}
	}
	st.pd, st.ph, st.pw = wd.pad, wh.pad, ww.pad
	if tr {
		if wd.out != st.id || wh.out != st.ih || ww.out != st.iw {
			return n.Errorf("output_shape %v convolved back gives [%d %d %d], not the input's [%d %d %d]", st.shape, wd.out, wh.out, ww.out, st.id, st.ih, st.iw)
		}
		st.od, st.oh, st.ow = st.shape[1], st.shape[2], st.shape[3]
	} else {
		st.od, st.oh, st.ow = wd.out, wh.out, ww.out
		st.shape = [5]int{st.n, st.od, st.oh, st.ow, co}
	}
	if _, ok := mulChecked(st.shape[:]...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	n.State = st
	if err := c.Resize(out, st.shape[:]); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func conv3dEval(c Context, n *Node) error {
	st, ok := n.State.(*conv3dState)
	if !ok {
		return n.Errorf("not prepared")
	}
	inIdx, bIdx := 0, 2
	if st.transpose {
		inIdx, bIdx = 2, 3
	}
	in, f, out := c.Input(n, inIdx), c.Input(n, 1), c.Output(n, 0)
	var bias []float32
	if len(n.Inputs) > bIdx {
		if b := c.Input(n, bIdx); b != nil {
			if err := checkData(n, "bias", b, st.oc); err != nil {
				return err
			}
			bias = b.F32()[:st.oc]
		}
	}
	if err := ewHaveData(n, in, f, out); err != nil {
		return err
	}
	total := st.n * st.od * st.oh * st.ow * st.oc
	if total == 0 {
		return nil
	}
	x, w, y := in.F32(), f.F32(), out.F32()[:total]
	if st.transpose {
		conv3dTranspose(st, x, w, y)
	} else {
		conv3dForward(st, x, w, y, bias)
		return nil
	}
	for i := range y {
		v := y[i]
		if bias != nil {
			v += bias[i%st.oc]
		}
		y[i] = min(max(v, st.lo), st.hi)
	}
	return nil
}

func conv3dForward(st *conv3dState, x, w, y []float32, bias []float32) {
	o := st.o
	i := 0
	for b := 0; b < st.n; b++ {
		for od := 0; od < st.od; od++ {
			for oy := 0; oy < st.oh; oy++ {
				for ox := 0; ox < st.ow; ox++ {
					d0, y0, x0 := od*o.sD-st.pd, oy*o.sH-st.ph, ox*o.sW-st.pw
					for oc := 0; oc < st.oc; oc++ {
						var acc float32
						for fd := 0; fd < st.fd; fd++ {
							id := d0 + fd*o.dD
							for fy := 0; fy < st.fh; fy++ {
								iy := y0 + fy*o.dH
								for fx := 0; fx < st.fw; fx++ {
									ix := x0 + fx*o.dW
									if id < 0 || id >= st.id || iy < 0 || iy >= st.ih || ix < 0 || ix >= st.iw {
										continue
									}
									xo := (((b*st.id+id)*st.ih+iy)*st.iw + ix) * st.ic
									wo := ((fd*st.fh+fy)*st.fw+fx)*st.ic*st.oc + oc
									for ic := 0; ic < st.ic; ic++ {
										acc += float32(x[xo+ic] * w[wo+ic*st.oc])
									}
								}
							}
						}
						if bias != nil {
							acc += bias[oc]
						}
						y[i] = min(max(acc, st.lo), st.hi)
						i++
					}
				}
			}
		}
	}
}

func conv3dTranspose(st *conv3dState, x, w, y []float32) {
	o := st.o
	clear(y)
	xi := 0
	for b := 0; b < st.n; b++ {
		for id := 0; id < st.id; id++ {
			for iy := 0; iy < st.ih; iy++ {
				for ix := 0; ix < st.iw; ix++ {
					d0, y0, x0 := id*o.sD-st.pd, iy*o.sH-st.ph, ix*o.sW-st.pw
					for ic := 0; ic < st.ic; ic++ {
						v := x[xi]
						xi++
						for fd := 0; fd < st.fd; fd++ {
							od := d0 + fd*o.dD
							for fy := 0; fy < st.fh; fy++ {
								oy := y0 + fy*o.dH
								for fx := 0; fx < st.fw; fx++ {
									ox := x0 + fx*o.dW
									if od < 0 || od >= st.od || oy < 0 || oy >= st.oh || ox < 0 || ox >= st.ow {
										continue
									}
									yo := (((b*st.od+od)*st.oh+oy)*st.ow + ox) * st.oc
									wo := ((fd*st.fh+fy)*st.fw+fx)*st.oc*st.ic + ic
									for oc := 0; oc < st.oc; oc++ {
										y[yo+oc] += float32(v * w[wo+oc*st.ic])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
