package ops_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// RngAlgorithm of the schema.
const (
	rngDefault  int8 = 0
	rngPhilox   int8 = 1
	rngThreefry int8 = 2
)

// shloRngModel builds initial_state -> STABLEHLO_RNG_BIT_GENERATOR ->
// (output_state, output), the options in builtin_options_2.
func shloRngModel(algo int8, stateDT models.DType, state []int, ksDT models.DType, ks []int, outDT models.DType, out []int) *build.Builder {
	b := build.New()
	x := b.Input("state", stateDT, state, nil)
	k := b.Tensor("new_state", ksDT, ks, nil)
	o := b.Tensor("bits", outDT, out, nil)
	op := b.Op(ops.OpStablehloRngBitGenerator, 1, []int{x}, []int{k, o}, build.Options{})
	b.SetOptions2(op, build.Opt2StablehloRngBitGenerator, []build.Field{{Slot: 0, Value: algo}})
	b.Output(k, o)
	return b
}

// shloRngLoad loads a generator with a uint64 state of n words.
func shloRngLoad(t *testing.T, algo int8, n int, outDT models.DType, out []int) *tflite.Interpreter {
	t.Helper()
	it, err := ewtLoad(t, shloRngModel(algo, models.UInt64, []int{n}, models.UInt64, []int{n}, outDT, out))
	if err != nil {
		t.Fatalf("algorithm %d, %s %v: %v", algo, outDT, out, err)
	}
	return it
}

// shloRngRun invokes it with state and returns the new state and the
// output as raw 64-bit words (32-bit outputs zero-extended).
func shloRngRun(t *testing.T, it *tflite.Interpreter, state []uint64) (newState, bits []uint64) {
	t.Helper()
	in := it.Input(0)
	if len(in) != 8*len(state) {
		t.Fatalf("state input has %d bytes, test gives %d words", len(in), len(state))
	}
	for i, s := range state {
		binary.LittleEndian.PutUint64(in[8*i:], s)
	}
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	ks := it.Output(0)
	for i := range state {
		newState = append(newState, binary.LittleEndian.Uint64(ks[8*i:]))
	}
	info := it.Outputs()[1]
	raw := it.Output(1)[:ewtNumel(info.Shape)*info.DType.Size()]
	for i := 0; i < len(raw); i += info.DType.Size() {
		if info.DType.Size() == 4 {
			bits = append(bits, uint64(binary.LittleEndian.Uint32(raw[i:])))
		} else {
			bits = append(bits, binary.LittleEndian.Uint64(raw[i:]))
		}
	}
	return newState, bits
}

