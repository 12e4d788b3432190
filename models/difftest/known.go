package difftest

// known lists disagreements where TFLite is the outlier, by op and type,
// with the reason; docs/difftest.md describes each with its case. Tests
// skip these by name and say so.
var known = map[string]string{}

// KnownOpType reports whether op/typ has a documented disagreement.
func KnownOpType(op, typ string) (string, bool) {
	why, ok := known[op+" "+typ]
	return why, ok
}
