package tflite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Test kernels exercising the interpreter's mechanics independently of the
// op families: elementwise float add, an accumulator into a variable
// tensor, a dynamic-shape producer, a parallel filler, a subgraph caller
// and a kernel that panics.

func addKernel() *ops.Kernel {
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error {
			a, b := c.Input(n, 0), c.Input(n, 1)
			if a == nil || b == nil || a.NumElements() != b.NumElements() {
				return n.Errorf("inputs must have the same size")
			}
			return c.Resize(c.Output(n, 0), a.Shape)
		},
		Eval: func(c ops.Context, n *ops.Node) error {
			a, b, o := c.Input(n, 0).F32(), c.Input(n, 1).F32(), c.Output(n, 0).F32()
			for i := range o {
				o[i] = a[i] + b[i]
			}
			return nil
		},
	}
}

// ACCUM: state(variable input 1) += x; output = state.
func accumKernel() *ops.Kernel {
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error { return c.Resize(c.Output(n, 0), c.Input(n, 0).Shape) },
		Eval: func(c ops.Context, n *ops.Node) error {
			x, s, o := c.Input(n, 0).F32(), c.Input(n, 1).F32(), c.Output(n, 0).F32()
			for i := range s {
				s[i] += x[i]
				o[i] = s[i]
			}
			return nil
		},
	}
}

// RANGE: output is [0, 1, ..., k-1] with k = int(x[0]), a dynamic shape.
func rangeKernel() *ops.Kernel {
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error { c.SetDynamic(c.Output(n, 0)); return nil },
		Eval: func(c ops.Context, n *ops.Node) error {
			k := int(c.Input(n, 0).F32()[0])
			o := c.Output(n, 0)
			if err := c.Resize(o, []int{k}); err != nil {
				return err
			}
			for i, v := 0, o.F32(); i < k; i++ {
				v[i] = float32(i)
			}
			return nil
		},
	}
}

// FILL: output[i] = i, computed with Parallel; the closure lives in State.
func fillKernel() *ops.Kernel {
	type state struct{ fn func(lo, hi int) }
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error {
			o := c.Output(n, 0)
			if err := c.Resize(o, c.Input(n, 0).Shape); err != nil {
				return err
			}
			n.State = &state{fn: func(lo, hi int) {
				v := o.F32()
				for i := lo; i < hi; i++ {
					v[i] = float32(i)
				}
			}}
			return nil
		},
		Eval: func(c ops.Context, n *ops.Node) error {
			c.Parallel(c.Output(n, 0).NumElements(), n.State.(*state).fn)
			return nil
		},
	}
}

// CALL: resizes subgraph 1's input to x's shape, copies x in, invokes it
// and copies its output 0 out.
func callKernel() *ops.Kernel {
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error {
			sg, err := c.Subgraph(1)
			if err != nil {
				return n.Errorf("%v", err)
			}
			if err := sg.ResizeInput(0, c.Input(n, 0).Shape); err != nil {
				return n.Errorf("%v", err)
			}
			return c.Resize(c.Output(n, 0), sg.Outputs()[0].Shape)
		},
		Eval: func(c ops.Context, n *ops.Node) error {
			sg, err := c.Subgraph(1)
			if err != nil {
				return err
			}
			copy(sg.Inputs()[0].Data, c.Input(n, 0).Data)
			if err := sg.Invoke(c.Ctx()); err != nil {
				return err
			}
			copy(c.Output(n, 0).Data, sg.Outputs()[0].Data)
			return nil
		},
	}
}

func panicKernel() *ops.Kernel {
	return &ops.Kernel{MaxVersion: 1,
		Prepare: func(c ops.Context, n *ops.Node) error { return c.Resize(c.Output(n, 0), []int{1}) },
		Eval:    func(c ops.Context, n *ops.Node) error { var v []int; v[3] = 1; return nil },
	}
}

func resolver() *ops.Resolver {
	return &ops.Resolver{
		Builtin: map[ops.Op]*ops.Kernel{ops.OpAdd: addKernel()},
		Custom: map[string]*ops.Kernel{
			"ACCUM": accumKernel(), "RANGE": rangeKernel(), "FILL": fillKernel(),
			"CALL": callKernel(), "PANIC": panicKernel(),
		},
	}
}