// TestStablehloRngBitGenerator checks the kernel bit for bit against the
// expected values of TFLite's rng_bit_generator_test.cc (themselves from
// XLA's tests), for every algorithm and output type.
func TestStablehloRngBitGenerator(t *testing.T) {
	u32 := func(v ...int64) []uint64 { // int32 values as their uint32 bits
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = uint64(uint32(int32(x)))
		}
		return out
	}
	i64 := func(v ...int64) []uint64 {
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = uint64(x)
		}
		return out
	}
	philox32 := []uint64{4031113034, 1366700262, 495645701, 3051723414, 89414891, 1917262711}
	philox64 := []uint64{5869932932755744586, 13107052260063114245, 8234580641674714347,
		2641225993340350124, 1962472297844690804, 14865887844143937481}
	threefry32 := []uint64{43444564, 2150618427, 3979645651, 3745730563, 1672743891, 4240503393}
	threefry64 := []uint64{9236835810183407956, 16087790271692313299, 18212823393184779219,
		2658481902456610144, 16424712389986402477, 16122702161355102743}
	for _, c := range []struct {
		algo      int8
		dt        models.DType
		state     []uint64
		wantState []uint64
		want      []uint64
	}{
		{rngPhilox, models.Int32, []uint64{1, 2, 3}, []uint64{1, 4, 3},
			u32(-263854262, 1366700262, 495645701, -1243243882, 89414891, 1917262711)},
		{rngPhilox, models.UInt32, []uint64{1, 2, 3}, []uint64{1, 4, 3}, philox32},
		{rngPhilox, models.Int64, []uint64{1, 2, 3}, []uint64{1, 5, 3},
			i64(5869932932755744586, -5339691813646437371, 8234580641674714347,
				2641225993340350124, 1962472297844690804, -3580856229565614135)},
		{rngPhilox, models.UInt64, []uint64{1, 2, 3}, []uint64{1, 5, 3}, philox64},
		{rngThreefry, models.Int32, []uint64{1, 2}, []uint64{1, 5},
			u32(43444564, -2144348869, -315321645, -549236733, 1672743891, -54463903)},
		{rngThreefry, models.UInt32, []uint64{1, 2}, []uint64{1, 5}, threefry32},
		{rngThreefry, models.Int64, []uint64{1, 2}, []uint64{1, 8},
			i64(-9209908263526143660, -2358953802017238317, -233920680524772397,
				2658481902456610144, -2022031683723149139, -2324041912354448873)},
		{rngThreefry, models.UInt64, []uint64{1, 2}, []uint64{1, 8}, threefry64},
		{rngDefault, models.Int32, []uint64{1, 2, 3}, []uint64{1, 4, 3}, philox32},
		{rngDefault, models.UInt32, []uint64{1, 2, 3}, []uint64{1, 4, 3}, philox32},
		{rngDefault, models.Int64, []uint64{1, 2, 3}, []uint64{1, 5, 3}, philox64},
		{rngDefault, models.UInt64, []uint64{1, 2, 3}, []uint64{1, 5, 3}, philox64},
	} {
		name := fmt.Sprintf("algorithm %d %s", c.algo, c.dt)
		it := shloRngLoad(t, c.algo, len(c.state), c.dt, []int{2, 3})
		if info := it.Outputs()[1]; info.DType != c.dt || fmt.Sprint(info.Shape) != "[2 3]" {
			t.Fatalf("%s: output %s %v", name, info.DType, info.Shape)
		}
		ks, bits := shloRngRun(t, it, c.state)
		if !slices.Equal(ks, c.wantState) {
			t.Errorf("%s: output_state %v, want %v", name, ks, c.wantState)
		}
		if !slices.Equal(bits, c.want) {
			t.Errorf("%s: output %v, want %v", name, bits, c.want)
		}
		// The output is a function of the input state alone: a second
		// Invoke with the same state gives the same bits.
		ks2, bits2 := shloRngRun(t, it, c.state)
		if !slices.Equal(ks2, ks) || !slices.Equal(bits2, bits) {
			t.Errorf("%s: second Invoke gave %v %v, first %v %v", name, ks2, bits2, ks, bits)
		}
		if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); a != 0 {
			t.Errorf("%s: %v allocations per Invoke, want 0", name, a)
		}
	}
}

// TestStablehloRngBitGeneratorCounter checks the state semantics beyond
// TFLite's vectors: a two-word PHILOX state uses the key as the upper
// counter half, the counter carries from its low word into its high word
// and wraps without touching state word 2, and feeding output_state back
// continues the stream.
func TestStablehloRngBitGeneratorCounter(t *testing.T) {
	const k, hi = 0x0123456789abcdef, 0xfedcba9876543210
	// u64[2] {k, c} runs as u64[3] {k, c, k}.
	it2 := shloRngLoad(t, rngPhilox, 2, models.UInt32, []int{10})
	it3 := shloRngLoad(t, rngPhilox, 3, models.UInt32, []int{10})
	ks2, bits2 := shloRngRun(t, it2, []uint64{k, 7})
	ks3, bits3 := shloRngRun(t, it3, []uint64{k, 7, k})
	if !slices.Equal(bits2, bits3) {
		t.Errorf("PHILOX u64[2] state gave %v, u64[3] with the key as word 2 %v", bits2, bits3)
	}
	if !slices.Equal(ks2, []uint64{k, 10}) || !slices.Equal(ks3, []uint64{k, 10, k}) {
		t.Errorf("PHILOX 10 words from counter 7: states %v and %v, want counter 10 (3 blocks)", ks2, ks3)
	}

	for _, c := range []struct {
		algo     int8
		n, block int // state words, output words per block
	}{{rngPhilox, 3, 4}, {rngThreefry, 2, 2}} {
		state := []uint64{k, 0xffffffff, hi}[:c.n]
		it := shloRngLoad(t, c.algo, c.n, models.UInt32, []int{2 * c.block})
		ks, bits := shloRngRun(t, it, state)
		want := slices.Clone(state)
		want[1] = 0x100000001
		if !slices.Equal(ks, want) {
			t.Errorf("algorithm %d: two blocks from counter 0xffffffff: state %#x, want %#x", c.algo, ks, want)
		}
		// The second block is the first of a run from the carried counter.
		from := slices.Clone(state)
		from[1] = 0x100000000
		_, next := shloRngRun(t, it, from)
		if !slices.Equal(bits[c.block:], next[:c.block]) {
			t.Errorf("algorithm %d: block after the carry %v, from counter 1<<32 %v", c.algo, bits[c.block:], next[:c.block])
		}
		if slices.Equal(bits[:c.block], bits[c.block:]) {
			t.Errorf("algorithm %d: two blocks are equal: %v", c.algo, bits)
		}
		// Feeding output_state back continues the stream.
		_, cont := shloRngRun(t, it, ks)
		_, more := shloRngRun(t, shloRngLoad(t, c.algo, c.n, models.UInt32, []int{4 * c.block}), state)
		if !slices.Equal(append(bits, cont...), more) {
			t.Errorf("algorithm %d: two runs of 2 blocks %v %v, one of 4 %v", c.algo, bits, cont, more)
		}
		// The 64-bit counter wraps to 0; state word 2 stays.
		from[1] = 1<<64 - 1
		ks, _ = shloRngRun(t, shloRngLoad(t, c.algo, c.n, models.UInt32, []int{c.block}), from)
		want[1] = 0
		if !slices.Equal(ks, want) {
			t.Errorf("algorithm %d: one block from counter 2^64-1: state %#x, want %#x", c.algo, ks, want)
		}
	}

	// An empty output leaves the state as it was.
	it := shloRngLoad(t, rngThreefry, 2, models.Int64, []int{0, 4})
	if ks, bits := shloRngRun(t, it, []uint64{k, 9}); !slices.Equal(ks, []uint64{k, 9}) || len(bits) != 0 {
		t.Errorf("empty output: state %v, %d output values", ks, len(bits))
	}
}

