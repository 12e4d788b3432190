package ops_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// The loop bodies and branches below need a little arithmetic. It comes from
// two tiny custom kernels so these tests do not depend on the elementwise
// family; everything else (WHILE, IF, CALL_ONCE, variables, CONCATENATION)
// is the real thing.

// TEST_ADD: out = a + b for int32 or float32 tensors of one shape.
var testAdd = &ops.Kernel{MaxVersion: 1,
	Prepare: func(c ops.Context, n *ops.Node) error {
		a, b := c.Input(n, 0), c.Input(n, 1)
		if a.Type != b.Type || a.NumElements() != b.NumElements() {
			return n.Errorf("operands differ")
		}
		return c.Resize(c.Output(n, 0), append([]int(nil), a.Shape...))
	},
	Eval: func(c ops.Context, n *ops.Node) error {
		a, b, o := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
		if a.Type == models.Int32 {
			for i, v := range a.I32() {
				o.I32()[i] = v + b.I32()[i]
			}
			return nil
		}
		for i, v := range a.F32() {
			o.F32()[i] = v + b.F32()[i]
		}
		return nil
	},
}

// TEST_LESS: out (bool scalar) = a < b for int32 scalars.
var testLess = &ops.Kernel{MaxVersion: 1,
	Prepare: func(c ops.Context, n *ops.Node) error { return c.Resize(c.Output(n, 0), []int{}) },
	Eval: func(c ops.Context, n *ops.Node) error {
		o := c.Output(n, 0).Data
		o[0] = 0
		if c.Input(n, 0).I32()[0] < c.Input(n, 1).I32()[0] {
			o[0] = 1
		}
		return nil
	},
}

func controlResolver() *ops.Resolver {
	r := ops.Builtins()
	r.Custom["TEST_ADD"] = testAdd
	r.Custom["TEST_LESS"] = testLess
	return r
}

func loadControl(t testing.TB, b *build.Builder) (*tflite.Interpreter, error) {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	it, err := tflite.LoadWithResolver(data, models.Options{}, controlResolver())
	if err == nil {
		t.Cleanup(func() { it.Close() })
	}
	return it, err
}