func mustBytes(t testing.TB, b *build.Builder) []byte {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func load(t testing.TB, b *build.Builder, opts models.Options) *tflite.Interpreter {
	t.Helper()
	it, err := tflite.LoadWithResolver(mustBytes(t, b), opts, resolver())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { it.Close() })
	return it
}

// chain builds x -> +c -> t1 -> t1+t1 -> t2 -> +c -> t3 -> t3+t3 -> y with
// n floats per tensor.
func chain(n int) *build.Builder {
	b := build.New()
	x := b.Input("x", models.Float32, []int{n}, nil)
	cv := make([]float32, n)
	for i := range cv {
		cv[i] = float32(i)
	}
	c := b.Const("c", models.Float32, []int{n}, cv, nil)
	t1 := b.Tensor("t1", models.Float32, []int{n}, nil)
	t2 := b.Tensor("t2", models.Float32, []int{n}, nil)
	t3 := b.Tensor("t3", models.Float32, []int{n}, nil)
	y := b.Tensor("y", models.Float32, []int{n}, nil)
	b.Op(ops.OpAdd, 1, []int{x, c}, []int{t1}, build.Options{})
	b.Op(ops.OpAdd, 1, []int{t1, t1}, []int{t2}, build.Options{})
	b.Op(ops.OpAdd, 1, []int{t2, c}, []int{t3}, build.Options{})
	b.Op(ops.OpAdd, 1, []int{t3, t3}, []int{y}, build.Options{})
	b.Output(y)
	return b
}

func TestInvokeChain(t *testing.T) {
	const n = 64
	it := load(t, chain(n), models.Options{})
	x := models.Float32s(it.Input(0))
	for i := range x {
		x[i] = 0.5 * float32(i)
	}
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	y := models.Float32s(it.Output(0))
	for i := range y {
		xi, ci := 0.5*float64(i), float64(i)
		if want := 2 * (2*(xi+ci) + ci); float64(y[i]) != want {
			t.Fatalf("y[%d] = %v, want %v", i, y[i], want)
		}
	}
	// x and y live throughout; t1..t3 never overlap with more than one
	// neighbour, so the four activations fit in three slots of 256 bytes
	// plus x and y: at most 5 slots instead of 6.
	if got := it.ArenaBytes(); got > 5*n*4 {
		t.Errorf("arena holds %d bytes, want at most %d (lifetime reuse)", got, 5*n*4)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Invoke, want 0", allocs)
	}
}

func TestUnsupportedOp(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{1}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpAdd, 1, []int{x, x}, []int{y}, build.Options{})
	z := b.Tensor("z", models.Float32, []int{1}, nil)
	b.Op(ops.OpAdd, 7, []int{y, y}, []int{z}, build.Options{})
	_, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver())
	if err == nil || !strings.Contains(err.Error(), "node 1: operator ADD version 7 is not supported") {
		t.Errorf("error %v, want one naming ADD version 7 at node 1", err)
	}

	b = build.New()
	x = b.Input("x", models.Float32, []int{1}, nil)
	b.CustomOp("NoSuchOp", 1, []int{x}, []int{b.Tensor("y", models.Float32, []int{1}, nil)}, nil)
	_, err = tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver())
	if err == nil || !strings.Contains(err.Error(), "custom op NoSuchOp") {
		t.Errorf("error %v, want one naming the custom op", err)
	}
}

