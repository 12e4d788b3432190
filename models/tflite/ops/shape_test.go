package ops_test

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Test harness of the shape, slicing and control families: models are built
// with models/build, run by the real interpreter, and compared with
// straightforward references written here on float64 values and flat
// row-major indices.

// moveTypes are the element types the data-movement kernels must handle:
// every element size (1, 2, 4, 8 bytes).
var moveTypes = []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32, models.Int64, models.Bool}

// seq is a deterministic, mostly distinct pattern of n values valid for dt.
func seq(dt models.DType, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch dt {
		case models.Float32:
			v[i] = float64(i)*0.25 - 3
		case models.Int8:
			v[i] = float64((i*37+11)%251 - 125)
		case models.UInt8:
			v[i] = float64((i*37 + 11) % 251)
		case models.Int16:
			v[i] = float64((i*131)%30011 - 15000)
		case models.Int32:
			v[i] = float64((i*100003)%1000000007 - 500000)
		case models.Int64:
			v[i] = float64(int64(i)<<33 + int64(i))
		case models.Bool:
			if i%3 == 0 {
				v[i] = 1
			}
		}
	}
	return v
}

// typed converts values to the Go slice models/build expects for dt.
func typed(dt models.DType, v []float64) any {
	switch dt {
	case models.Float32:
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	case models.Int8:
		out := make([]int8, len(v))
		for i, x := range v {
			out[i] = int8(x)
		}
		return out
	case models.UInt8:
		out := make([]uint8, len(v))
		for i, x := range v {
			out[i] = uint8(x)
		}
		return out
	case models.Int16:
		out := make([]int16, len(v))
		for i, x := range v {
			out[i] = int16(x)
		}
		return out
	case models.Int32:
		out := make([]int32, len(v))
		for i, x := range v {
			out[i] = int32(x)
		}
		return out
	case models.Int64:
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	case models.Bool:
		out := make([]bool, len(v))
		for i, x := range v {
			out[i] = x != 0
		}
		return out
	}
	panic("typed: unsupported dtype " + dt.String())
}

// encode writes values as little-endian tensor bytes.
func encode(dt models.DType, v []float64) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case models.Float32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
		case models.Float64:
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		case models.Int8, models.UInt8:
			b[i] = byte(int64(x))
		case models.Bool:
			if x != 0 {
				b[i] = 1
			}
		case models.Int16, models.UInt16, models.Float16:
			binary.LittleEndian.PutUint16(b[2*i:], uint16(int64(x)))
		case models.Int32, models.UInt32:
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int64(x)))
		case models.Int64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
		case models.UInt64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
		default:
			panic("encode: unsupported dtype " + dt.String())
		}
	}
	return b
}

// decode reads tensor bytes as values.
func decode(dt models.DType, b []byte) []float64 {
	n := len(b) / dt.Size()
	v := make([]float64, n)
	for i := range v {
		switch dt {
		case models.Float32:
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case models.Float64:
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		case models.Int8:
			v[i] = float64(int8(b[i]))
		case models.UInt8, models.Bool:
			v[i] = float64(b[i])
		case models.Int16:
			v[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		case models.UInt16, models.Float16:
			v[i] = float64(binary.LittleEndian.Uint16(b[2*i:]))
		case models.Int32:
			v[i] = float64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		case models.UInt32:
			v[i] = float64(binary.LittleEndian.Uint32(b[4*i:]))
		case models.Int64:
			v[i] = float64(int64(binary.LittleEndian.Uint64(b[8*i:])))
		case models.UInt64:
			v[i] = float64(binary.LittleEndian.Uint64(b[8*i:]))
		default:
			panic("decode: unsupported dtype " + dt.String())
		}
	}
	return v
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// unravel turns a flat index into a multi-index of shape.
func unravel(i int, shape []int) []int {
	ix := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			ix[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return ix
}

// ravel turns a multi-index into a flat index of shape.
func ravel(ix, shape []int) int {
	i := 0
	for k, d := range shape {
		i = i*d + ix[k]
	}
	return i
}

// load builds the model and loads it.
func load(t testing.TB, b *build.Builder) *tflite.Interpreter {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { it.Close() })
	return it
}

func loadBytes(data []byte) (*tflite.Interpreter, error) {
	return tflite.Load(data, models.Options{})
}

// loadErr builds the model and returns the load error (nil if it loaded).
func loadErr(t testing.TB, b *build.Builder) error {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err == nil {
		it.Close()
	}
	return err
}

// run loads the model, sets its inputs and invokes it once.
func run(t testing.TB, b *build.Builder, inputs ...[]byte) *tflite.Interpreter {
	t.Helper()
	it := load(t, b)
	setInputs(t, it, inputs...)
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return it
}

func setInputs(t testing.TB, it *tflite.Interpreter, inputs ...[]byte) {
	t.Helper()
	for i, in := range inputs {
		dst := it.Input(i)
		if len(dst) != len(in) {
			t.Fatalf("input %d has %d bytes, test gives %d", i, len(dst), len(in))
		}
		copy(dst, in)
	}
}

// output returns the shape and values of output i.
func output(it *tflite.Interpreter, i int) ([]int, []float64) {
	info := it.Outputs()[i]
	return info.Shape, decode(info.DType, it.Output(i)[:info.Bytes])
}

// expectOutput compares output i exactly with a reference.
func expectOutput(t testing.TB, it *tflite.Interpreter, i int, shape []int, want []float64) {
	t.Helper()
	gotShape, got := output(it, i)
	if !equalInts(gotShape, shape) {
		t.Fatalf("output %d shape %v, want %v", i, gotShape, shape)
	}
	if len(got) != len(want) {
		t.Fatalf("output %d has %d values, want %d", i, len(got), len(want))
	}
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("output %d [%d] (index %v) = %v, want %v", i, k, unravel(k, shape), got[k], want[k])
		}
	}
}

