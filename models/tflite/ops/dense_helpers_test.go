package ops_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Harness of the dense, conv, pool and reduce tests: one operator per
// generated model, run by the real interpreter, compared with references
// written in these files (float64 semantics and, for the integer kernels,
// TFLite's integer arithmetic as plain nested loops).

// bT is one tensor of a single-operator test model. Integer tensors carry
// their quantized integer values in vals.
type bT struct {
	dt    models.DType
	shape []int
	q     *models.Quant
	vals  []float64
	konst bool
}

func bIn(dt models.DType, shape []int, q *models.Quant, vals []float64) *bT {
	return &bT{dt: dt, shape: shape, q: q, vals: vals}
}

func bConst(dt models.DType, shape []int, q *models.Quant, vals []float64) *bT {
	return &bT{dt: dt, shape: shape, q: q, vals: vals, konst: true}
}

func bQ(scale float64, zp int64) *models.Quant {
	return &models.Quant{Scale: []float32{float32(scale)}, ZeroPoint: []int64{zp}}
}

// bQC is a per-channel quantization along axis with zero zero points.
func bQC(scales []float64, axis int) *models.Quant {
	q := &models.Quant{Axis: axis}
	for _, s := range scales {
		q.Scale = append(q.Scale, float32(s))
		q.ZeroPoint = append(q.ZeroPoint, 0)
	}
	return q
}

// bOp describes the operator under test.
type bOp struct {
	op      ops.Op
	version int
	opts    build.Options
	ins     []*bT // nil entries are omitted optional inputs
	out     *bT   // dtype, declared shape and quantization
	threads int
}

// model builds the test model's bytes.
func (o *bOp) model() ([]byte, error) {
	b := build.New()
	var inputs []int
	for i, t := range o.ins {
		switch {
		case t == nil:
			inputs = append(inputs, -1)
		case t.konst:
			inputs = append(inputs, b.Const(fmt.Sprintf("c%d", i), t.dt, t.shape, bTyped(t.dt, t.vals), t.q))
		default:
			inputs = append(inputs, b.Input(fmt.Sprintf("in%d", i), t.dt, t.shape, t.q))
		}
	}
	out := b.Tensor("out", o.out.dt, o.out.shape, o.out.q)
	b.Op(o.op, max(o.version, 1), inputs, []int{out}, o.opts)
	b.Output(out)
	return b.Bytes()
}

// load builds and loads the model.
func (o *bOp) load() (*tflite.Interpreter, error) {
	data, err := o.model()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return tflite.Load(data, models.Options{Threads: o.threads})
}

// feed copies the non-constant input values into the interpreter.
func (o *bOp) feed(it *tflite.Interpreter) {
	i := 0
	for _, t := range o.ins {
		if t == nil || t.konst {
			continue
		}
		copy(it.Input(i), bEncode(t.dt, t.vals))
		i++
	}
}

// run loads, feeds and invokes the model once and returns the output
// values and shape.
func (o *bOp) run() ([]float64, []int, error) {
	it, err := o.load()
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	o.feed(it)
	if err := it.Invoke(context.Background()); err != nil {
		return nil, nil, err
	}
	return bDecode(o.out.dt, it.Output(0)), it.Outputs()[0].Shape, nil
}

// mustRun is run for cases that must succeed, with the expected shape.
func (o *bOp) mustRun(t *testing.T, shape []int) []float64 {
	t.Helper()
	got, gotShape, err := o.run()
	if err != nil {
		t.Fatalf("%s: %v", o.op, err)
	}
	if fmt.Sprint(gotShape) != fmt.Sprint(shape) {
		t.Fatalf("%s: output shape %v, want %v", o.op, gotShape, shape)
	}
	return got
}

// wantError checks that loading or invoking fails with an error mentioning
// every fragment.
func (o *bOp) wantError(t *testing.T, fragments ...string) {
	t.Helper()
	_, _, err := o.run()
	if err == nil {
		t.Fatalf("%s: no error, want one mentioning %q", o.op, fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("%s: error %q does not mention %q", o.op, err, f)
		}
	}
}

func bTyped(dt models.DType, v []float64) any {
	switch dt {
	case models.Float32:
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	case models.Int8:
		out := make([]int8, len(v))
		for i, x := range v {
			out[i] = int8(x)
		}
		return out
	case models.UInt8:
		out := make([]uint8, len(v))
		for i, x := range v {
			out[i] = uint8(x)
		}
		return out
	case models.Int16:
		out := make([]int16, len(v))
		for i, x := range v {
			out[i] = int16(x)
		}
		return out
	case models.Int32:
		out := make([]int32, len(v))
		for i, x := range v {
			out[i] = int32(x)
		}
		return out
	case models.Int64:
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	}
	panic("bTyped: unsupported dtype " + dt.String())
}

func bEncode(dt models.DType, v []float64) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case models.Float32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
		case models.Int8, models.UInt8:
			b[i] = byte(int64(x))
		case models.Int16:
			binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(x)))
		case models.Int32:
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(x)))
		case models.Int64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
		default:
			panic("bEncode: unsupported dtype " + dt.String())
		}
	}
	return b
}

