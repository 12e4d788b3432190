package ops_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestGatherND(t *testing.T) {
	cube := []float64{1, 2, 3, 4, 5, 6, 7, 8} // [2,2,2]
	for _, c := range []struct {
		params, idxShape []int
		idx              []float64
		shape            []int
		want             []float64
	}{
		// Full coordinates pick elements: [[1,2],[3,4]] at (0,0), (1,1).
		{[]int{2, 2}, []int{2, 2}, []float64{0, 0, 1, 1}, []int{2}, []float64{1, 4}},
		// One coordinate picks rows, here swapped.
		{[]int{2, 2}, []int{2, 1}, []float64{1, 0}, []int{2, 2}, []float64{3, 4, 1, 2}},
		// Two of three coordinates pick rows of the cube.
		{[]int{2, 2, 2}, []int{2, 2}, []float64{0, 1, 1, 0}, []int{2, 2}, []float64{3, 4, 5, 6}},
		// A rank-1 index of three coordinates is a scalar.
		{[]int{2, 2, 2}, []int{3}, []float64{1, 0, 1}, []int{}, []float64{6}},
		// Batched index tuples keep their outer shape [2,1].
		{[]int{2, 2, 2}, []int{2, 1, 3}, []float64{0, 0, 0, 1, 1, 1}, []int{2, 1}, []float64{1, 8}},
	} {
		params := cube[:ewtNumel(c.params)]
		if len(c.params) == 2 {
			params = []float64{1, 2, 3, 4}
		}
		for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32, models.Int64} {
			for _, it := range []models.DType{models.Int16, models.Int32, models.Int64} {
				ins := []ewtT{{dt: dt, shape: c.params, vals: params}, {dt: it, shape: c.idxShape, vals: c.idx}}
				_, shape, got := ewtRun(t, ops.OpGatherNd, 3, build.Options{}, ins, ewtT{dt: dt, shape: c.shape})
				name := fmt.Sprintf("GATHER_ND/%s/%s/%v", dt, it, c.idx)
				if !slices.Equal(shape, c.shape) {
					t.Fatalf("%s: shape %v, want %v", name, shape, c.shape)
				}
				ewtCompare(t, name, shape, got, c.want, 0)
			}
		}
	}
	ins := []ewtT{{dt: models.Bool, shape: []int{3}, vals: []float64{1, 0, 1}}, {dt: models.Int32, shape: []int{2, 1}, vals: []float64{1, 2}}}
	_, shape, got := ewtRun(t, ops.OpGatherNd, 1, build.Options{}, ins, ewtT{dt: models.Bool, shape: []int{2}})
	ewtCompare(t, "GATHER_ND/bool", shape, got, []float64{0, 1}, 0)
}

func TestGatherNDErrors(t *testing.T) {
	p := ewtT{dt: models.Float32, shape: []int{2, 3}, vals: make([]float64, 6)}
	out := ewtT{dt: models.Float32, shape: []int{1}}
	i32 := func(shape []int, v ...float64) ewtT { return ewtT{dt: models.Int32, shape: shape, vals: v} }
	err := ewtErr(t, ops.OpGatherNd, 1, build.Options{}, []ewtT{p, i32([]int{1, 2}, 1, 3)}, out)
	ewtWantErr(t, err, ops.OpGatherNd, "index tuple 0: coordinate 1 is 3, out of range [0, 3)")
	err = ewtErr(t, ops.OpGatherNd, 1, build.Options{}, []ewtT{p, i32([]int{2, 2}, 0, 0, -1, 0)}, out)
	ewtWantErr(t, err, ops.OpGatherNd, "index tuple 1: coordinate 0 is -1")
	err = ewtErr(t, ops.OpGatherNd, 1, build.Options{}, []ewtT{p, i32([]int{1, 3}, 0, 0, 0)}, out)
	ewtWantErr(t, err, ops.OpGatherNd, "3 coordinates per tuple", "only 2 dimensions")
	err = ewtErr(t, ops.OpGatherNd, 1, build.Options{}, []ewtT{p, {dt: models.Float32, shape: []int{1, 1}, vals: []float64{0}}}, out)
	ewtWantErr(t, err, ops.OpGatherNd, "indices must be int16, int32 or int64, not float32")
	err = ewtErr(t, ops.OpGatherNd, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{0, 3}}, i32([]int{1, 1}, 0)}, out)
	ewtWantErr(t, err, ops.OpGatherNd, "params [0 3] are empty")
}

