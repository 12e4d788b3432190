package ops

import (
	"fmt"
	"math"

	"github.com/axle-edge/axle/models"
)

// RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR on NHWC tensors. The source
// coordinates of every output row and column are computed once per shape
// (Prepare, or Eval for a non-constant size) exactly as TFLite's CPU kernels
// compute them: float32 for nearest neighbour and for float/uint8 bilinear,
// 10-bit fixed point for int8/int16 bilinear.

// maxResizeDim keeps TFLite's int32 coordinate arithmetic from overflowing.
const maxResizeDim = 1 << 20

type resizeState struct {
	bilinear             bool
	align, half          bool
	typ                  models.DType
	esz                  int
	batches, inH, inW, d int
	outH, outW           int

	// nearest: source row/column per output row/column
	ny, nx []int
	// bilinear: source rows/columns and weights per output row/column
	y0, y1, x0, x1 []int
	fy, fx         []float32 // float path: scaled source coordinate
	iy, ix         []int32   // integer path: coordinate in 1/1024 units
}

func resizePrepare(c Context, n *Node, bilinear bool) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	size := c.Input(n, 1)
	if size == nil {
		return n.Errorf("size input is missing")
	}
	if in.Dims() != 4 {
		return n.Errorf("input must be 4-D (NHWC), has shape %v", in.Shape)
	}
	if size.Type != models.Int32 || size.Dims() != 1 || size.Shape[0] != 2 {
		return n.Errorf("size must be an int32 tensor of shape [2], is %s%v", size.Type, size.Shape)
	}
	st := &resizeState{bilinear: bilinear, typ: in.Type, esz: in.Type.Size()}
	if bilinear {
		o := n.Opts.(*ResizeBilinearOptions)
		st.align, st.half = o.AlignCorners, o.HalfPixelCenters
		switch in.Type {
		case models.Float32, models.UInt8, models.Int8, models.Int16:
		default:
			return n.Errorf("input type %s is not supported (float32, uint8, int8, int16)", in.Type)
		}
	} else {
		o := n.Opts.(*ResizeNearestNeighborOptions)
		st.align, st.half = o.AlignCorners, o.HalfPixelCenters
	}
	if bilinear && st.align && st.half {
		return n.Errorf("align_corners and half_pixel_centers cannot both be set")
	}
	for i, d := range in.Shape {
		if d < 0 || d > maxResizeDim {
			return n.Errorf("input dimension %d is %d, want 0 to %d", i, d, maxResizeDim)
		}
	}
	n.State = st
	if !size.Const {
		c.SetDynamic(out)
		return nil
	}
	// The coordinate tables plan builds (at most lo, hi and a weight per
	// output row and column) count against the limit first.
	if v := size.I32(); len(v) >= 2 && v[0] > 0 && v[1] > 0 && v[0] <= maxResizeDim && v[1] <= maxResizeDim {
		if err := c.Reserve((int(v[0]) + int(v[1])) * (2*intSize + 4)); err != nil {
			return n.Errorf("coordinate tables: %v", err)
		}
	}
	shape, err := st.plan(in, size)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

func resizeNearestPrepare(c Context, n *Node) error  { return resizePrepare(c, n, false) }
func resizeBilinearPrepare(c Context, n *Node) error { return resizePrepare(c, n, true) }

// plan reads the output size and computes the coordinate tables; it returns
// the output shape.
func (st *resizeState) plan(in, size *Tensor) ([]int, error) {
	v := size.I32()
	if len(v) < 2 {
		return nil, fmt.Errorf("size tensor has no data")
	}
	oh, ow := int(v[0]), int(v[1])
	if oh < 1 || ow < 1 || oh > maxResizeDim || ow > maxResizeDim {
		return nil, fmt.Errorf("output size %dx%d must be 1 to %d", oh, ow, maxResizeDim)
	}
	st.batches, st.inH, st.inW, st.d = in.Shape[0], in.Shape[1], in.Shape[2], in.Shape[3]
	st.outH, st.outW = oh, ow
	shape := []int{st.batches, oh, ow, st.d}
	if _, err := shapeElems(shape, st.esz); err != nil {
		return nil, fmt.Errorf("output: %v", err)
	}
	if st.inH == 0 || st.inW == 0 {
		if st.batches*st.d != 0 {
			return nil, fmt.Errorf("cannot resize an empty image %v to %dx%d", in.Shape, oh, ow)
		}
		return shape, nil
	}
	if !st.bilinear {
		st.ny = st.nearestTable(st.ny, st.inH, oh)
		st.nx = st.nearestTable(st.nx, st.inW, ow)
		return shape, nil
	}
	if st.typ == models.Int8 || st.typ == models.Int16 {
		st.y0, st.y1, st.iy = bilinearInt(st.y0, st.y1, st.iy, st.inH, oh, st.align, st.half)
		st.x0, st.x1, st.ix = bilinearInt(st.x0, st.x1, st.ix, st.inW, ow, st.align, st.half)
	} else {
		st.y0, st.y1, st.fy = bilinearFloat(st.y0, st.y1, st.fy, st.inH, oh, st.align, st.half)
		st.x0, st.x1, st.fx = bilinearFloat(st.x0, st.x1, st.fx, st.inW, ow, st.align, st.half)
	}
	return shape, nil
}

