package ops_test

import (
	"context"
	"errors"
	"math/rand"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// FuzzShapeOps builds single-operator models of this family's ops with
// random (often invalid) shapes, index tensors and options, then loads and
// invokes them. Errors are expected; a kernel panic (which the interpreter
// reports as ErrInternal) or a hang is a bug.
func FuzzShapeOps(f *testing.F) {
	for op := range fuzzOps {
		for seed := uint64(0); seed < 4; seed++ {
			f.Add(seed, uint8(op))
		}
	}
	f.Fuzz(func(t *testing.T, seed uint64, op uint8) {
		rng := rand.New(rand.NewSource(int64(seed)))
		g := fuzzOps[int(op)%len(fuzzOps)]
		b := build.New()
		g(rng, b)
		data, err := b.Bytes()
		if err != nil {
			return // the generator asked for something the writer refuses
		}
		it, err := tflite.Load(data, models.Options{MaxBytes: 64 << 20})
		if err != nil {
			if errors.Is(err, tflite.ErrInternal) {
				t.Fatalf("load panicked: %v", err)
			}
			return
		}
		defer it.Close()
		for i := range it.Inputs() {
			in := it.Input(i)
			for k := range in {
				in[k] = byte(rng.Intn(3))
			}
		}
		if err := it.Invoke(context.Background()); errors.Is(err, tflite.ErrInternal) {
			t.Fatalf("invoke panicked: %v", err)
		}
	})
}

func fuzzShape(rng *rand.Rand, maxRank int) []int {
	s := make([]int, rng.Intn(maxRank+1))
	for i := range s {
		s[i] = rng.Intn(5)
	}
	return s
}

func fuzzInts(rng *rand.Rand, n, lo, hi int) []int32 {
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(lo + rng.Intn(hi-lo+1))
	}
	return v
}

// fuzzIndex adds an int32 index tensor: constant with random values, or a
// model input (its values arrive at Invoke).
func fuzzIndex(rng *rand.Rand, s *build.Subgraph, shape []int, lo, hi int) int {
	if rng.Intn(3) == 0 {
		return s.Input("idx", models.Int32, shape, nil)
	}
	return s.Const("idx", models.Int32, shape, fuzzInts(rng, numel(shape), lo, hi), nil)
}

func fuzzType(rng *rand.Rand) models.DType { return moveTypes[rng.Intn(len(moveTypes))] }

// fuzzOp adds the op with one input x of a random shape and n outputs.
func fuzzOp(rng *rand.Rand, b *build.Builder, op ops.Op, o build.Options, nOut int, extra func(dt models.DType, x []int) []int) {
	dt := fuzzType(rng)
	xs := fuzzShape(rng, 5)
	ins := append([]int{b.Input("x", dt, xs, nil)}, extra(dt, xs)...)
	var outs []int
	for i := 0; i < nOut; i++ {
		outs = append(outs, b.Tensor("y", dt, fuzzShape(rng, 2), nil))
	}
	b.Op(op, 1, ins, outs, o)
	b.Output(outs...)
}

