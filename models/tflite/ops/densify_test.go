package ops_test

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// densifyModel is sparse constant -> DENSIFY -> ADD(zero input), so the
// dense result flows into an ordinary op as in converter-made models.
func densifyModel(dt models.DType, shape []int, values build.Raw, sp build.Sparsity) ([]byte, error) {
	b := build.New()
	w := b.Const("w_sparse", dt, shape, values, nil)
	b.SetSparsity(w, sp)
	dense := b.Tensor("w", dt, shape, nil)
	b.Op(ops.OpDensify, 1, []int{w}, []int{dense}, build.Options{})
	b.Output(dense)
	return b.Bytes()
}

func rawOf(dt models.DType, v []float64) build.Raw {
	var out []byte
	for _, x := range v {
		switch dt {
		case models.Float32:
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(x)))
		case models.Float16:
			out = binary.LittleEndian.AppendUint16(out, f16bits(x))
		default:
			out = append(out, byte(int8(x)))
		}
	}
	return out
}

// f16bits encodes small integers exactly as IEEE half floats.
func f16bits(x float64) uint16 {
	if x == 0 {
		return 0
	}
	var sign uint16
	if x < 0 {
		sign, x = 0x8000, -x
	}
	frac, exp := math.Frexp(x) // x = frac * 2^exp, frac in [0.5, 1)
	return sign | uint16(exp+14)<<10 | uint16((frac*2-1)*1024)
}

func densifyRead(dt models.DType, b []byte) []float64 {
	var out []float64
	switch dt {
	case models.Float32:
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
	case models.Float16:
		for i := 0; i+2 <= len(b); i += 2 {
			h := binary.LittleEndian.Uint16(b[i:])
			v := 0.0
			if h&0x7fff != 0 {
				v = math.Ldexp(1+float64(h&0x3ff)/1024, int(h>>10&0x1f)-15)
			}
			if h&0x8000 != 0 {
				v = -v
			}
			out = append(out, v)
		}
	default:
		for _, x := range b {
			out = append(out, float64(int8(x)))
		}
	}
	return out
}

func TestDensify(t *testing.T) {
	for _, c := range []struct {
		name   string
		shape  []int
		values []float64
		sp     build.Sparsity
		want   []float64
	}{
		// Row-major CSR: row 0 holds column 0, row 1 columns 1 and 2.
		{"csr", []int{2, 3}, []float64{1, 2, -3}, build.Sparsity{
			TraversalOrder: []int32{0, 1},
			Dims: []build.SparseDim{{DenseSize: 2},
				{CSR: true, Segments: []int32{0, 1, 3}, Indices: []int32{0, 1, 2}}},
		}, []float64{1, 0, 0, 0, 2, -3}},
		// Column-major with uint8 indices: column 0 holds row 1, column 1
		// nothing, column 2 rows 0 and 1.
		{"column major uint8", []int{2, 3}, []float64{7, 8, 9}, build.Sparsity{
			TraversalOrder: []int32{1, 0},
			Dims: []build.SparseDim{{DenseSize: 3},
				{CSR: true, Segments: []int32{0, 1, 1, 3}, Indices: []int32{1, 0, 1}, IndexWidth: 1}},
		}, []float64{0, 0, 8, 7, 0, 9}},
		// 1x2 blocks along dimension 1 with uint16 indices: block column 0
		// in rows 0 and 3, block column 1 in row 2.
		{"blocks uint16", []int{4, 4}, []float64{1, 2, 3, 4, 5, 6}, build.Sparsity{
			TraversalOrder: []int32{0, 1, 2},
			BlockMap:       []int32{1},
			Dims: []build.SparseDim{{DenseSize: 4},
				{CSR: true, Segments: []int32{0, 1, 1, 2, 3}, Indices: []int32{0, 1, 0}, IndexWidth: 2},
				{DenseSize: 2}},
		}, []float64{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5, 6, 0, 0}},
		// Fully dense metadata stores every value in order.
		{"all dense", []int{2, 2}, []float64{1, 2, 3, 4}, build.Sparsity{
			TraversalOrder: []int32{0, 1},
			Dims:           []build.SparseDim{{DenseSize: 2}, {DenseSize: 2}},
		}, []float64{1, 2, 3, 4}},
	} {
		for _, dt := range []models.DType{models.Float32, models.Int8, models.Float16} {
			data, err := densifyModel(dt, c.shape, rawOf(dt, c.values), c.sp)
			if err != nil {
				t.Fatal(err)
			}
			it, err := tflite.Load(data, models.Options{})
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, dt, err)
			}
			if err := it.Invoke(context.Background()); err != nil {
				t.Fatalf("%s %s: %v", c.name, dt, err)
			}
			info := it.Outputs()[0]
			if info.DType != dt || !slices.Equal(info.Shape, c.shape) {
				t.Fatalf("%s: output %s %v, want %s %v", c.name, info.DType, info.Shape, dt, c.shape)
			}
			if got := densifyRead(dt, it.Output(0)); !slices.Equal(got, c.want) {
				t.Errorf("%s %s: got %v, want %v", c.name, dt, got, c.want)
			}
			allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) })
			if allocs != 0 {
				t.Errorf("%s %s: Invoke allocates %v times", c.name, dt, allocs)
			}
			it.Close()
		}
	}
}