func resized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// nearestTable maps each output coordinate to its source coordinate.
func (st *resizeState) nearestTable(dst []int, in, out int) []int {
	dst = resized(dst, out)
	if st.esz == 1 && !st.align && !st.half {
		// TFLite's optimized 8-bit kernel uses 16.16 fixed point.
		scale := (int64(in)<<16)/int64(out) + 1
		for i := range dst {
			dst[i] = int(min((int64(i)*scale)>>16, int64(in-1)))
		}
		return dst
	}
	scale := float32(in) / float32(out)
	if st.align && out > 1 {
		scale = float32(in-1) / float32(out-1)
	}
	var offset float32
	if st.half {
		offset = 0.5
	}
	for i := range dst {
		f := (float32(i) + offset) * scale
		var v int
		if st.align {
			v = int(math.Round(float64(f)))
		} else {
			v = int(math.Floor(float64(f)))
		}
		v = min(v, in-1)
		if st.half {
			v = max(v, 0)
		}
		dst[i] = v
	}
	return dst
}

func bilinearScale(in, out int, align bool) float32 {
	if align && out > 1 {
		return float32(in-1) / float32(out-1)
	}
	return float32(in) / float32(out)
}

// bilinearFloat computes, per output coordinate, the scaled source
// coordinate and its lower and upper neighbours.
func bilinearFloat(lo, hi []int, f []float32, in, out int, align, half bool) ([]int, []int, []float32) {
	lo, hi, f = resized(lo, out), resized(hi, out), resized(f, out)
	scale := bilinearScale(in, out, align)
	for i := range f {
		var v float32
		if half {
			v = (float32(i)+0.5)*scale - 0.5
		} else {
			v = float32(i) * scale
		}
		f[i] = v
		lo[i] = max(int(float32(math.Floor(float64(v)))), 0)
		hi[i] = min(int(float32(math.Ceil(float64(v)))), in-1)
	}
	return lo, hi, f
}

// bilinearInt is the 10-bit fixed-point variant used for int8 and int16.
func bilinearInt(lo, hi []int, f []int32, in, out int, align, half bool) ([]int, []int, []int32) {
	lo, hi, f = resized(lo, out), resized(hi, out), resized(f, out)
	scale := (int32(1<<10)*int32(in) + int32(out)/2) / int32(out)
	if align && out > 1 {
		scale = (int32(1<<10)*int32(in-1) + int32(out-1)/2) / int32(out-1)
	}
	for i := range f {
		var v int32
		if half {
			v = int32(i)*scale + scale/2 - (1 << 9)
		} else {
			v = int32(i) * scale
		}
		f[i] = v
		lo[i] = int(max(v/(1<<10), 0))
		hi[i] = int(min((v+(1<<10)-1)/(1<<10), int32(in-1)))
	}
	return lo, hi, f
}

func resizeNearestEval(c Context, n *Node) error  { return resizeEval(c, n) }
func resizeBilinearEval(c Context, n *Node) error { return resizeEval(c, n) }

