package tflite

import (
	"fmt"
	"math"
	"unsafe"
)

// DefaultMaxBytes is the memory limit of a model when models.Options.MaxBytes
// is 0: the file itself, the interpreter's bookkeeping, the arena, copies of
// constant data, kernel state and dynamic tensors all count against it.
const DefaultMaxBytes = 512 << 20

// Rough bookkeeping costs charged before allocating per-object structures,
// so a small hostile file cannot make the loader allocate gigabytes of
// tensor and node descriptors.
const (
	costTensor   = 256
	costNode     = 256
	costSubgraph = 1024
	costIndex    = 8 // per int stored (shapes, node tensor lists)
	// costKernelState is reserved per node for the fixed-size state struct
	// its kernel makes in Prepare (n.State); prepareNode checks that it
	// fits. Tables and scratch sized by the model go through Context.Alloc
	// and Reserve instead.
	costKernelState = 1024
)

// budget enforces the memory limit of one model.
type budget struct {
	limit int64
	used  int64
}

func newBudget(maxBytes int64) *budget {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	// A slice cannot be longer than the largest int: keep every charged
	// size convertible to int on 32-bit targets.
	maxBytes = min(maxBytes, int64(math.MaxInt))
	return &budget{limit: maxBytes}
}

func (b *budget) charge(n int64, what string) error {
	if n < 0 || n > b.limit-b.used {
		return fmt.Errorf("%s needs %d bytes, more than the %d bytes left of the model's %d-byte limit", what, n, b.limit-b.used, b.limit)
	}
	b.used += n
	return nil
}

func (b *budget) release(n int64) { b.used -= n }

// alloc charges n bytes and returns zeroed 16-byte aligned memory.
func (b *budget) alloc(n int64, what string) ([]byte, error) {
	if err := b.charge(n, what); err != nil {
		return nil, err
	}
	return alignedBytes(int(n)), nil
}

// alignedBytes returns n zeroed bytes starting at a 16-byte boundary.
func alignedBytes(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	raw := make([]byte, n+15)
	off := int((16 - uintptr(unsafe.Pointer(&raw[0]))%16) % 16)
	return raw[off : off+n : off+n]
}

func aligned(b []byte) bool {
	return len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%16 == 0
}

// mulSize multiplies non-negative sizes, reporting overflow past limit.
func mulSize(a, b, limit int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > limit/b {
		return 0, false
	}
	return a * b, true
}
