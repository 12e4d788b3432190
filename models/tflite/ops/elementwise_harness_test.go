package ops_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Test harness of the elementwise, activation and quantize families: a
// model with one operator is built with models/build, run by the real
// interpreter, and its output compared with a reference written in the
// test on float64 values. Integer tensors carry their raw codes as
// float64.

// ewtT describes one tensor of a test model.
type ewtT struct {
	dt    models.DType
	shape []int
	q     *models.Quant
	vals  []float64 // raw values (codes for integer types), row-major
	konst bool      // a constant instead of a graph input
}

// ewtQ is a per-tensor quantization.
func ewtQ(scale float32, zp int64) *models.Quant {
	return &models.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
}

func ewtNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ewtOpt makes builtin options from values by slot (nil skips a slot).
func ewtOpt(t build.OptionType, fields ...any) build.Options {
	o := build.Options{Type: t}
	for i, f := range fields {
		if f != nil {
			o.Fields = append(o.Fields, build.Field{Slot: i, Value: f})
		}
	}
	return o
}

// ewtModel builds a one-operator model; out.vals is ignored.
func ewtModel(op ops.Op, version int, opt build.Options, ins []ewtT, out ewtT) *build.Builder {
	b := build.New()
	var idx []int
	for i, in := range ins {
		name := "in" + string(rune('0'+i))
		if in.konst {
			idx = append(idx, b.Const(name, in.dt, in.shape, build.Raw(encode(in.dt, in.vals)), in.q))
		} else {
			idx = append(idx, b.Input(name, in.dt, in.shape, in.q))
		}
	}
	o := b.Tensor("out", out.dt, out.shape, out.q)
	// Options of type NONE with fields go where the operator reads them:
	// builtin_options_2 for REDUCE_WINDOW and the StableHLO operators.
	if union, id, _ := ops.OptionsType(op); union == 2 && opt.Type == build.OptNone && opt.Fields != nil {
		b.SetOptions2(b.Op(op, version, idx, []int{o}, build.Options{}), build.Option2Type(id), opt.Fields)
	} else {
		b.Op(op, version, idx, []int{o}, opt)
	}
	b.Output(o)
	return b
}

// ewtLoad builds and loads a model.
func ewtLoad(t testing.TB, b *build.Builder) (*tflite.Interpreter, error) {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	it, err := tflite.Load(data, models.Options{})
	if err == nil {
		t.Cleanup(func() { it.Close() })
	}
	return it, err
}

// ewtInvoke fills the graph inputs and invokes.
func ewtInvoke(t testing.TB, it *tflite.Interpreter, ins []ewtT) error {
	t.Helper()
	k := 0
	for _, in := range ins {
		if in.konst {
			continue
		}
		src := encode(in.dt, in.vals)
		dst := it.Input(k)
		if len(dst) != len(src) {
			t.Fatalf("input %d has %d bytes, test gives %d", k, len(dst), len(src))
		}
		copy(dst, src)
		k++
	}
	return it.Invoke(context.Background())
}

// ewtRun runs a one-operator model and returns the output's type, shape and
// values.
func ewtRun(t testing.TB, op ops.Op, version int, opt build.Options, ins []ewtT, out ewtT) (models.DType, []int, []float64) {
	t.Helper()
	it, err := ewtLoad(t, ewtModel(op, version, opt, ins, out))
	if err != nil {
		t.Fatalf("%s: load: %v", op, err)
	}
	if err := ewtInvoke(t, it, ins); err != nil {
		t.Fatalf("%s: invoke: %v", op, err)
	}
	info := it.Outputs()[0]
	// Decode by the output's final type and shape (a kernel may change the
	// declared type, as TFLite's ADD does).
	n := ewtNumel(info.Shape) * info.DType.Size()
	return info.DType, info.Shape, decode(info.DType, it.Output(0)[:n])
}

// ewtErr returns the load or invoke error of a one-operator model.
func ewtErr(t testing.TB, op ops.Op, version int, opt build.Options, ins []ewtT, out ewtT) error {
	t.Helper()
	it, err := ewtLoad(t, ewtModel(op, version, opt, ins, out))
	if err != nil {
		return err
	}
	return ewtInvoke(t, it, ins)
}

// ewtWantErr checks that err names the operator and contains fragments.
func ewtWantErr(t testing.TB, err error, op ops.Op, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one containing %q", op, fragments)
	}
	msg := err.Error()
	for _, f := range append([]string{op.String()}, fragments...) {
		if !strings.Contains(msg, f) {
			t.Fatalf("%s: error %q does not contain %q", op, msg, f)
		}
	}
}

// ewtCompare checks values within an absolute tolerance.
func ewtCompare(t testing.TB, what string, shape []int, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if !(math.Abs(g-w) <= tol) && g != w {
			t.Fatalf("%s: element %d (index %v) = %v, want %v (tolerance %g)", what, i, ewtUnravel(i, shape), g, w, tol)
		}
	}
}

func ewtUnravel(i int, shape []int) []int {
	ix := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			ix[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return ix
}

// ewtBroadcast returns the broadcast output shape and, for every output
// element, the flat index of each input element it reads.
func ewtBroadcast(shapes ...[]int) ([]int, [][]int) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
		for _, s := range shapes {
			if j := i - (rank - len(s)); j >= 0 && s[j] != 1 {
				out[i] = s[j]
			}
		}
	}
	n := ewtNumel(out)
	idx := make([][]int, n)
	for e := range n {
		ix := ewtUnravel(e, out)
		for _, s := range shapes {
			flat := 0
			for j := range s {
				c := ix[j+rank-len(s)]
				if s[j] == 1 {
					c = 0
				}
				flat = flat*s[j] + c
			}
			idx[e] = append(idx[e], flat)
		}
	}
	return out, idx
}

// ewtPattern is a deterministic pattern of n values in [lo, hi] (integers
// when integral is set), spread so that neighbours differ.
func ewtPattern(n int, seed int, lo, hi float64, integral bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		u := float64((37*i+11+53*seed)%251) / 250
		x := lo + u*(hi-lo)
		if integral {
			x = math.Round(x)
		}
		v[i] = x
	}
	return v
}

// ewtQuantize rounds real values to codes of a quantized type (half away
// from zero, saturating).
func ewtQuantize(dt models.DType, q *models.Quant, real []float64) []float64 {
	lo, hi := ops.TypeRange(dt)
	out := make([]float64, len(real))
	for i, r := range real {
		c := math.Round(r/float64(q.Scale[0])) + float64(q.ZeroPoint[0])
		out[i] = math.Min(math.Max(c, float64(lo)), float64(hi))
	}
	return out
}

// ewtDequantize maps codes to real values.
func ewtDequantize(q *models.Quant, codes []float64) []float64 {
	out := make([]float64, len(codes))
	for i, c := range codes {
		out[i] = float64(q.Scale[0]) * (c - float64(q.ZeroPoint[0]))
	}
	return out
}
