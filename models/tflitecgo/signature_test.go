//go:build tflite

package tflitecgo

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// twoSignatureModel has signature "add" on subgraph 0 (x + y) and "mul" on
// subgraph 1 (p * q). The names of "add" sort the other way round from the
// subgraph's inputs (z_first is x, a_second is y), so TFLite's order and
// the subgraph's differ.
func twoSignatureModel(t *testing.T) []byte {
	t.Helper()
	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 4}, nil)
	y := b.Input("y", models.Float32, []int{1, 4}, nil)
	s := b.Tensor("s", models.Float32, []int{1, 4}, nil)
	for _, t := range []int{x, y, s} {
		b.SetShapeSignature(t, []int{-1, 4}) // signature runners resize only unknown dimensions
	}
	b.Op(ops.OpAdd, 1, []int{x, y}, []int{s}, build.Options{Type: build.OptAdd})
	b.Output(s)
	b.Signature("add", 0, []build.SigTensor{{Name: "z_first", Tensor: x}, {Name: "a_second", Tensor: y}}, []build.SigTensor{{Name: "sum", Tensor: s}})

	g := b.NewSubgraph("mul")
	p := g.Input("p", models.Float32, []int{2, 3}, nil)
	q := g.Input("q", models.Float32, []int{2, 3}, nil)
	r := g.Tensor("r", models.Float32, []int{2, 3}, nil)
	g.Op(ops.OpMul, 1, []int{p, q}, []int{r}, build.Options{Type: build.OptMul})
	g.Output(r)
	b.Signature("mul", 1, []build.SigTensor{{Name: "p", Tensor: p}, {Name: "q", Tensor: q}}, []build.SigTensor{{Name: "product", Tensor: r}})
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Signatures lists what the file holds, in TFLite's order, with the
// tensors' info as the pure-Go interpreter reports it.
func TestSignaturesList(t *testing.T) {
	requireLib(t)
	data := twoSignatureModel(t)
	c, err := Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sigs, err := c.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sigs {
		line := s.Key + ":"
		for _, in := range s.Inputs {
			line += " " + in.Name + "=" + in.Info.Name
		}
		line += " ->"
		for _, o := range s.Outputs {
			line += " " + o.Name + "=" + o.Info.Name
		}
		got = append(got, line)
	}
	want := []string{"add: a_second=y z_first=x -> sum=s", "mul: p=p q=q -> product=r"}
	if !slices.Equal(got, want) {
		t.Errorf("signatures\n got %q\nwant %q", got, want)
	}
	g, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gr, err := g.Signature("mul")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range sigs[1].Inputs {
		ci, gi := in.Info, gr.Inputs()[i]
		if ci.Index != -1 {
			t.Errorf("input %q: Index %d, want -1 (unknown through the C API)", in.Name, ci.Index)
		}
		ci.Index, gi.Index = 0, 0
		if !reflect.DeepEqual(ci, gi) {
			t.Errorf("mul input %d\nC  %+v\nGo %+v", i, ci, gi)
		}
	}
}