func TestCancel(t *testing.T) {
	it := load(t, chain(4), models.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := it.Invoke(ctx); !errors.Is(err, context.Canceled) || err != context.Canceled {
		t.Errorf("Invoke on a cancelled ctx: %v, want context.Canceled itself", err)
	}
}

func TestVariableStateAndReset(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{2}, nil)
	s := b.Variable("s", models.Float32, []int{2}, []float32{10, 20}, nil)
	y := b.Tensor("y", models.Float32, []int{2}, nil)
	b.CustomOp("ACCUM", 1, []int{x, s}, []int{y}, nil)
	b.Output(y)
	it := load(t, b, models.Options{})
	copy(models.Float32s(it.Input(0)), []float32{1, 2})
	for k := 1; k <= 3; k++ {
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if y := models.Float32s(it.Output(0)); y[0] != 13 || y[1] != 26 {
		t.Errorf("after 3 invokes y = %v, want [13 26]", y)
	}
	if err := it.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if y := models.Float32s(it.Output(0)); y[0] != 11 || y[1] != 22 {
		t.Errorf("after Reset and 1 invoke y = %v, want [11 22]", y)
	}
}

func TestDynamicTensors(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{1}, nil)
	r := b.Tensor("r", models.Float32, []int{0}, nil)
	y := b.Tensor("y", models.Float32, []int{0}, nil)
	b.CustomOp("RANGE", 1, []int{x}, []int{r}, nil)
	b.Op(ops.OpAdd, 1, []int{r, r}, []int{y}, build.Options{})
	b.Output(y)
	it := load(t, b, models.Options{})
	for _, k := range []int{5, 2, 9} {
		models.Float32s(it.Input(0))[0] = float32(k)
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		out := it.Outputs()[0]
		if len(out.Shape) != 1 || out.Shape[0] != k || out.Bytes != 4*k {
			t.Fatalf("k=%d: output %v (%d bytes)", k, out.Shape, out.Bytes)
		}
		y := models.Float32s(it.Output(0))
		if len(y) != k || y[k-1] != float32(2*(k-1)) {
			t.Fatalf("k=%d: y = %v", k, y)
		}
	}
	models.Float32s(it.Input(0))[0] = 1e9
	if err := it.Invoke(context.Background()); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge dynamic tensor: %v, want a memory limit error", err)
	}
}

func TestMemoryLimit(t *testing.T) {
	_, err := tflite.LoadWithResolver(mustBytes(t, chain(100000)), models.Options{MaxBytes: 1 << 20}, resolver())
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("error %v, want a memory limit error", err)
	}
}

func TestParallel(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{1001}, nil)
	y := b.Tensor("y", models.Float32, []int{1001}, nil)
	b.CustomOp("FILL", 1, []int{x}, []int{y}, nil)
	b.Output(y)
	for _, threads := range []int{0, 1, 3, 8} {
		it := load(t, b, models.Options{Threads: threads})
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, v := range models.Float32s(it.Output(0)) {
			if v != float32(i) {
				t.Fatalf("threads=%d: y[%d] = %v", threads, i, v)
			}
		}
		allocs := testing.AllocsPerRun(50, func() { _ = it.Invoke(context.Background()) })
		if allocs != 0 {
			t.Errorf("threads=%d: %v allocations per Invoke", threads, allocs)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if err := it.Invoke(context.Background()); !errors.Is(err, tflite.ErrClosed) {
			t.Errorf("Invoke after Close: %v", err)
		}
	}
}

func TestSubgraphCall(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{3}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.CustomOp("CALL", 1, []int{x}, []int{y}, nil)
	b.Output(y)
	sub := b.NewSubgraph("double")
	si := sub.Input("i", models.Float32, []int{1}, nil)
	so := sub.Tensor("o", models.Float32, []int{1}, nil)
	sub.Op(ops.OpAdd, 1, []int{si, si}, []int{so}, build.Options{})
	sub.Output(so)
	it := load(t, b, models.Options{})
	if out := it.Outputs()[0]; len(out.Shape) != 1 || out.Shape[0] != 3 {
		t.Fatalf("output shape %v, want [3] from the resized subgraph", out.Shape)
	}
	copy(models.Float32s(it.Input(0)), []float32{1, 2, 3})
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if y := models.Float32s(it.Output(0)); y[0] != 2 || y[2] != 6 {
		t.Errorf("y = %v", y)
	}
	r, err := it.Subgraph(1)
	if err != nil {
		t.Fatal(err)
	}
	if in := r.Inputs(); in[0].Shape[0] != 3 {
		t.Errorf("subgraph 1 input shape %v", in[0].Shape)
	}
	if _, err := it.Subgraph(2); err == nil {
		t.Error("subgraph 2 of 2 exists")
	}

	// A subgraph that calls itself fails instead of recursing forever.
	b = build.New()
	x = b.Input("x", models.Float32, []int{1}, nil)
	y = b.Tensor("y", models.Float32, []int{1}, nil)
	b.CustomOp("CALL", 1, []int{x}, []int{y}, nil)
	sub = b.NewSubgraph("loop")
	si = sub.Input("i", models.Float32, []int{1}, nil)
	so = sub.Tensor("o", models.Float32, []int{1}, nil)
	sub.CustomOp("CALL", 1, []int{si}, []int{so}, nil)
	sub.Output(so)
	if _, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver()); err == nil || !strings.Contains(err.Error(), "itself") {
		t.Errorf("self-calling subgraph: %v", err)
	}
}

