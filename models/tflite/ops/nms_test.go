package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// The six boxes of TensorFlow's NMS examples: three overlapping near the
// origin, two near x=10, one far away.
var (
	nmsBoxes  = []float64{0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1, 0, 100, 1, 101}
	nmsScores = []float64{0.9, 0.75, 0.6, 0.95, 0.5, 0.3}
)

func nmsModel(t *testing.T, soft bool, maxOut int32, maxConst bool, iou, scoreT, sigma float32) (*tflite.Interpreter, error) {
	t.Helper()
	b := build.New()
	boxes := b.Input("boxes", models.Float32, []int{6, 4}, nil)
	scores := b.Input("scores", models.Float32, []int{6}, nil)
	var m int
	if maxConst {
		m = b.Const("max", models.Int32, []int{}, []int32{maxOut}, nil)
	} else {
		m = b.Input("max", models.Int32, []int{}, nil)
	}
	ins := []int{boxes, scores, m,
		b.Const("iou", models.Float32, []int{}, []float32{iou}, nil),
		b.Const("score", models.Float32, []int{}, []float32{scoreT}, nil)}
	op := ops.OpNonMaxSuppressionV4
	outs := []int{b.Tensor("idx", models.Int32, []int{max(int(maxOut), 0)}, nil)}
	if soft {
		op = ops.OpNonMaxSuppressionV5
		ins = append(ins, b.Const("sigma", models.Float32, []int{}, []float32{sigma}, nil))
		outs = append(outs, b.Tensor("sel_scores", models.Float32, []int{max(int(maxOut), 0)}, nil))
	}
	outs = append(outs, b.Tensor("num", models.Int32, []int{}, nil))
	b.Op(op, 1, ins, outs, build.Options{})
	for _, o := range outs {
		b.Output(o)
	}
	it, err := ewtLoad(t, b)
	if err != nil {
		return nil, err
	}
	copy(it.Input(0), encode(models.Float32, nmsBoxes))
	copy(it.Input(1), encode(models.Float32, nmsScores))
	if !maxConst {
		copy(it.Input(2), encode(models.Int32, []float64{float64(maxOut)}))
	}
	return it, it.Invoke(context.Background())
}

func nmsOut(it *tflite.Interpreter, i int, dt models.DType) []float64 {
	n := 1
	for _, d := range it.Outputs()[i].Shape {
		n *= d
	}
	return decode(dt, it.Output(i)[:n*dt.Size()])
}

func TestNonMaxSuppressionV4(t *testing.T) {
	for _, c := range []struct {
		max    int32
		konst  bool
		scoreT float32
		idx    []float64
		num    float64
	}{
		{3, true, 0, []float64{3, 0, 5}, 3},
		{6, false, 0, []float64{3, 0, 5, 0, 0, 0}, 3},
		{6, true, 0.4, []float64{3, 0, 0, 0, 0, 0}, 2},
		{1, true, 0, []float64{3}, 1},
		{0, true, 0, []float64{}, 0},
	} {
		it, err := nmsModel(t, false, c.max, c.konst, 0.5, c.scoreT, 0)
		if err != nil {
			t.Fatal(err)
		}
		ewtCompare(t, "V4 indices", []int{len(c.idx)}, nmsOut(it, 0, models.Int32), c.idx, 0)
		ewtCompare(t, "V4 count", []int{1}, nmsOut(it, 1, models.Int32), []float64{c.num}, 0)
		if c.konst && c.max == 3 {
			if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); a != 0 {
				t.Errorf("NMS V4: %v allocations per Invoke", a)
			}
		}
	}
	if _, err := nmsModel(t, false, -1, false, 0.5, 0, 0); err == nil {
		t.Fatal("negative max_output_size accepted")
	} else {
		ewtWantErr(t, err, ops.OpNonMaxSuppressionV4, "node 0", "max_output_size is negative")
	}
}

func TestNonMaxSuppressionV5(t *testing.T) {
	// TFLite's own soft-NMS case: IoU threshold 0.5, sigma 0.5, six slots:
	// boxes 3, 0, 5 with their original scores (the overlapping ones are
	// hard-suppressed first).
	it, err := nmsModel(t, true, 6, true, 0.5, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "V5 indices", []int{6}, nmsOut(it, 0, models.Int32), []float64{3, 0, 5, 0, 0, 0}, 0)
	ewtCompare(t, "V5 scores", []int{6}, nmsOut(it, 1, models.Float32), []float64{0.95, 0.9, 0.3, 0, 0, 0}, 1e-7)
	ewtCompare(t, "V5 count", []int{1}, nmsOut(it, 2, models.Int32), []float64{3}, 0)
	// With hard suppression off (IoU threshold 2) overlapping boxes come
	// back with decayed scores: 3 and 0 first and unchanged, then every
	// score at most its original and in descending order.
	it, err = nmsModel(t, true, 6, true, 2, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	idx, sc := nmsOut(it, 0, models.Int32), nmsOut(it, 1, models.Float32)
	if idx[0] != 3 || idx[1] != 0 || sc[0] != float64(float32(0.95)) || sc[1] != float64(float32(0.9)) {
		t.Fatalf("soft NMS: indices %v scores %v", idx, sc)
	}
	for i := 1; i < 6; i++ {
		if sc[i] > sc[i-1] || sc[i] > nmsScores[int(idx[i])]+1e-7 {
			t.Fatalf("soft NMS: scores %v for indices %v are not decayed in order", sc, idx)
		}
	}
	// Sigma 0 is hard NMS: the V4 answer, with the original scores.
	it, err = nmsModel(t, true, 6, false, 0.5, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "V5 hard indices", []int{6}, nmsOut(it, 0, models.Int32), []float64{3, 0, 5, 0, 0, 0}, 0)
	ewtCompare(t, "V5 hard scores", []int{6}, nmsOut(it, 1, models.Float32), []float64{0.95, 0.9, 0.3, 0, 0, 0}, 1e-7)
	if _, err := nmsModel(t, true, 6, true, 0.5, 0, -1); err == nil {
		t.Fatal("negative sigma accepted")
	} else {
		ewtWantErr(t, err, ops.OpNonMaxSuppressionV5, "sigma -1 is negative")
	}
}
