package difftest

import (
	"encoding/binary"

	"github.com/axle-edge/axle/models"
)

// Known is a documented disagreement (docs/difftest.md): TensorFlow Lite
// (2.14, builtin kernels, x86) is the outlier, or, when Open, it is not yet
// resolved. Tests skip it by name and say so; they never skip silently.
type Known struct {
	Op, Type string
	Why      string
	Open     bool // not yet resolved: axle may be the one that is wrong
	// Steps, when > 0, limits the disagreement the live tests tolerate:
	// integer outputs at most Steps codes apart; anything larger fails.
	Steps int64
	// Cases are the stored goldens that show it (TestGoldens skips them).
	Cases []string
}

var known = []Known{
	{Op: "BATCH_MATMUL", Type: "float32_adjx_bcast",
		Why:   "TFLite leaves every output batch after the first unwritten (zeros or stale memory) when adj_x is set and rhs is broadcast over the batch",
		Cases: []string{"batch_matmul_float32_adjx_bcast_0", "batch_matmul_float32_adjx_bcast_1", "batch_matmul_float32_adjx_bcast_2"}},
	{Op: "CONCATENATION", Type: "int16_rescale",
		Why:   "TFLite's int16 kernel copies codes and ignores differing input and output scales; axle rescales as the int8/uint8 kernels do",
		Cases: []string{"concatenation_int16_rescale_0", "concatenation_int16_rescale_1", "concatenation_int16_rescale_2"}},
	{Op: "DEPTHWISE_CONV_2D", Type: "hybrid",
		Why:   "TFLite's hybrid depthwise kernel gives different outputs for the same model and input within one process (it reads memory it did not write), values repeating across output pixels",
		Cases: []string{"depthwise_conv_2d_hybrid_0"}},
	{Op: "BATCH_MATMUL", Type: "int8",
		Why:   "TFLite's optimized int8 kernel is one step off the exactly rounded result in rare elements (element [1 3 1] of the case is -37.5046 exactly: axle gives -38, TFLite -37)",
		Steps: 1, Cases: []string{"batch_matmul_int8_0"}},
	{Op: "CONV_2D", Type: "int8",
		Why:   "on x86 TFLite sends int8 GEMMs to ruy, which rescales with one rounding ((x*M + 2^(s-1)) >> s); its reference kernels and gemmlowp on ARM round twice, as axle does, so near-ties differ by one step",
		Steps: 1},
	{Op: "FULLY_CONNECTED", Type: "int8",
		Why:   "as CONV_2D int8: x86 TFLite rescales int8 GEMM results with ruy's single rounding",
		Steps: 1},
	{Op: "chain_conv_pool_fc_softmax", Type: "int8",
		Why:   "inherits the one-step CONV_2D/FULLY_CONNECTED int8 rounding difference, which SOFTMAX can widen",
		Steps: 8},
	{Op: "chain_dw_add_mean_fc_logistic", Type: "int8",
		Why:   "inherits the one-step FULLY_CONNECTED int8 rounding difference, which LOGISTIC can widen",
		Steps: 8},
	{Op: "EXP", Type: "int8",
		Why: "TFLite builds its int8 lookup table with static_cast<int32_t> of a float that can exceed int32 (undefined; INT32_MIN on x86), so very large results come out as -128 where axle saturates to 127"},
	{Op: "EQUAL", Type: "int16", Why: int16CompareWhy},
	{Op: "NOT_EQUAL", Type: "int16", Why: int16CompareWhy},
	{Op: "GREATER", Type: "int16", Why: int16CompareWhy},
	{Op: "GREATER_EQUAL", Type: "int16", Why: int16CompareWhy},
	{Op: "LESS", Type: "int16", Why: int16CompareWhy},
	{Op: "LESS_EQUAL", Type: "int16", Why: int16CompareWhy},
	{Op: "REDUCE_PROD", Type: "int8_size1", Why: prodSize1Why,
		Cases: []string{"reduce_prod_int8_size1_0", "reduce_prod_int8_size1_2"}},
	{Op: "REDUCE_PROD", Type: "int16_size1", Why: prodSize1Why,
		Cases: []string{"reduce_prod_int16_size1_0"}},
	{Op: "EMBEDDING_LOOKUP", Type: "hybrid_perrow",
		Why:   "TFLite 2.14's hybrid lookup reads only the tensor-wide legacy scale, which is 0 for a table quantized per row, so every value comes out 0; later TFLite and axle scale each row by its own scale",
		Cases: []string{"embedding_lookup_hybrid_perrow_0", "embedding_lookup_hybrid_perrow_2"}},
	{Op: "CONV_3D", Type: "float32_dilated",
		Why:   "TFLite's optimized CONV_3D gathers dilated windows with DilatedIm2col3D, which copies input_depth (the spatial depth) values per window position instead of input_channels: wrong or uninitialized values whenever the two differ",
		Cases: []string{"conv_3d_float32_dilated_s1013"}},
	{Op: "CONV_3D_TRANSPOSE", Type: "float32_same",
		Why:   "TFLite's optimized CONV_3D_TRANSPOSE sets the depth axis' trailing padding from the height padding (padding_values.height + depth_offset), so with SAME padding whenever the two differ its col2im walks the wrong number of planes",
		Cases: []string{"conv_3d_transpose_float32_same_s1000"}},
	{Op: "DIV", Type: "uint8",
		Why: "when the dividend is a few codes from its zero point TFLite's fixed-point quotient overflows (its shift exceeds 31 bits): seeds 1007, 1008, 1014, 1016 are exactly 104.09, 79.80, 106.04, 179.09 in output codes; axle gives 104, 80, 106, 179, TFLite 255, 61, 255, 255"},
}

