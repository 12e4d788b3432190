package tflite

import (
	"fmt"
	"math"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// The loader walks every table, vector and string of the schema it knows
// (including description, metadata and signatures) so that a truncated or
// corrupted file fails here rather than later, and charges every structure
// it builds against the model's budget before allocating it.

type opcode struct {
	op      ops.Op
	custom  string
	version int
}

// Signature is a signature def of the model: a named entry point that runs
// one subgraph, with aliases for some of its tensors.
type Signature struct {
	Key      string
	Subgraph int
	Inputs   []SignatureTensor
	Outputs  []SignatureTensor
}

// SignatureTensor maps a signature alias to a tensor of its subgraph.
type SignatureTensor struct {
	Name   string
	Tensor int
}

type parsed struct {
	description string
	opcodes     []opcode
	buffers     [][]byte // views into the file; nil when empty
	subgraphs   []flatbuf.Table
	signatures  []Signature
}

// maxFlatbuffer is the largest flatbuffer part of a file: offsets are
// 32-bit, so larger files keep their extra data (external buffers) after
// the first 2 GiB.
const maxFlatbuffer = math.MaxInt32

func parse(data []byte, b *budget) (*parsed, error) {
	if int64(len(data)) > b.limit {
		return nil, fmt.Errorf("model file is %d bytes, larger than the %d-byte limit", len(data), b.limit)
	}
	fb := data
	if len(fb) > maxFlatbuffer {
		fb = fb[:maxFlatbuffer]
	}
	root, err := flatbuf.Root(fb, flatbuf.Identifier)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if v := root.Uint32(flatbuf.ModelVersion, 0); v != flatbuf.SchemaVersion {
		return nil, fmt.Errorf("model: schema version %d is not supported (want %d)", v, flatbuf.SchemaVersion)
	}
	p := &parsed{}
	if p.description, err = root.String(flatbuf.ModelDescription); err != nil {
		return nil, fmt.Errorf("model description: %w", err)
	}

	codes, err := root.Vector(flatbuf.ModelOperatorCodes, 4)
	if err != nil {
		return nil, fmt.Errorf("model operator codes: %w", err)
	}
	if err := b.charge(int64(codes.Len())*64, "operator codes"); err != nil {
		return nil, err
	}
	p.opcodes = make([]opcode, codes.Len())
	for i := range p.opcodes {
		t, err := codes.Table(i)
		if err != nil {
			return nil, fmt.Errorf("operator code %d: %w", i, err)
		}
		c := &p.opcodes[i]
		c.op = ops.Op(max(int32(t.Int8(flatbuf.OpCodeDeprecatedBuiltin, 0)), t.Int32(flatbuf.OpCodeBuiltin, 0)))
		if c.op < 0 {
			return nil, fmt.Errorf("operator code %d: negative builtin code %d", i, c.op)
		}
		if c.custom, err = t.String(flatbuf.OpCodeCustom); err != nil {
			return nil, fmt.Errorf("operator code %d custom code: %w", i, err)
		}
		v := t.Int32(flatbuf.OpCodeVersion, 1)
		if v < 0 {
			return nil, fmt.Errorf("operator code %d (%s): negative version %d", i, c.op, v)
		}
		c.version = int(max(v, 1))
	}

	bufs, err := root.Vector(flatbuf.ModelBuffers, 4)
	if err != nil {
		return nil, fmt.Errorf("model buffers: %w", err)
	}
	if err := b.charge(int64(bufs.Len())*32, "buffer table"); err != nil {
		return nil, err
	}
	p.buffers = make([][]byte, bufs.Len())
	for i := range p.buffers {
		t, err := bufs.Table(i)
		if err != nil {
			return nil, fmt.Errorf("buffer %d: %w", i, err)
		}
		d, err := t.Vector(flatbuf.BufferData, 1)
		if err != nil {
			return nil, fmt.Errorf("buffer %d data: %w", i, err)
		}
		p.buffers[i] = d.Bytes()
		// offset/size address data after the flatbuffer (models over
		// 2 GiB); upstream treats offsets <= 1 as absent.
		if off, size := t.Uint64(flatbuf.BufferOffset, 0), t.Uint64(flatbuf.BufferSize, 0); off > 1 {
			if d.Len() > 0 {
				return nil, fmt.Errorf("buffer %d has both inline data and an offset", i)
			}
			if off > uint64(len(data)) || size > uint64(len(data))-off {
				return nil, fmt.Errorf("buffer %d: %d bytes at offset %d lie outside the %d-byte file", i, size, off, len(data))
			}
			p.buffers[i] = data[off : off+size]
		}
		if len(p.buffers[i]) == 0 {
			p.buffers[i] = nil
		}
	}

	md, err := root.Vector(flatbuf.ModelMetadata, 4)
	if err != nil {
		return nil, fmt.Errorf("model metadata: %w", err)
	}
	for i := 0; i < md.Len(); i++ {
		t, err := md.Table(i)
		if err != nil {
			return nil, fmt.Errorf("metadata %d: %w", i, err)
		}
		if _, err := t.String(flatbuf.MetadataName); err != nil {
			return nil, fmt.Errorf("metadata %d name: %w", i, err)
		}
		if bi := t.Uint32(flatbuf.MetadataBuffer, 0); uint64(bi) >= uint64(len(p.buffers)) {
			return nil, fmt.Errorf("metadata %d refers to buffer %d of %d", i, bi, len(p.buffers))
		}
	}
	if _, err := root.Vector(flatbuf.ModelMetadataBuffer, 4); err != nil {
		return nil, fmt.Errorf("model metadata buffers: %w", err)
	}
	if root.Has(flatbuf.ModelExtBuffers) {
		ext, err := root.Vector(flatbuf.ModelExtBuffers, 4)
		if err != nil {
			return nil, fmt.Errorf("model external buffers: %w", err)
		}
		if ext.Len() > 0 {
			return nil, fmt.Errorf("model uses %d external weight buffers, which are not supported", ext.Len())
		}
	}

	subs, err := root.Vector(flatbuf.ModelSubgraphs, 4)
	if err != nil {
		return nil, fmt.Errorf("model subgraphs: %w", err)
	}
	if subs.Len() == 0 {
		return nil, fmt.Errorf("model has no subgraphs")
	}
	if err := b.charge(int64(subs.Len())*costSubgraph, "subgraphs"); err != nil {
		return nil, err
	}
	p.subgraphs = make([]flatbuf.Table, subs.Len())
	for i := range p.subgraphs {
		if p.subgraphs[i], err = subs.Table(i); err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", i, err)
		}
	}

	sigs, err := root.Vector(flatbuf.ModelSignatureDefs, 4)
	if err != nil {
		return nil, fmt.Errorf("model signature defs: %w", err)
	}
	if err := b.charge(int64(sigs.Len())*128, "signature defs"); err != nil {
		return nil, err
	}
	p.signatures = make([]Signature, 0, sigs.Len())
	for i := 0; i < sigs.Len(); i++ {
		t, err := sigs.Table(i)
		if err != nil {
			return nil, fmt.Errorf("signature def %d: %w", i, err)
		}
		s := Signature{Subgraph: int(t.Uint32(flatbuf.SignatureSubgraph, 0))}
		if s.Key, err = t.String(flatbuf.SignatureKey); err != nil {
			return nil, fmt.Errorf("signature def %d key: %w", i, err)
		}
		if uint64(t.Uint32(flatbuf.SignatureSubgraph, 0)) >= uint64(len(p.subgraphs)) {
			return nil, fmt.Errorf("signature %q runs subgraph %d of %d", s.Key, t.Uint32(flatbuf.SignatureSubgraph, 0), len(p.subgraphs))
		}
		if s.Inputs, err = tensorMaps(t, flatbuf.SignatureInputs, b); err != nil {
			return nil, fmt.Errorf("signature %q inputs: %w", s.Key, err)
		}
		if s.Outputs, err = tensorMaps(t, flatbuf.SignatureOutputs, b); err != nil {
			return nil, fmt.Errorf("signature %q outputs: %w", s.Key, err)
		}
		p.signatures = append(p.signatures, s)
	}
	return p, nil
}

