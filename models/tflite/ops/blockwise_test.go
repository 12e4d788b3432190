package ops_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// h16 is float16 bit patterns as tensor bytes.
func h16(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// bwCase is a one-operator model whose input target is blockwise
// quantized with the float16 scales (shape scaleShape) and block size.
type bwCase struct {
	op         ops.Op
	version    int
	opt        build.Options
	ins        []rawT
	out        rawT
	target     int
	scales     []byte
	scaleShape []int
	block      int32
}

func (c bwCase) model() *build.Builder {
	b := rawModel(c.op, c.version, c.opt, c.ins, c.out)
	s := b.Const("scales", models.Float16, c.scaleShape, build.Raw(c.scales), nil)
	b.SetBlockwise(c.target, build.Blockwise{Scales: int32(s), ZeroPoints: -1, BlockSize: c.block})
	return b
}

func (c bwCase) run(t *testing.T) ([]byte, error) {
	t.Helper()
	it, err := ewtLoad(t, c.model())
	if err != nil {
		return nil, err
	}
	k := 0
	for _, in := range c.ins {
		if !in.konst {
			copy(it.Input(k), in.data)
			k++
		}
	}
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		return nil, err
	}
	out := append([]byte(nil), it.Output(0)...)
	if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%s: %v allocations per Invoke, want 0", c.op, a)
	}
	return out, nil
}

// TestEmbeddingLookupBlockwise checks LiteRT's EvalBlockwise: one float16
// scale per block of a row. The int4 table [2, 8] with blocks of 4 holds
// rows [1 -2 3 -4 | 7 -8 0 5] (scales 0.5, 2) and [-1 2 -3 4 | 6 -7 1 -1]
// (scales 1, 0.25), low nibble first.
func TestEmbeddingLookupBlockwise(t *testing.T) {
	op := ops.OpEmbeddingLookup
	table := rawT{dt: models.Int4, shape: []int{2, 8}, data: []byte{0xe1, 0xc3, 0x87, 0x50, 0x2f, 0x4d, 0x96, 0xf1}, konst: true}
	c := bwCase{
		op: op, version: 4, target: 1, block: 4, scaleShape: []int{2, 2},
		ins:    []rawT{{dt: models.Int32, shape: []int{2}, data: i32Bytes(1, 0)}, table},
		out:    rawT{dt: models.Float32, shape: []int{2, 8}},
		scales: h16(0x3800, 0x4000, 0x3c00, 0x3400),
	}
	got, err := c.run(t)
	rawWant(t, "int4 float32", got, err, f32Bytes(-1, 2, -3, 4, 1.5, -1.75, 0.25, -0.25, 0.5, -1, 1.5, -2, 14, -16, 0, 10))

	// Float16 output: the float32 product rounded to nearest even. Codes
	// [7 -1] with scale 0x2e66 (0.0999755859375): 7*s = 1433.25/2048
	// rounds to 1433/2048 (0x3999); -s is exact (0xae66).
	f16 := bwCase{
		op: op, version: 4, target: 1, block: 2, scaleShape: []int{1, 1},
		ins:    []rawT{{dt: models.Int32, shape: []int{1}, data: i32Bytes(0)}, {dt: models.Int4, shape: []int{1, 2}, data: []byte{0xf7}, konst: true}},
		out:    rawT{dt: models.Float16, shape: []int{1, 2}},
		scales: h16(0x2e66),
	}
	got, err = f16.run(t)
	rawWant(t, "int4 float16", got, err, h16(0x3999, 0xae66))

	// Blocks of 3 in rows of 6: LiteRT starts block 1 of row 0 at byte
	// 3/2 = 1 with its low nibble, i.e. at element 2. Row 0 is [1..6].
	odd := bwCase{
		op: op, version: 4, target: 1, block: 3, scaleShape: []int{2, 2},
		ins:    []rawT{{dt: models.Int32, shape: []int{1}, data: i32Bytes(0)}, {dt: models.Int4, shape: []int{2, 6}, data: []byte{0x21, 0x43, 0x65, 0, 0, 0}, konst: true}},
		out:    rawT{dt: models.Float32, shape: []int{1, 6}},
		scales: h16(0x3c00, 0x3c00, 0x3c00, 0x3c00),
	}
	got, err = odd.run(t)
	rawWant(t, "int4 odd block", got, err, f32Bytes(1, 2, 3, 3, 4, 5))

	// Int2: [1 -2 0 -1 | -2 1 1 0] with scales 2, 0.5.
	i2 := bwCase{
		op: op, version: 5, target: 1, block: 4, scaleShape: []int{1, 2},
		ins:    []rawT{{dt: models.Int32, shape: []int{1}, data: i32Bytes(0)}, {dt: models.Int2, shape: []int{1, 8}, data: []byte{0xc9, 0x16}, konst: true}},
		out:    rawT{dt: models.Float32, shape: []int{1, 8}},
		scales: h16(0x4000, 0x3800),
	}
	got, err = i2.run(t)
	rawWant(t, "int2", got, err, f32Bytes(2, -4, 0, -2, -1, 0.5, 0.5, 0))

	// Refused as LiteRT refuses: int8 data, int32 output, 3-D data, and an
	// id outside the table.
	bad := c
	bad.ins = []rawT{c.ins[0], {dt: models.Int8, shape: []int{2, 8}, data: make([]byte, 16), konst: true}}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "value tensor \"in1\"", "needs int4 or int2 data, got int8")
	bad = c
	bad.out = rawT{dt: models.Int32, shape: []int{2, 8}}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "output tensor \"out\"", "float32 or float16 output, got int32")
	bad = c
	bad.ins = []rawT{c.ins[0], {dt: models.Int4, shape: []int{2, 2, 4}, data: table.data, konst: true}}
	bad.scaleShape = []int{2, 2, 1}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "needs 2-D data, got shape [2 2 4]")
	bad = c
	bad.ins = []rawT{{dt: models.Int32, shape: []int{1}, data: i32Bytes(2)}, table}
	bad.out = rawT{dt: models.Float32, shape: []int{1, 8}}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "element 0 is 2, outside [0, 2)")
}

