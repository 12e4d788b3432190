package tflite_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// recurrentSeeds are small hybrid recurrent models (int8 weights, float
// activations and variable state) for FuzzLoad and the corruption test: a
// bidirectional RNN with an aux input, an SVDF and an LSTM with peepholes
// and projection.
func recurrentSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	wq := &models.Quant{Scale: []float32{0.02}, ZeroPoint: []int64{0}}
	i8 := func(n int) []int8 {
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(i*37%255 - 127)
		}
		return v
	}
	f32 := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%5) * 0.1
		}
		return v
	}

	b := build.New()
	in := []int{b.Input("x", models.Float32, []int{2, 1, 3}, nil)}
	for range 2 {
		in = append(in, b.Const("w", models.Int8, []int{2, 3}, i8(6), wq), b.Const("r", models.Int8, []int{2, 2}, i8(4), wq),
			b.Const("bias", models.Float32, []int{2}, f32(2), nil), b.Variable("h", models.Float32, []int{1, 2}, nil, nil))
	}
	in = append(in, b.Input("aux", models.Float32, []int{2, 1, 3}, nil),
		b.Const("fa", models.Int8, []int{2, 3}, i8(6), wq), b.Const("ba", models.Int8, []int{2, 3}, i8(6), wq))
	y := b.Tensor("y", models.Float32, []int{2, 1, 4}, nil)
	b.Op(ops.OpBidirectionalSequenceRnn, 3, in, []int{y}, build.Options{Type: build.OptBidirectionalSequenceRNN, Fields: []build.Field{
		{Slot: 0, Value: true}, {Slot: 1, Value: uint8(ops.ActTanh)}, {Slot: 2, Value: true}, {Slot: 3, Value: true}}})
	b.Output(y)
	add(b)

	b = build.New()
	x := b.Input("x", models.Float32, []int{1, 3}, nil)
	wf := b.Const("wf", models.Int8, []int{4, 3}, i8(12), wq)
	wt := b.Const("wt", models.Int8, []int{4, 2}, i8(8), wq)
	state := b.Variable("s", models.Float32, []int{1, 8}, nil, nil)
	y = b.Tensor("y", models.Float32, []int{1, 2}, nil)
	b.Op(ops.OpSvdf, 4, []int{x, wf, wt, -1, state}, []int{y}, build.Options{Type: build.OptSVDF, Fields: []build.Field{
		{Slot: 0, Value: int32(2)}, {Slot: 1, Value: uint8(ops.ActRelu)}, {Slot: 2, Value: true}}})
	b.Output(y)
	add(b)

	b = build.New()
	lin := make([]int, 24)
	for i := range lin {
		lin[i] = -1
	}
	lin[0] = b.Input("x", models.Float32, []int{1, 2, 3}, nil)
	for g := 0; g < 4; g++ {
		lin[1+g] = b.Const("w", models.Int8, []int{4, 3}, i8(12), wq)
		lin[5+g] = b.Const("r", models.Int8, []int{4, 2}, i8(8), wq)
		lin[12+g] = b.Const("bias", models.Float32, []int{4}, f32(4), nil)
	}
	for _, s := range []int{9, 10, 11} {
		lin[s] = b.Const("peep", models.Int8, []int{4}, i8(4), wq)
	}
	lin[16] = b.Const("proj", models.Int8, []int{2, 4}, i8(8), wq)
	lin[18] = b.Variable("h", models.Float32, []int{1, 2}, nil, nil)
	lin[19] = b.Variable("c", models.Float32, []int{1, 4}, nil, nil)
	y = b.Tensor("y", models.Float32, []int{1, 2, 2}, nil)
	b.Op(ops.OpUnidirectionalSequenceLstm, 4, lin, []int{y}, build.Options{Type: build.OptUnidirectionalSequenceLSTM, Fields: []build.Field{
		{Slot: 0, Value: uint8(ops.ActTanh)}, {Slot: 4, Value: true}}})
	b.Output(y)
	add(b)
	return out
}

// TestRecurrentSeedsRun checks that the recurrent seeds are valid models
// that load and run, so the fuzzer starts from real kernels.
func TestRecurrentSeedsRun(t *testing.T) {
	for i, data := range recurrentSeeds(t) {
		it, err := tflite.Load(data, models.Options{MaxBytes: fuzzMaxBytes})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if err := it.Invoke(context.Background()); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
		it.Close()
	}
}
