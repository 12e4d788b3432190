package tflite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// peekModel is x + c -> y through a PEEK kernel that records the constant's
// data slice.
func peekModel(t *testing.T, external bool) ([]byte, *[]byte) {
	b := build.New()
	b.SetExternalBuffers(external)
	x := b.Input("x", models.Float32, []int{4}, nil)
	c := b.Const("c", models.Float32, []int{4}, []float32{1, 2, 3, 4}, nil)
	y := b.Tensor("y", models.Float32, []int{4}, nil)
	b.CustomOp("PEEK", 1, []int{x, c}, []int{y}, nil)
	b.Output(y)
	return mustBytes(t, b), new([]byte)
}

func peekResolver(seen *[]byte) *ops.Resolver {
	k := &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error {
			*seen = c.Input(n, 1).Data
			return c.Resize(c.Output(n, 0), c.Input(n, 0).Shape)
		},
		Eval: func(ops.Context, *ops.Node) error { return nil },
	}
	return &ops.Resolver{Custom: map[string]*ops.Kernel{"PEEK": k}}
}

func within(inner, outer []byte) bool {
	p, lo := uintptr(unsafe.Pointer(&inner[0])), uintptr(unsafe.Pointer(&outer[0]))
	return p >= lo && p < lo+uintptr(len(outer))
}

func TestConstantDataAlignment(t *testing.T) {
	for _, external := range []bool{false, true} {
		data, seen := peekModel(t, external)
		// An aligned copy of the file: constants are used in place.
		file := make([]byte, len(data)+16)
		off := int((16 - uintptr(unsafe.Pointer(&file[0]))%16) % 16)
		aligned := file[off : off+len(data)]
		copy(aligned, data)
		if _, err := tflite.LoadWithResolver(aligned, models.Options{}, peekResolver(seen)); err != nil {
			t.Fatal(err)
		}
		if !within(*seen, aligned) {
			t.Errorf("external=%v: aligned constant was copied, want it used in place", external)
		}
		// Shifted by one byte: constants are copied to aligned memory.
		shifted := file[off+1 : off+1+len(data)]
		copy(shifted, data)
		if _, err := tflite.LoadWithResolver(shifted, models.Options{}, peekResolver(seen)); err != nil {
			t.Fatal(err)
		}
		got := *seen
		if within(got, file) || uintptr(unsafe.Pointer(&got[0]))%16 != 0 {
			t.Errorf("external=%v: misaligned constant used in place or copy misaligned", external)
		}
		if v := models.Float32s(got); len(v) != 4 || v[0] != 1 || v[3] != 4 {
			t.Errorf("external=%v: copied constant %v", external, v)
		}
	}
}

func TestExternalBufferBounds(t *testing.T) {
	data, seen := peekModel(t, true)
	_, err := tflite.LoadWithResolver(data[:len(data)-1], models.Options{}, peekResolver(seen))
	if err == nil || !strings.Contains(err.Error(), "16 bytes at offset") || !strings.Contains(err.Error(), "outside the") {
		t.Errorf("truncated external buffer: %v", err)
	}
}

func TestLoadFileLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.tflite")
	if err := os.WriteFile(path, mustBytes(t, chain(4)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tflite.LoadFile(path, models.Options{MaxBytes: 100}); err == nil || !strings.Contains(err.Error(), "larger than the 100-byte limit") {
		t.Errorf("file over the limit: %v", err)
	}
	// Whether or not Builtins() has every kernel yet, an error names the file.
	if _, err := tflite.LoadFile(path, models.Options{}); err != nil && !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file: %v", err)
	}
	// Bookkeeping for many tensors is charged before it is allocated.
	b := build.New()
	for range 5000 {
		b.Tensor("t", models.Float32, []int{1}, nil)
	}
	if _, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{MaxBytes: 1 << 20}, resolver()); err == nil || !strings.Contains(err.Error(), "tensors needs") {
		t.Errorf("5000 tensors in 1 MiB: %v", err)
	}
}

func TestResizeInput(t *testing.T) {
	it := load(t, chain(4), models.Options{})
	// chain's constant has 4 elements, so the test kernel refuses 6...
	if err := it.ResizeInput(0, []int{6}); err == nil || !strings.Contains(err.Error(), "same size") {
		t.Errorf("resize to a size the graph cannot take: %v", err)
	}
	// ...and the interpreter recovers once the shape fits again.
	if err := it.ResizeInput(0, []int{2, 2}); err != nil {
		t.Fatal(err)
	}
	if in := it.Inputs()[0]; len(in.Shape) != 2 || in.Bytes != 16 {
		t.Errorf("input after resize %+v", in)
	}
	copy(models.Float32s(it.Input(0)), []float32{1, 1, 1, 1})
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out := it.Outputs()[0]; len(out.Shape) != 2 || out.Shape[1] != 2 {
		t.Errorf("output shape %v, want [2 2]", out.Shape)
	}
	if y := models.Float32s(it.Output(0)); y[3] != 2*(2*(1+3)+3) {
		t.Errorf("y = %v", y)
	}
	if err := it.ResizeInput(0, []int{-1}); err == nil {
		t.Error("negative dimension accepted")
	}
}

func TestSignatureErrors(t *testing.T) {
	b := chain(2)
	b.Signature("s", 0, []build.SigTensor{{Name: "x", Tensor: 99}}, nil)
	if _, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver()); err == nil || !strings.Contains(err.Error(), `tensor "x" is index 99`) {
		t.Errorf("signature with a bad tensor: %v", err)
	}
	b = chain(2)
	b.Signature("s", 4, nil, nil)
	if _, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver()); err == nil || !strings.Contains(err.Error(), `signature "s" runs subgraph 4 of 1`) {
		t.Errorf("signature with a bad subgraph: %v", err)
	}
}