func resizeEval(c Context, n *Node) error {
	st := n.State.(*resizeState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		shape, err := st.plan(in, c.Input(n, 1))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	inN := st.batches * st.inH * st.inW * st.d
	outN := st.batches * st.outH * st.outW * st.d
	if len(in.Data) < inN*st.esz || len(out.Data) < outN*st.esz {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	if outN == 0 {
		return nil
	}
	if !st.bilinear {
		st.nearest(out.Data, in.Data)
		return nil
	}
	switch st.typ {
	case models.Float32:
		bilinearF32(st, view[float32](out.Data), view[float32](in.Data))
	case models.UInt8:
		bilinearU8(st, out.Data, in.Data)
	case models.Int8:
		// |int8| * 2^20 total weight fits an int32 accumulator.
		bilinearFixed[int8, int32](st, view[int8](out.Data), view[int8](in.Data))
	case models.Int16:
		bilinearFixed[int16, int64](st, view[int16](out.Data), view[int16](in.Data))
	}
	return nil
}

// nearest copies whole pixels (depth elements) from their source position.
func (st *resizeState) nearest(dst, src []byte) {
	px := st.d * st.esz
	row := st.inW * px
	o := 0
	for b := 0; b < st.batches; b++ {
		base := b * st.inH * row
		for _, sy := range st.ny {
			r := base + sy*row
			for _, sx := range st.nx {
				s := r + sx*px
				copy(dst[o:o+px], src[s:s+px])
				o += px
			}
		}
	}
}

func bilinearF32(st *resizeState, dst, src []float32) {
	d, row := st.d, st.inW*st.d
	o := 0
	for b := 0; b < st.batches; b++ {
		base := b * st.inH * row
		for y, fy := range st.fy {
			y0, y1 := st.y0[y], st.y1[y]
			dy := fy - float32(y0)
			r0, r1 := base+y0*row, base+y1*row
			for x, fx := range st.fx {
				x0, x1 := st.x0[x], st.x1[x]
				dx := fx - float32(x0)
				s00 := (1 - dy) * (1 - dx)
				s01 := (1 - dy) * dx
				s10 := dy * (1 - dx)
				s11 := dy * dx
				p00 := src[r0+x0*d : r0+x0*d+d]
				p01 := src[r0+x1*d : r0+x1*d+d]
				p10 := src[r1+x0*d : r1+x0*d+d]
				p11 := src[r1+x1*d : r1+x1*d+d]
				out := dst[o : o+d]
				p00, p01, p10, p11 = p00[:len(out)], p01[:len(out)], p10[:len(out)], p11[:len(out)]
				for c := range out {
					acc := p00[c] * s00
					acc += float32(p01[c] * s01)
					acc += float32(p10[c] * s10)
					acc += float32(p11[c] * s11)
					out[c] = acc
				}
				o += d
			}
		}
	}
}

// bilinearU8 is TFLite's optimized uint8 path: float weights, +0.5 and
// truncation.
func bilinearU8(st *resizeState, dst, src []uint8) {
	d, row := st.d, st.inW*st.d
	o := 0
	for b := 0; b < st.batches; b++ {
		base := b * st.inH * row
		for y, fy := range st.fy {
			y0, y1 := st.y0[y], st.y1[y]
			dy := fy - float32(y0)
			r0, r1 := base+y0*row, base+y1*row
			for x, fx := range st.fx {
				x0, x1 := st.x0[x], st.x1[x]
				dx := fx - float32(x0)
				s0 := (1 - dy) * (1 - dx)
				s1 := (1 - dy) * dx
				s2 := dy * (1 - dx)
				s3 := dy * dx
				p0 := src[r0+x0*d : r0+x0*d+d]
				p1 := src[r0+x1*d : r0+x1*d+d]
				p2 := src[r1+x0*d : r1+x0*d+d]
				p3 := src[r1+x1*d : r1+x1*d+d]
				out := dst[o : o+d]
				p0, p1, p2, p3 = p0[:len(out)], p1[:len(out)], p2[:len(out)], p3[:len(out)]
				for c := range out {
					v := float32(float32(p0[c]) * s0)
					v += float32(float32(p1[c]) * s1)
					v += float32(float32(p2[c]) * s2)
					v += float32(float32(p3[c]) * s3)
					out[c] = uint8(v + 0.5)
				}
				o += d
			}
		}
	}
}

// bilinearFixed is TFLite's ResizeBilinearInteger: weights in 1/1024 units,
// a 20-bit product, rounded half away from zero. A is the accumulator type.
func bilinearFixed[T int8 | int16, A int32 | int64](st *resizeState, dst, src []T) {
	d, row := st.d, st.inW*st.d
	o := 0
	for b := 0; b < st.batches; b++ {
		base := b * st.inH * row
		for y, iy := range st.iy {
			y0, y1 := st.y0[y], st.y1[y]
			wy1 := A(iy - int32(y0)*(1<<10))
			wy0 := (1 << 10) - wy1
			r0, r1 := base+y0*row, base+y1*row
			for x, ix := range st.ix {
				x0, x1 := st.x0[x], st.x1[x]
				wx1 := A(ix - int32(x0)*(1<<10))
				wx0 := (1 << 10) - wx1
				w00, w10, w01, w11 := wy0*wx0, wy1*wx0, wy0*wx1, wy1*wx1
				p00 := src[r0+x0*d : r0+x0*d+d]
				p01 := src[r0+x1*d : r0+x1*d+d]
				p10 := src[r1+x0*d : r1+x0*d+d]
				p11 := src[r1+x1*d : r1+x1*d+d]
				out := dst[o : o+d]
				p00, p01, p10, p11 = p00[:len(out)], p01[:len(out)], p10[:len(out)], p11[:len(out)]
				for c := range out {
					v := A(p00[c])*w00 + A(p10[c])*w10 + A(p01[c])*w01 + A(p11[c])*w11
					// +2^19 when v > 0, else -2^19 (v == 0 rounds to 0 either way)
					var neg A
					if v < 0 {
						neg = 1 << 20
					}
					out[c] = T((v + 1<<19 - neg) / (1 << 20))
				}
				o += d
			}
		}
	}
}
