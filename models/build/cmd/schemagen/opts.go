package main

import (
	"bytes"
	"fmt"
	"go/format"
	"regexp"
	"strconv"
	"strings"
)

// field is one field of a schema table, with its vtable slot.
type field struct {
	Name       string // schema name, e.g. dilation_w_factor
	Type       string // schema type, e.g. int, [int], Padding
	Default    string // as written after '=', "" when none
	Slot       int
	Deprecated bool
}

var (
	fieldRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\[?\s*[A-Za-z_][A-Za-z0-9_.]*\s*\]?)\s*(?:=\s*([^(\s]+))?\s*(\(.*\))?$`)
)

// parseTable reads a table's fields in order; each field takes the next
// slot, deprecated ones too.
func parseTable(src, name string) ([]field, error) {
	b, err := body(src, "table", name)
	if err != nil {
		return nil, err
	}
	var out []field
	for _, f := range strings.Split(b, ";") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		m := fieldRe.FindStringSubmatch(f)
		if m == nil {
			return nil, fmt.Errorf("table %s: bad field %q", name, f)
		}
		attrs := m[4]
		out = append(out, field{
			Name:       m[1],
			Type:       strings.ReplaceAll(m[2], " ", ""),
			Default:    m[3],
			Slot:       len(out),
			Deprecated: strings.Contains(attrs, "deprecated"),
		})
	}
	return out, nil
}

// enumInfo is a schema enum as the option decoders need it.
type enumInfo struct {
	Base   string // underlying schema scalar (byte, int, ...)
	Values map[string]int
}

var enumHead = regexp.MustCompile(`(?m)^\s*enum\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([a-z0-9]+)`)

// parseEnums reads every enum of the schema.
func parseEnums(src string) (map[string]enumInfo, error) {
	clean := lineComment.ReplaceAllString(src, "")
	out := map[string]enumInfo{}
	for _, m := range enumHead.FindAllStringSubmatch(clean, -1) {
		es, err := parseEnum(src, m[1])
		if err != nil {
			return nil, err
		}
		e := enumInfo{Base: m[2], Values: map[string]int{}}
		for _, v := range es {
			e.Values[v.Name] = v.Value
		}
		out[m[1]] = e
	}
	return out, nil
}

// scalar describes a schema scalar type: its Go type and the flatbuf.Table
// reader of that width.
type scalar struct{ Go, Read string }

var scalars = map[string]scalar{
	"bool": {"bool", "Bool"},
	"byte": {"int8", "Int8"}, "int8": {"int8", "Int8"},
	"ubyte": {"uint8", "Uint8"}, "uint8": {"uint8", "Uint8"},
	"short": {"int16", "Int16"}, "int16": {"int16", "Int16"},
	"ushort": {"uint16", "Uint16"}, "uint16": {"uint16", "Uint16"},
	"int": {"int32", "Int32"}, "int32": {"int32", "Int32"},
	"uint": {"uint32", "Uint32"}, "uint32": {"uint32", "Uint32"},
	"long": {"int64", "Int64"}, "int64": {"int64", "Int64"},
	"ulong": {"uint64", "Uint64"}, "uint64": {"uint64", "Uint64"},
	"float": {"float32", "Float32"}, "float32": {"float32", "Float32"},
}

// vectors are the vector element types option tables use, with the
// decoding helper (hand-written in models/tflite/ops/options.go).
var vectors = map[string]scalar{
	"int": {"[]int32", "optInt32s"}, "int32": {"[]int32", "optInt32s"},
	"uint": {"[]uint32", "optUint32s"}, "uint32": {"[]uint32", "optUint32s"},
	"long": {"[]int64", "optInt64s"}, "int64": {"[]int64", "optInt64s"},
	"float": {"[]float32", "optFloat32s"}, "float32": {"[]float32", "optFloat32s"},
	"bool":  {"[]bool", "optBools"},
	"ubyte": {"[]byte", "optBytes"}, "uint8": {"[]byte", "optBytes"},
}

// namedEnums are schema enums that have a Go type in package ops.
var namedEnums = map[string]string{"ActivationFunctionType": "Activation"}

// opOptionsExceptions maps the operators whose options table is not named
// after them (AVERAGE_POOL_2D -> Pool2DOptions); every other operator
// takes the table whose name, without "Options", equals its own name with
// underscores removed, ignoring case (CONV_2D -> Conv2DOptions).
var opOptionsExceptions = map[string]string{
	"AVERAGE_POOL_2D":             "Pool2DOptions",
	"MAX_POOL_2D":                 "Pool2DOptions",
	"L2_POOL_2D":                  "Pool2DOptions",
	"MEAN":                        "ReducerOptions",
	"SUM":                         "ReducerOptions",
	"REDUCE_MAX":                  "ReducerOptions",
	"REDUCE_MIN":                  "ReducerOptions",
	"REDUCE_PROD":                 "ReducerOptions",
	"REDUCE_ANY":                  "ReducerOptions",
	"REDUCE_ALL":                  "ReducerOptions",
	"MAXIMUM":                     "MaximumMinimumOptions",
	"MINIMUM":                     "MaximumMinimumOptions",
	"L2_NORMALIZATION":            "L2NormOptions",
	"UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
	"CONV_3D_TRANSPOSE":           "Conv3DOptions",
	"RANDOM_UNIFORM":              "RandomOptions",
	"RANDOM_STANDARD_NORMAL":      "RandomOptions",
	"MULTINOMIAL":                 "RandomOptions",
}

func squash(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// goField turns dilation_w_factor into DilationWFactor.
func goField(name string) string { return opIdent(name) }

// optType is one member of the BuiltinOptions union with its fields.
type optType struct {
	entry
	Fields []field
}

// opsOptions pairs operators with the type id of their options table in
// union (BuiltinOptions or BuiltinOptions2). The listed exceptions belong to
// BuiltinOptions.
func opsOptions(ops []entry, opts []optType, union string) ([]entry, error) {
	byName := map[string]int{}
	bySquash := map[string]int{}
	for _, o := range opts {
		byName[o.Name] = o.Value
		bySquash[squash(strings.TrimSuffix(o.Name, "Options"))] = o.Value
	}
	var out []entry
	for _, op := range ops {
		if t, ok := opOptionsExceptions[op.Name]; ok && union == "BuiltinOptions" {
			v, ok := byName[t]
			if !ok {
				return nil, fmt.Errorf("operator %s: options table %s is not in union %s", op.Name, t, union)
			}
			out = append(out, entry{op.Name, v})
			continue
		}
		if v, ok := bySquash[squash(op.Name)]; ok {
			out = append(out, entry{op.Name, v})
		}
	}
	return out, nil
}

// goType is the Go type of a field and the expression that reads it from
// table t (vectors and strings return an error too: vec is set).
func goType(f field, enums map[string]enumInfo) (typ, read string, vec bool, err error) {
	if strings.HasPrefix(f.Type, "[") {
		el := strings.Trim(f.Type, "[]")
		if e, ok := enums[el]; ok {
			el = e.Base // a vector of enum values reads as its base type
		}
		v, ok := vectors[el]
		if !ok {
			return "", "", false, fmt.Errorf("vectors of %s are not supported", el)
		}
		return v.Go, fmt.Sprintf("%s(t, %d, d, %q)", v.Read, f.Slot, f.Name), true, nil
	}
	if f.Type == "string" {
		return "string", fmt.Sprintf("optString(t, %d, d, %q)", f.Slot, f.Name), true, nil
	}
	def := f.Default
	base := f.Type
	named := ""
	if e, ok := enums[f.Type]; ok {
		base, named = e.Base, namedEnums[f.Type]
		if def != "" {
			if v, ok := e.Values[def]; ok {
				def = strconv.Itoa(v)
			} else if _, err := strconv.Atoi(def); err != nil {
				return "", "", false, fmt.Errorf("default %s is not a member of enum %s", def, f.Type)
			}
		}
	}
	s, ok := scalars[base]
	if !ok {
		return "", "", false, fmt.Errorf("type %s is not supported", f.Type)
	}
	if def == "" {
		def = "0"
		if base == "bool" {
			def = "false"
		}
	}
	if base == "bool" && def != "true" && def != "false" {
		return "", "", false, fmt.Errorf("bool default %s", def)
	}
	if base == "float" || base == "float32" {
		if _, err := strconv.ParseFloat(def, 32); err != nil {
			return "", "", false, fmt.Errorf("float default %s", def)
		}
	} else if base != "bool" {
		if _, err := strconv.ParseInt(def, 0, 64); err != nil {
			return "", "", false, fmt.Errorf("integer default %s", def)
		}
	}
	read = fmt.Sprintf("t.%s(%d, %s)", s.Read, f.Slot, def)
	typ = s.Go
	if named != "" {
		typ = named
		read = fmt.Sprintf("%s(%s)", named, read)
	}
	return typ, read, false, nil
}

// optsFile writes models/tflite/ops/options_gen.go: a struct and a decoder
// per member of the BuiltinOptions and BuiltinOptions2 unions, and per union
// the table of members by type id and the operator -> options type table.
func optsFile(ops []entry, opts, opts2 []optType, enums map[string]enumInfo) ([]byte, error) {
	pairs, err := opsOptions(ops, opts, "BuiltinOptions")
	if err != nil {
		return nil, err
	}
	pairs2, err := opsOptions(ops, opts2, "BuiltinOptions2")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, o := range pairs {
		seen[o.Name] = true
	}
	for _, o := range pairs2 {
		if seen[o.Name] {
			return nil, fmt.Errorf("operator %s has options in both unions", o.Name)
		}
	}
	var b bytes.Buffer
	b.WriteString("// Code generated from the BuiltinOptions and BuiltinOptions2 unions and option tables of the TFLite schema (schema v3). DO NOT EDIT.\n\npackage ops\n\n")
	b.WriteString("import \"github.com/axle-edge/axle/models/tflite/flatbuf\"\n\n")
	all := append(append([]optType{}, opts...), opts2...)
	for _, o := range all {
		fmt.Fprintf(&b, "// %s is the schema table %s; a field absent from the model holds its schema default.\ntype %s struct {\n", o.Name, o.Name, o.Name)
		for _, f := range o.Fields {
			if f.Deprecated {
				continue
			}
			typ, _, _, err := goType(f, enums)
			if err != nil {
				return nil, fmt.Errorf("table %s: field %s: %w", o.Name, f.Name, err)
			}
			fmt.Fprintf(&b, "\t%s %s // %s\n", goField(f.Name), typ, f.Name)
		}
		b.WriteString("}\n\n")
		for _, f := range o.Fields {
			if f.Name == "fused_activation_function" && !f.Deprecated {
				fmt.Fprintf(&b, "// FusedActivation lets kernels shared by several operators read the fused activation.\nfunc (o *%s) FusedActivation() Activation { return o.FusedActivationFunction }\n\n", o.Name)
			}
		}
	}
	for _, o := range all {
		fmt.Fprintf(&b, "func decode%s(t flatbuf.Table, d optDecoder) (any, error) {\n", o.Name)
		if len(o.Fields) == 0 {
			fmt.Fprintf(&b, "\treturn &%s{}, nil\n}\n\n", o.Name)
			continue
		}
		var vecs []string
		fmt.Fprintf(&b, "\to := &%s{\n", o.Name)
		for _, f := range o.Fields {
			if f.Deprecated {
				continue
			}
			_, read, vec, _ := goType(f, enums)
			if vec {
				vecs = append(vecs, fmt.Sprintf("\tif o.%s, err = %s; err != nil {\n\t\treturn nil, err\n\t}\n", goField(f.Name), read))
				continue
			}
			fmt.Fprintf(&b, "\t\t%s: %s,\n", goField(f.Name), read)
		}
		b.WriteString("\t}\n")
		if len(vecs) > 0 {
			b.WriteString("\tvar err error\n")
			for _, v := range vecs {
				b.WriteString(v)
			}
		}
		b.WriteString("\treturn o, nil\n}\n\n")
	}
	for _, u := range []struct {
		suffix, union string
		opts          []optType
		pairs         []entry
	}{{"", "BuiltinOptions", opts, pairs}, {"2", "BuiltinOptions2", opts2, pairs2}} {
		fmt.Fprintf(&b, "// optionTypes%s are the members of the %s union by type id (0 is NONE).\n", u.suffix, u.union)
		fmt.Fprintf(&b, "var optionTypes%s = [%d]optionType{\n", u.suffix, len(u.opts)+1)
		for _, o := range u.opts {
			fmt.Fprintf(&b, "\t%d: {%q, decode%s},\n", o.Value, o.Name, o.Name)
		}
		fmt.Fprintf(&b, "}\n\n// opOptions%s is the %s type id each operator takes; operators without one are absent.\nvar opOptions%s = map[Op]uint8{\n", u.suffix, u.union, u.suffix)
		for _, p := range u.pairs {
			fmt.Fprintf(&b, "\tOp%s: %d, // %s\n", opIdent(p.Name), p.Value, u.opts[p.Value-1].Name)
		}
		b.WriteString("}\n\n")
	}
	return format.Source(b.Bytes())
}

// parseOpts reads a union of option tables and each member's table.
func parseOpts(src, union string) ([]optType, error) {
	members, err := parseUnion(src, union)
	if err != nil {
		return nil, err
	}
	out := make([]optType, len(members))
	for i, m := range members {
		if m.Value > 255 {
			return nil, fmt.Errorf("union %s: %s has type id %d, more than a ubyte", union, m.Name, m.Value)
		}
		fs, err := parseTable(src, m.Name)
		if err != nil {
			return nil, err
		}
		out[i] = optType{m, fs}
	}
	return out, nil
}

// genOpts parses what -what opts needs and writes the file.
func genOpts(src string) ([]byte, error) {
	ops, err := parseEnum(src, "BuiltinOperator")
	if err != nil {
		return nil, err
	}
	opts, err := parseOpts(src, "BuiltinOptions")
	if err != nil {
		return nil, err
	}
	opts2, err := parseOpts(src, "BuiltinOptions2")
	if err != nil {
		return nil, err
	}
	enums, err := parseEnums(src)
	if err != nil {
		return nil, err
	}
	return optsFile(ops, opts, opts2, enums)
}