var fuzzOps = []func(rng *rand.Rand, b *build.Builder){
	func(rng *rand.Rand, b *build.Builder) { // RESHAPE
		fuzzOp(rng, b, ops.OpReshape, opts(build.OptReshape, fuzzInts(rng, rng.Intn(4), -2, 6)), 1, func(dt models.DType, x []int) []int {
			if rng.Intn(2) == 0 {
				return nil
			}
			return []int{fuzzIndex(rng, b.Subgraph, fuzzShape(rng, 1), -2, 6)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // SQUEEZE
		fuzzOp(rng, b, ops.OpSqueeze, opts(build.OptSqueeze, fuzzInts(rng, rng.Intn(3), -6, 6)), 1, func(models.DType, []int) []int { return nil })
	},
	func(rng *rand.Rand, b *build.Builder) { // EXPAND_DIMS
		fuzzOp(rng, b, ops.OpExpandDims, build.Options{}, 1, func(models.DType, []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, fuzzShape(rng, 1), -7, 7)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // TRANSPOSE
		fuzzOp(rng, b, ops.OpTranspose, build.Options{}, 1, func(_ models.DType, x []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, []int{len(x) + rng.Intn(2)}, -6, 6)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // TILE
		fuzzOp(rng, b, ops.OpTile, build.Options{}, 1, func(_ models.DType, x []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, []int{len(x)}, -1, 4)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // CONCATENATION / PACK
		dt := fuzzType(rng)
		n := 1 + rng.Intn(3)
		var ins []int
		base := fuzzShape(rng, 4)
		for i := 0; i < n; i++ {
			s := append([]int(nil), base...)
			if len(s) > 0 && rng.Intn(2) == 0 {
				s[rng.Intn(len(s))] = rng.Intn(4)
			}
			ins = append(ins, b.Input("x", dt, s, nil))
		}
		y := b.Tensor("y", dt, []int{1}, nil)
		if rng.Intn(2) == 0 {
			b.Op(ops.OpConcatenation, 1, ins, []int{y}, opts(build.OptConcatenation, int32(rng.Intn(9)-4), int8(rng.Intn(7))))
		} else {
			b.Op(ops.OpPack, 1, ins, []int{y}, opts(build.OptPack, int32(n+rng.Intn(2)), int32(rng.Intn(9)-4)))
		}
		b.Output(y)
	},
	func(rng *rand.Rand, b *build.Builder) { // UNPACK
		fuzzOp(rng, b, ops.OpUnpack, opts(build.OptUnpack, int32(rng.Intn(4)), int32(rng.Intn(7)-3)), rng.Intn(4), func(models.DType, []int) []int { return nil })
	},
	func(rng *rand.Rand, b *build.Builder) { // SHAPE
		dt := fuzzType(rng)
		x := b.Input("x", dt, fuzzShape(rng, 5), nil)
		y := b.Tensor("y", []models.DType{models.Int32, models.Int64, models.Float32}[rng.Intn(3)], []int{rng.Intn(6)}, nil)
		b.Op(ops.OpShape, 1, []int{x}, []int{y}, build.Options{})
		b.Output(y)
	},
	func(rng *rand.Rand, b *build.Builder) { // RESIZE_*
		op, o := ops.OpResizeBilinear, opts(build.OptResizeBilinear, nil, nil, rng.Intn(2) == 0, rng.Intn(2) == 0)
		if rng.Intn(2) == 0 {
			op, o = ops.OpResizeNearestNeighbor, opts(build.OptResizeNearestNeighbor, rng.Intn(2) == 0, rng.Intn(2) == 0)
		}
		fuzzOp(rng, b, op, o, 1, func(models.DType, []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, []int{1 + rng.Intn(3)}, -1, 9)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // SPLIT
		dt := fuzzType(rng)
		n := 1 + rng.Intn(3)
		ax := fuzzIndex(rng, b.Subgraph, fuzzShape(rng, 1), -4, 4)
		x := b.Input("x", dt, fuzzShape(rng, 4), nil)
		var outs []int
		for i := 0; i < n; i++ {
			outs = append(outs, b.Tensor("y", dt, []int{1}, nil))
		}
		b.Op(ops.OpSplit, 1, []int{ax, x}, outs, opts(build.OptSplit, int32(n-rng.Intn(2))))
		b.Output(outs...)
	},
	func(rng *rand.Rand, b *build.Builder) { // SPLIT_V
		n := 1 + rng.Intn(3)
		fuzzOp(rng, b, ops.OpSplitV, opts(build.OptSplitV, int32(n)), n, func(models.DType, []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, []int{n}, -2, 4), fuzzIndex(rng, b.Subgraph, fuzzShape(rng, 1), -4, 4)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // SLICE
		fuzzOp(rng, b, ops.OpSlice, build.Options{}, 1, func(_ models.DType, x []int) []int {
			r := len(x) + rng.Intn(2) - rng.Intn(2)
			r = max(r, 0)
			return []int{fuzzIndex(rng, b.Subgraph, []int{r}, -2, 5), fuzzIndex(rng, b.Subgraph, []int{r}, -2, 5)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // STRIDED_SLICE
		m := rng.Intn(6)
		mask := func() int32 { return int32(rng.Intn(64)) }
		fuzzOp(rng, b, ops.OpStridedSlice, opts(build.OptStridedSlice, mask(), mask(), mask(), mask(), mask(), rng.Intn(4) == 0), 1, func(models.DType, []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, []int{m}, -6, 6), fuzzIndex(rng, b.Subgraph, []int{m}, -6, 6), fuzzIndex(rng, b.Subgraph, []int{m}, -3, 3)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // GATHER
		fuzzOp(rng, b, ops.OpGather, opts(build.OptGather, int32(rng.Intn(7)-3), int32(rng.Intn(5)-2)), 1, func(models.DType, []int) []int {
			return []int{fuzzIndex(rng, b.Subgraph, fuzzShape(rng, 3), -1, 5)}
		})
	},
	func(rng *rand.Rand, b *build.Builder) { // PAD / PADV2 / MIRROR_PAD
		op, o := []ops.Op{ops.OpPad, ops.OpPadv2, ops.OpMirrorPad}[rng.Intn(3)], build.Options{}
		if op == ops.OpMirrorPad {
			o = opts(build.OptMirrorPad, int8(rng.Intn(3)))
		}
		fuzzOp(rng, b, op, o, 1, func(dt models.DType, x []int) []int {
			r := max(len(x)+rng.Intn(2)-rng.Intn(2), 0)
			ins := []int{fuzzIndex(rng, b.Subgraph, []int{r, 2 - rng.Intn(2)*rng.Intn(2)}, -1, 4)}
			if op == ops.OpPadv2 {
				k := rng.Intn(2)
				ins = append(ins, b.Const("v", dt, []int{k}, typed(dt, make([]float64, k)), nil))
			}
			return ins
		})
	},
}
