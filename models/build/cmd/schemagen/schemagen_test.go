package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestParseEnumForms covers the member spellings schema.fbs uses: spaces or
// none around '=', comments between and after members, "(deprecated)"
// markers, implicit values.
func TestParseEnumForms(t *testing.T) {
	src := `
// A list of builtin operators.
enum BuiltinOperator : int32 {
  ADD = 0,
  // NOTE: a comment between members, with = and , inside.
  AVERAGE_POOL_2D = 1, // trailing comment
  IMAG=133,
  REAL,
  REDUCE_WINDOW = 205 (deprecated),
  STABLEHLO_CASE = 209
}
enum Other : byte { X = 7 }
`
	got, err := parseEnum(src, "BuiltinOperator")
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{"ADD", 0}, {"AVERAGE_POOL_2D", 1}, {"IMAG", 133}, {"REAL", 134}, {"REDUCE_WINDOW", 205}, {"STABLEHLO_CASE", 209}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("parseEnum = %v, want %v", got, want)
	}
}

func TestParseErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"enum Foo { A = 1 }", "enum BuiltinOperator not found"},
		{"enum BuiltinOperator : int32 { A = 1, B = 1 }", "A and B both have value 1"},
		{"enum BuiltinOperator : int32 { A = x }", `member A: value "x"`},
		{"enum BuiltinOperator : int32 { 9A = 1 }", `bad member "9A = 1"`},
		{"enum BuiltinOperator : int32 { A = 1", "no closing brace"},
		{"union BuiltinOptions { }", "union BuiltinOptions is empty"},
	} {
		var err error
		if strings.HasPrefix(tc.src, "union") {
			_, err = parseUnion(tc.src, "BuiltinOptions")
		} else {
			_, err = parseEnum(tc.src, "BuiltinOperator")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestOpIdent(t *testing.T) {
	for in, want := range map[string]string{
		"AVERAGE_POOL_2D": "AveragePool2d", "RELU_N1_TO_1": "ReluN1To1", "RELU6": "Relu6",
		"TOPK_V2": "TopkV2", "STABLEHLO_RNG_BIT_GENERATOR": "StablehloRngBitGenerator",
	} {
		if got := opIdent(in); got != want {
			t.Errorf("opIdent(%s) = %s, want %s", in, got, want)
		}
	}
}

var (
	opConst  = regexp.MustCompile(`(?m)^\tOp(\w+)\s+Op = (\d+)$`)
	opName   = regexp.MustCompile(`(?m)^\tOp(\w+):\s+"(\w+)",$`)
	optConst = regexp.MustCompile(`(?m)^\tOpt\w+\s+OptionType = (\d+)\s+// (\w+)$`)
)

// TestCommittedFilesMatchGenerator rebuilds a schema from the committed
// generated files and checks that the generator writes them back byte for
// byte: a hand edit of a generated file, or a generator change that alters
// its output, fails here without needing TFLite's schema.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	opsPath := filepath.Join("..", "..", "..", "tflite", "ops", "opcodes.go")
	optPath := filepath.Join("..", "..", "options_gen.go")
	opsSrc, err := os.ReadFile(opsPath)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, m := range opName.FindAllStringSubmatch(string(opsSrc), -1) {
		names[m[1]] = m[2]
	}
	var schema strings.Builder
	schema.WriteString("enum BuiltinOperator : int32 {\n")
	for _, m := range opConst.FindAllStringSubmatch(string(opsSrc), -1) {
		n, ok := names[m[1]]
		if !ok {
			t.Fatalf("%s: Op%s has no entry in opNames", opsPath, m[1])
		}
		fmt.Fprintf(&schema, "  %s = %s,\n", n, m[2])
	}
	schema.WriteString("}\n\nunion BuiltinOptions {\n")
	optSrc, err := os.ReadFile(optPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range optConst.FindAllStringSubmatch(string(optSrc), -1) {
		if v, _ := strconv.Atoi(m[1]); v != i+1 {
			t.Fatalf("%s: %s has type id %d, want %d (union members are numbered in order)", optPath, m[2], v, i+1)
		}
		fmt.Fprintf(&schema, "  %s,\n", m[2])
	}
	schema.WriteString("}\n")
	fbs := filepath.Join(t.TempDir(), "schema.fbs")
	if err := os.WriteFile(fbs, []byte(schema.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for what, committed := range map[string][]byte{"ops": opsSrc, "options": optSrc} {
		out := filepath.Join(t.TempDir(), what+".go")
		if err := run(fbs, what, out); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(committed) {
			t.Errorf("generator output for %s differs from the committed file", what)
		}
	}
}
