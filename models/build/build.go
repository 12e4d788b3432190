package build

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// options_gen.go mirrors the schema's BuiltinOptions union; TFLITE_SCHEMA
// names a copy of TFLite's schema.fbs (see cmd/schemagen).
//go:generate go run ./cmd/schemagen -what options -out options_gen.go

// OptionType is a type id of the schema's BuiltinOptions union.
type OptionType uint8

// Options is the builtin options table of an operator: the union type id and
// the fields by schema slot (the field's position in the options table of
// the schema, from 0). Field values may be any Go integer, bool or float
// scalar (named types such as ops.Activation included; the Go type sets the
// stored width, so write int8(ops.ActRelu) for a byte field), []int32,
// []int64, []float32 or string. A zero Options writes no options table.
type Options struct {
	Type   OptionType
	Fields []Field
}

// Field is one field of an options table.
type Field struct {
	Slot  int
	Value any
}

// Raw passes constant data as raw little-endian bytes, for any dtype
// (packed int4, float16, or deliberately malformed sizes).
type Raw []byte

// SigTensor names a tensor of a signature.
type SigTensor struct {
	Name   string
	Tensor int
}

// Builder assembles one .tflite model. Its embedded *Subgraph is subgraph 0,
// so b.Input, b.Const, b.Op... build the main graph. Methods record the first
// error and return placeholders afterwards; Bytes reports it.
type Builder struct {
	*Subgraph
	subgraphs   []*Subgraph
	buffers     [][]byte // buffers[0] is the empty sentinel
	opcodes     []opcode
	signatures  []signature
	metadata    []metadata
	description string
	version     uint32
	external    bool
	err         error
}

type opcode struct {
	op      ops.Op
	custom  string
	version int
}

type signature struct {
	key             string
	subgraph        int
	inputs, outputs []SigTensor
}

type metadata struct {
	name   string
	buffer int
}

// Subgraph builds one subgraph of a model.
type Subgraph struct {
	b         *Builder
	index     int
	name      string
	tensors   []tensor
	inputs    []int
	outputs   []int
	operators []operator
}

type tensor struct {
	name      string
	dtype     models.DType
	shape     []int32
	signature []int32
	quant     *models.Quant
	buffer    int
	variable  bool
	sparsity  *fbTable // SetSparsity
	blockwise *fbTable // SetBlockwise
}

type operator struct {
	opcode        int
	inputs        []int
	outputs       []int
	intermediates []int
	options       *fbTable
	optionsType   OptionType
	options2      *fbTable // SetOptions2
	options2Type  Option2Type
	custom        []byte
}

// New starts a model with one (empty) subgraph.
func New() *Builder {
	b := &Builder{buffers: [][]byte{nil}, version: flatbuf.SchemaVersion, description: "axle models/build"}
	b.Subgraph = b.NewSubgraph("main")
	return b
}

// NewSubgraph adds a subgraph (for WHILE, IF, CALL_ONCE bodies or
// signatures) and returns its builder; its index is Index().
func (b *Builder) NewSubgraph(name string) *Subgraph {
	s := &Subgraph{b: b, index: len(b.subgraphs), name: name}
	b.subgraphs = append(b.subgraphs, s)
	return s
}

// SetDescription sets the model's description string.
func (b *Builder) SetDescription(d string) { b.description = d }

// SetVersion overrides the schema version written (for loader tests).
func (b *Builder) SetVersion(v uint32) { b.version = v }

// SetExternalBuffers makes Bytes store constant data after the flatbuffer,
// addressed by Buffer.offset/size as TFLite does for models over 2 GiB.
func (b *Builder) SetExternalBuffers(on bool) { b.external = on }

// Signature adds a signature def that runs subgraph with named tensors.
func (b *Builder) Signature(key string, subgraph int, inputs, outputs []SigTensor) {
	b.signatures = append(b.signatures, signature{key, subgraph, inputs, outputs})
}

// Metadata adds a named metadata buffer.
func (b *Builder) Metadata(name string, data []byte) {
	b.metadata = append(b.metadata, metadata{name, b.buffer(data)})
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Builder) buffer(data []byte) int {
	if len(data) == 0 {
		return 0
	}
	b.buffers = append(b.buffers, data)
	return len(b.buffers) - 1
}

