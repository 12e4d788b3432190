package ops

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// opcodes.go mirrors the schema's BuiltinOperator enum; TFLITE_SCHEMA names a
// copy of TFLite's schema.fbs (see models/build/cmd/schemagen).
//go:generate go run ../../build/cmd/schemagen -what ops -out opcodes.go

// Op is a TFLite builtin operator code (schema enum BuiltinOperator).
type Op int32

// String is the schema name of the operator, e.g. "CONV_2D".
func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return fmt.Sprintf("BUILTIN_%d", int32(o))
}

// Tensor is the interpreter's view of one tensor, as kernels see it.
//
// Data is 16-byte aligned and little-endian, so the typed views below are
// direct reinterpretations without copies. Data of a constant tensor must not
// be written.
type Tensor struct {
	Name  string
	Type  models.DType
	Shape []int
	Quant *models.Quant // nil when not quantized
	Data  []byte

	Const    bool // backed by a model buffer
	Variable bool // is_variable in the model: state kept across invocations
	// Dynamic tensors get their shape during Eval (Context.Resize) and live
	// outside the static arena.
	Dynamic bool
	// Sparsity is set on a sparse constant (DENSIFY's input): Data then
	// holds only the stored values, not Shape's elements.
	Sparsity *Sparsity
	// Blockwise is set instead of Quant when the tensor is blockwise
	// quantized (blockquant.go).
	Blockwise *BlockQuant
}

// NumElements is the product of the shape.
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Dims is len(Shape).
func (t *Tensor) Dims() int { return len(t.Shape) }

// Dim is Shape[i], or 1 when i is out of range (convenient for broadcasting).
func (t *Tensor) Dim(i int) int {
	if i < 0 || i >= len(t.Shape) {
		return 1
	}
	return t.Shape[i]
}

// Bytes is the size the tensor's data must have.
func (t *Tensor) Bytes() int { return t.NumElements() * t.Type.Size() }

func view[T any](b []byte) []T {
	var z T
	sz := int(unsafe.Sizeof(z))
	if len(b) < sz {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/sz)
}

func (t *Tensor) F32() []float32 { return view[float32](t.Data) }
func (t *Tensor) F64() []float64 { return view[float64](t.Data) }
func (t *Tensor) I8() []int8     { return view[int8](t.Data) }
func (t *Tensor) U8() []uint8    { return t.Data }
func (t *Tensor) I16() []int16   { return view[int16](t.Data) }
func (t *Tensor) U16() []uint16  { return view[uint16](t.Data) }
func (t *Tensor) I32() []int32   { return view[int32](t.Data) }
func (t *Tensor) U32() []uint32  { return view[uint32](t.Data) }
func (t *Tensor) I64() []int64   { return view[int64](t.Data) }
func (t *Tensor) Bool() []bool   { return view[bool](t.Data) }

// Scale is the per-tensor scale (the first scale), 0 when not quantized.
func (t *Tensor) Scale() float64 {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return 0
	}
	return float64(t.Quant.Scale[0])
}

// ZeroPoint is the per-tensor zero point (the first), 0 when not quantized.
func (t *Tensor) ZeroPoint() int32 {
	if t.Quant == nil || len(t.Quant.ZeroPoint) == 0 {
		return 0
	}
	return int32(t.Quant.ZeroPoint[0])
}

// Node is one operator of a subgraph.
type Node struct {
	Index   int    // position in the subgraph's operator list
	Op      Op     // builtin code; OpCustom for custom ops
	Custom  string // custom code when Op == OpCustom
	Version int    // operator version from the model's operator code

	// Tensor indices; -1 marks an omitted optional tensor.
	Inputs        []int
	Outputs       []int
	Intermediates []int

	// Opts is the options table (builtin_options, or builtin_options_2 for
	// the StableHLO operators and REDUCE_WINDOW) decoded at load into the typed
	// struct of the operator (*Conv2DOptions for CONV_2D, *Pool2DOptions
	// for MAX_POOL_2D, ...; OptionsType names it), holding the schema
	// defaults when the model has no table; nil for operators without
	// options. A table of another type than the operator's fails the load.
	Opts any
	// OptsPresent tells whether the model carried the options table, for
	// the few kernels whose behaviour without one differs from the schema
	// defaults (TFLite's zeroed parameters).
	OptsPresent bool
	// CustomOptions is the raw custom_options bytes (FlexBuffers for the
	// ops TFLite ships).
	CustomOptions []byte

	// State is owned by the kernel: Prepare sets it (precomputed
	// multipliers, lookup tables, scratch buffers), Eval reads it.
	State any
}

// Name is the operator name for messages: "CONV_2D" or the custom code.
func (n *Node) Name() string {
	if n.Op == OpCustom {
		return n.Custom
	}
	return n.Op.String()
}

// Errorf makes an error that names the node, as every kernel error must.
func (n *Node) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s (node %d): %s", n.Name(), n.Index, fmt.Sprintf(format, args...))
}