// TestFullyConnectedBlockwise checks LiteRT's EvalBlockwise4Bit on 4
// units of depth 32 in blocks of 16. Row 0 of the input is k/256 for k =
// 0..30 and 255/256: its asymmetric quantization has scale 1/256 and zero
// point -128, so q = k-128, and the zero point term restores
// out = sum_b fb*sum(k*w)/256 + bias, exactly in float32:
//
//	unit 0: w = 1, scales 0.5, 2:        (0.5*120 + 2*600)/256 = 4.921875
//	unit 1: w = -1, scales 1, 1:         -720/256              = -2.8125
//	unit 2: w = 7 | -8, scales 1/4, 1/8: (210 - 600)/256       = -1.5234375
//	unit 3: w = 0 but w[31] = 3, 1, 4:   4*3*255/256           = 11.953125
//
// (sum k is 120 over block 0 and 600 over block 1), plus the bias 1, 0,
// -1, 0.5. Row 1 is zero: scale 1, zero point 0, the output is the bias.
// RELU is set and ignored, as LiteRT's kernel ignores it.
func TestFullyConnectedBlockwise(t *testing.T) {
	op := ops.OpFullyConnected
	x := make([]float32, 64)
	for k := range 31 {
		x[k] = float32(k) / 256
	}
	x[31] = 255.0 / 256
	w := make([]byte, 64)
	for i := range 16 {
		w[i], w[16+i] = 0x11, 0xff
	}
	for i := range 8 {
		w[32+i], w[40+i] = 0x77, 0x88
	}
	w[63] = 0x30
	c := bwCase{
		op: op, version: 1, opt: ewtOpt(build.OptFullyConnected, int8(1)), target: 1, block: 16, scaleShape: []int{4, 2},
		ins: []rawT{
			{dt: models.Float32, shape: []int{2, 32}, data: f32Bytes(x...)},
			{dt: models.Int4, shape: []int{4, 32}, data: w, konst: true},
			{dt: models.Float32, shape: []int{4}, data: f32Bytes(1, 0, -1, 0.5), konst: true},
		},
		out:    rawT{dt: models.Float32, shape: []int{2, 4}},
		scales: h16(0x3800, 0x4000, 0x3c00, 0x3c00, 0x3400, 0x3000, 0x3c00, 0x4400),
	}
	got, err := c.run(t)
	rawWant(t, "blockwise int4", got, err, f32Bytes(5.921875, -2.8125, -2.5234375, 12.453125, 1, 0, -1, 0.5))

	// keep_num_dims keeps the input's leading dimensions.
	keep := c
	keep.opt = ewtOpt(build.OptFullyConnected, nil, nil, true)
	keep.ins = append([]rawT{{dt: models.Float32, shape: []int{1, 2, 32}, data: f32Bytes(x...)}}, c.ins[1:]...)
	keep.out = rawT{dt: models.Float32, shape: []int{1, 2, 4}}
	got, err = keep.run(t)
	rawWant(t, "keep_num_dims", got, err, f32Bytes(5.921875, -2.8125, -2.5234375, 12.453125, 1, 0, -1, 0.5))

	// Where LiteRT would not take its 4-bit path the node is refused:
	// fewer than 4 units, a depth below 32, a filter that is not constant.
	bad := c
	bad.ins = []rawT{c.ins[0], {dt: models.Int4, shape: []int{2, 32}, data: w[:32], konst: true}}
	bad.scaleShape = []int{2, 2}
	bad.scales = c.scales[:8]
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "blockwise int4 filter \"in1\" (shape [2 32]", "at least 4 units")
	bad = c
	bad.ins = []rawT{{dt: models.Float32, shape: []int{4, 16}, data: f32Bytes(x...)}, {dt: models.Int4, shape: []int{4, 16}, data: w[:32], konst: true}}
	bad.out = rawT{dt: models.Float32, shape: []int{4, 4}}
	bad.scaleShape = []int{4, 1}
	bad.scales = c.scales[:8]
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "shape [4 16]", "even depth of at least 32")
	bad = c
	bad.ins = []rawT{c.ins[0], {dt: models.Int4, shape: []int{4, 32}, data: w, konst: false}}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "constant false")
	bad = c
	bad.ins = []rawT{c.ins[0], {dt: models.Int8, shape: []int{4, 32}, data: make([]byte, 128), konst: true}}
	_, err = bad.run(t)
	ewtWantErr(t, err, op, "needs a 2-D int4 filter, got int8")
}

// BenchmarkFullyConnectedBlockwise is one row through 256 units of depth
// 512 in blocks of 32.
func BenchmarkFullyConnectedBlockwise(b *testing.B) {
	const units, depth, block = 256, 512, 32
	x := make([]float32, depth)
	for i := range x {
		x[i] = float32(i%17)/8 - 1
	}
	w := make([]byte, units*depth/2)
	for i := range w {
		w[i] = byte(i * 37)
	}
	s := make([]uint16, units*depth/block)
	for i := range s {
		s[i] = 0x3000 + uint16(i%64)
	}
	c := bwCase{
		op: ops.OpFullyConnected, version: 1, opt: ewtOpt(build.OptFullyConnected), target: 1, block: block, scaleShape: []int{units, depth / block},
		ins:    []rawT{{dt: models.Float32, shape: []int{1, depth}, data: f32Bytes(x...)}, {dt: models.Int4, shape: []int{units, depth}, data: w, konst: true}},
		out:    rawT{dt: models.Float32, shape: []int{1, units}},
		scales: h16(s...),
	}
	it, err := ewtLoad(b, c.model())
	if err != nil {
		b.Fatal(err)
	}
	copy(it.Input(0), c.ins[0].data)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := it.Invoke(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
