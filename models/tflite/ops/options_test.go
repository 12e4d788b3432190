package ops_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestOptionsTypeOfEveryBuiltin checks the operator -> options table for
// every kernel in the binary: the operators whose table is not named after
// them are spelled out, every other one takes the table of its own name or
// none, and the decoded defaults have that table's Go type.
func TestOptionsTypeOfEveryBuiltin(t *testing.T) {
	want := map[ops.Op]string{
		ops.OpConv2d: "Conv2DOptions", ops.OpDepthwiseConv2d: "DepthwiseConv2DOptions",
		ops.OpTransposeConv: "TransposeConvOptions", ops.OpFullyConnected: "FullyConnectedOptions",
		ops.OpAveragePool2d: "Pool2DOptions", ops.OpMaxPool2d: "Pool2DOptions",
		ops.OpMean: "ReducerOptions", ops.OpSum: "ReducerOptions", ops.OpReduceMax: "ReducerOptions",
		ops.OpReduceMin: "ReducerOptions",
		ops.OpMaximum:   "MaximumMinimumOptions", ops.OpMinimum: "MaximumMinimumOptions",
		ops.OpL2Normalization: "L2NormOptions", ops.OpLstm: "LSTMOptions",
		ops.OpUnidirectionalSequenceLstm: "UnidirectionalSequenceLSTMOptions",
		ops.OpUnidirectionalSequenceRnn:  "SequenceRNNOptions",
		ops.OpL2Pool2d:                   "Pool2DOptions", ops.OpReduceProd: "ReducerOptions",
		ops.OpReduceAny: "ReducerOptions", ops.OpReduceAll: "ReducerOptions",
		ops.OpConv3dTranspose: "Conv3DOptions", ops.OpRandomStandardNormal: "RandomOptions",
		ops.OpRandomUniform: "RandomOptions", ops.OpMultinomial: "RandomOptions",
		ops.OpBatchMatmul: "BatchMatMulOptions", ops.OpTopkV2: "TopKV2Options",
		ops.OpSpaceToBatchNd: "SpaceToBatchNDOptions", ops.OpPadv2: "PadV2Options",
		ops.OpSoftmax: "SoftmaxOptions", ops.OpSvdf: "SVDFOptions", ops.OpSplitV: "SplitVOptions",
		ops.OpIf: "IfOptions", ops.OpWhile: "WhileOptions", ops.OpCallOnce: "CallOnceOptions",
		ops.OpRelu: "NONE", ops.OpLogistic: "NONE", ops.OpTanh: "NONE", ops.OpFloor: "NONE",
		// builtin_options_2
		ops.OpStablehloComposite: "StableHLOCompositeOptions", ops.OpReduceWindow: "ReduceWindowOptions",
		ops.OpStablehloScatter: "StablehloScatterOptions",
	}
	union2 := map[ops.Op]bool{ops.OpReduceWindow: true, ops.OpDilate: true}
	r := ops.Builtins()
	for op := range want {
		if r.Builtin[op] == nil {
			t.Errorf("%s is listed here but has no kernel", op)
		}
	}
	squash := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, op := range slices.Sorted(maps.Keys(r.Builtin)) {
		union, id, name := ops.OptionsType(op)
		if w, ok := want[op]; ok && name != w {
			t.Errorf("%s takes %s, want %s", op, name, w)
		}
		if wantUnion := 1 + btoi(strings.HasPrefix(op.String(), "STABLEHLO_") || union2[op]); id != 0 && union != wantUnion {
			t.Errorf("%s takes options from union %d, want %d", op, union, wantUnion)
		}
		if id == 0 {
			if name != "NONE" || union != 0 {
				t.Errorf("%s: type id 0 is named %q in union %d", op, name, union)
			}
			if o, present, err := ops.DecodeOptions(op, ops.RawOptions{}, nil); o != nil || present || err != nil {
				t.Errorf("%s has no options type but decodes to %v, %v, %v", op, o, present, err)
			}
			continue
		}
		if _, listed := want[op]; !listed && squash(strings.TrimSuffix(name, "Options")) != squash(op.String()) {
			t.Errorf("%s takes %s, which is not named after it: list it in want", op, name)
		}
		o, present, err := ops.DecodeOptions(op, ops.RawOptions{}, nil)
		if err != nil || present {
			t.Fatalf("%s: defaults: %v (present %v)", op, err, present)
		}
		if got := reflect.TypeOf(o); got.Kind() != reflect.Pointer || got.Elem().Name() != name {
			t.Errorf("%s decodes to %v, want *ops.%s", op, got, name)
		}
	}
}