func tensorMaps(t flatbuf.Table, slot int, b *budget) ([]SignatureTensor, error) {
	v, err := t.Vector(slot, 4)
	if err != nil {
		return nil, err
	}
	if err := b.charge(int64(v.Len())*64, "signature tensors"); err != nil {
		return nil, err
	}
	out := make([]SignatureTensor, v.Len())
	for i := range out {
		m, err := v.Table(i)
		if err != nil {
			return nil, fmt.Errorf("tensor map %d: %w", i, err)
		}
		if out[i].Name, err = m.String(flatbuf.TensorMapName); err != nil {
			return nil, fmt.Errorf("tensor map %d name: %w", i, err)
		}
		idx := m.Uint32(flatbuf.TensorMapIndex, 0)
		if idx > math.MaxInt32 {
			return nil, fmt.Errorf("tensor map %q: tensor index %d out of range", out[i].Name, idx)
		}
		out[i].Tensor = int(idx)
	}
	return out, nil
}

// indexList reads a vector of int32 tensor indices; each must be in
// [0,n), or -1 when optional is set.
func indexList(t flatbuf.Table, slot, n int, optional bool, b *budget, what string) ([]int, error) {
	v, err := t.Vector(slot, 4)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := b.charge(int64(v.Len())*costIndex, what); err != nil {
		return nil, err
	}
	out := make([]int, v.Len())
	for i := range out {
		x := v.Int32(i)
		if x == -1 && optional {
			out[i] = -1
			continue
		}
		if x < 0 || int64(x) >= int64(n) {
			return nil, fmt.Errorf("%s: element %d is tensor %d, outside the subgraph's %d tensors", what, i, x, n)
		}
		out[i] = int(x)
	}
	return out, nil
}

