package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const optsSchema = `
enum TensorType : byte { FLOAT32 = 0, FLOAT16 = 1, INT32 = 2 }
enum BuiltinOperator : int32 {
  CONV_2D = 3,
  MAX_POOL_2D = 17,
  RELU = 19,
  RESHAPE = 22,
  REDUCE_WINDOW = 205,
}
enum Padding : byte { SAME, VALID }
enum ActivationFunctionType : byte {
  NONE = 0,
  RELU = 1,
}
union BuiltinOptions {
  Conv2DOptions,
  Pool2DOptions,
  ReshapeOptions,
}
table Conv2DOptions {
  padding:Padding;
  stride_w:int;
  old_field: int (deprecated);
  fused_activation_function:ActivationFunctionType = RELU;
  dilation_w_factor:int = 1;  // a comment
  // Parameters for version 8.
  quantized_bias_type: TensorType = INT32;
}
table Pool2DOptions {
  filter_width:int;
  scale: float = 0.5;
  exact: bool = true;
}
table ReshapeOptions {
  new_shape:[int];
}
union BuiltinOptions2 {
  StablehloPadOptions,
  ReduceWindowOptions (deprecated),
}
enum ReduceWindowFunction : int { UNSUPPORTED, ADD }
enum StablehloPrecisionConfig : uint { DEFAULT, HIGH }
table StablehloPadOptions {
  edge_padding_low : [long];
  precision : [StablehloPrecisionConfig];
  mask : [bool];
  attrs : [ubyte];
}
table ReduceWindowOptions (deprecated) {
  reduce_function: ReduceWindowFunction;
}
`

// TestOptsFile generates from a small schema and checks the pieces that
// carry meaning: fields by slot (a deprecated field keeps its slot but
// leaves the struct), defaults (enum members resolved), named enum types,
// vectors, the method for fused activations, and the operator table with
// its name-derived and listed pairs.
func TestOptsFile(t *testing.T) {
	code, err := genOpts(optsSchema)
	if err != nil {
		t.Fatal(err)
	}
	src := string(code)
	for _, want := range []string{
		"Padding int8",
		"FusedActivationFunction Activation",
		"Padding: t.Int8(0, 0),",
		"StrideW: t.Int32(1, 0),",
		"FusedActivationFunction: Activation(t.Int8(3, 1)),",
		"DilationWFactor: t.Int32(4, 1),",
		"QuantizedBiasType: t.Int8(5, 2),",
		"Scale: t.Float32(1, 0.5),",
		"Exact: t.Bool(2, true),",
		`if o.NewShape, err = optInt32s(t, 0, d, "new_shape"); err != nil {`,
		"func (o *Conv2DOptions) FusedActivation() Activation",
		"1: {\"Conv2DOptions\", decodeConv2DOptions},",
		"OpConv2d: 1,",
		"OpMaxPool2d: 2,",
		"OpReshape: 3,",
		`if o.EdgePaddingLow, err = optInt64s(t, 0, d, "edge_padding_low"); err != nil {`,
		`if o.Precision, err = optUint32s(t, 1, d, "precision"); err != nil {`,
		`if o.Mask, err = optBools(t, 2, d, "mask"); err != nil {`,
		`if o.Attrs, err = optBytes(t, 3, d, "attrs"); err != nil {`,
		"ReduceFunction: t.Int32(0, 0),",
		"2: {\"ReduceWindowOptions\", decodeReduceWindowOptions},",
		"var opOptions2 = map[Op]uint8{",
		"OpReduceWindow: 2,",
	} {
		if !strings.Contains(squashSpaces(src), squashSpaces(want)) {
			t.Errorf("generated code lacks %q", want)
		}
	}
	for _, bad := range []string{"OldField", "OpRelu:", "func (o *Pool2DOptions) FusedActivation"} {
		if strings.Contains(src, bad) {
			t.Errorf("generated code has %q", bad)
		}
	}
}

func squashSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestOptsErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"stride_w:int;", "stride_w:double;", "table Conv2DOptions: field stride_w: type double is not supported"},
		{"= RELU;", "= SIGMOID;", "field fused_activation_function: default SIGMOID is not a member of enum ActivationFunctionType"},
		{"new_shape:[int];", "new_shape:[Tensor];", "field new_shape: vectors of Tensor are not supported"},
		{"stride_w:int;", "stride_w int;", `table Conv2DOptions: bad field "stride_w int"`},
		{"  Pool2DOptions,\n", "  Pool2DOptions,\n  MissingOptions,\n", "table MissingOptions not found"},
		{"table Pool2DOptions", "table PoolOptions", "table Pool2DOptions not found"},
	} {
		src := strings.Replace(optsSchema, tc.from, tc.to, 1)
		if src == optsSchema {
			t.Fatalf("%q is not in the test schema", tc.from)
		}
		_, err := genOpts(src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: err = %v, want it to contain %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// TestCommittedOptsMatchSchema regenerates models/tflite/ops/options_gen.go
// from the schema TFLITE_SCHEMA names and compares it with the committed
// file byte for byte. The schema is not part of this repository; without
// it only the small-schema tests above run.
func TestCommittedOptsMatchSchema(t *testing.T) {
	schema := os.Getenv("TFLITE_SCHEMA")
	if schema == "" {
		t.Skip("TFLITE_SCHEMA is not set")
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "tflite", "ops", "options_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "options_gen.go")
	if err := run(schema, "opts", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(committed) {
		t.Errorf("generator output from %s differs from the committed options_gen.go: run make generate", schema)
	}
}