func TestDensifyErrors(t *testing.T) {
	csr := func(seg, idx []int32) build.Sparsity {
		return build.Sparsity{TraversalOrder: []int32{0, 1}, Dims: []build.SparseDim{{DenseSize: 2},
			{CSR: true, Segments: seg, Indices: idx}}}
	}
	good := csr([]int32{0, 1, 3}, []int32{0, 1, 2})
	vals := rawOf(models.Float32, []float64{1, 2, 3})
	for _, c := range []struct {
		name   string
		dt     models.DType
		values build.Raw
		sp     build.Sparsity
		want   []string
	}{
		{"index outside", models.Float32, vals, csr([]int32{0, 1, 3}, []int32{0, 3, 2}), []string{`"w_sparse"`, "sparsity", "array_indices[1] is 3, outside the dimension of size 3"}},
		{"segments decrease", models.Float32, vals, csr([]int32{0, 3, 1}, []int32{0, 1, 2}), []string{"array_segments decreases at 2"}},
		{"segments too short", models.Float32, vals, csr([]int32{0, 3}, []int32{0, 1, 2}), []string{"array_segments has 2 entries, want 3"}},
		{"segments past indices", models.Float32, vals, csr([]int32{0, 1, 4}, []int32{0, 1, 2}), []string{"ends at 4 but array_indices has 3"}},
		{"values count", models.Float32, rawOf(models.Float32, []float64{1, 2}), good, []string{"buffer", "has 8 bytes", "needs 12"}},
		{"dense size", models.Float32, vals, build.Sparsity{TraversalOrder: []int32{0, 1}, Dims: []build.SparseDim{{DenseSize: 3},
			{CSR: true, Segments: []int32{0, 1, 3}, Indices: []int32{0, 1, 2}}}}, []string{"dim_metadata[0]: dense_size 3, but the dimension it walks has size 2"}},
		{"traversal order", models.Float32, vals, build.Sparsity{TraversalOrder: []int32{0, 0}, Dims: good.Dims}, []string{"traversal_order [0 0] is not a permutation"}},
		{"block size", models.Float32, vals, build.Sparsity{TraversalOrder: []int32{0, 1, 2}, BlockMap: []int32{1},
			Dims: []build.SparseDim{{DenseSize: 2}, {DenseSize: 1}, {DenseSize: 2}}}, []string{"block 0 of dimension 1", "divide 3"}},
		{"type", models.Int32, vals, good, []string{"DENSIFY", "node 0", `input "w_sparse": type int32 is not supported`}},
	} {
		data, err := densifyModel(c.dt, []int{2, 3}, c.values, c.sp)
		if err != nil {
			t.Fatal(err)
		}
		it, err := tflite.Load(data, models.Options{})
		if err == nil {
			it.Close()
			t.Errorf("%s: loaded", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

// TestDensifyInputs: DENSIFY refuses a dense constant, and only DENSIFY may
// read a sparse one.
func TestDensifyInputs(t *testing.T) {
	b := build.New()
	w := b.Const("w", models.Float32, []int{2}, []float32{1, 2}, nil)
	out := b.Tensor("out", models.Float32, []int{2}, nil)
	b.Op(ops.OpDensify, 1, []int{w}, []int{out}, build.Options{})
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tflite.Load(data, models.Options{}); err == nil || !strings.Contains(err.Error(), `input "w" must be a sparse constant tensor`) {
		t.Errorf("dense input: %v", err)
	}

	b = build.New()
	x := b.Input("x", models.Float32, []int{2}, nil)
	w = b.Const("w", models.Float32, []int{2}, build.Raw(rawOf(models.Float32, []float64{5})), nil)
	b.SetSparsity(w, build.Sparsity{TraversalOrder: []int32{0}, Dims: []build.SparseDim{{CSR: true, Segments: []int32{0, 1}, Indices: []int32{1}}}})
	out = b.Tensor("out", models.Float32, []int{2}, nil)
	b.Op(ops.OpAdd, 1, []int{x, w}, []int{out}, build.Options{Type: build.OptAdd})
	b.Output(out)
	if data, err = b.Bytes(); err != nil {
		t.Fatal(err)
	}
	if _, err := tflite.Load(data, models.Options{}); err == nil || !strings.Contains(err.Error(), `node 0: ADD input tensor 1 ("w") is sparse; only DENSIFY reads sparse tensors`) {
		t.Errorf("sparse input to ADD: %v", err)
	}
}
