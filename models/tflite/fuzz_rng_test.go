package tflite_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// rngBitGeneratorSeeds are FuzzLoad seeds for STABLEHLO_RNG_BIT_GENERATOR:
// a constant PHILOX u64[3] state to uint32[6] and a THREEFRY u64[2] state
// to int64[3], both with TFLite's test states.
func rngBitGeneratorSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, c := range []struct {
		algo  int8
		state []uint64
		dt    models.DType
		shape []int
	}{
		{1, []uint64{1, 2, 3}, models.UInt32, []int{6}},
		{2, []uint64{1, 2}, models.Int64, []int{3}},
	} {
		b := build.New()
		x := b.Const("state", models.UInt64, []int{len(c.state)}, c.state, nil)
		ks := b.Tensor("new_state", models.UInt64, []int{len(c.state)}, nil)
		y := b.Tensor("bits", c.dt, c.shape, nil)
		o := b.Op(ops.OpStablehloRngBitGenerator, 1, []int{x}, []int{ks, y}, build.Options{})
		b.SetOptions2(o, build.Opt2StablehloRngBitGenerator, []build.Field{{Slot: 0, Value: c.algo}})
		b.Output(ks, y)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestRngBitGeneratorSeedsRun: the seeds load and produce the first words
// of TFLite's expected outputs for those states.
func TestRngBitGeneratorSeedsRun(t *testing.T) {
	want := []uint64{4031113034, 9236835810183407956}
	for k, data := range rngBitGeneratorSeeds(t) {
		it, err := tflite.Load(data, models.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", k, err)
		}
		defer it.Close()
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("seed %d: %v", k, err)
		}
		first := uint64(binary.LittleEndian.Uint32(it.Output(1)))
		if it.Outputs()[1].DType.Size() == 8 {
			first = binary.LittleEndian.Uint64(it.Output(1))
		}
		if first != want[k] {
			t.Errorf("seed %d: first output %d, want %d", k, first, want[k])
		}
	}
}