func (b *Builder) opcode(op ops.Op, custom string, version int) int {
	k := opcode{op, custom, version}
	for i, c := range b.opcodes {
		if c == k {
			return i
		}
	}
	b.opcodes = append(b.opcodes, k)
	return len(b.opcodes) - 1
}

// Index is the subgraph's position in the model.
func (s *Subgraph) Index() int { return s.index }

// Tensor adds a tensor without data (an activation) and returns its index.
func (s *Subgraph) Tensor(name string, dt models.DType, shape []int, q *models.Quant) int {
	return s.add(name, dt, shape, q, 0, false)
}

// Input adds a tensor and appends it to the subgraph's inputs.
func (s *Subgraph) Input(name string, dt models.DType, shape []int, q *models.Quant) int {
	t := s.Tensor(name, dt, shape, q)
	s.inputs = append(s.inputs, t)
	return t
}

// Const adds a constant tensor. data is a slice of the dtype's Go type
// ([]float32, []int8, []uint8, []int16, []uint16, []int32, []uint32, []int64,
// []uint64, []float64, []bool) with one value per element, or Raw bytes.
func (s *Subgraph) Const(name string, dt models.DType, shape []int, data any, q *models.Quant) int {
	raw, err := encode(dt, shape, data)
	if err != nil {
		s.b.fail(fmt.Errorf("build: constant %q: %w", name, err))
		return -1
	}
	return s.add(name, dt, shape, q, s.b.buffer(raw), false)
}

// Variable adds a variable tensor (is_variable: state kept across
// invocations, such as LSTM state). init may be nil (zeros) or data as for
// Const.
func (s *Subgraph) Variable(name string, dt models.DType, shape []int, init any, q *models.Quant) int {
	buf := 0
	if init != nil {
		raw, err := encode(dt, shape, init)
		if err != nil {
			s.b.fail(fmt.Errorf("build: variable %q: %w", name, err))
			return -1
		}
		buf = s.b.buffer(raw)
	}
	return s.add(name, dt, shape, q, buf, true)
}

// SetShapeSignature records a shape signature (-1 for unknown dimensions)
// for tensor t.
func (s *Subgraph) SetShapeSignature(t int, sig []int) {
	if t < 0 || t >= len(s.tensors) {
		s.b.fail(fmt.Errorf("build: shape signature for tensor %d: no such tensor", t))
		return
	}
	v, err := int32s(sig)
	if err != nil {
		s.b.fail(fmt.Errorf("build: shape signature for tensor %d: %w", t, err))
		return
	}
	s.tensors[t].signature = v
}

// Output appends tensors to the subgraph's outputs.
func (s *Subgraph) Output(t ...int) { s.outputs = append(s.outputs, t...) }

// SetInputs replaces the subgraph's input list (e.g. to reorder it).
func (s *Subgraph) SetInputs(t ...int) { s.inputs = append([]int(nil), t...) }

// Op appends a builtin operator; -1 in inputs marks an omitted optional
// input. It returns the operator's index in the subgraph.
func (s *Subgraph) Op(op ops.Op, version int, inputs, outputs []int, opt Options) int {
	if op == ops.OpCustom {
		s.b.fail(errors.New("build: use CustomOp for custom operators"))
		return -1
	}
	o := operator{opcode: s.b.opcode(op, "", version), inputs: inputs, outputs: outputs}
	if opt.Type != OptNone || len(opt.Fields) > 0 {
		t, err := optionsTable(opt.Fields)
		if err != nil {
			s.b.fail(fmt.Errorf("build: %s options: %w", op, err))
			return -1
		}
		o.options, o.optionsType = t, opt.Type
	}
	s.operators = append(s.operators, o)
	return len(s.operators) - 1
}

// CustomOp appends a custom operator with its custom options bytes
// (FlexBuffers for the ops TFLite ships).
func (s *Subgraph) CustomOp(code string, version int, inputs, outputs []int, customOptions []byte) int {
	s.operators = append(s.operators, operator{
		opcode: s.b.opcode(ops.OpCustom, code, version),
		inputs: inputs, outputs: outputs, custom: customOptions,
	})
	return len(s.operators) - 1
}