// prodSize1Why: TFLite's optimized quantized product drops size-1
// dimensions, so a reduction over only size-1 axes has no axis left, and
// Reduce then reads axis[num_axis-1] at index -1 to pick the reduced parity.
const prodSize1Why = "when every reduced axis has size 1, TFLite's quantized REDUCE_PROD (int8/int16) reads its resolved-axis list at index -1 and reduces whatever that garbage selects (output saturated or left at the zero point); the exact result, which axle gives, is the input requantized"

const int16CompareWhy = "TFLite compares int16 codes as they are, ignoring differing input scales; axle compares the real values as it does for int8 and uint8"

// Knowns lists the documented disagreements.
func Knowns() []Known { return known }

// KnownOpType reports whether a disagreement of op/typ between got and
// want is documented; the live differential tests log rather than fail it.
func KnownOpType(op, typ string, got, want []Tensor) (string, bool) {
	for _, k := range known {
		if k.Op != op || k.Type != typ {
			continue
		}
		if k.Steps > 0 && (got == nil || maxSteps(got, want) > k.Steps) {
			return "", false
		}
		return k.Why, true
	}
	return "", false
}

// maxSteps is the largest code difference between integer outputs of the
// same dtype and size (a huge value when they do not match up).
func maxSteps(got, want []Tensor) int64 {
	const mismatch = 1 << 62
	if len(got) != len(want) {
		return mismatch
	}
	worst := int64(0)
	for i := range want {
		g, w := got[i], want[i]
		if g.DType != w.DType || len(g.Data) != len(w.Data) {
			return mismatch
		}
		dt, err := models.ParseDType(w.DType)
		if err != nil {
			return mismatch
		}
		for k := 0; k < len(w.Data)/max(dt.Size(), 1); k++ {
			a, okA := intElem(dt, g.Data, k)
			b, okB := intElem(dt, w.Data, k)
			if !okA || !okB {
				return mismatch
			}
			worst = max(worst, a-b, b-a)
		}
	}
	return worst
}

func intElem(dt models.DType, b []byte, k int) (int64, bool) {
	switch dt {
	case models.Int8:
		return int64(int8(b[k])), true
	case models.UInt8:
		return int64(b[k]), true
	case models.Int16:
		return int64(int16(binary.LittleEndian.Uint16(b[2*k:]))), true
	case models.Int32:
		return int64(int32(binary.LittleEndian.Uint32(b[4*k:]))), true
	}
	return 0, false
}

// KnownCase reports whether the stored case name is a documented
// disagreement.
func KnownCase(name string) (string, bool) {
	for _, k := range known {
		for _, c := range k.Cases {
			if c == name {
				return k.Why, true
			}
		}
	}
	return "", false
}
