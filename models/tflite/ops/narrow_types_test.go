package ops_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Tests of the newest operator versions LiteRT's resolver accepts, which
// bring the narrow types: float16 math (SIN 2, COS 2, GELU 3), float8 and
// bfloat16 data movement (REVERSE_V2 4, GATHER_ND 6, BROADCAST_TO 4,
// DYNAMIC_UPDATE_SLICE 6), packed int4 DYNAMIC_UPDATE_SLICE (5), and packed
// int2 or int4 weights (EMBEDDING_LOOKUP 5, FULLY_CONNECTED 13 and 14).
// Tensors are given as raw bytes, since packed and float8 values have no
// float64 form the shared harness could encode.

// rawT is one tensor of a test model, as bytes.
type rawT struct {
	dt    models.DType
	shape []int
	q     *models.Quant
	data  []byte
	konst bool
}

func rawModel(op ops.Op, version int, opt build.Options, ins []rawT, out rawT) *build.Builder {
	b := build.New()
	var idx []int
	for i, in := range ins {
		name := fmt.Sprintf("in%d", i)
		if in.konst {
			idx = append(idx, b.Const(name, in.dt, in.shape, build.Raw(in.data), in.q))
		} else {
			idx = append(idx, b.Input(name, in.dt, in.shape, in.q))
		}
	}
	o := b.Tensor("out", out.dt, out.shape, out.q)
	b.Op(op, version, idx, []int{o}, opt)
	b.Output(o)
	return b
}

// rawRun loads and invokes a one-operator model and returns the output
// bytes, or the load or invoke error.
func rawRun(t *testing.T, op ops.Op, version int, opt build.Options, ins []rawT, out rawT) ([]byte, error) {
	t.Helper()
	it, err := ewtLoad(t, rawModel(op, version, opt, ins, out))
	if err != nil {
		return nil, err
	}
	k := 0
	for _, in := range ins {
		if in.konst {
			continue
		}
		dst := it.Input(k)
		if len(dst) != len(in.data) {
			t.Fatalf("%s: input %d has %d bytes, test gives %d", op, k, len(dst), len(in.data))
		}
		copy(dst, in.data)
		k++
	}
	if err := it.Invoke(context.Background()); err != nil {
		return nil, err
	}
	return it.Output(0), nil
}

func rawWant(t *testing.T, what string, got []byte, err error, want []byte) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: output % x, want % x", what, got, want)
	}
}

func i32Bytes(v ...int32) []byte { return encode(models.Int32, ewtF64(v)) }