// TestOptionsDefaults: an absent table (or field) reads as the schema's
// defaults, including the non-zero ones.
func TestOptionsDefaults(t *testing.T) {
	decode := func(op ops.Op) any {
		o, _, err := ops.DecodeOptions(op, ops.RawOptions{}, nil)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return o
	}
	if o := decode(ops.OpConv2d).(*ops.Conv2DOptions); o.DilationWFactor != 1 || o.DilationHFactor != 1 || o.StrideW != 0 {
		t.Errorf("Conv2DOptions defaults %+v, want dilations 1 and strides 0", *o)
	}
	if o := decode(ops.OpAdd).(*ops.AddOptions); !o.PotScaleInt16 {
		t.Errorf("AddOptions.PotScaleInt16 defaults to false, the schema says true")
	}
	if o := decode(ops.OpFullyConnected).(*ops.FullyConnectedOptions); o.FusedActivationFunction != ops.ActNone || o.KeepNumDims {
		t.Errorf("FullyConnectedOptions defaults %+v", *o)
	}
	if o := decode(ops.OpStablehloGather).(*ops.StablehloGatherOptions); o.OffsetDims != nil || o.IndexVectorDim != 0 {
		t.Errorf("StablehloGatherOptions defaults %+v", *o)
	}
}

// optModel is one operator with a float input and output and the given
// options; its shapes do not matter to the options check, which runs
// while the model is read.
func optModel(t *testing.T, op ops.Op, opt build.Options) []byte {
	return optModel2(t, op, opt, 0, nil)
}

// optModel2 is optModel with a builtin_options_2 table of type typ2 as
// well, unless typ2 is 0.
func optModel2(t *testing.T, op ops.Op, opt build.Options, typ2 build.Option2Type, fields2 []build.Field) []byte {
	t.Helper()
	b := build.New()
	in := b.Input("in", models.Float32, []int{1, 1, 1, 1}, nil)
	out := b.Tensor("out", models.Float32, []int{1, 1, 1, 1}, nil)
	o := b.Op(op, 1, []int{in}, []int{out}, opt)
	if typ2 != 0 {
		b.SetOptions2(o, typ2, fields2)
	}
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestWrongOptionsTypeFailsToLoad gives every operator that has options a
// table of another type: the load fails naming node, operator and both
// types. With its own type, or without a table, the options are no
// reason to fail (and no kernel trips over them).
func TestWrongOptionsTypeFailsToLoad(t *testing.T) {
	r := ops.Builtins()
	checked := 0
	for op := range r.Builtin {
		union, id, name := ops.OptionsType(op)
		if id == 0 {
			continue
		}
		var model, right []byte
		var wrong string
		one := []build.Field{{Slot: 0, Value: int32(1)}}
		if union == 1 {
			other := build.OptPool2D
			if id == uint8(other) {
				other = build.OptConv2D
			}
			wrong = ops.OptionsTypeName(1, uint8(other))
			model = optModel(t, op, build.Options{Type: other, Fields: one})
			right = optModel(t, op, build.Options{Type: build.OptionType(id), Fields: []build.Field{}})
		} else {
			other := build.Opt2StablehloPad
			if id == uint8(other) {
				other = build.Opt2StablehloCase
			}
			wrong = ops.OptionsTypeName(2, uint8(other))
			// A builtin_options table of the right id in the wrong union does not count.
			model = optModel2(t, op, build.Options{Type: build.OptionType(id), Fields: one}, other, one)
			right = optModel2(t, op, build.Options{}, build.Option2Type(id), []build.Field{})
		}
		_, err := tflite.Load(model, models.Options{})
		if err == nil {
			t.Errorf("%s with %s loaded", op, wrong)
			continue
		}
		for _, s := range []string{"node 0", op.String(), wrong, name} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s with %s: error %q does not name %q", op, wrong, err, s)
			}
		}
		for _, m := range [][]byte{right, optModel(t, op, build.Options{})} {
			it, err := tflite.Load(m, models.Options{})
			if err == nil {
				it.Close()
			} else if strings.Contains(err.Error(), "builtin options") || errors.Is(err, tflite.ErrInternal) {
				t.Errorf("%s with its own options or none: %v", op, err)
			}
		}
		checked++
	}
	if checked < 50 {
		t.Errorf("only %d operators with options checked", checked)
	}
	// An unknown type id is named as such.
	_, err := tflite.Load(optModel(t, ops.OpConv2d, build.Options{Type: 250, Fields: []build.Field{{Slot: 1, Value: int32(1)}}}), models.Options{})
	if err == nil || !strings.Contains(err.Error(), "unknown options type 250") {
		t.Errorf("CONV_2D with options type 250: %v", err)
	}
	// Like TFLite, an operator without options ignores a table.
	it, err := tflite.Load(optModel(t, ops.OpRelu, build.Options{Type: build.OptConv2D, Fields: []build.Field{{Slot: 1, Value: int32(1)}}}), models.Options{})
	if err != nil {
		t.Errorf("RELU with Conv2DOptions: %v", err)
	} else {
		it.Close()
	}
}

// TestOptionVectorsCountAgainstTheLimit: a RESHAPE whose new_shape holds a
// million entries fails under a limit its decoded copy would exceed,
// naming the field.
func TestOptionVectorsCountAgainstTheLimit(t *testing.T) {
	shape := make([]int32, 1<<20)
	data := optModel(t, ops.OpReshape, build.Options{Type: build.OptReshape, Fields: []build.Field{{Slot: 0, Value: shape}}})
	_, err := tflite.Load(data, models.Options{MaxBytes: int64(len(data)) + 1<<20})
	if err == nil || !strings.Contains(err.Error(), `"new_shape"`) {
		t.Fatalf("Load = %v, want an error naming new_shape", err)
	}
}