func TestStablehloRngBitGeneratorErrors(t *testing.T) {
	u64 := models.UInt64
	op := ops.OpStablehloRngBitGenerator
	for _, c := range []struct {
		algo        int8
		sdt         models.DType
		state       []int
		kdt         models.DType
		ks          []int
		odt         models.DType
		want        string
		alsoWanting string
	}{
		{3, u64, []int{2}, u64, []int{2}, models.UInt32, "algorithm 3 is not", ""},
		{rngPhilox, models.Int64, []int{2}, u64, []int{2}, models.UInt32, `initial_state tensor "state" must be 1-D uint64, got int64 [2]`, ""},
		{rngPhilox, u64, []int{1, 2}, u64, []int{1, 2}, models.UInt32, `initial_state tensor "state" must be 1-D uint64`, "[1 2]"},
		{rngPhilox, u64, []int{4}, u64, []int{4}, models.UInt32, `initial_state tensor "state" has shape [4]`, "PHILOX takes a state of 2 or 3"},
		{rngThreefry, u64, []int{3}, u64, []int{3}, models.UInt32, `initial_state tensor "state" has shape [3]`, "THREEFRY takes a state of 2"},
		{rngDefault, u64, []int{2}, u64, []int{3}, models.UInt32, `output_state tensor "new_state" is uint64 [3]`, "want uint64 [2]"},
		{rngDefault, u64, []int{2}, models.Int64, []int{2}, models.UInt32, `output_state tensor "new_state" is int64 [2]`, ""},
		{rngDefault, u64, []int{2}, u64, []int{2}, models.Float32, `output tensor "bits": type float32 is not supported`, ""},
		{rngThreefry, u64, []int{2}, u64, []int{2}, models.Int16, `output tensor "bits": type int16 is not supported`, ""},
	} {
		_, err := ewtLoad(t, shloRngModel(c.algo, c.sdt, c.state, c.kdt, c.ks, c.odt, []int{2, 3}))
		ewtWantErr(t, err, op, "node 0", c.want, c.alsoWanting)
	}

	// One output instead of two.
	b := build.New()
	x := b.Input("state", u64, []int{2}, nil)
	o := b.Tensor("bits", models.UInt32, []int{4}, nil)
	b.SetOptions2(b.Op(op, 1, []int{x}, []int{o}, build.Options{}), build.Opt2StablehloRngBitGenerator, nil)
	b.Output(o)
	_, err := ewtLoad(t, b)
	ewtWantErr(t, err, op, "node 0", "takes 1 input (initial_state) and 2 outputs (output_state, output), got 1 and 1")
}

// BenchmarkStablehloRngBitGenerator: 64 Ki uint32 words per Invoke.
func BenchmarkStablehloRngBitGenerator(b *testing.B) {
	for _, c := range []struct {
		name string
		algo int8
		n    int
	}{{"philox", rngPhilox, 3}, {"threefry", rngThreefry, 2}} {
		b.Run(c.name, func(b *testing.B) {
			it, err := ewtLoad(b, shloRngModel(c.algo, models.UInt64, []int{c.n}, models.UInt64, []int{c.n}, models.UInt32, []int{1 << 16}))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(4 << 16)
			for b.Loop() {
				if err := it.Invoke(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