// SetIntermediates sets the intermediate tensors of operator op (used by
// quantized LSTMs).
func (s *Subgraph) SetIntermediates(op int, tensors []int) {
	if op < 0 || op >= len(s.operators) {
		s.b.fail(fmt.Errorf("build: intermediates for operator %d: no such operator", op))
		return
	}
	s.operators[op].intermediates = tensors
}

func (s *Subgraph) add(name string, dt models.DType, shape []int, q *models.Quant, buf int, variable bool) int {
	if _, ok := flatbuf.FromDType(dt); !ok {
		s.b.fail(fmt.Errorf("build: tensor %q: dtype %s has no TFLite tensor type", name, dt))
		return -1
	}
	sh, err := int32s(shape)
	if err != nil {
		s.b.fail(fmt.Errorf("build: tensor %q: %w", name, err))
		return -1
	}
	if q != nil && len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != len(q.Scale) {
		s.b.fail(fmt.Errorf("build: tensor %q: %d scales but %d zero points", name, len(q.Scale), len(q.ZeroPoint)))
		return -1
	}
	s.tensors = append(s.tensors, tensor{name: name, dtype: dt, shape: sh, quant: q, buffer: buf, variable: variable})
	return len(s.tensors) - 1
}

func int32s(v []int) ([]int32, error) {
	out := make([]int32, len(v))
	for i, x := range v {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %d (%d) does not fit in int32", i, x)
		}
		out[i] = int32(x)
	}
	return out, nil
}

// encode turns typed constant data into little-endian bytes and checks its
// length against the shape.
func encode(dt models.DType, shape []int, data any) ([]byte, error) {
	if r, ok := data.(Raw); ok {
		return []byte(r), nil
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
		n *= d
	}
	var out []byte
	var count int
	check := func(want models.DType) error {
		if dt != want {
			return fmt.Errorf("%T data for a %s tensor", data, dt)
		}
		return nil
	}
	var err error
	switch v := data.(type) {
	case []float32:
		err, count = check(models.Float32), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
		}
	case []float64:
		err, count = check(models.Float64), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
		}
	case []int8:
		err, count = check(models.Int8), len(v)
		for _, x := range v {
			out = append(out, byte(x))
		}
	case []uint8:
		err, count = check(models.UInt8), len(v)
		out = append(out, v...)
	case []bool:
		err, count = check(models.Bool), len(v)
		for _, x := range v {
			if x {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	case []int16:
		err, count = check(models.Int16), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint16(out, uint16(x))
		}
	case []uint16:
		err, count = check(models.UInt16), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint16(out, x)
		}
	case []int32:
		err, count = check(models.Int32), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		}
	case []uint32:
		err, count = check(models.UInt32), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, x)
		}
	case []int64:
		err, count = check(models.Int64), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint64(out, uint64(x))
		}
	case []uint64:
		err, count = check(models.UInt64), len(v)
		for _, x := range v {
			out = binary.LittleEndian.AppendUint64(out, x)
		}
	default:
		return nil, fmt.Errorf("unsupported data type %T", data)
	}
	if err != nil {
		return nil, err
	}
	if count != n {
		return nil, fmt.Errorf("%d values for shape %v (%d elements)", count, shape, n)
	}
	return out, nil
}

