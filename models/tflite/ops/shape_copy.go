package ops

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// Helpers shared by the data-movement kernels (shape, slicing and control
// families): checked shape arithmetic, reading index tensors, and an N-D
// strided copy that works on any element size without per-element interface
// calls.

// maxRank is the highest rank the data-movement kernels accept. Fixed-size
// arrays of this length keep their Eval free of allocations.
const maxRank = 8

// maxTensorBytes bounds every tensor size computed from model data, so that
// byte offsets fit an int on 32-bit targets.
const maxTensorBytes = math.MaxInt32

// elemSize is the element size of t, or an error for types without one
// (string, resource, variant).
func elemSize(t *Tensor) (int, error) {
	if s := t.Type.Size(); s > 0 {
		return s, nil
	}
	return 0, fmt.Errorf("dtype %s is not supported", t.Type)
}

// shapeElems is the number of elements of shape. It fails on negative
// dimensions and when the tensor would exceed maxTensorBytes with elements of
// esz bytes.
func shapeElems(shape []int, esz int) (int, error) {
	if esz < 1 {
		esz = 1
	}
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d of shape %v is negative", i, shape)
		}
		if d == 0 {
			return 0, nil
		}
		if n > maxTensorBytes/esz/d {
			return 0, fmt.Errorf("shape %v is larger than %d bytes", shape, maxTensorBytes)
		}
		n *= d
	}
	return n, nil
}

// stridesOf writes the row-major element strides of shape into st.
func stridesOf(shape []int, st []int) {
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
}

// tensorInts appends the values of an int32 or int64 tensor to dst. Values
// must fit an int32 (they are shapes, indices or sizes).
func tensorInts(t *Tensor, what string, dst []int) ([]int, error) {
	n, err := shapeElems(t.Shape, t.Type.Size())
	if err != nil {
		return dst, fmt.Errorf("%s: %w", what, err)
	}
	switch t.Type {
	case models.Int32:
		v := t.I32()
		if len(v) < n {
			return dst, fmt.Errorf("%s has %d bytes of data for %d elements", what, len(t.Data), n)
		}
		for _, x := range v[:n] {
			dst = append(dst, int(x))
		}
	case models.Int64:
		v := t.I64()
		if len(v) < n {
			return dst, fmt.Errorf("%s has %d bytes of data for %d elements", what, len(t.Data), n)
		}
		for i, x := range v[:n] {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return dst, fmt.Errorf("%s value %d at %d is out of the int32 range", what, x, i)
			}
			dst = append(dst, int(x))
		}
	default:
		return dst, fmt.Errorf("%s must be int32 or int64, not %s", what, t.Type)
	}
	return dst, nil
}

// scalarInt reads the single value of a one-element int32 or int64 tensor.
func scalarInt(t *Tensor, what string) (int, error) {
	if t.NumElements() != 1 {
		return 0, fmt.Errorf("%s must have one element, has shape %v", what, t.Shape)
	}
	var buf [1]int
	v, err := tensorInts(t, what, buf[:0])
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// widenInts widens an int32 option vector.
func widenInts(v []int32) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int, what string) (int, error) {
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return 0, fmt.Errorf("%s %d is out of range for rank %d", what, axis, rank)
	}
	return axis, nil
}

// sameData reports whether a and b start at the same address (an in-place
// reshape), so the copy can be skipped.
func sameData(a, b []byte) bool {
	return len(a) > 0 && len(b) > 0 && unsafe.Pointer(&a[0]) == unsafe.Pointer(&b[0])
}

// copyBytes copies the first n bytes of src into dst after checking both are
// large enough.
func copyBytes(dst, src []byte, n int) error {
	if len(dst) < n || len(src) < n {
		return fmt.Errorf("tensor data too small: need %d bytes, input has %d, output %d", n, len(src), len(dst))
	}
	if !sameData(dst, src) {
		copy(dst[:n], src[:n])
	}
	return nil
}

// fillPattern fills b with copies of the first esz bytes of pat.
func fillPattern(b []byte, pat []byte) {
	if len(b) == 0 {
		return
	}
	allZero := true
	for _, x := range pat {
		if x != 0 {
			allZero = false
			break
		}
	}
	if allZero {
		clear(b)
		return
	}
	k := copy(b, pat)
	for k < len(b) {
		k += copy(b[k:], b[:k])
	}
}

