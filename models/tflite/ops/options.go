package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// options_gen.go holds one struct and decoder per table of the schema's
// BuiltinOptions union and the operator -> options type table; TFLITE_SCHEMA
// names a copy of TFLite's schema.fbs (see models/build/cmd/schemagen).
//go:generate go run ../../build/cmd/schemagen -what opts -out options_gen.go

// optDecoder charges the bytes an options vector is about to take against
// the model's memory limit.
type optDecoder func(bytes int64, what string) error

// optionType is one member of the BuiltinOptions union.
type optionType struct {
	name   string
	decode func(t flatbuf.Table, d optDecoder) (any, error)
}

// OptionsType is the BuiltinOptions type id an operator takes (0 when it
// takes none) and the name of that table, e.g. 5, "Pool2DOptions" for
// MAX_POOL_2D.
func OptionsType(op Op) (id uint8, name string) {
	id = opOptions[op]
	return id, OptionsTypeName(id)
}

// OptionsTypeName names a BuiltinOptions type id: "Conv2DOptions", "NONE"
// for 0, "unknown options type N" outside the union.
func OptionsTypeName(id uint8) string {
	if id == 0 {
		return "NONE"
	}
	if int(id) >= len(optionTypes) || optionTypes[id].decode == nil {
		return fmt.Sprintf("unknown options type %d", id)
	}
	return optionTypes[id].name
}

// DecodeOptions turns a node's builtin options table into the typed struct
// its kernel reads from Node.Opts (*Conv2DOptions for CONV_2D, ...): nil
// for operators without options; the schema defaults when the table is
// absent. typ is the builtin_options_type the model gave; a table of
// another type than the operator's is an error naming both. charge counts
// the bytes of vector fields against the model's memory limit.
func DecodeOptions(op Op, typ uint8, t flatbuf.Table, charge func(bytes int64, what string) error) (any, error) {
	want := opOptions[op]
	if want == 0 {
		// Like TFLite, an operator without options ignores any table.
		return nil, nil
	}
	if t.Present() && typ != want {
		return nil, fmt.Errorf("builtin options are %s, but %s takes %s", OptionsTypeName(typ), op, OptionsTypeName(want))
	}
	if !t.Present() {
		t = flatbuf.Table{}
	}
	o, err := optionTypes[want].decode(t, charge)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", optionTypes[want].name, err)
	}
	return o, nil
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