func TestKernelPanicIsInternalError(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{1}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.CustomOp("PANIC", 1, []int{x}, []int{y}, nil)
	b.Output(y)
	it := load(t, b, models.Options{})
	if err := it.Invoke(context.Background()); !errors.Is(err, tflite.ErrInternal) {
		t.Errorf("panic in kernel: %v, want ErrInternal", err)
	}
}

func TestMalformedGraphs(t *testing.T) {
	cases := []struct {
		name string
		f    func(b *build.Builder)
		want string
	}{
		{"shared", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1}, nil)
			b.Op(ops.OpAdd, 1, []int{x, x}, []int{x}, build.Options{})
		}, "both input and output"},
		{"const output", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1}, nil)
			c := b.Const("c", models.Float32, []int{1}, []float32{1}, nil)
			b.Op(ops.OpAdd, 1, []int{x, x}, []int{c}, build.Options{})
		}, "is a constant"},
		{"tensor index", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1}, nil)
			b.Op(ops.OpAdd, 1, []int{x, 5}, []int{x}, build.Options{})
		}, "element 1 is tensor 5, outside the subgraph's 1 tensors"},
		{"buffer size", func(b *build.Builder) {
			b.Const("c", models.Float32, []int{2}, build.Raw{1, 2, 3}, nil)
		}, "buffer 1 has 3 bytes, shape [2] of float32 needs 8"},
		{"negative dim", func(b *build.Builder) {
			b.Input("x", models.Float32, []int{-2}, nil)
		}, "negative dimension"},
		{"version", func(b *build.Builder) { b.SetVersion(2) }, "schema version 2"},
		{"per-channel", func(b *build.Builder) {
			b.Const("w", models.Int8, []int{2, 2}, []int8{1, 2, 3, 4}, &models.Quant{Scale: []float32{1, 2, 3}, Axis: 1})
		}, "3 scales for dimension 1 of size 2"},
		{"no subgraphs", func(b *build.Builder) {}, ""},
	}
	for _, c := range cases {
		b := build.New()
		c.f(b)
		_, err := tflite.LoadWithResolver(mustBytes(t, b), models.Options{}, resolver())
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want an empty model to load", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// A WHILE whose condition is a constant true and whose subgraphs have no
// operators never ends by itself: the deadline stops it.
func TestEndlessWhileStopsAtDeadline(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Int32, []int{1}, nil)
	y := b.Tensor("y", models.Int32, []int{1}, nil)
	b.Op(ops.OpWhile, 1, []int{x}, []int{y}, build.Options{Type: build.OptWhile, Fields: []build.Field{{Slot: 0, Value: int32(1)}, {Slot: 1, Value: int32(2)}}})
	b.Output(y)
	cond := b.NewSubgraph("cond")
	cond.Input("x", models.Int32, []int{1}, nil)
	cond.Output(cond.Const("true", models.Bool, []int{}, []bool{true}, nil))
	body := b.NewSubgraph("body")
	bx := body.Input("x", models.Int32, []int{1}, nil)
	body.Output(bx)
	it, err := tflite.Load(mustBytes(t, b), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := it.Invoke(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("endless WHILE: %v, want the deadline", err)
	}
}