func TestScatterND(t *testing.T) {
	i32c := func(shape []int, v ...float64) ewtT {
		return ewtT{dt: models.Int32, shape: shape, vals: v, konst: true}
	}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int32, models.Int64} {
		// TensorFlow's documented example: 4 scalars into 8 slots.
		ins := []ewtT{i32c([]int{4, 1}, 4, 3, 1, 7), {dt: dt, shape: []int{4}, vals: []float64{9, 10, 11, 12}}, i32c([]int{1}, 8)}
		_, shape, got := ewtRun(t, ops.OpScatterNd, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{8}})
		ewtCompare(t, "SCATTER_ND/"+dt.String(), shape, got, []float64{0, 11, 0, 10, 9, 0, 0, 12}, 0)
		// Rows into a [3,2] output; a repeated index sums.
		ins = []ewtT{i32c([]int{3, 1}, 0, 2, 0), {dt: dt, shape: []int{3, 2}, vals: []float64{1, 2, 3, 4, 5, 6}}, i32c([]int{2}, 3, 2)}
		_, shape, got = ewtRun(t, ops.OpScatterNd, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3, 2}})
		if !slices.Equal(shape, []int{3, 2}) {
			t.Fatalf("SCATTER_ND rows: shape %v", shape)
		}
		ewtCompare(t, "SCATTER_ND rows/"+dt.String(), shape, got, []float64{6, 8, 0, 0, 3, 4}, 0)
	}
	// Bools or together.
	ins := []ewtT{i32c([]int{3, 1}, 0, 0, 2), {dt: models.Bool, shape: []int{3}, vals: []float64{1, 0, 1}}, i32c([]int{1}, 3)}
	_, shape, got := ewtRun(t, ops.OpScatterNd, 1, build.Options{}, ins, ewtT{dt: models.Bool, shape: []int{3}})
	ewtCompare(t, "SCATTER_ND/bool", shape, got, []float64{1, 0, 1}, 0)

	// A runtime shape makes the output dynamic; running twice must zero
	// the output again rather than accumulate.
	ins = []ewtT{{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 1, 1, 0}}, {dt: models.Float32, shape: []int{2}, vals: []float64{5, 7}}, {dt: models.Int32, shape: []int{2}, vals: []float64{2, 2}}}
	it, err := ewtLoad(t, ewtModel(ops.OpScatterNd, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 2}}))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ewtInvoke(t, it, ins); err != nil {
			t.Fatal(err)
		}
		info := it.Outputs()[0]
		if !slices.Equal(info.Shape, []int{2, 2}) {
			t.Fatalf("dynamic SCATTER_ND shape %v", info.Shape)
		}
		ewtCompare(t, "SCATTER_ND dynamic", info.Shape, decode(models.Float32, it.Output(0)[:16]), []float64{0, 5, 7, 0}, 0)
	}
}

func TestScatterNDErrors(t *testing.T) {
	i32c := func(shape []int, v ...float64) ewtT {
		return ewtT{dt: models.Int32, shape: shape, vals: v, konst: true}
	}
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	out := ewtT{dt: models.Float32, shape: []int{4}}
	for _, c := range []struct {
		ins      []ewtT
		fragment string
	}{
		{[]ewtT{{dt: models.Int32, shape: []int{2, 1}, vals: []float64{1, 4}}, f(2), i32c([]int{1}, 4)}, "index tuple 1: coordinate 0 is 4, out of range [0, 4)"},
		{[]ewtT{i32c([]int{2, 1}, 1, 2), f(3), i32c([]int{1}, 4)}, "differ in outer dimension 0"},
		{[]ewtT{i32c([]int{2, 1}, 1, 2), f(2, 3), i32c([]int{2}, 4, 2)}, "do not fit"},
		{[]ewtT{i32c([]int{1, 1}, 0), f(1), i32c([]int{1}, -4)}, "shape[0] is -4"},
		{[]ewtT{{dt: models.Int64, shape: []int{1, 1}, vals: []float64{0}, konst: true}, f(1), {dt: models.Int64, shape: []int{1}, vals: []float64{4}, konst: true}}, "must be int32, not int64"},
		{[]ewtT{i32c([]int{1, 1}, 0), {dt: models.Int16, shape: []int{1}, vals: []float64{1}}, i32c([]int{1}, 4)}, "updates type int16 is not supported"},
	} {
		err := ewtErr(t, ops.OpScatterNd, 1, build.Options{}, c.ins, out)
		ewtWantErr(t, err, ops.OpScatterNd, c.fragment)
	}
}
