package ops_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// uniqueModel is a UNIQUE model with its two outputs.
func uniqueModel(t *testing.T, dt, idxDT models.DType, n int, opt build.Options) (*tflite.Interpreter, error) {
	t.Helper()
	b := build.New()
	x := b.Input("x", dt, []int{n}, nil)
	y := b.Tensor("y", dt, []int{n}, nil)
	idx := b.Tensor("idx", idxDT, []int{n}, nil)
	b.Op(ops.OpUnique, 1, []int{x}, []int{y, idx}, opt)
	b.Output(y)
	b.Output(idx)
	return ewtLoad(t, b)
}

func runUnique(t *testing.T, dt, idxDT models.DType, x []float64, opt build.Options) (vals, idx []float64) {
	t.Helper()
	it, err := uniqueModel(t, dt, idxDT, len(x), opt)
	if err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), encode(dt, x))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := it.Outputs()[0].Shape[0]
	return decode(dt, it.Output(0)[:u*dt.Size()]), decode(idxDT, it.Output(1)[:len(x)*idxDT.Size()])
}

func TestUnique(t *testing.T) {
	// [1,1,2,4,4,4,7,8,8]: values 1,2,4,7,8 by first appearance, indices
	// 0,0,1,2,2,2,3,4,4; in a shuffled order [4,1,4,2,1]: 4,1,2 and
	// 0,1,0,2,1.
	for _, dt := range []models.DType{models.Int8, models.Int16, models.Int32, models.Int64, models.Float32, models.UInt8} {
		for _, idxDT := range []models.DType{models.Int32, models.Int64} {
			opt := ewtOpt(build.OptUnique, int8(map[models.DType]int{models.Int32: 2, models.Int64: 4}[idxDT]))
			vals, idx := runUnique(t, dt, idxDT, []float64{1, 1, 2, 4, 4, 4, 7, 8, 8}, opt)
			name := fmt.Sprintf("%s/%s", dt, idxDT)
			ewtCompare(t, name+" values", []int{len(vals)}, vals, []float64{1, 2, 4, 7, 8}, 0)
			ewtCompare(t, name+" indices", []int{len(idx)}, idx, []float64{0, 0, 1, 2, 2, 2, 3, 4, 4}, 0)
			vals, idx = runUnique(t, dt, idxDT, []float64{4, 1, 4, 2, 1}, opt)
			ewtCompare(t, name+" shuffled values", []int{len(vals)}, vals, []float64{4, 1, 2}, 0)
			ewtCompare(t, name+" shuffled indices", []int{len(idx)}, idx, []float64{0, 1, 0, 2, 1}, 0)
		}
	}
	// Without options the index type is int32. -0 equals 0; each NaN
	// stands alone.
	vals, idx := runUnique(t, models.Float32, models.Int32, []float64{0, math.NaN(), math.Copysign(0, -1), math.NaN(), 2}, build.Options{})
	ewtCompare(t, "float values", []int{len(vals)}, vals, []float64{0, math.NaN(), math.NaN(), 2}, 0)
	ewtCompare(t, "float indices", []int{len(idx)}, idx, []float64{0, 1, 0, 2, 3}, 0)

	// The dynamic output reuses its memory: no allocation per Invoke.
	it, err := uniqueModel(t, models.Int32, models.Int32, 6, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), encode(models.Int32, []float64{3, 1, 3, 2, 1, 5}))
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("UNIQUE: %v allocations per Invoke", a)
	}

	if _, err := uniqueModel(t, models.Int32, models.Int16, 2, ewtOpt(build.OptUnique, int8(7))); err == nil {
		t.Fatal("int16 indices loaded")
	} else {
		ewtWantErr(t, err, ops.OpUnique, "node 0", "idx_out_type 7")
	}
	if _, err := uniqueModel(t, models.Int32, models.Int64, 2, build.Options{}); err == nil {
		t.Fatal("mismatched index output loaded")
	} else {
		ewtWantErr(t, err, ops.OpUnique, "differs from idx_out_type")
	}
	if _, err := uniqueModel(t, models.Bool, models.Int32, 2, build.Options{}); err == nil {
		t.Fatal("bool loaded")
	} else {
		ewtWantErr(t, err, ops.OpUnique, "bool is not supported")
	}
}
