package ops

import (
	"fmt"
	"unsafe"
)

// Every byte a kernel keeps from Prepare (tables, multipliers, packed
// weights, scratch) is charged against the model's memory limit before it
// is allocated: plain numbers come from Context.Alloc, slices that hold
// pointers (which must live in memory the garbage collector scans) are made
// with make after Context.Reserve. A hostile model with huge declared shapes
// therefore fails with the limit in the error instead of allocating first.

// scalar is what allocSlice hands out: types without pointers, so a view
// of Alloc'ed bytes is safe.
type scalar interface {
	elem | ~uint16 | ~uint32 | ~uint64 | ~int | ~float64 | ~bool
}

// allocSlice returns n zeroed elements of kernel state from Context.Alloc.
func allocSlice[T scalar](c Context, n int) ([]T, error) {
	var z T
	size, ok := mulChecked(n, int(unsafe.Sizeof(z)))
	if !ok {
		return nil, fmt.Errorf("scratch buffer of %d elements is too large", n)
	}
	if size == 0 {
		return nil, nil
	}
	b, err := c.Alloc(size)
	if err != nil {
		return nil, err
	}
	return view[T](b)[:n], nil
}

// allocRows returns rows slices of n elements backed by one allocation.
func allocRows[T scalar](c Context, rows, n int) ([][]T, error) {
	// Rows for different threads are kept a cache line apart: threads
	// writing small neighbouring rows (depthwise tap lists, accumulators)
	// would otherwise share lines and stall each other on every store.
	stride := n
	if rows > 1 {
		var zero T
		stride += (64 + int(unsafe.Sizeof(zero)) - 1) / int(unsafe.Sizeof(zero))
	}
	total, ok := mulChecked(rows, stride)
	if !ok {
		return nil, fmt.Errorf("scratch buffers of %d x %d elements are too large", rows, n)
	}
	all, err := allocSlice[T](c, total)
	if err != nil {
		return nil, err
	}
	out, err := makeSlice[[]T](c, rows)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = all[i*stride : i*stride+n : i*stride+n]
	}
	return out, nil
}

// makeSlice reserves and makes n elements of a type that may hold pointers.
func makeSlice[T any](c Context, n int) ([]T, error) {
	var z T
	size, ok := mulChecked(n, int(unsafe.Sizeof(z)))
	if !ok {
		return nil, fmt.Errorf("table of %d elements is too large", n)
	}
	if err := c.Reserve(size); err != nil {
		return nil, err
	}
	return make([]T, n), nil
}

// need is one slice of kernel state for allocAll.
type need func(c Context) error

// slot asks allocAll for count elements into *dst.
func slot[T scalar](dst *[]T, count int) need {
	return func(c Context) error {
		s, err := allocSlice[T](c, count)
		*dst = s
		return err
	}
}

// allocAll allocates kernel state slices in order and returns the first
// failure.
func allocAll(c Context, needs ...need) error {
	for _, f := range needs {
		if err := f(c); err != nil {
			return err
		}
	}
	return nil
}

// float32Scales converts per-channel filter scales for a kernel's state.
func float32Scales(c Context, n *Node, fs []float64) ([]float32, error) {
	out, err := allocSlice[float32](c, len(fs))
	if err != nil {
		return nil, n.Errorf("filter scales: %v", err)
	}
	for i, s := range fs {
		out[i] = float32(s)
	}
	return out, nil
}

// Sizes for Reserve of per-input bookkeeping made with make.
const (
	intSize       = int(unsafe.Sizeof(int(0)))
	chunkPartSize = int(unsafe.Sizeof([]byte(nil)))
)