// optionsTable converts generic fields to a flatbuffer table.
func optionsTable(fields []Field) (*fbTable, error) {
	t := &fbTable{}
	seen := map[int]bool{}
	for _, f := range fields {
		if f.Slot < 0 || f.Slot > 1000 {
			return nil, fmt.Errorf("field slot %d out of range", f.Slot)
		}
		if seen[f.Slot] {
			return nil, fmt.Errorf("field slot %d given twice", f.Slot)
		}
		seen[f.Slot] = true
		switch v := f.Value.(type) {
		case []int32:
			t.ref(f.Slot, int32Vector(v))
			continue
		case []int64:
			t.ref(f.Slot, int64Vector(v))
			continue
		case []float32:
			t.ref(f.Slot, float32Vector(v))
			continue
		case string:
			t.str(f.Slot, v)
			continue
		}
		rv := reflect.ValueOf(f.Value)
		switch rv.Kind() {
		case reflect.Bool:
			t.boolean(f.Slot, rv.Bool())
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			t.scalar(f.Slot, int(rv.Type().Size()), uint64(rv.Int()))
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			t.scalar(f.Slot, int(rv.Type().Size()), rv.Uint())
		case reflect.Float32:
			t.scalar(f.Slot, 4, uint64(math.Float32bits(float32(rv.Float()))))
		case reflect.Float64:
			t.scalar(f.Slot, 8, math.Float64bits(rv.Float()))
		default:
			return nil, fmt.Errorf("field slot %d: unsupported value type %T (int and uint have no fixed width: use int32 etc.)", f.Slot, f.Value)
		}
	}
	return t, nil
}

// Bytes writes the model. The same sequence of calls always yields the same
// bytes.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	root := &fbTable{}
	root.u32(flatbuf.ModelVersion, b.version)

	codes := make(fbRefs, len(b.opcodes))
	for i, c := range b.opcodes {
		t := &fbTable{}
		t.scalar(flatbuf.OpCodeDeprecatedBuiltin, 1, uint64(min(int32(c.op), flatbuf.PlaceholderForGreaterOpCodes)))
		if c.op == ops.OpCustom {
			t.str(flatbuf.OpCodeCustom, c.custom)
		}
		t.i32(flatbuf.OpCodeVersion, int32(c.version))
		t.i32(flatbuf.OpCodeBuiltin, int32(c.op))
		codes[i] = t
	}
	root.ref(flatbuf.ModelOperatorCodes, codes)

	subs := make(fbRefs, len(b.subgraphs))
	for i, s := range b.subgraphs {
		t, err := s.table()
		if err != nil {
			return nil, err
		}
		subs[i] = t
	}
	root.ref(flatbuf.ModelSubgraphs, subs)
	root.str(flatbuf.ModelDescription, b.description)

	// External data goes after the flatbuffer; its offsets are patched
	// once the flatbuffer's size is known.
	type late struct{ off, buf int }
	var lates []*late
	bufs := make(fbRefs, len(b.buffers))
	for i, data := range b.buffers {
		t := &fbTable{}
		switch {
		case len(data) == 0:
		case b.external:
			l := &late{buf: i}
			lates = append(lates, l)
			t.fields = append(t.fields,
				fbField{slot: flatbuf.BufferOffset, size: 8, late: &l.off},
				fbField{slot: flatbuf.BufferSize, size: 8, bits: uint64(len(data))})
		default:
			t.ref(flatbuf.BufferData, &fbVector{data: data, elem: 1, align: 16})
		}
		bufs[i] = t
	}
	root.ref(flatbuf.ModelBuffers, bufs)

	if len(b.metadata) > 0 {
		md := make(fbRefs, len(b.metadata))
		for i, m := range b.metadata {
			md[i] = (&fbTable{}).str(flatbuf.MetadataName, m.name).u32(flatbuf.MetadataBuffer, uint32(m.buffer))
		}
		root.ref(flatbuf.ModelMetadata, md)
	}
	if len(b.signatures) > 0 {
		sigs := make(fbRefs, len(b.signatures))
		for i, sg := range b.signatures {
			maps := func(ts []SigTensor) fbRefs {
				r := make(fbRefs, len(ts))
				for j, x := range ts {
					r[j] = (&fbTable{}).str(flatbuf.TensorMapName, x.Name).u32(flatbuf.TensorMapIndex, uint32(x.Tensor))
				}
				return r
			}
			sigs[i] = (&fbTable{}).ref(flatbuf.SignatureInputs, maps(sg.inputs)).
				ref(flatbuf.SignatureOutputs, maps(sg.outputs)).
				str(flatbuf.SignatureKey, sg.key).
				u32(flatbuf.SignatureSubgraph, uint32(sg.subgraph))
		}
		root.ref(flatbuf.ModelSignatureDefs, sigs)
	}

	w := &fbWriter{}
	if err := w.finish(root, flatbuf.Identifier); err != nil {
		return nil, err
	}
	for _, l := range lates {
		w.pad(16)
		binary.LittleEndian.PutUint64(w.buf[l.off:], uint64(len(w.buf)))
		w.buf = append(w.buf, b.buffers[l.buf]...)
	}
	return w.buf, nil
}

