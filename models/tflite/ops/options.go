package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// options_gen.go holds one struct and decoder per table of the schema's
// BuiltinOptions and BuiltinOptions2 unions and, per union, the operator ->
// options type table; TFLITE_SCHEMA names a copy of TFLite's schema.fbs
// (see models/build/cmd/schemagen).
//go:generate go run ../../build/cmd/schemagen -what opts -out options_gen.go

// optDecoder charges the bytes an options vector is about to take against
// the model's memory limit.
type optDecoder func(bytes int64, what string) error

// optionType is one member of an options union.
type optionType struct {
	name   string
	decode func(t flatbuf.Table, d optDecoder) (any, error)
}

// OptionsType is where an operator's options live: union 1 is the
// operator's builtin_options, union 2 its builtin_options_2 (the StableHLO
// operators and REDUCE_WINDOW), 0 when it takes none; id is the type id in
// that union and name the table's, e.g. 1, 5, "Pool2DOptions" for
// MAX_POOL_2D.
func OptionsType(op Op) (union int, id uint8, name string) {
	if id, ok := opOptions[op]; ok {
		return 1, id, OptionsTypeName(1, id)
	}
	if id, ok := opOptions2[op]; ok {
		return 2, id, OptionsTypeName(2, id)
	}
	return 0, 0, "NONE"
}

// OptionsTypeName names type id of options union 1 or 2: "Conv2DOptions",
// "NONE" for 0, "unknown options type N" outside the union.
func OptionsTypeName(union int, id uint8) string {
	types := optionTypes[:]
	if union == 2 {
		types = optionTypes2[:]
	}
	if id == 0 {
		return "NONE"
	}
	if int(id) >= len(types) || types[id].decode == nil {
		return fmt.Sprintf("unknown options type %d", id)
	}
	return types[id].name
}

// RawOptions is what a model gives an operator: the type and table of its
// builtin_options and of its builtin_options_2.
type RawOptions struct {
	Type   uint8
	Table  flatbuf.Table
	Type2  uint8
	Table2 flatbuf.Table
}

// DecodeOptions turns a node's options table into the typed struct its
// kernel reads from Node.Opts (*Conv2DOptions for CONV_2D, ...): nil for
// operators without options; the schema defaults when the table is
// absent (present says whether it was there). The table is read from the
// union the operator's options belong to; one of another type than the
// operator's is an error naming both, and the other union is ignored, as
// TFLite does. charge counts the bytes of vector fields against the
// model's memory limit.
func DecodeOptions(op Op, raw RawOptions, charge func(bytes int64, what string) error) (opts any, present bool, err error) {
	union, want, _ := OptionsType(op)
	typ, t, types, field := raw.Type, raw.Table, optionTypes[:], "builtin options"
	switch union {
	case 0:
		// Like TFLite, an operator without options ignores any table.
		return nil, false, nil
	case 2:
		typ, t, types, field = raw.Type2, raw.Table2, optionTypes2[:], "builtin options 2"
	}
	if t.Present() && typ != want {
		return nil, false, fmt.Errorf("%s are %s, but %s takes %s", field, OptionsTypeName(union, typ), op, OptionsTypeName(union, want))
	}
	if !t.Present() {
		t = flatbuf.Table{}
	}
	o, err := types[want].decode(t, charge)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", types[want].name, err)
	}
	return o, t.Present(), nil
}

func optVector(t flatbuf.Table, slot, elem int, d optDecoder, name string) (flatbuf.Vector, error) {
	v, err := t.Vector(slot, elem)
	if err != nil {
		return v, fmt.Errorf("field %q: %w", name, err)
	}
	if d != nil {
		if err := d(int64(v.Len())*int64(elem), fmt.Sprintf("options field %q", name)); err != nil {
			return v, err
		}
	}
	return v, nil
}

// optInt32s reads a [int] field: nil when absent, empty when present and
// empty (RESHAPE tells a scalar target from a missing one this way).
func optInt32s(t flatbuf.Table, slot int, d optDecoder, name string) ([]int32, error) {
	v, err := optVector(t, slot, 4, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	out := make([]int32, v.Len())
	for i := range out {
		out[i] = v.Int32(i)
	}
	return out, nil
}

func optUint32s(t flatbuf.Table, slot int, d optDecoder, name string) ([]uint32, error) {
	v, err := optVector(t, slot, 4, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	out := make([]uint32, v.Len())
	for i := range out {
		out[i] = v.Uint32(i)
	}
	return out, nil
}

func optInt64s(t flatbuf.Table, slot int, d optDecoder, name string) ([]int64, error) {
	v, err := optVector(t, slot, 8, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	out := make([]int64, v.Len())
	for i := range out {
		out[i] = v.Int64(i)
	}
	return out, nil
}

func optBools(t flatbuf.Table, slot int, d optDecoder, name string) ([]bool, error) {
	v, err := optVector(t, slot, 1, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	out := make([]bool, v.Len())
	for i := range out {
		out[i] = v.Uint8(i) != 0
	}
	return out, nil
}

// optBytes copies a [ubyte] field, so the options do not pin the model.
func optBytes(t flatbuf.Table, slot int, d optDecoder, name string) ([]byte, error) {
	v, err := optVector(t, slot, 1, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	return append([]byte{}, v.Bytes()...), nil
}

func optFloat32s(t flatbuf.Table, slot int, d optDecoder, name string) ([]float32, error) {
	v, err := optVector(t, slot, 4, d, name)
	if err != nil || !v.Present() {
		return nil, err
	}
	out := make([]float32, v.Len())
	for i := range out {
		out[i] = v.Float32(i)
	}
	return out, nil
}

func optString(t flatbuf.Table, slot int, d optDecoder, name string) (string, error) {
	v, err := optVector(t, slot, 1, d, name)
	if err != nil {
		return "", err
	}
	return string(v.Bytes()), nil
}

// fusedActivation is the fused_activation_function of the node's options,
// ActNone for options without one.
func fusedActivation(n *Node) Activation {
	if o, ok := n.Opts.(interface{ FusedActivation() Activation }); ok {
		return o.FusedActivation()
	}
	return ActNone
}

// potScaleInt16 is pot_scale_int16 of ADD and SUB (true in the schema).
func potScaleInt16(n *Node) bool {
	switch o := n.Opts.(type) {
	case *AddOptions:
		return o.PotScaleInt16
	case *SubOptions:
		return o.PotScaleInt16
	}
	return false
}
