package difftest

// Known is a disagreement where TensorFlow Lite (2.14, builtin kernels) is
// the outlier, documented in docs/difftest.md. Tests skip it by name and
// say so; they never skip anything silently.
type Known struct {
	Op, Type string
	Why      string
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
		Cases: []string{"batch_matmul_int8_0"}},
}

// Knowns lists the documented disagreements.
func Knowns() []Known { return known }

// KnownOpType reports whether op/typ has a documented disagreement; the
// live differential tests log rather than fail its disagreements.
func KnownOpType(op, typ string) (string, bool) {
	for _, k := range known {
		if k.Op == op && k.Type == typ {
			return k.Why, true
		}
	}
	return "", false
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
