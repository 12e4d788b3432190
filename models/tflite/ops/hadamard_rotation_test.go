package ops_test

import (
	"context"
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

func hadamardModel(t *testing.T, shape []int, opts flexbuf.Entries) []byte {
	t.Helper()
	raw, err := flexbuf.Encode(opts)
	if err != nil {
		t.Fatal(err)
	}
	b := build.New()
	in := b.Input("x", models.Float32, shape, nil)
	out := b.Tensor("rotated", models.Float32, []int{}, nil)
	b.CustomOp("aeq.hadamard_rotation", 1, []int{in}, []int{out}, raw)
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHadamardRotationMatchesMatrix compares each block with the product
// of the Sylvester Hadamard matrix, H[i][j] = (-1)^popcount(i&j) /
// sqrt(size), computed in float64.
func TestHadamardRotationMatchesMatrix(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		size  int
	}{
		{[]int{3, 8}, 4},
		{[]int{2, 2, 256}, 128},
		{[]int{1, 5}, 1},
	} {
		it, err := tflite.Load(hadamardModel(t, tc.shape, flexbuf.Entries{
			"hadamard_size": tc.size, "random_binary_vector": []int64{1, -1}}), models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cnt := 1
		for _, d := range tc.shape {
			cnt *= d
		}
		x := make([]float64, cnt)
		for i := range x {
			x[i] = float64(float32(math.Sin(float64(i)*1.3) * 2))
		}
		copy(it.Input(0), bEncode(models.Float32, x))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := bDecode(models.Float32, it.Output(0))
		for b := 0; b < cnt; b += tc.size {
			for i := 0; i < tc.size; i++ {
				var want float64
				for j := 0; j < tc.size; j++ {
					s := 1.0
					if bits.OnesCount(uint(i&j))%2 == 1 {
						s = -1
					}
					want += s * x[b+j]
				}
				want /= math.Sqrt(float64(tc.size))
				if g := got[b+i]; math.Abs(g-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("shape %v size %d: element %d = %g, want %g", tc.shape, tc.size, b+i, g, want)
				}
			}
		}
		if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
			t.Errorf("%v allocations per Invoke, want 0", a)
		}
		it.Close()
	}
}

func TestHadamardRotationErrors(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		opts  flexbuf.Entries
		want  string
	}{
		{[]int{2, 8}, flexbuf.Entries{"hadamard_size": 6}, "hadamard_size = 6 is not a power of two"},
		{[]int{2, 8}, flexbuf.Entries{"hadamard_size": 0}, "hadamard_size = 0"},
		{[]int{2, 8}, flexbuf.Entries{}, "hadamard_size is missing"},
		{[]int{2, 6}, flexbuf.Entries{"hadamard_size": 4}, "last dimension 6 is not a multiple of hadamard_size 4"},
		{[]int{8}, flexbuf.Entries{"hadamard_size": 4}, "rank 2 or 3"},
	} {
		_, err := tflite.Load(hadamardModel(t, tc.shape, tc.opts), models.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "aeq.hadamard_rotation") {
			t.Errorf("%v %v: error %v, want one naming the operator and %q", tc.shape, tc.opts, err, tc.want)
		}
	}
}