// expectErr checks that err names the operator and contains every fragment.
func expectErr(t testing.TB, err error, op string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error from %s containing %q", op, fragments)
	}
	msg := err.Error()
	if !strings.Contains(msg, op) {
		t.Fatalf("error %q does not name %s", msg, op)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Fatalf("error %q does not contain %q", msg, f)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func i32s(v ...int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

func opts(t build.OptionType, fields ...any) build.Options {
	o := build.Options{Type: t}
	for i, f := range fields {
		if f != nil {
			o.Fields = append(o.Fields, build.Field{Slot: i, Value: f})
		}
	}
	return o
}

// unary builds input -> op -> output with extra constant inputs.
func unary(dt models.DType, inShape, outShape []int, op ops.Op, version int, o build.Options, extra ...func(s *build.Subgraph) int) *build.Builder {
	b := build.New()
	in := b.Input("x", dt, inShape, nil)
	inputs := []int{in}
	for _, e := range extra {
		inputs = append(inputs, e(b.Subgraph))
	}
	out := b.Tensor("y", dt, outShape, nil)
	b.Op(op, version, inputs, []int{out}, o)
	b.Output(out)
	return b
}

func constI32(name string, shape []int, v ...int) func(s *build.Subgraph) int {
	return func(s *build.Subgraph) int { return s.Const(name, models.Int32, shape, i32s(v...), nil) }
}

func TestReshape(t *testing.T) {
	for _, dt := range moveTypes {
		t.Run(dt.String(), func(t *testing.T) {
			x := seq(dt, 24)
			// From options, with -1 inferred.
			b := unary(dt, []int{2, 3, 4}, []int{1, 1}, ops.OpReshape, 1, opts(build.OptReshape, i32s(4, -1, 2)))
			expectOutput(t, run(t, b, encode(dt, x)), 0, []int{4, 3, 2}, x)
			// From a constant shape tensor.
			b = unary(dt, []int{2, 3, 4}, []int{1}, ops.OpReshape, 1, build.Options{}, constI32("shape", []int{2}, -1, 6))
			expectOutput(t, run(t, b, encode(dt, x)), 0, []int{4, 6}, x)
		})
	}
}

func TestReshapeDynamicShape(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{2, 6}, nil)
	s := b.Input("shape", models.Int32, []int{3}, nil)
	y := b.Tensor("y", models.Float32, []int{1, 1, 1}, nil)
	b.Op(ops.OpReshape, 1, []int{x, s}, []int{y}, build.Options{})
	b.Output(y)
	it := load(t, b)
	vals := seq(models.Float32, 12)
	for _, shape := range [][]int{{3, 2, 2}, {1, -1, 4}, {12, 1, 1}} {
		setInputs(t, it, encode(models.Float32, vals), encode(models.Int32, []float64{float64(shape[0]), float64(shape[1]), float64(shape[2])}))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("invoke %v: %v", shape, err)
		}
		want := append([]int(nil), shape...)
		if want[1] == -1 {
			want[1] = 3
		}
		expectOutput(t, it, 0, want, vals)
	}
	setInputs(t, it, encode(models.Float32, vals), encode(models.Int32, []float64{5, 5, 1}))
	expectErr(t, it.Invoke(context.Background()), "RESHAPE", "cannot reshape")
}

