package ops_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func topKRun(t *testing.T, dt models.DType, shape []int, x []float64, k int, konst bool, idxType models.DType) (vals, idx []float64, outShape []int, err error) {
	t.Helper()
	b := build.New()
	in := b.Input("x", dt, shape, nil)
	var kt int
	if konst {
		kt = b.Const("k", models.Int32, []int{}, []int32{int32(k)}, nil)
	} else {
		kt = b.Input("k", models.Int32, []int{}, nil)
	}
	oshape := slices.Clone(shape)
	oshape[len(oshape)-1] = k
	v := b.Tensor("values", dt, oshape, nil)
	ix := b.Tensor("indices", idxType, oshape, nil)
	b.Op(ops.OpTopkV2, 2, []int{in, kt}, []int{v, ix}, build.Options{})
	b.Output(v, ix)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	defer it.Close()
	copy(it.Input(0), encode(dt, x))
	if !konst {
		copy(it.Input(1), encode(models.Int32, []float64{float64(k)}))
	}
	if err := it.Invoke(context.Background()); err != nil {
		return nil, nil, nil, err
	}
	outs := it.Outputs()
	nv := ewtNumel(outs[0].Shape)
	return decode(dt, it.Output(0)[:nv*dt.Size()]), decode(outs[1].DType, it.Output(1)[:nv*outs[1].DType.Size()]), outs[0].Shape, nil
}

func TestTopKV2(t *testing.T) {
	// Two rows; ties (the two 5s, the two 1s) keep index order.
	x := []float64{1, 5, 3, 5, 1, 9, 0, 2, 7, 2}
	for _, dt := range []models.DType{models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64} {
		for _, konst := range []bool{true, false} {
			for _, it := range []models.DType{models.Int32, models.Int16} {
				vals, idx, shape, err := topKRun(t, dt, []int{2, 5}, x, 3, konst, it)
				name := fmt.Sprintf("TOPK_V2/%s/const %v/%s", dt, konst, it)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !slices.Equal(shape, []int{2, 3}) {
					t.Fatalf("%s: shape %v", name, shape)
				}
				ewtCompare(t, name+" values", shape, vals, []float64{5, 5, 3, 9, 7, 2}, 0)
				ewtCompare(t, name+" indices", shape, idx, []float64{1, 3, 2, 0, 3, 2}, 0)
			}
		}
	}
	_, _, _, err := topKRun(t, models.Float32, []int{5}, x[:5], 6, true, models.Int32)
	ewtWantErr(t, err, ops.OpTopkV2, "k is 6, must be in [0, 5]")
}
