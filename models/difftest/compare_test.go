package difftest

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	f := func(v ...float32) Tensor { return Tensor{DType: "float32", Shape: []int{len(v)}, Data: leBytes(v)} }
	i8 := func(v ...int8) Tensor { return Tensor{DType: "int8", Shape: []int{1, len(v)}, Data: leBytes(v)} }
	nan := float32FromBits(0x7fc00000)
	for _, tc := range []struct {
		name      string
		got, want Tensor
		err       string // "" means they agree
	}{
		{"int exact", i8(1, -2, 3), i8(1, -2, 3), ""},
		{"int one step", i8(1, -2, 3), i8(1, -1, 3), "1 of 3 elements differ; first at [0 1]: got -2, want -1"},
		{"float within", f(1, 2.00001, -3), f(1, 2, -3), ""},
		{"float outside", f(1, 2.001, -3), f(1, 2, -3), "1 of 3 values outside tolerance"},
		{"small value judged against peak", f(100, 5e-5), f(100, 0), ""},
		{"nan both", f(nan, 1), f(nan, 1), ""},
		{"nan one side", f(nan, 1), f(0, 1), "outside tolerance"},
		{"shape", f(1, 2), i8(1, 2), "output 0 is float32[2], want int8[1 2]"},
	} {
		err := Compare([]Tensor{tc.got}, []Tensor{tc.want}, 1e-5)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
	if err := Compare(nil, []Tensor{i8(1)}, 1e-5); err == nil {
		t.Error("missing output not reported")
	}
}

func float32FromBits(b uint32) float32 { return f32(leBytes([]int32{int32(b)}), 0) }

// TestKnownSteps checks a step-limited known disagreement covers one-step
// differences and nothing larger, and that unknown op/types are never
// covered.
func TestKnownSteps(t *testing.T) {
	i8 := func(v ...int8) []Tensor { return []Tensor{{DType: "int8", Shape: []int{len(v)}, Data: leBytes(v)}} }
	if _, ok := KnownOpType("CONV_2D", "int8", i8(1, 2), i8(1, 3)); !ok {
		t.Error("one step not covered")
	}
	if _, ok := KnownOpType("CONV_2D", "int8", i8(1, 2), i8(1, 4)); ok {
		t.Error("two steps covered")
	}
	if _, ok := KnownOpType("CONV_2D", "float32", i8(1, 2), i8(1, 3)); ok {
		t.Error("undocumented type covered")
	}
	if _, ok := KnownCase("batch_matmul_int8_0"); !ok {
		t.Error("documented case not found")
	}
}