func TestReshapeLegacyScalar(t *testing.T) {
	b := unary(models.Float32, []int{1, 1}, []int{1}, ops.OpReshape, 1, opts(build.OptReshape, i32s(0)))
	expectOutput(t, run(t, b, encode(models.Float32, []float64{7})), 0, []int{}, []float64{7})
}

func TestReshapeErrors(t *testing.T) {
	for _, tc := range []struct {
		shape []int32
		frag  string
	}{
		{i32s(-1, -1), "more than one -1"},
		{i32s(5, 5), "cannot reshape"},
		{i32s(-3, 2), "negative"},
		{i32s(0, -1), "cannot reshape"},
	} {
		b := unary(models.Float32, []int{2, 3}, []int{6}, ops.OpReshape, 1, opts(build.OptReshape, tc.shape))
		expectErr(t, loadErr(t, b), "RESHAPE", tc.frag)
	}
	// Input and output types differ.
	b := build.New()
	x := b.Input("x", models.Float32, []int{4}, nil)
	y := b.Tensor("y", models.Int8, []int{4}, nil)
	b.Op(ops.OpReshape, 1, []int{x}, []int{y}, opts(build.OptReshape, i32s(4)))
	b.Output(y)
	expectErr(t, loadErr(t, b), "RESHAPE", "float32", "int8")
}

func TestSqueeze(t *testing.T) {
	x := seq(models.Int16, 6)
	b := unary(models.Int16, []int{1, 2, 1, 3, 1}, []int{6}, ops.OpSqueeze, 1, build.Options{})
	expectOutput(t, run(t, b, encode(models.Int16, x)), 0, []int{2, 3}, x)
	b = unary(models.Int16, []int{1, 2, 1, 3, 1}, []int{6}, ops.OpSqueeze, 1, opts(build.OptSqueeze, i32s(0, -1)))
	expectOutput(t, run(t, b, encode(models.Int16, x)), 0, []int{2, 1, 3}, x)
	b = unary(models.Int16, []int{1, 2, 1, 3, 1}, []int{6}, ops.OpSqueeze, 1, opts(build.OptSqueeze, i32s(1)))
	expectErr(t, loadErr(t, b), "SQUEEZE", "size 2")
	b = unary(models.Int16, []int{1, 2}, []int{2}, ops.OpSqueeze, 1, opts(build.OptSqueeze, i32s(2)))
	expectErr(t, loadErr(t, b), "SQUEEZE", "out of range")
}

func TestExpandDims(t *testing.T) {
	x := seq(models.Int64, 6)
	for axis, want := range map[int][]int{0: {1, 2, 3}, 1: {2, 1, 3}, 2: {2, 3, 1}, -1: {2, 3, 1}, -3: {1, 2, 3}} {
		b := unary(models.Int64, []int{2, 3}, []int{6}, ops.OpExpandDims, 1, build.Options{}, constI32("axis", []int{}, axis))
		expectOutput(t, run(t, b, encode(models.Int64, x)), 0, want, x)
	}
	b := unary(models.Int64, []int{2, 3}, []int{6}, ops.OpExpandDims, 1, build.Options{}, constI32("axis", []int{}, 3))
	expectErr(t, loadErr(t, b), "EXPAND_DIMS", "out of range")

	// Axis fed at run time.
	b = build.New()
	in := b.Input("x", models.Float32, []int{2, 3}, nil)
	ax := b.Input("axis", models.Int32, []int{1}, nil)
	y := b.Tensor("y", models.Float32, []int{6}, nil)
	b.Op(ops.OpExpandDims, 1, []int{in, ax}, []int{y}, build.Options{})
	b.Output(y)
	xf := seq(models.Float32, 6)
	it := run(t, b, encode(models.Float32, xf), encode(models.Int32, []float64{1}))
	expectOutput(t, it, 0, []int{2, 1, 3}, xf)
}

func TestShape(t *testing.T) {
	for _, dt := range []models.DType{models.Int32, models.Int64} {
		b := build.New()
		x := b.Input("x", models.Float32, []int{2, 5, 1, 3}, nil)
		y := b.Tensor("y", dt, []int{4}, nil)
		b.Op(ops.OpShape, 1, []int{x}, []int{y}, opts(build.OptShape, int8(map[models.DType]int{models.Int32: 2, models.Int64: 4}[dt])))
		b.Output(y)
		expectOutput(t, run(t, b, make([]byte, 30*4)), 0, []int{4}, []float64{2, 5, 1, 3})
	}
	b := build.New()
	x := b.Input("x", models.Float32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpShape, 1, []int{x}, []int{y}, build.Options{})
	b.Output(y)
	expectErr(t, loadErr(t, b), "SHAPE", "int32 or int64")
}