// Context is what the interpreter offers kernels.
type Context interface {
	// Tensor returns tensor i of the current subgraph, nil for i < 0.
	Tensor(i int) *Tensor
	// Input and Output return the node's i-th input/output tensor, nil when
	// omitted (-1) or when i is out of range.
	Input(n *Node, i int) *Tensor
	Output(n *Node, i int) *Tensor

	// Resize sets a tensor's shape. During Prepare it sets the shape the
	// memory plan uses. During Eval it is allowed only for Dynamic tensors
	// and (re)allocates their data within the model's memory limit.
	Resize(t *Tensor, shape []int) error
	// ResizeBytes sets the shape of a Dynamic tensor without a fixed element
	// size (string) and gives it exactly bytes bytes of data, within the
	// model's memory limit; it allocates only when the tensor grows past
	// its largest size so far.
	ResizeBytes(t *Tensor, shape []int, bytes int64) error
	// SetDynamic marks an output whose shape is only known during Eval.
	SetDynamic(t *Tensor)
	// Alloc returns zeroed, 16-byte aligned memory that lives as long as
	// the model, counted against the model's memory limit. Use it in
	// Prepare for kernel state; never in Eval.
	Alloc(bytes int) ([]byte, error)
	// Reserve counts bytes the kernel is about to allocate itself (slices
	// of pointers, which Alloc's plain bytes cannot hold) against the
	// model's memory limit, for as long as the model lives. Prepare only.
	Reserve(bytes int) error

	// Subgraph returns subgraph i of the model, for control-flow ops.
	Subgraph(i int) (Subgraph, error)
	// Variables holds resource variables shared by all subgraphs.
	Variables() *Variables

	// Threads is how many goroutines heavy kernels may use (>= 1).
	Threads() int
	// Parallel runs fn over [0,n) and waits for all of it: one index per
	// call (contiguous ranges when n is very large), the calls claimed one
	// at a time by the calling goroutine and up to Threads()-1 workers, so
	// no two calls for the same index overlap. It does not allocate.
	Parallel(n int, fn func(lo, hi int))

	// Ctx is the context of the current Invoke (nil during Prepare).
	Ctx() context.Context
}

// Subgraph is a callable subgraph, for WHILE, IF and CALL_ONCE.
type Subgraph interface {
	Index() int
	Name() string
	Inputs() []*Tensor
	Outputs() []*Tensor
	// ResizeInput changes an input's shape; the subgraph re-plans before its
	// next Invoke.
	ResizeInput(i int, shape []int) error
	Invoke(ctx context.Context) error
}

// Kernel implements one operator.
//
// Prepare validates types, shapes and options, sets output shapes with
// Context.Resize (or marks them dynamic) and precomputes state. It may run
// again before an Eval when input shapes changed, so it must be idempotent.
// Eval computes outputs and must not allocate for static shapes.
type Kernel struct {
	// MaxVersion is the highest operator version this kernel implements;
	// models asking for a newer version fail to load.
	MaxVersion int
	Prepare    func(c Context, n *Node) error
	Eval       func(c Context, n *Node) error
	// Reset, when set, clears state the kernel keeps in n.State across
	// invocations (outside variable tensors); Interpreter.Reset calls it
	// for every prepared node.
	Reset func(n *Node)
}

// Resolver finds kernels for builtin and custom operators.
type Resolver struct {
	Builtin map[Op]*Kernel
	Custom  map[string]*Kernel
}

// Lookup returns the kernel for a node's operator, or an error that names
// the operator, its version and the node.
func (r *Resolver) Lookup(op Op, custom string, version, node int) (*Kernel, error) {
	var k *Kernel
	name := op.String()
	if op == OpCustom {
		k, name = r.Custom[custom], "custom op "+custom
	} else {
		k = r.Builtin[op]
	}
	if k == nil {
		return nil, fmt.Errorf("node %d: operator %s version %d is not supported", node, name, version)
	}
	if version > k.MaxVersion {
		return nil, fmt.Errorf("node %d: operator %s version %d is not supported (up to version %d)", node, name, version, k.MaxVersion)
	}
	return k, nil
}

// Builtins is the explicit table of every kernel in the binary.
func Builtins() *Resolver {
	r := &Resolver{Builtin: map[Op]*Kernel{}, Custom: map[string]*Kernel{}}
	addElementwise(r)
	addActivations(r)
	addQuantize(r)
	addDense(r)
	addConv(r)
	addPool(r)
	addReduce(r)
	addShape(r)
	addSlicing(r)
	addControl(r)
	addSequence(r)
	addSignal(r)
	addDetection(r)
	addAudio(r)
	addNumericVerify(r)
	addHadamard(r)
	addFloor(r)
	addSpaceBatch(r)
	addGatherScatterND(r)
	addBroadcast(r)
	addSelect(r)
	addCumsum(r)
	addReverse(r)
	addOneHot(r)
	addDepthSpace(r)
	addMath(r)
	addLogical(r)
	addAddN(r)
	addComplex(r)
	addRange(r)
	addDynamicUpdateSlice(r)
	addTopK(r)
	addReduceProd(r)
	addL2Pool(r)
	addLRN(r)
	addActivationLUTs(r)
	addEmbedding(r)
	addWhere(r)
	addBucketize(r)
	addUnique(r)
	addSparseToDense(r)
	addSegment(r)
	addMatrixDiag(r)
	addReverseSequence(r)
	addBitwise(r)
	addBitcast(r)
	addStablehloElementwise(r)
	addFakeQuant(r)
	addDilate(r)
	addNMS(r)
	addConv3D(r)
	addHashtableLookup(r)
	addHashtable(r)
	addSkipGram(r)
	addLSHProjection(r)
	addStablehloPad(r)
	addRandom(r)
	addReduceWindow(r)
	addDensify(r)
	addStablehloControl(r)
	addStablehloGather(r)
	addStablehloScatter(r)
	addStablehloReduceWindow(r)
	addStablehloRngBitGenerator(r)
	return r
}