func mustLoadControl(t testing.TB, b *build.Builder) *tflite.Interpreter {
	t.Helper()
	it, err := loadControl(t, b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return it
}

// doublingLoop: while i < limit { i++; x = concat(x, x) }.
func doublingLoop(condIdx, bodyIdx int) *build.Builder {
	b := build.New()
	i := b.Input("i", models.Int32, []int{}, nil)
	lim := b.Input("limit", models.Int32, []int{}, nil)
	x := b.Input("x", models.Float32, []int{2}, nil)
	oi := b.Tensor("out_i", models.Int32, []int{}, nil)
	ol := b.Tensor("out_limit", models.Int32, []int{}, nil)
	ox := b.Tensor("out_x", models.Float32, []int{2}, nil)
	b.Op(ops.OpWhile, 1, []int{i, lim, x}, []int{oi, ol, ox}, opts(build.OptWhile, int32(condIdx), int32(bodyIdx)))
	b.Output(oi, ox)

	cond := b.NewSubgraph("cond")
	ci := cond.Input("i", models.Int32, []int{}, nil)
	cl := cond.Input("limit", models.Int32, []int{}, nil)
	cond.Input("x", models.Float32, []int{2}, nil)
	cb := cond.Tensor("more", models.Bool, []int{}, nil)
	cond.CustomOp("TEST_LESS", 1, []int{ci, cl}, []int{cb}, nil)
	cond.Output(cb)

	body := b.NewSubgraph("body")
	bi := body.Input("i", models.Int32, []int{}, nil)
	bl := body.Input("limit", models.Int32, []int{}, nil)
	bx := body.Input("x", models.Float32, []int{2}, nil)
	one := body.Const("one", models.Int32, []int{}, []int32{1}, nil)
	bi2 := body.Tensor("i2", models.Int32, []int{}, nil)
	bx2 := body.Tensor("x2", models.Float32, []int{4}, nil)
	body.CustomOp("TEST_ADD", 1, []int{bi, one}, []int{bi2}, nil)
	body.Op(ops.OpConcatenation, 1, []int{bx, bx}, []int{bx2}, opts(build.OptConcatenation, int32(0)))
	body.Output(bi2, bl, bx2)
	return b
}

func TestWhile(t *testing.T) {
	it := mustLoadControl(t, doublingLoop(1, 2))
	x := []float64{1.5, -2}
	for _, limit := range []int{3, 0, 5, 1} {
		setInputs(t, it, encode(models.Int32, []float64{0}), encode(models.Int32, []float64{float64(limit)}), encode(models.Float32, x))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		expectOutput(t, it, 0, []int{}, []float64{float64(limit)})
		want := x
		for k := 0; k < limit; k++ {
			want = append(append([]float64(nil), want...), want...)
		}
		expectOutput(t, it, 1, []int{len(want)}, want)
	}
}

// countingLoop: while i < limit { i++ }.
func countingLoop() *build.Builder {
	b := build.New()
	i := b.Input("i", models.Int32, []int{}, nil)
	lim := b.Input("limit", models.Int32, []int{}, nil)
	oi := b.Tensor("out_i", models.Int32, []int{}, nil)
	ol := b.Tensor("out_limit", models.Int32, []int{}, nil)
	b.Op(ops.OpWhile, 1, []int{i, lim}, []int{oi, ol}, opts(build.OptWhile, int32(1), int32(2)))
	b.Output(oi)
	cond := b.NewSubgraph("cond")
	ci, cl := cond.Input("i", models.Int32, []int{}, nil), cond.Input("limit", models.Int32, []int{}, nil)
	cb := cond.Tensor("more", models.Bool, []int{}, nil)
	cond.CustomOp("TEST_LESS", 1, []int{ci, cl}, []int{cb}, nil)
	cond.Output(cb)
	body := b.NewSubgraph("body")
	bi, bl := body.Input("i", models.Int32, []int{}, nil), body.Input("limit", models.Int32, []int{}, nil)
	one := body.Const("one", models.Int32, []int{}, []int32{1}, nil)
	bi2 := body.Tensor("i2", models.Int32, []int{}, nil)
	body.CustomOp("TEST_ADD", 1, []int{bi, one}, []int{bi2}, nil)
	body.Output(bi2, bl)
	return b
}

// TestWhileCancel: a loop that would run for billions of iterations stops
// when the Invoke's context ends.
func TestWhileCancel(t *testing.T) {
	it := mustLoadControl(t, countingLoop())
	setInputs(t, it, encode(models.Int32, []float64{0}), encode(models.Int32, []float64{math.MaxInt32}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := it.Invoke(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("invoke returned %v, want a deadline error", err)
	}
	// The interpreter is still usable.
	setInputs(t, it, encode(models.Int32, []float64{0}), encode(models.Int32, []float64{7}))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectOutput(t, it, 0, []int{}, []float64{7})
}

// TestWhileZeroAllocs: a loop whose shapes do not change allocates nothing
// per Invoke, however many iterations it runs.
func TestWhileZeroAllocs(t *testing.T) {
	it := mustLoadControl(t, countingLoop())
	zero, limit := encode(models.Int32, []float64{0}), encode(models.Int32, []float64{25})
	setInputs(t, it, zero, limit)
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		copy(it.Input(0), zero)
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a 25-iteration WHILE allocates %v times per Invoke", allocs)
	}
	expectOutput(t, it, 0, []int{}, []float64{25})
}

func TestWhileErrors(t *testing.T) {
	_, err := loadControl(t, doublingLoop(1, 1))
	expectErr(t, err, "WHILE", "same subgraph")
	_, err = loadControl(t, doublingLoop(1, 7))
	expectErr(t, err, "WHILE", "subgraph 7")
	_, err = loadControl(t, doublingLoop(2, 1)) // cond and body swapped
	expectErr(t, err, "WHILE", "body outputs has 1 tensors")

	_, err = loadControl(t, doublingLoopWithBody(3))
	expectErr(t, err, "WHILE", "body outputs", "int32")
}

// doublingLoopWithBody is doublingLoop with a badly typed body (x comes
// back as int32) appended as subgraph 3.
func doublingLoopWithBody(body int) *build.Builder {
	b := doublingLoop(1, body)
	bad := b.NewSubgraph("bad body")
	bi := bad.Input("i", models.Int32, []int{}, nil)
	bl := bad.Input("limit", models.Int32, []int{}, nil)
	bad.Input("x", models.Float32, []int{2}, nil)
	bad.Output(bi, bl, bl)
	return b
}

// ifModel: y = cond ? a + b : concat(a, b).
func ifModel(condType models.DType) *build.Builder {
	b := build.New()
	c := b.Input("cond", condType, []int{1}, nil)
	a := b.Input("a", models.Float32, []int{2}, nil)
	x := b.Input("b", models.Float32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{2}, nil)
	b.Op(ops.OpIf, 1, []int{c, a, x}, []int{y}, opts(build.OptIf, int32(1), int32(2)))
	b.Output(y)
	then := b.NewSubgraph("then")
	ta, tb := then.Input("a", models.Float32, []int{2}, nil), then.Input("b", models.Float32, []int{2}, nil)
	ty := then.Tensor("sum", models.Float32, []int{2}, nil)
	then.CustomOp("TEST_ADD", 1, []int{ta, tb}, []int{ty}, nil)
	then.Output(ty)
	els := b.NewSubgraph("else")
	ea, eb := els.Input("a", models.Float32, []int{2}, nil), els.Input("b", models.Float32, []int{2}, nil)
	ey := els.Tensor("joined", models.Float32, []int{4}, nil)
	els.Op(ops.OpConcatenation, 1, []int{ea, eb}, []int{ey}, opts(build.OptConcatenation, int32(0)))
	els.Output(ey)
	return b
}

func TestIf(t *testing.T) {
	it := mustLoadControl(t, ifModel(models.Bool))
	a, x := []float64{1, 2}, []float64{10, 20}
	for _, cond := range []bool{true, false, true} {
		c := 0.0
		if cond {
			c = 1
		}
		setInputs(t, it, encode(models.Bool, []float64{c}), encode(models.Float32, a), encode(models.Float32, x))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		if cond {
			expectOutput(t, it, 0, []int{2}, []float64{11, 22})
		} else {
			expectOutput(t, it, 0, []int{4}, []float64{1, 2, 10, 20})
		}
	}
	_, err := loadControl(t, ifModel(models.Int32))
	expectErr(t, err, "IF", "single bool")
}

// TestIfRecursion: two subgraphs whose IFs call each other are refused at
// load time instead of recursing forever.
func TestIfRecursion(t *testing.T) {
	b := build.New()
	c := b.Input("cond", models.Bool, []int{}, nil)
	y := b.Tensor("y", models.Bool, []int{}, nil)
	b.Op(ops.OpIf, 1, []int{c, c}, []int{y}, opts(build.OptIf, int32(1), int32(1)))
	b.Output(y)
	for k := 1; k <= 2; k++ {
		s := b.NewSubgraph("loop")
		sc := s.Input("cond", models.Bool, []int{}, nil)
		sy := s.Tensor("y", models.Bool, []int{}, nil)
		next := int32(3 - k)
		s.Op(ops.OpIf, 1, []int{sc, sc}, []int{sy}, opts(build.OptIf, next, next))
		s.Output(sy)
	}
	_, err := loadControl(t, b)
	if err == nil {
		t.Fatal("mutually recursive IF subgraphs loaded")
	}
	t.Logf("refused: %v", err)
}

// counterModel: CALL_ONCE initializes variable "acc" to 10 (subgraph 1);
// every Invoke then does acc += x and outputs acc.
func counterModel(withInit bool) *build.Builder {
	b := build.New()
	x := b.Input("x", models.Float32, []int{2}, nil)
	if withInit {
		b.Op(ops.OpCallOnce, 1, nil, nil, opts(build.OptCallOnce, int32(1)))
	}
	h := b.Tensor("handle", models.Resource, []int{}, nil)
	b.Op(ops.OpVarHandle, 1, nil, []int{h}, opts(build.OptVarHandle, "", "acc"))
	v := b.Tensor("value", models.Float32, []int{2}, nil)
	b.Op(ops.OpReadVariable, 1, []int{h}, []int{v}, build.Options{})
	y := b.Tensor("y", models.Float32, []int{2}, nil)
	b.CustomOp("TEST_ADD", 1, []int{v, x}, []int{y}, nil)
	b.Op(ops.OpAssignVariable, 1, []int{h, y}, nil, build.Options{})
	b.Output(y)

	init := b.NewSubgraph("init")
	ih := init.Tensor("handle", models.Resource, []int{}, nil)
	init.Op(ops.OpVarHandle, 1, nil, []int{ih}, opts(build.OptVarHandle, "", "acc"))
	ten := init.Const("ten", models.Float32, []int{2}, []float32{10, 100}, nil)
	init.Op(ops.OpAssignVariable, 1, []int{ih, ten}, nil, build.Options{})
	return b
}

func TestCallOnceAndVariables(t *testing.T) {
	it := mustLoadControl(t, counterModel(true))
	step := func(want ...float64) {
		t.Helper()
		setInputs(t, it, encode(models.Float32, []float64{1, 2}))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		expectOutput(t, it, 0, []int{2}, want)
	}
	step(11, 102)
	step(12, 104)
	step(13, 106)
	if err := it.Reset(); err != nil {
		t.Fatal(err)
	}
	step(11, 102) // the init subgraph ran again after Reset
	allocs := testing.AllocsPerRun(10, func() {
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("variables allocate %v times per Invoke", allocs)
	}
}

func TestReadUnassignedVariable(t *testing.T) {
	it := mustLoadControl(t, counterModel(false))
	setInputs(t, it, encode(models.Float32, []float64{1, 2}))
	expectErr(t, it.Invoke(context.Background()), "READ_VARIABLE", "before it is assigned")
}

// TestReadVariableScalar: a scalar READ_VARIABLE output takes the
// variable's shape at run time (TFLite treats rank 0 as unknown).
func TestReadVariableScalar(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Int32, []int{3}, nil)
	h := b.Tensor("handle", models.Resource, []int{}, nil)
	b.Op(ops.OpVarHandle, 1, nil, []int{h}, opts(build.OptVarHandle, "c", "v"))
	b.Op(ops.OpAssignVariable, 1, []int{h, x}, nil, build.Options{})
	v := b.Tensor("value", models.Int32, []int{}, nil)
	b.Op(ops.OpReadVariable, 1, []int{h}, []int{v}, build.Options{})
	b.Output(v)
	it := mustLoadControl(t, b)
	setInputs(t, it, encode(models.Int32, []float64{4, -5, 6}))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectOutput(t, it, 0, []int{3}, []float64{4, -5, 6})
}
