package tflite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestNarrowTensorTypes checks the schema types LiteRT's newest kernels
// use: their names, the schema numbers they map to, and the packed or
// one-byte sizes the loader checks constant buffers against.
func TestNarrowTensorTypes(t *testing.T) {
	for _, c := range []struct {
		dt     models.DType
		name   string
		schema int8
		size   int
	}{
		{models.BFloat16, "bfloat16", 18, 2},
		{models.Int2, "int2", 19, 0},
		{models.Float8E4M3FN, "float8_e4m3fn", 21, 1},
		{models.Float8E5M2, "float8_e5m2", 22, 1},
		{models.Int4, "int4", 17, 0},
		{models.UInt4, "uint4", 20, 0},
	} {
		if c.dt.String() != c.name || c.dt.Size() != c.size {
			t.Errorf("%v: name %q size %d, want %q and %d", uint8(c.dt), c.dt, c.dt.Size(), c.name, c.size)
		}
		if d, err := models.ParseDType(c.name); err != nil || d != c.dt {
			t.Errorf("ParseDType(%q) = %v, %v", c.name, d, err)
		}
		if d, ok := flatbuf.ToDType(c.schema); !ok || d != c.dt {
			t.Errorf("schema type %d maps to %v, %v; want %s", c.schema, d, ok, c.dt)
		}
		if s, ok := flatbuf.FromDType(c.dt); !ok || s != c.schema {
			t.Errorf("%s maps to schema type %d, %v; want %d", c.dt, s, ok, c.schema)
		}
	}
	if d, ok := flatbuf.ToDType(23); ok { // past the schema's last type
		t.Errorf("schema type 23 maps to %s", d)
	}

	// A packed or narrow constant must have exactly the bytes its shape
	// needs: INT2 four elements a byte, INT4 two, rounded up.
	for _, c := range []struct {
		dt    models.DType
		shape []int
		bytes int
	}{
		{models.Int2, []int{5}, 2},
		{models.Int2, []int{2, 4}, 2},
		{models.Int4, []int{5}, 3},
		{models.UInt4, []int{3}, 2},
		{models.BFloat16, []int{3}, 6},
		{models.Float8E4M3FN, []int{3}, 3},
		{models.Float8E5M2, []int{2, 2}, 4},
	} {
		for _, n := range []int{c.bytes, c.bytes - 1, c.bytes + 1} {
			b := build.New()
			// An unused constant: the loader checks every tensor.
			b.Const("k", c.dt, c.shape, build.Raw(make([]byte, n)), &models.Quant{Scale: []float32{1}, ZeroPoint: []int64{0}})
			x := b.Input("x", models.Float32, []int{1}, nil)
			y := b.Tensor("y", models.Float32, []int{1}, nil)
			b.Op(ops.OpRelu, 1, []int{x}, []int{y}, build.Options{})
			b.Output(y)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			it, err := tflite.Load(data, models.Options{})
			if n == c.bytes {
				if err != nil {
					t.Errorf("%s %v with %d bytes: %v", c.dt, c.shape, n, err)
				} else {
					it.Close()
				}
				continue
			}
			if err == nil {
				it.Close()
				t.Errorf("%s %v with %d bytes loaded, want %d bytes", c.dt, c.shape, n, c.bytes)
			} else if want := c.dt.String(); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "needs") {
				t.Errorf("%s %v with %d bytes: error %q does not name the type and the size needed", c.dt, c.shape, n, err)
			}
		}
	}
}

// TestNarrowTypeIO runs a model whose input and output are packed int4:
// the interpreter's buffers have the packed sizes.
func TestNarrowTypeIO(t *testing.T) {
	b := build.New()
	op := b.Input("operand", models.Int4, []int{3, 3}, nil)
	upd := b.Input("update", models.Int4, []int{1, 3}, nil)
	start := b.Const("start", models.Int32, []int{2}, []int32{2, 0}, nil)
	out := b.Tensor("out", models.Int4, []int{3, 3}, nil)
	b.Op(ops.OpDynamicUpdateSlice, 5, []int{op, upd, start}, []int{out}, build.Options{})
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if len(it.Input(0)) != 5 || len(it.Input(1)) != 2 || len(it.Output(0)) != 5 {
		t.Fatalf("buffers of %d, %d and %d bytes, want 5, 2 and 5", len(it.Input(0)), len(it.Input(1)), len(it.Output(0)))
	}
	copy(it.Input(0), []byte{0x21, 0x43, 0x65, 0x87, 0x09})
	copy(it.Input(1), []byte{0xcb, 0x0d}) // B C D
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Row 2 (elements 6, 7, 8) becomes B C D: byte 3 = 7|6, byte 4 = 8.
	if got, want := it.Output(0), []byte{0x21, 0x43, 0x65, 0xcb, 0x0d}; string(got) != string(want) {
		t.Fatalf("output % x, want % x", got, want)
	}
	if info := it.Outputs()[0]; info.DType != models.Int4 {
		t.Fatalf("output type %s", info.DType)
	}
}