// Each signature's runner computes what the pure-Go interpreter's does,
// inputs matched by tensor name, with and without XNNPACK.
func TestSignatureMatchesPureGo(t *testing.T) {
	requireLib(t)
	data := twoSignatureModel(t)
	g, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, del := range []string{models.DelegateNone, models.DelegateXNNPack} {
		c, err := Load(data, models.Options{Delegate: del})
		if err != nil {
			t.Fatalf("%s: %v", del, err)
		}
		for _, key := range []string{"add", "mul"} {
			cr, err := c.Signature(key)
			if err != nil {
				t.Fatal(err)
			}
			gr, err := g.Signature(key)
			if err != nil {
				t.Fatal(err)
			}
			for i, info := range gr.Inputs() {
				fillRandom(gr.Input(i), info.DType, uint64(i)+7)
				k := slices.IndexFunc(cr.Inputs(), func(ci models.TensorInfo) bool { return ci.Name == info.Name })
				if k < 0 {
					t.Fatalf("%s %s: no C input %q", del, key, info.Name)
				}
				copy(cr.Input(k), gr.Input(i))
			}
			if err := gr.Invoke(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := cr.Invoke(context.Background()); err != nil {
				t.Fatalf("%s %s: %v", del, key, err)
			}
			cf, gf := models.Float32s(cr.Output(0)), models.Float32s(gr.Output(0))
			if len(cf) != len(gf) || len(cf) == 0 {
				t.Fatalf("%s %s: %d outputs from C, %d from Go", del, key, len(cf), len(gf))
			}
			for k := range gf {
				if math.Abs(float64(cf[k]-gf[k])) > 1e-6 {
					t.Errorf("%s %s: output[%d] C %g, Go %g", del, key, k, cf[k], gf[k])
				}
			}
		}
		c.Close()
	}
}

// Unknown keys are errors naming the key; a runner is made once per key
// and dies with its Model.
func TestSignatureLifecycle(t *testing.T) {
	requireLib(t)
	c, err := Load(twoSignatureModel(t), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Signature("serving_default"); err == nil || !strings.Contains(err.Error(), `"serving_default"`) {
		t.Errorf("unknown key: %v", err)
	}
	a, err := c.Signature("add")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Signature("add"); b != a {
		t.Error("a second Signature(\"add\") made another runner")
	}
	if a.Key() != "add" || a.Input(2) != nil || a.Output(-1) != nil {
		t.Error("Key or out-of-range tensors wrong")
	}
	c.Close()
	if err := a.Invoke(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v", err)
	}
	if a.Input(0) != nil || a.Output(0) != nil || a.Inputs() != nil {
		t.Error("tensors still handed out after Close")
	}
	if _, err := c.Signature("mul"); !errors.Is(err, ErrClosed) {
		t.Errorf("Signature after Close: %v", err)
	}
	if _, err := c.Signatures(); !errors.Is(err, ErrClosed) {
		t.Errorf("Signatures after Close: %v", err)
	}
}

// Resizing through the signature of subgraph 0 moves the model's tensors
// too: both must see the new buffers (no stale C pointers) and compute.
func TestSignatureResizeSharesSubgraph0(t *testing.T) {
	requireLib(t)
	c, err := Load(twoSignatureModel(t), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := c.Signature("add")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ResizeInput(0, []int{3, 4}); err != nil {
		t.Fatal(err)
	}
	if err := a.ResizeInput(1, []int{3, 4}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if len(a.Input(i)) != 48 || len(c.Input(i)) != 48 {
			t.Fatalf("input %d: signature %d bytes, model %d, want 48", i, len(a.Input(i)), len(c.Input(i)))
		}
		f := models.Float32s(a.Input(i))
		for k := range f {
			f[k] = float32(k * (i + 1))
		}
	}
	if err := a.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := models.Float32s(a.Output(0))
	if len(out) != 12 || out[5] != 15 {
		t.Errorf("sum %v, want 12 values with [5] = 15", out)
	}
	if !reflect.DeepEqual(a.Outputs()[0].Shape, []int{3, 4}) {
		t.Errorf("output shape %v", a.Outputs()[0].Shape)
	}
	if err := a.ResizeInput(0, []int{0}); err == nil || !strings.Contains(err.Error(), `signature "add"`) {
		t.Errorf("zero dimension: %v", err)
	}
	if err := a.ResizeInput(5, []int{1}); err == nil || !strings.Contains(err.Error(), "2 inputs") {
		t.Errorf("input 5: %v", err)
	}
}

func TestSignatureInvokeHonoursContext(t *testing.T) {
	requireLib(t)
	c, err := Load(twoSignatureModel(t), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := c.Signature("mul")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Invoke(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	for range 3 {
		if err := m.Invoke(ctx2); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoAllocationsPerSignatureInvoke(t *testing.T) {
	requireLib(t)
	for _, del := range []string{models.DelegateNone, models.DelegateXNNPack} {
		c, err := Load(twoSignatureModel(t), models.Options{Delegate: del})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		m, err := c.Signature("mul")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		n := testing.AllocsPerRun(50, func() {
			if err := m.Invoke(ctx); err != nil {
				t.Fatal(err)
			}
			_ = m.Input(0)
			_ = m.Output(0)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per signature Invoke, want 0", del, n)
		}
	}
}
