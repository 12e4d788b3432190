package tflite_test

import (
	"context"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// bidiLSTMSeed is a FuzzLoad seed with a float BIDIRECTIONAL_SEQUENCE_LSTM
// (one step, one batch row, two inputs, one unit per direction, merged
// outputs, tanh activation) whose only non-zero weight feeds x[0] to the
// cell gate.
func bidiLSTMSeed(t testing.TB) []byte {
	b := build.New()
	in := make([]int, 48)
	for i := range in {
		in[i] = -1
	}
	in[0] = b.Input("x", models.Float32, []int{1, 1, 2}, nil)
	for d := 0; d < 2; d++ {
		o := 17 * d
		for g := 0; g < 4; g++ {
			w := []float32{0, 0}
			if g == 2 { // input, forget, cell, output: the cell gate
				w[0] = 1
			}
			in[1+o+g] = b.Const("w", models.Float32, []int{1, 2}, w, nil)
			in[5+o+g] = b.Const("r", models.Float32, []int{1, 1}, []float32{0}, nil)
			in[12+o+g] = b.Const("bias", models.Float32, []int{1}, []float32{0}, nil)
		}
		in[35+2*d] = b.Variable("h", models.Float32, []int{1, 1}, nil, nil)
		in[36+2*d] = b.Variable("c", models.Float32, []int{1, 1}, nil, nil)
	}
	out := b.Tensor("out", models.Float32, []int{1, 1, 2}, nil)
	b.Op(ops.OpBidirectionalSequenceLstm, 1, in, []int{out}, build.Options{Type: build.OptBidirectionalSequenceLSTM, Fields: []build.Field{{Slot: 0, Value: int8(ops.ActTanh)}, {Slot: 3, Value: true}}})
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBidiLSTMSeedRuns: with gates at sigmoid(0) = 0.5 and a zero initial
// cell, each direction's output is 0.5*tanh(0.5*tanh(x[0])).
func TestBidiLSTMSeedRuns(t *testing.T) {
	it, err := tflite.Load(bidiLSTMSeed(t), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	copy(models.Float32s(it.Input(0)), []float32{1, 0})
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := 0.5 * math.Tanh(0.5*math.Tanh(1))
	for i, v := range models.Float32s(it.Output(0))[:2] {
		if math.Abs(float64(v)-want) > 1e-6 {
			t.Errorf("output %d = %g, want %g", i, v, want)
		}
	}
}