func bDecode(dt models.DType, b []byte) []float64 {
	v := make([]float64, len(b)/dt.Size())
	for i := range v {
		switch dt {
		case models.Float32:
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case models.Int8:
			v[i] = float64(int8(b[i]))
		case models.UInt8:
			v[i] = float64(b[i])
		case models.Int16:
			v[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		case models.Int32:
			v[i] = float64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		case models.Int64:
			v[i] = float64(int64(binary.LittleEndian.Uint64(b[8*i:])))
		default:
			panic("bDecode: unsupported dtype " + dt.String())
		}
	}
	return v
}

// bRange is the integer range of a quantized type.
func bRange(dt models.DType) (float64, float64) {
	lo, hi := ops.TypeRange(dt)
	return float64(lo), float64(hi)
}

// bRandQ draws n integers uniformly from [lo, hi].
func bRandQ(r *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + float64(r.IntN(int(hi-lo)+1))
	}
	return v
}

// bRandF draws n float32-representable values uniformly from [-a, a].
func bRandF(r *rand.Rand, n int, a float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32((2*r.Float64() - 1) * a))
	}
	return v
}

// bDequant maps quantized values to reals with per-tensor parameters.
func bDequant(v []float64, scale float64, zp float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = scale * (x - zp)
	}
	return out
}

// bQuantize rounds reals to a quantized output, clamped to [lo, hi].
func bQuantize(v []float64, scale, zp, lo, hi float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Min(math.Max(math.Round(x/scale)+zp, lo), hi)
	}
	return out
}

// bActF is a fused activation on reals.
func bActF(a ops.Activation, x float64) float64 {
	switch a {
	case ops.ActRelu:
		return math.Max(x, 0)
	case ops.ActRelu6:
		return math.Min(math.Max(x, 0), 6)
	case ops.ActReluN1To1:
		return math.Min(math.Max(x, -1), 1)
	case ops.ActTanh:
		return math.Tanh(x)
	case ops.ActSignBit:
		if math.Signbit(x) {
			return 1
		}
		return 0
	}
	return x
}

// bActQ is the clamp range of a fused activation on a quantized output.
func bActQ(a ops.Activation, dt models.DType, scale, zp float64) (float64, float64) {
	lo, hi := bRange(dt)
	q := func(x float64) float64 { return zp + math.Round(x/scale) }
	switch a {
	case ops.ActRelu:
		lo = math.Max(lo, q(0))
	case ops.ActRelu6:
		lo, hi = math.Max(lo, q(0)), math.Min(hi, q(6))
	case ops.ActReluN1To1:
		lo, hi = math.Max(lo, q(-1)), math.Min(hi, q(1))
	}
	return lo, hi
}

// bClose fails when any |got-want| exceeds tol (absolute) plus rel*|want|.
func bClose(t *testing.T, what string, got, want []float64, tol, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			d = math.Inf(1)
		} else if math.IsNaN(want[i]) {
			d = 0
		}
		if d > tol+rel*math.Abs(want[i]) && d > worst {
			worst, at = d, i
		}
	}
	if at >= 0 {
		t.Fatalf("%s: element %d is %v, want %v (diff %g; %d elements)", what, at, got[at], want[at], worst, len(got))
	}
}

// bMulQ is TFLite's 32-bit MultiplyByQuantizedMultiplier, spelled out in
// the test on int64 so that it does not share code with the kernel helper.
func bMulQ(acc int64, realMult float64) int64 {
	q, shift := ops.QuantizeMultiplier(realMult)
	x := int32(acc)
	left, right := max(shift, 0), max(-shift, 0)
	x = int32(int64(x) << left)
	ab := int64(x) * int64(q)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - 1<<30
	}
	hi := (ab + nudge) / (1 << 31)
	if x == math.MinInt32 && q == math.MinInt32 {
		hi = math.MaxInt32
	}
	mask := int64(1)<<right - 1
	rem := hi & mask
	th := mask >> 1
	if hi < 0 {
		th++
	}
	r := hi >> right
	if rem > th {
		r++
	}
	return r
}

// bMulQ64 is TFLite's int64 MultiplyByQuantizedMultiplier (Q15-rounded
// multiplier, single rounding).
func bMulQ64(acc int64, realMult float64) int64 {
	q, shift := ops.QuantizeMultiplier(realMult)
	red := int64(0x7FFF)
	if q < 0x7FFF0000 {
		red = (int64(q) + 1<<15) >> 16
	}
	total := 15 - shift
	return int64(int32((acc*red + int64(1)<<(total-1)) >> total))
}

// bF32Prod is the float32 product TFLite uses for per-tensor multipliers.
func bF32Prod(a, b float64) float64 { return float64(float32(a) * float32(b)) }

func bOpts(t build.OptionType, fields ...any) build.Options {
	o := build.Options{Type: t}
	for i := 0; i+1 < len(fields); i += 2 {
		o.Fields = append(o.Fields, build.Field{Slot: fields[i].(int), Value: fields[i+1]})
	}
	return o
}