// maxTensorRank bounds the dimensions of a tensor. Kernels support at most
// 8; the bound keeps every per-node copy of a shape a small constant, so a
// file cannot make many nodes copy one huge shape.
const maxTensorRank = 16

// tensorMeta is what the loader knows about a tensor beyond ops.Tensor.
type tensorMeta struct {
	constData []byte // file data of a constant, or initial value of a variable
	signature []int  // shape_signature, nil when absent
	elemSize  int64  // bytes per element for allocation (resource handles: 4)
}

// loadTensor reads tensor i of a subgraph.
func loadTensor(p *parsed, t flatbuf.Table, dst *ops.Tensor, meta *tensorMeta, b *budget) error {
	var err error
	if dst.Name, err = t.String(flatbuf.TensorName); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	tt := t.Int8(flatbuf.TensorType, 0)
	dt, ok := flatbuf.ToDType(tt)
	if !ok {
		return fmt.Errorf("type %d is not supported", tt)
	}
	dst.Type = dt
	switch dt {
	case models.String:
		meta.elemSize = 0 // variable length: checked by loadStrings
	case models.Variant:
		return fmt.Errorf("variant tensors are not supported")
	case models.Resource:
		meta.elemSize = 4 // a resource handle holds an int32 variable id
	default:
		meta.elemSize = int64(dt.Size())
	}
	shape, err := t.Vector(flatbuf.TensorShape, 4)
	if err != nil {
		return fmt.Errorf("shape: %w", err)
	}
	if shape.Len() > maxTensorRank {
		return fmt.Errorf("shape has %d dimensions, more than the %d supported", shape.Len(), maxTensorRank)
	}
	if err := b.charge(int64(shape.Len())*costIndex*2, "tensor shapes"); err != nil {
		return err
	}
	dst.Shape = make([]int, shape.Len())
	for i := range dst.Shape {
		d := shape.Int32(i)
		if d < 0 {
			return fmt.Errorf("shape has negative dimension %d at %d", d, i)
		}
		dst.Shape[i] = int(d)
	}
	if t.Has(flatbuf.TensorShapeSignature) {
		sig, err := t.Vector(flatbuf.TensorShapeSignature, 4)
		if err != nil {
			return fmt.Errorf("shape signature: %w", err)
		}
		if sig.Len() > maxTensorRank {
			return fmt.Errorf("shape signature has %d dimensions, more than the %d supported", sig.Len(), maxTensorRank)
		}
		if err := b.charge(int64(sig.Len())*costIndex, "tensor shape signatures"); err != nil {
			return err
		}
		meta.signature = make([]int, sig.Len())
		for i := range meta.signature {
			meta.signature[i] = int(sig.Int32(i))
		}
	}
	sparseValues := int64(-1)
	if t.Has(flatbuf.TensorSparsity) {
		var err error
		if dst.Sparsity, sparseValues, err = loadSparsity(t, dt, dst.Shape, b); err != nil {
			return fmt.Errorf("sparsity: %w", err)
		}
	}
	if t.Uint32(flatbuf.TensorExternalBuffer, 0) != 0 {
		return fmt.Errorf("external weight buffers are not supported")
	}
	if _, err := t.Vector(flatbuf.TensorVariantTensors, 4); err != nil {
		return fmt.Errorf("variant subtypes: %w", err)
	}
	dst.Variable = t.Bool(flatbuf.TensorIsVariable, false)
	if dst.Variable && dt == models.String {
		return fmt.Errorf("string variable tensors are not supported")
	}
	if err := loadQuant(t, dst, b); err != nil {
		return fmt.Errorf("quantization: %w", err)
	}

	bi := t.Uint32(flatbuf.TensorBuffer, 0)
	if dst.Sparsity != nil && (dst.Variable || bi == 0) {
		return fmt.Errorf("sparse tensor is not a constant with data")
	}
	if uint64(bi) >= uint64(len(p.buffers)) {
		if bi == 0 {
			return nil // a model without buffers: no constant data
		}
		return fmt.Errorf("buffer %d does not exist (the model has %d)", bi, len(p.buffers))
	}
	data := p.buffers[bi]
	if dt == models.String && data != nil {
		if err := loadStrings(dst, data, bi, b.limit); err != nil {
			return err
		}
		meta.constData, dst.Const = data, true
		return nil
	}
	if data == nil {
		if dst.Sparsity != nil {
			return fmt.Errorf("sparse tensor is not a constant with data")
		}
		return nil
	}
	want := sparseValues * meta.elemSize // a sparse tensor stores only its values
	if dst.Sparsity == nil {
		var ok bool
		if want, ok = tensorBytes(dst.Type, meta.elemSize, dst.Shape, b.limit); !ok {
			return fmt.Errorf("shape %v of %s is too large", dst.Shape, dst.Type)
		}
	}
	if int64(len(data)) != want {
		return fmt.Errorf("buffer %d has %d bytes, shape %v of %s needs %d", bi, len(data), dst.Shape, dst.Type, want)
	}
	meta.constData = data
	dst.Const = !dst.Variable
	return nil
}

