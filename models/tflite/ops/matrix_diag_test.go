package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestMatrixDiag(t *testing.T) {
	// [[1,2],[3,4]] -> [[[1,0],[0,2]], [[3,0],[0,4]]].
	for _, dt := range []models.DType{models.Float32, models.Int64, models.Int32, models.Int16, models.Int8, models.UInt8} {
		in := []ewtT{{dt: dt, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}}}
		_, shape, got := ewtRun(t, ops.OpMatrixDiag, 1, build.Options{}, in, ewtT{dt: dt, shape: []int{2, 2, 2}})
		if fmt.Sprint(shape) != "[2 2 2]" {
			t.Fatalf("%s: shape %v", dt, shape)
		}
		ewtCompare(t, "MATRIX_DIAG "+dt.String(), shape, got, []float64{1, 0, 0, 2, 3, 0, 0, 4}, 0)
	}
	noAllocsEwt(t, ops.OpMatrixDiag, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}}, ewtT{dt: models.Float32, shape: []int{3, 3}})
	err := ewtErr(t, ops.OpMatrixDiag, 1, build.Options{}, []ewtT{{dt: models.Bool, shape: []int{2}, vals: []float64{1, 0}}}, ewtT{dt: models.Bool, shape: []int{2, 2}})
	ewtWantErr(t, err, ops.OpMatrixDiag, "node 0", "bool is not supported")
}

func TestMatrixSetDiag(t *testing.T) {
	// A [2,3] matrix of 9s with diagonal [1,2]: [[1,9,9],[9,2,9]]; a [3,2]
	// one: [[1,9],[9,2],[9,9]]; batched [2,2,2] with diagonals [[1,2],[3,4]].
	for _, dt := range []models.DType{models.Float32, models.Int64, models.Int32, models.Int16, models.Int8, models.UInt8} {
		nines := []float64{9, 9, 9, 9, 9, 9}
		for _, c := range []struct {
			shape, dshape []int
			x, d, want    []float64
		}{
			{[]int{2, 3}, []int{2}, nines, []float64{1, 2}, []float64{1, 9, 9, 9, 2, 9}},
			{[]int{3, 2}, []int{2}, nines, []float64{1, 2}, []float64{1, 9, 9, 2, 9, 9}},
			{[]int{2, 2, 2}, []int{2, 2}, []float64{9, 9, 9, 9, 9, 9, 9, 9}, []float64{1, 2, 3, 4}, []float64{1, 9, 9, 2, 3, 9, 9, 4}},
		} {
			in := []ewtT{{dt: dt, shape: c.shape, vals: c.x}, {dt: dt, shape: c.dshape, vals: c.d}}
			_, shape, got := ewtRun(t, ops.OpMatrixSetDiag, 1, build.Options{}, in, ewtT{dt: dt, shape: c.shape})
			ewtCompare(t, fmt.Sprintf("MATRIX_SET_DIAG %s %v", dt, c.shape), shape, got, c.want, 0)
		}
	}
	in := []ewtT{{dt: models.Float32, shape: []int{2, 3}, vals: make([]float64, 6)}, {dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}}
	err := ewtErr(t, ops.OpMatrixSetDiag, 1, build.Options{}, in, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpMatrixSetDiag, "node 0", "does not fit input shape")
	in[1] = ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{1, 2}}
	err = ewtErr(t, ops.OpMatrixSetDiag, 1, build.Options{}, in, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpMatrixSetDiag, "input's type float32")
	in[1] = ewtT{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}
	noAllocsEwt(t, ops.OpMatrixSetDiag, 1, build.Options{}, in, ewtT{dt: models.Float32, shape: []int{2, 3}})
}

func revSeqOpt(seq, batch int32) build.Options {
	return ewtOpt(build.OptReverseSequence, seq, batch)
}

func TestReverseSequence(t *testing.T) {
	// [3,4] with seq_dim 1, batch_dim 0, lengths [4,2,0]: row 0 fully
	// reversed, row 1 its first two swapped, row 2 untouched.
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, dt := range []models.DType{models.Float32, models.Int32, models.UInt8, models.Int16, models.Int64} {
		for _, lt := range []models.DType{models.Int32, models.Int64} {
			in := []ewtT{{dt: dt, shape: []int{3, 4}, vals: x}, {dt: lt, shape: []int{3}, vals: []float64{4, 2, 0}}}
			_, shape, got := ewtRun(t, ops.OpReverseSequence, 1, revSeqOpt(1, 0), in, ewtT{dt: dt, shape: []int{3, 4}})
			ewtCompare(t, fmt.Sprintf("%s/%s", dt, lt), shape, got, []float64{4, 3, 2, 1, 6, 5, 7, 8, 9, 10, 11, 12}, 0)
		}
	}
	// seq_dim 0, batch_dim 2 on [3,1,2]: column 0 reversed over 3, column
	// 1 over 2.
	in := []ewtT{{dt: models.Float32, shape: []int{3, 1, 2}, vals: []float64{1, 2, 3, 4, 5, 6}}, {dt: models.Int32, shape: []int{2}, vals: []float64{3, 2}}}
	_, shape, got := ewtRun(t, ops.OpReverseSequence, 1, revSeqOpt(0, 2), in, ewtT{dt: models.Float32, shape: []int{3, 1, 2}})
	ewtCompare(t, "seq 0 batch 2", shape, got, []float64{5, 4, 3, 2, 1, 6}, 0)
	noAllocsEwt(t, ops.OpReverseSequence, 1, revSeqOpt(0, 2), in, ewtT{dt: models.Float32, shape: []int{3, 1, 2}})

	op := ops.OpReverseSequence
	in[1].vals = []float64{4, 1}
	ewtWantErr(t, ewtErr(t, op, 1, revSeqOpt(0, 2), in, ewtT{dt: models.Float32, shape: []int{3, 1, 2}}), op, "node 0", "element 0 is 4, outside [0, 3]")
	in[1].vals = []float64{1, 1}
	ewtWantErr(t, ewtErr(t, op, 1, revSeqOpt(1, 1), in, ewtT{dt: models.Float32, shape: []int{3, 1, 2}}), op, "must be different")
	ewtWantErr(t, ewtErr(t, op, 1, revSeqOpt(0, 1), in, ewtT{dt: models.Float32, shape: []int{3, 1, 2}}), op, "has 2 elements, batch dimension 1 has 1")
}
