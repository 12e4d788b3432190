package build_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// recorder is a kernel that copies nothing and remembers the nodes it was
// prepared with, so the test can read back what the writer stored.
type recorder struct{ nodes []*ops.Node }

func (r *recorder) kernel() *ops.Kernel {
	return &ops.Kernel{
		MaxVersion: 9,
		Prepare: func(c ops.Context, n *ops.Node) error {
			r.nodes = append(r.nodes, n)
			return nil
		},
		Eval: func(c ops.Context, n *ops.Node) error { return nil },
	}
}

func sample(external bool) *build.Builder {
	b := build.New()
	b.SetExternalBuffers(external)
	in := b.Input("x", models.Int8, []int{1, 4}, &models.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{-3}})
	w := b.Const("w", models.Int8, []int{3, 4}, []int8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -128},
		&models.Quant{Scale: []float32{0.1, 0.2, 0.3}, ZeroPoint: []int64{0, 0, 0}, Axis: 0})
	bias := b.Const("b", models.Int32, []int{3}, []int32{-1, 0, 1 << 30}, nil)
	y := b.Tensor("y", models.Int8, []int{1, 3}, &models.Quant{Scale: []float32{0.25}, ZeroPoint: []int64{127}})
	b.Op(ops.OpFullyConnected, 4, []int{in, w, bias}, []int{y}, build.Options{
		Type: build.OptFullyConnected,
		Fields: []build.Field{
			{Slot: 0, Value: int8(ops.ActRelu)},
			{Slot: 2, Value: true},
		},
	})
	z := b.Tensor("z", models.Int8, []int{1, 3}, nil)
	b.CustomOp("MyCustom", 1, []int{y, -1}, []int{z}, []byte{1, 2, 3})
	b.Output(z)

	body := b.NewSubgraph("body")
	bi := body.Input("i", models.Int32, []int{}, nil)
	bv := body.Variable("state", models.Float32, []int{2}, []float32{1.5, -2}, nil)
	bo := body.Tensor("o", models.Int32, []int{}, nil)
	body.Op(ops.OpReshape, 1, []int{bi, bv}, []int{bo}, build.Options{Type: build.OptReshape, Fields: []build.Field{{Slot: 0, Value: []int32{-1, 7}}}})
	body.Output(bo)
	b.Signature("serve", 1, []build.SigTensor{{Name: "in", Tensor: bi}}, []build.SigTensor{{Name: "out", Tensor: bo}})
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, external := range []bool{false, true} {
		data, err := sample(external).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		res := &ops.Resolver{
			Builtin: map[ops.Op]*ops.Kernel{ops.OpFullyConnected: rec.kernel(), ops.OpReshape: rec.kernel()},
			Custom:  map[string]*ops.Kernel{"MyCustom": rec.kernel()},
		}
		it, err := tflite.LoadWithResolver(data, models.Options{}, res)
		if err != nil {
			t.Fatalf("external=%v: %v", external, err)
		}
		if len(rec.nodes) != 2 {
			t.Fatalf("prepared %d nodes of subgraph 0, want 2", len(rec.nodes))
		}
		fc := rec.nodes[0]
		if fc.Op != ops.OpFullyConnected || fc.Version != 4 || fc.Index != 0 {
			t.Errorf("node 0 = %s v%d #%d", fc.Op, fc.Version, fc.Index)
		}
		fo, ok := fc.Opts.(*ops.FullyConnectedOptions)
		if !ok || !fc.OptsPresent {
			t.Fatalf("fully connected options %T (present %v)", fc.Opts, fc.OptsPresent)
		}
		if fo.FusedActivationFunction != ops.ActRelu {
			t.Errorf("fused activation %d, want RELU", fo.FusedActivationFunction)
		}
		if !fo.KeepNumDims || fo.AsymmetricQuantizeInputs {
			t.Errorf("keep_num_dims/asymmetric fields read wrong: %+v", *fo)
		}
		cu := rec.nodes[1]
		if cu.Op != ops.OpCustom || cu.Custom != "MyCustom" || !bytes.Equal(cu.CustomOptions, []byte{1, 2, 3}) {
			t.Errorf("custom node = %q %v", cu.Custom, cu.CustomOptions)
		}
		if len(cu.Inputs) != 2 || cu.Inputs[1] != -1 {
			t.Errorf("custom inputs %v, want an omitted second input", cu.Inputs)
		}

		in := it.Inputs()
		if len(in) != 1 || in[0].Name != "x" || in[0].DType != models.Int8 || in[0].Bytes != 4 ||
			in[0].Quant == nil || in[0].Quant.Scale[0] != 0.5 || in[0].Quant.ZeroPoint[0] != -3 {
			t.Errorf("input info %+v", in)
		}
		if out := it.Outputs(); len(out) != 1 || out[0].Name != "z" || out[0].Quant != nil {
			t.Errorf("output info %+v", out)
		}
		if it.NumSubgraphs() != 2 {
			t.Errorf("%d subgraphs", it.NumSubgraphs())
		}
		sig := it.Signatures()
		if len(sig) != 1 || sig[0].Key != "serve" || sig[0].Subgraph != 1 || sig[0].Inputs[0].Name != "in" || sig[0].Outputs[0].Tensor != 2 {
			t.Errorf("signatures %+v", sig)
		}
		r, err := it.Signature("serve")
		if err != nil {
			t.Fatal(err)
		}
		reshape := rec.nodes[2]
		if ro, ok := reshape.Opts.(*ops.ReshapeOptions); !ok || len(ro.NewShape) != 2 || ro.NewShape[0] != -1 || ro.NewShape[1] != 7 {
			t.Errorf("reshape options %#v", reshape.Opts)
		}
		if err := r.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		ops := it.Ops()
		if len(ops) != 3 || ops[2].Subgraph != 1 || ops[2].Name != "RESHAPE" || ops[1].Name != "MyCustom" {
			t.Errorf("ops %+v", ops)
		}
		it.Close()
	}
}