// tensorBytes is the data size of a tensor, false when it overflows limit.
// INT4 and UINT4 are packed two per byte and INT2 four per byte, rounded up to a whole
// byte, as LiteRT's BytesRequired sizes them.
func tensorBytes(dt models.DType, elemSize int64, shape []int, limit int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		var ok bool
		if n, ok = mulSize(n, int64(d), limit); !ok {
			return 0, false
		}
	}
	switch dt {
	case models.Int4, models.UInt4:
		return (n + 1) / 2, true
	case models.Int2:
		return (n + 3) / 4, true
	}
	return mulSize(n, elemSize, limit)
}

func loadQuant(t flatbuf.Table, dst *ops.Tensor, b *budget) error {
	q, err := t.Table(flatbuf.TensorQuantization)
	if err != nil || !q.Present() {
		return err
	}
	for _, slot := range []int{flatbuf.QuantMin, flatbuf.QuantMax} {
		if _, err := q.Vector(slot, 4); err != nil {
			return err
		}
	}
	details, err := q.Table(flatbuf.QuantDetails)
	if err != nil {
		return fmt.Errorf("details: %w", err)
	}
	if q.Uint8(flatbuf.QuantDetailsType, 0) == flatbuf.QuantDetailsBlockwise {
		// LiteRT takes blockwise details over any scale and zero point
		// vectors; the indices are checked once all tensors are loaded
		// (linkBlockwise).
		if !details.Present() {
			return fmt.Errorf("blockwise details are missing")
		}
		if err := b.charge(64, "blockwise quantization"); err != nil {
			return err
		}
		dst.Blockwise = &ops.BlockQuant{
			ScalesIndex:     int(details.Int32(flatbuf.BlockwiseScales, 0)),
			ZeroPointsIndex: int(details.Int32(flatbuf.BlockwiseZeroPoints, 0)),
			BlockSize:       int(details.Int32(flatbuf.BlockwiseBlockSize, 0)),
		}
		return nil
	}
	scale, err := q.Vector(flatbuf.QuantScale, 4)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	zp, err := q.Vector(flatbuf.QuantZeroPoint, 8)
	if err != nil {
		return fmt.Errorf("zero point: %w", err)
	}
	if scale.Len() == 0 {
		return nil // min/max only, or custom details: not affine quantization
	}
	if zp.Len() != 0 && zp.Len() != scale.Len() {
		return fmt.Errorf("%d scales but %d zero points", scale.Len(), zp.Len())
	}
	if err := b.charge(int64(scale.Len())*12+64, "quantization parameters"); err != nil {
		return err
	}
	mq := &models.Quant{Scale: make([]float32, scale.Len()), ZeroPoint: make([]int64, scale.Len())}
	for i := range mq.Scale {
		mq.Scale[i] = scale.Float32(i)
		if zp.Len() != 0 {
			mq.ZeroPoint[i] = zp.Int64(i)
		}
	}
	axis := q.Int32(flatbuf.QuantDimension, 0)
	if scale.Len() > 1 {
		// Some converters write a per-channel bias with the filter's
		// quantized dimension (e.g. 3 on a rank-1 tensor); the only
		// meaningful axis of a vector is 0.
		if len(dst.Shape) == 1 && axis >= 1 {
			axis = 0
		}
		if axis < 0 || int(axis) >= len(dst.Shape) {
			return fmt.Errorf("quantized dimension %d is outside the tensor's rank %d", axis, len(dst.Shape))
		}
		if dst.Shape[axis] != scale.Len() {
			return fmt.Errorf("%d scales for dimension %d of size %d", scale.Len(), axis, dst.Shape[axis])
		}
	}
	mq.Axis = int(max(axis, 0))
	dst.Quant = mq
	return nil
}