func (s *Subgraph) table() (*fbTable, error) {
	tensors := make(fbRefs, len(s.tensors))
	for i, x := range s.tensors {
		t := &fbTable{}
		t.ref(flatbuf.TensorShape, int32Vector(x.shape))
		tt, _ := flatbuf.FromDType(x.dtype)
		t.scalar(flatbuf.TensorType, 1, uint64(uint8(tt)))
		t.u32(flatbuf.TensorBuffer, uint32(x.buffer))
		t.str(flatbuf.TensorName, x.name)
		if x.quant != nil {
			q := &fbTable{}
			q.ref(flatbuf.QuantScale, float32Vector(x.quant.Scale))
			zp := x.quant.ZeroPoint
			if len(zp) == 0 {
				zp = make([]int64, len(x.quant.Scale))
			}
			q.ref(flatbuf.QuantZeroPoint, int64Vector(zp))
			q.i32(flatbuf.QuantDimension, int32(x.quant.Axis))
			t.ref(flatbuf.TensorQuantization, q)
		}
		if x.blockwise != nil {
			t.ref(flatbuf.TensorQuantization, x.blockwise)
		}
		if x.variable {
			t.boolean(flatbuf.TensorIsVariable, true)
		}
		if x.signature != nil {
			t.ref(flatbuf.TensorShapeSignature, int32Vector(x.signature))
		}
		if x.sparsity != nil {
			t.ref(flatbuf.TensorSparsity, x.sparsity)
		}
		t.boolean(flatbuf.TensorHasRank, true)
		tensors[i] = t
	}
	opers := make(fbRefs, len(s.operators))
	for i, o := range s.operators {
		in, err := int32s(o.inputs)
		if err != nil {
			return nil, fmt.Errorf("build: subgraph %d operator %d inputs: %w", s.index, i, err)
		}
		out, err := int32s(o.outputs)
		if err != nil {
			return nil, fmt.Errorf("build: subgraph %d operator %d outputs: %w", s.index, i, err)
		}
		t := &fbTable{}
		t.u32(flatbuf.OperatorOpcodeIndex, uint32(o.opcode))
		t.ref(flatbuf.OperatorInputs, int32Vector(in))
		t.ref(flatbuf.OperatorOutputs, int32Vector(out))
		if o.options != nil {
			t.u8(flatbuf.OperatorBuiltinOptionsType, uint8(o.optionsType))
			t.ref(flatbuf.OperatorBuiltinOptions, o.options)
		}
		if o.options2 != nil {
			t.u8(flatbuf.OperatorBuiltinOptions2Type, uint8(o.options2Type))
			t.ref(flatbuf.OperatorBuiltinOptions2, o.options2)
		}
		if o.custom != nil {
			t.ref(flatbuf.OperatorCustomOptions, &fbVector{data: o.custom, elem: 1, align: 1})
		}
		if o.intermediates != nil {
			im, err := int32s(o.intermediates)
			if err != nil {
				return nil, fmt.Errorf("build: subgraph %d operator %d intermediates: %w", s.index, i, err)
			}
			t.ref(flatbuf.OperatorIntermediates, int32Vector(im))
		}
		opers[i] = t
	}
	in, err := int32s(s.inputs)
	if err != nil {
		return nil, fmt.Errorf("build: subgraph %d inputs: %w", s.index, err)
	}
	out, err := int32s(s.outputs)
	if err != nil {
		return nil, fmt.Errorf("build: subgraph %d outputs: %w", s.index, err)
	}
	t := &fbTable{}
	t.ref(flatbuf.SubgraphTensors, tensors)
	t.ref(flatbuf.SubgraphInputs, int32Vector(in))
	t.ref(flatbuf.SubgraphOutputs, int32Vector(out))
	t.ref(flatbuf.SubgraphOperators, opers)
	t.str(flatbuf.SubgraphName, s.name)
	return t, nil
}