func TestConstDataAndVariables(t *testing.T) {
	b := build.New()
	in := b.Input("x", models.Float32, []int{2}, nil)
	c := b.Const("c", models.Float32, []int{2}, []float32{1.25, -3}, nil)
	v := b.Variable("v", models.Float32, []int{2}, []float32{7, 8}, nil)
	out := b.Tensor("out", models.Float32, []int{2}, nil)
	b.CustomOp("PEEK", 1, []int{in, c, v}, []int{out}, nil)
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var seen [][]float32
	k := &ops.Kernel{MaxVersion: 1,
		Prepare: func(ctx ops.Context, n *ops.Node) error {
			cst, vr := ctx.Input(n, 1), ctx.Input(n, 2)
			if !cst.Const || cst.Variable || vr.Const || !vr.Variable {
				t.Errorf("flags: const %v/%v variable %v/%v", cst.Const, cst.Variable, vr.Const, vr.Variable)
			}
			seen = append(seen, append([]float32(nil), cst.F32()...), append([]float32(nil), vr.F32()...))
			return nil
		},
		Eval: func(ops.Context, *ops.Node) error { return nil },
	}
	if _, err := tflite.LoadWithResolver(data, models.Options{}, &ops.Resolver{Custom: map[string]*ops.Kernel{"PEEK": k}}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0][0] != 1.25 || seen[0][1] != -3 || seen[1][0] != 7 || seen[1][1] != 8 {
		t.Errorf("data %v", seen)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := sample(false).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, err := sample(false).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("same calls gave different bytes")
	}
	if string(a[4:8]) != "TFL3" {
		t.Errorf("identifier %q", a[4:8])
	}
}

func TestBuildErrors(t *testing.T) {
	cases := []struct {
		name string
		f    func(b *build.Builder)
		want string
	}{
		{"length", func(b *build.Builder) { b.Const("w", models.Float32, []int{2, 2}, []float32{1, 2, 3}, nil) }, `constant "w": 3 values for shape [2 2]`},
		{"type", func(b *build.Builder) { b.Const("w", models.Int8, []int{1}, []float32{1}, nil) }, "[]float32 data for a int8 tensor"},
		{"dtype", func(b *build.Builder) { b.Tensor("t", models.Unknown, []int{1}, nil) }, "dtype unknown"},
		{"slot", func(b *build.Builder) {
			b.Op(ops.OpAdd, 1, nil, nil, build.Options{Type: build.OptAdd, Fields: []build.Field{{Slot: 0, Value: 1}}})
		}, "int and uint have no fixed width"},
		{"twice", func(b *build.Builder) {
			b.Op(ops.OpAdd, 1, nil, nil, build.Options{Type: build.OptAdd, Fields: []build.Field{{Slot: 0, Value: int8(1)}, {Slot: 0, Value: int8(1)}}})
		}, "given twice"},
		{"zeropoints", func(b *build.Builder) {
			b.Tensor("q", models.Int8, []int{2}, &models.Quant{Scale: []float32{1, 2}, ZeroPoint: []int64{0}})
		}, "2 scales but 1 zero points"},
	}
	for _, c := range cases {
		b := build.New()
		c.f(b)
		_, err := b.Bytes()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
