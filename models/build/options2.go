package build

import "fmt"

// Option2Type is a type id of the schema's BuiltinOptions2 union, where
// the StableHLO operators keep their options.
type Option2Type uint8

// BuiltinOptions2 members used by axle's tests (the union's order in
// schema.fbs).
const (
	Opt2StablehloScatter         Option2Type = 7
	Opt2StablehloPad             Option2Type = 10
	Opt2StablehloReduceWindow    Option2Type = 13
	Opt2StablehloGather          Option2Type = 16
	Opt2StablehloRngBitGenerator Option2Type = 19
	Opt2ReduceWindow             Option2Type = 20 // TFLite's REDUCE_WINDOW, not StableHLO's
	Opt2StableHLOComposite       Option2Type = 21
	Opt2StablehloCase            Option2Type = 23
)

// SetOptions2 gives operator op a builtin_options_2 table of type typ,
// the way converters write the options of StableHLO operators and of
// REDUCE_WINDOW.
func (s *Subgraph) SetOptions2(op int, typ Option2Type, fields []Field) {
	if op < 0 || op >= len(s.operators) {
		s.b.fail(fmt.Errorf("build: options_2 for operator %d: no such operator", op))
		return
	}
	t, err := optionsTable(fields)
	if err != nil {
		s.b.fail(fmt.Errorf("build: operator %d options_2: %w", op, err))
		return
	}
	s.operators[op].options2, s.operators[op].options2Type = t, typ
}