func ewtF64[T int32 | int64 | uint16](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestNarrowTypesDataMovement moves float8 (one byte) and bfloat16 (two
// bytes) elements through the versions that added them. The bytes are
// distinct, so a wrong permutation shows.
func TestNarrowTypesDataMovement(t *testing.T) {
	f8 := []byte{0x01, 0x02, 0x03, 0x84, 0x85, 0x86} // [2,3]
	bf := []byte{0x80, 0x3f, 0x00, 0x40, 0x40, 0x40, 0x80, 0xc0, 0xa0, 0x40, 0xc0, 0xc0}
	for _, dt := range []models.DType{models.Float8E4M3FN, models.Float8E5M2} {
		got, err := rawRun(t, ops.OpReverseV2, 4, build.Options{}, []rawT{{dt: dt, shape: []int{2, 3}, data: f8}, {dt: models.Int32, shape: []int{1}, data: i32Bytes(1), konst: true}}, rawT{dt: dt, shape: []int{2, 3}})
		rawWant(t, "REVERSE_V2/"+dt.String(), got, err, []byte{0x03, 0x02, 0x01, 0x86, 0x85, 0x84})

		got, err = rawRun(t, ops.OpGatherNd, 6, build.Options{}, []rawT{{dt: dt, shape: []int{2, 3}, data: f8}, {dt: models.Int32, shape: []int{2, 2}, data: i32Bytes(1, 2, 0, 1)}}, rawT{dt: dt, shape: []int{2}})
		rawWant(t, "GATHER_ND/"+dt.String(), got, err, []byte{0x86, 0x02})

		got, err = rawRun(t, ops.OpBroadcastTo, 4, build.Options{}, []rawT{{dt: dt, shape: []int{1, 3}, data: f8[:3]}, {dt: models.Int32, shape: []int{2}, data: i32Bytes(2, 3), konst: true}}, rawT{dt: dt, shape: []int{2, 3}})
		rawWant(t, "BROADCAST_TO/"+dt.String(), got, err, []byte{0x01, 0x02, 0x03, 0x01, 0x02, 0x03})

		got, err = rawRun(t, ops.OpDynamicUpdateSlice, 6, build.Options{}, []rawT{{dt: dt, shape: []int{2, 3}, data: f8}, {dt: dt, shape: []int{1, 2}, data: []byte{0xee, 0xff}}, {dt: models.Int32, shape: []int{2}, data: i32Bytes(1, 5)}}, rawT{dt: dt, shape: []int{2, 3}})
		rawWant(t, "DYNAMIC_UPDATE_SLICE/"+dt.String(), got, err, []byte{0x01, 0x02, 0x03, 0x84, 0xee, 0xff})
	}
	// bfloat16 [2,3] = [1, 2, 3, -4, 5, -6].
	bt := models.BFloat16
	got, err := rawRun(t, ops.OpDynamicUpdateSlice, 6, build.Options{}, []rawT{{dt: bt, shape: []int{2, 3}, data: bf}, {dt: bt, shape: []int{2, 1}, data: []byte{0, 0, 0x80, 0x3f}}, {dt: models.Int64, shape: []int{2}, data: encode(models.Int64, []float64{0, 1})}}, rawT{dt: bt, shape: []int{2, 3}})
	rawWant(t, "DYNAMIC_UPDATE_SLICE/bfloat16", got, err, []byte{0x80, 0x3f, 0, 0, 0x40, 0x40, 0x80, 0xc0, 0x80, 0x3f, 0xc0, 0xc0})
	got, err = rawRun(t, ops.OpReverseV2, 4, build.Options{}, []rawT{{dt: bt, shape: []int{2, 3}, data: bf}, {dt: models.Int32, shape: []int{1}, data: i32Bytes(0), konst: true}}, rawT{dt: bt, shape: []int{2, 3}})
	rawWant(t, "REVERSE_V2/bfloat16", got, err, append(append([]byte{}, bf[6:]...), bf[:6]...))
	got, err = rawRun(t, ops.OpGatherNd, 6, build.Options{}, []rawT{{dt: bt, shape: []int{2, 3}, data: bf}, {dt: models.Int32, shape: []int{1, 1}, data: i32Bytes(1)}}, rawT{dt: bt, shape: []int{1, 3}})
	rawWant(t, "GATHER_ND/bfloat16", got, err, bf[6:])

	// Packed types have no byte-sized element: the byte-moving kernels
	// refuse them by name.
	_, err = rawRun(t, ops.OpReverseV2, 4, build.Options{}, []rawT{{dt: models.Int2, shape: []int{4}, data: []byte{0x1b}}, {dt: models.Int32, shape: []int{1}, data: i32Bytes(0), konst: true}}, rawT{dt: models.Int2, shape: []int{4}})
	ewtWantErr(t, err, ops.OpReverseV2, "node 0", "dtype int2 is not supported")
	_, err = rawRun(t, ops.OpGatherNd, 6, build.Options{}, []rawT{{dt: models.Int4, shape: []int{4}, data: []byte{0x21, 0x43}}, {dt: models.Int32, shape: []int{1, 1}, data: i32Bytes(1)}}, rawT{dt: models.Int4, shape: []int{1}})
	ewtWantErr(t, err, ops.OpGatherNd, "dtype int4 is not supported")
	_, err = rawRun(t, ops.OpDynamicUpdateSlice, 6, build.Options{}, []rawT{{dt: models.Int2, shape: []int{4}, data: []byte{0x1b}}, {dt: models.Int2, shape: []int{1}, data: []byte{0}}, {dt: models.Int32, shape: []int{1}, data: i32Bytes(0)}}, rawT{dt: models.Int2, shape: []int{4}})
	ewtWantErr(t, err, ops.OpDynamicUpdateSlice, "dtype int2 is not supported")
}

// TestDynamicUpdateSliceInt4 checks version 5 on packed int4 tensors,
// where rows do not start on byte boundaries: a 3x3 operand holding the
// nibbles 1..9 (low nibble first) gets a 2x2 update of A, B, C, D.
func TestDynamicUpdateSliceInt4(t *testing.T) {
	operand := []byte{0x21, 0x43, 0x65, 0x87, 0x09}
	update := []byte{0xba, 0xdc}
	for _, c := range []struct {
		start []int32
		want  []byte
	}{
		// Elements 4, 5, 7, 8: 1 2 3 / 4 A B / 7 C D.
		{[]int32{1, 1}, []byte{0x21, 0x43, 0xba, 0xc7, 0x0d}},
		// (5, -3) is clamped to (1, 0): 1 2 3 / A B 6 / C D 9.
		{[]int32{5, -3}, []byte{0x21, 0xa3, 0x6b, 0xdc, 0x09}},
		// (0, 0): A B 3 / C D 6 / 7 8 9.
		{[]int32{0, 0}, []byte{0xba, 0xc3, 0x6d, 0x87, 0x09}},
	} {
		for _, konst := range []bool{false, true} {
			got, err := rawRun(t, ops.OpDynamicUpdateSlice, 5, build.Options{}, []rawT{
				{dt: models.Int4, shape: []int{3, 3}, data: operand, konst: konst},
				{dt: models.Int4, shape: []int{2, 2}, data: update},
				{dt: models.Int32, shape: []int{2}, data: i32Bytes(c.start...)},
			}, rawT{dt: models.Int4, shape: []int{3, 3}})
			rawWant(t, fmt.Sprintf("int4 at %v (constant operand %v)", c.start, konst), got, err, c.want)
		}
	}
	// An update as large as the operand replaces it whole, as LiteRT copies.
	whole := []byte{0xfe, 0xdc, 0xba, 0x98, 0x07}
	got, err := rawRun(t, ops.OpDynamicUpdateSlice, 5, build.Options{}, []rawT{
		{dt: models.Int4, shape: []int{3, 3}, data: operand},
		{dt: models.Int4, shape: []int{3, 3}, data: whole},
		{dt: models.Int32, shape: []int{2}, data: i32Bytes(2, 2)},
	}, rawT{dt: models.Int4, shape: []int{3, 3}})
	rawWant(t, "int4 whole", got, err, whole)

	_, err = rawRun(t, ops.OpDynamicUpdateSlice, 5, build.Options{}, []rawT{
		{dt: models.Int4, shape: []int{3, 3}, data: operand},
		{dt: models.Int8, shape: []int{1, 1}, data: []byte{1}},
		{dt: models.Int32, shape: []int{2}, data: i32Bytes(0, 0)},
	}, rawT{dt: models.Int4, shape: []int{3, 3}})
	ewtWantErr(t, err, ops.OpDynamicUpdateSlice, "update is int8, operand int4")
}

// TestMathFloat16 checks SIN and COS version 2 and GELU version 3 on
// float16 bits. The expected bits are float32 sinf/cosf results rounded to
// the nearest float16; for GELU each step of LiteRT's Eigen::half formula
// is rounded, which is why GELU(-3) is 0x9c27 where the exactly rounded
// value is 0x9c26, and why the tanh form differs from it at -3, -1 and 1.
func TestMathFloat16(t *testing.T) {
	// 0, 0.5, 1.5703 (pi/2 in float16), -3, 100, 1.0002e-4 (subnormal
	// range of float16 is below 6.1e-5; this one is normal).
	sinIn := []uint16{0x0000, 0x3800, 0x3e48, 0xc200, 0x5640, 0x068e}
	// -3, -1, -0.5, 0, 0.75, 1, 2.5, -8.
	geluIn := []uint16{0xc200, 0xbc00, 0xb800, 0x0000, 0x3a00, 0x3c00, 0x4100, 0xc800}
	for _, c := range []struct {
		op      ops.Op
		version int
		opt     build.Options
		in      []uint16
		want    []uint16
	}{
		{ops.OpSin, 2, build.Options{}, sinIn, []uint16{0x0000, 0x37ac, 0x3c00, 0xb084, 0xb80d, 0x068e}},
		{ops.OpCos, 2, build.Options{}, sinIn, []uint16{0x3c00, 0x3b05, 0x0fed, 0xbbec, 0x3ae6, 0x3c00}},
		{ops.OpGelu, 3, build.Options{}, geluIn, []uint16{0x9c27, 0xb114, 0xb0f0, 0x0000, 0x38a4, 0x3abb, 0x40f8, 0x8000}},
		{ops.OpGelu, 3, ewtOpt(build.OptGelu, true), geluIn, []uint16{0x9b80, 0xb116, 0xb0f0, 0x0000, 0x38a4, 0x3aba, 0x40f8, 0x8000}},
	} {
		ins := []ewtT{{dt: models.Float16, shape: []int{len(c.in)}, vals: ewtF64(c.in)}}
		dt, shape, got := ewtRun(t, c.op, c.version, c.opt, ins, ewtT{dt: models.Float16, shape: []int{len(c.in)}})
		if dt != models.Float16 {
			t.Fatalf("%s: output type %s", c.op, dt)
		}
		ewtCompare(t, c.op.String()+"/float16", shape, got, ewtF64(c.want), 0)
	}
	// The other float math keeps refusing float16, and float16 must meet
	// a float16 output.
	err := ewtErr(t, ops.OpFloor, 1, build.Options{}, []ewtT{{dt: models.Float16, shape: []int{1}, vals: []float64{0x3c00}}}, ewtT{dt: models.Float16, shape: []int{1}})
	ewtWantErr(t, err, ops.OpFloor, "input type float16 is not supported")
	err = ewtErr(t, ops.OpSin, 2, build.Options{}, []ewtT{{dt: models.Float16, shape: []int{1}, vals: []float64{0x3c00}}}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpSin, "input is float16 but output is float32")
	err = ewtErr(t, ops.OpGelu, 3, build.Options{}, []ewtT{{dt: models.BFloat16, shape: []int{1}, vals: []float64{0}}}, ewtT{dt: models.BFloat16, shape: []int{1}})
	ewtWantErr(t, err, ops.OpGelu, "bfloat16")
}