// block is an N-D copy: for every index i within dims,
//
//	dst[dOff + Σ i[k]*dStride[k]] = src[sOff + Σ i[k]*sStride[k]]
//
// in elements. Axes of size 1 are dropped and contiguous axes merged as they
// are added, so common cases become a few long memmoves.
type block struct {
	rank             int
	empty            bool
	dims             [maxRank]int
	dStride, sStride [maxRank]int
	dOff, sOff       int
}

// reset clears b for a copy starting at the given element offsets.
func (b *block) reset(dOff, sOff int) {
	*b = block{dOff: dOff, sOff: sOff}
}

// add appends an axis, outermost first.
func (b *block) add(dim, dStride, sStride int) error {
	if dim == 0 {
		b.empty = true
		return nil
	}
	if dim == 1 {
		return nil
	}
	if r := b.rank; r > 0 && b.dStride[r-1] == dStride*dim && b.sStride[r-1] == sStride*dim {
		b.dims[r-1] *= dim
		b.dStride[r-1], b.sStride[r-1] = dStride, sStride
		return nil
	}
	if b.rank == maxRank {
		return fmt.Errorf("copy needs more than %d dimensions", maxRank)
	}
	b.dims[b.rank], b.dStride[b.rank], b.sStride[b.rank] = dim, dStride, sStride
	b.rank++
	return nil
}

// span is the lowest and highest element offset the copy touches on one side.
func (b *block) span(off int, strides *[maxRank]int) (lo, hi int) {
	lo, hi = off, off
	for k := 0; k < b.rank; k++ {
		ext := (b.dims[k] - 1) * strides[k]
		if ext < 0 {
			lo += ext
		} else {
			hi += ext
		}
	}
	return lo, hi
}

// fits reports whether the copy stays inside buffers of dLen and sLen
// elements.
func (b *block) fits(dLen, sLen int) bool {
	if b.empty {
		return true
	}
	lo, hi := b.span(b.dOff, &b.dStride)
	if lo < 0 || hi >= dLen {
		return false
	}
	lo, hi = b.span(b.sOff, &b.sStride)
	return lo >= 0 && hi < sLen
}

// run performs the copy on raw tensor bytes with elements of esz bytes.
func (b *block) run(dst, src []byte, esz int) error {
	if b.empty {
		return nil
	}
	if !b.fits(len(dst)/esz, len(src)/esz) {
		return fmt.Errorf("copy of %v elements does not fit tensors of %d and %d bytes", b.dims[:b.rank], len(dst), len(src))
	}
	switch esz {
	case 1:
		copyBlock(dst, src, b)
	case 2:
		copyBlock(view[uint16](dst), view[uint16](src), b)
	case 4:
		copyBlock(view[uint32](dst), view[uint32](src), b)
	case 8:
		copyBlock(view[uint64](dst), view[uint64](src), b)
	default:
		return fmt.Errorf("element size %d is not supported", esz)
	}
	return nil
}

func copyBlock[T any](dst, src []T, b *block) {
	r := b.rank
	if r == 0 {
		dst[b.dOff] = src[b.sOff]
		return
	}
	inner := b.dims[r-1]
	ds, ss := b.dStride[r-1], b.sStride[r-1]
	var idx [maxRank]int
	d, s := b.dOff, b.sOff
	for {
		switch {
		case ds == 1 && ss == 1:
			copy(dst[d:d+inner], src[s:s+inner])
		case ds == 1:
			out := dst[d : d+inner]
			j := s
			for i := range out {
				out[i] = src[j]
				j += ss
			}
		default:
			dd, j := d, s
			for i := 0; i < inner; i++ {
				dst[dd] = src[j]
				dd += ds
				j += ss
			}
		}
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			d += b.dStride[k]
			s += b.sStride[k]
			if idx[k] < b.dims[k] {
				break
			}
			d -= b.dStride[k] * b.dims[k]
			s -= b.sStride[k] * b.dims[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}
