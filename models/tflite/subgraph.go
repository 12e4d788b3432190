package tflite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/axle-edge/axle/models/tflite/flatbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// maxCallDepth bounds nested subgraph calls (WHILE inside IF inside ...).
const maxCallDepth = 64

type phase uint8

const (
	phaseIdle    phase = iota
	phasePrepare       // planning: Resize sets plan shapes
	phaseEval          // Invoke: Resize only for dynamic tensors
)

// subgraph holds one subgraph's tensors, nodes and memory plan. It is the
// ops.Context its kernels see and the ops.Subgraph control-flow kernels call.
type subgraph struct {
	// undefinedInput is reported after the operators' own Prepare checks
	// (see checkDefinedInputs).
	undefinedInput error

	it      *Interpreter
	index   int
	name    string
	tensors []ops.Tensor
	meta    []tensorMeta
	nodes   []ops.Node
	kernels []*ops.Kernel
	inputs  []int
	outputs []int
	inPtrs  []*ops.Tensor
	outPtrs []*ops.Tensor

	// plan state
	prepared  bool
	deferred  []bool  // node depends on a dynamic tensor: prepared during Invoke
	nodeAlloc []int64 // bytes Alloc'ed by each node's Prepare
	arena     []byte
	arenaCost int64
	dynCost   []int64 // per tensor: bytes charged for its dynamic buffer
	dynBuf    [][]byte

	phase phase
	node  int // node being prepared, for Alloc accounting
	ctx   context.Context
	busy  bool
}

func newSubgraph(it *Interpreter, p *parsed, index int) (*subgraph, error) {
	t := p.subgraphs[index]
	b := it.budget
	s := &subgraph{it: it, index: index}
	var err error
	if s.name, err = t.String(flatbuf.SubgraphName); err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	tv, err := t.Vector(flatbuf.SubgraphTensors, 4)
	if err != nil {
		return nil, fmt.Errorf("tensors: %w", err)
	}
	if err := b.charge(int64(tv.Len())*costTensor, "tensors"); err != nil {
		return nil, err
	}
	s.tensors = make([]ops.Tensor, tv.Len())
	s.meta = make([]tensorMeta, tv.Len())
	s.dynCost = make([]int64, tv.Len())
	s.dynBuf = make([][]byte, tv.Len())
	for i := range s.tensors {
		tt, err := tv.Table(i)
		if err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, err)
		}
		if err := loadTensor(p, tt, &s.tensors[i], &s.meta[i], b); err != nil {
			return nil, fmt.Errorf("tensor %d (%q): %w", i, s.tensors[i].Name, err)
		}
	}
	if err := linkBlockwise(s.tensors); err != nil {
		return nil, err
	}
	n := len(s.tensors)
	if s.inputs, err = indexList(t, flatbuf.SubgraphInputs, n, false, b, "inputs"); err != nil {
		return nil, err
	}
	if s.outputs, err = indexList(t, flatbuf.SubgraphOutputs, n, false, b, "outputs"); err != nil {
		return nil, err
	}
	if err := b.charge(int64(len(s.inputs)+len(s.outputs))*costIndex, "input and output lists"); err != nil {
		return nil, err
	}
	s.inPtrs = s.ptrs(s.inputs)
	s.outPtrs = s.ptrs(s.outputs)

	ov, err := t.Vector(flatbuf.SubgraphOperators, 4)
	if err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	if err := b.charge(int64(ov.Len())*(costNode+costKernelState), "operators"); err != nil {
		return nil, err
	}
	s.nodes = make([]ops.Node, ov.Len())
	s.kernels = make([]*ops.Kernel, ov.Len())
	s.deferred = make([]bool, ov.Len())
	s.nodeAlloc = make([]int64, ov.Len())
	for i := range s.nodes {
		if err := s.loadNode(p, ov, i); err != nil {
			return nil, err
		}
	}
	s.undefinedInput = s.checkDefinedInputs()
	if err := s.checkSparseUses(); err != nil {
		return nil, err
	}
	if err := s.initData(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *subgraph) ptrs(idx []int) []*ops.Tensor {
	out := make([]*ops.Tensor, len(idx))
	for i, x := range idx {
		out[i] = &s.tensors[x]
	}
	return out
}

// loadNode reads operator i; its errors name the node (the resolver's
// already do).
func (s *subgraph) loadNode(p *parsed, ov flatbuf.Vector, i int) error {
	if err := s.readNode(p, ov, i); err != nil {
		return fmt.Errorf("node %d: %w", i, err)
	}
	n := &s.nodes[i]
	k, err := s.it.resolver.Lookup(n.Op, n.Custom, n.Version, i)
	if err != nil {
		return err
	}
	s.kernels[i] = k
	return nil
}

func (s *subgraph) readNode(p *parsed, ov flatbuf.Vector, i int) error {
	t, err := ov.Table(i)
	if err != nil {
		return err
	}
	b := s.it.budget
	n := &s.nodes[i]
	n.Index = i
	oc := t.Uint32(flatbuf.OperatorOpcodeIndex, 0)
	if uint64(oc) >= uint64(len(p.opcodes)) {
		return fmt.Errorf("operator code index %d is outside the model's %d operator codes", oc, len(p.opcodes))
	}
	code := p.opcodes[oc]
	n.Op, n.Custom, n.Version = code.op, code.custom, code.version
	nt := len(s.tensors)
	if n.Inputs, err = indexList(t, flatbuf.OperatorInputs, nt, true, b, n.Name()+" inputs"); err != nil {
		return err
	}
	if n.Outputs, err = indexList(t, flatbuf.OperatorOutputs, nt, true, b, n.Name()+" outputs"); err != nil {
		return err
	}
	if n.Intermediates, err = indexList(t, flatbuf.OperatorIntermediates, nt, true, b, n.Name()+" intermediates"); err != nil {
		return err
	}
	if _, err := t.Vector(flatbuf.OperatorMutatingVariables, 1); err != nil {
		return fmt.Errorf("%s mutating variable inputs: %w", n.Name(), err)
	}
	raw := ops.RawOptions{
		Type:  t.Uint8(flatbuf.OperatorBuiltinOptionsType, 0),
		Type2: t.Uint8(flatbuf.OperatorBuiltinOptions2Type, 0),
	}
	if raw.Table, err = t.Table(flatbuf.OperatorBuiltinOptions); err != nil {
		return fmt.Errorf("%s builtin options: %w", n.Name(), err)
	}
	if raw.Table2, err = t.Table(flatbuf.OperatorBuiltinOptions2); err != nil {
		return fmt.Errorf("%s builtin options 2: %w", n.Name(), err)
	}
	if n.Opts, n.OptsPresent, err = ops.DecodeOptions(n.Op, raw, b.charge); err != nil {
		return fmt.Errorf("%s: %w", n.Name(), err)
	}
	co, err := t.Vector(flatbuf.OperatorCustomOptions, 1)
	if err != nil {
		return fmt.Errorf("%s custom options: %w", n.Name(), err)
	}
	n.CustomOptions = co.Bytes()
	if off, size := t.Uint64(flatbuf.OperatorLargeCustomOffset, 0), t.Uint64(flatbuf.OperatorLargeCustomSize, 0); off > 1 {
		data := s.it.data
		if off > uint64(len(data)) || size > uint64(len(data))-off {
			return fmt.Errorf("%s custom options: %d bytes at offset %d lie outside the %d-byte file", n.Name(), size, off, len(data))
		}
		n.CustomOptions = data[off : off+size]
	}
	for _, o := range n.Outputs {
		if o < 0 {
			continue
		}
		if s.tensors[o].Const {
			return fmt.Errorf("%s output tensor %d (%q) is a constant", n.Name(), o, s.tensors[o].Name)
		}
		for _, in := range n.Inputs {
			if in == o {
				return fmt.Errorf("%s uses tensor %d (%q) as both input and output", n.Name(), o, s.tensors[o].Name)
			}
		}
	}
	return nil
}

// initData points constant tensors at their data (in place when aligned)
// and gives variable tensors their own memory.
func (s *subgraph) initData() error {
	b := s.it.budget
	for i := range s.tensors {
		t, m := &s.tensors[i], &s.meta[i]
		switch {
		case t.Variable:
			size, ok := tensorBytes(t.Type, m.elemSize, t.Shape, b.limit)
			if !ok {
				return fmt.Errorf("tensor %d (%q): shape %v is too large", i, t.Name, t.Shape)
			}
			d, err := b.alloc(size, fmt.Sprintf("variable tensor %d (%q)", i, t.Name))
			if err != nil {
				return err
			}
			copy(d, m.constData)
			t.Data = d
		case t.Const:
			if aligned(m.constData) {
				t.Data = m.constData[:len(m.constData):len(m.constData)]
				continue
			}
			d, err := b.alloc(int64(len(m.constData)), fmt.Sprintf("copy of constant tensor %d (%q)", i, t.Name))
			if err != nil {
				return err
			}
			copy(d, m.constData)
			t.Data = d
		}
	}
	return nil
}

// resetVariables restores variable tensors to their initial values and
// lets kernels with state of their own (Kernel.Reset) clear it.
func (s *subgraph) resetVariables() {
	for i := range s.tensors {
		if t := &s.tensors[i]; t.Variable {
			clear(t.Data)
			copy(t.Data, s.meta[i].constData)
		}
	}
	for j, k := range s.kernels {
		if k != nil && k.Reset != nil && s.nodes[j].State != nil {
			k.Reset(&s.nodes[j])
		}
	}
}

// index returns the position of t in s.tensors, -1 when t is not one of
// them.
func (s *subgraph) tensorIndex(t *ops.Tensor) int {
	if t == nil || len(s.tensors) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(&s.tensors[0]))
	p := uintptr(unsafe.Pointer(t))
	size := unsafe.Sizeof(s.tensors[0])
	if p < base || (p-base)%size != 0 || (p-base)/size >= uintptr(len(s.tensors)) {
		return -1
	}
	return int((p - base) / size)
}

// prepare runs every kernel's Prepare in order and plans memory.
func (s *subgraph) prepare() error {
	if s.busy {
		return fmt.Errorf("subgraph %d calls itself", s.index)
	}
	if s.it.depth >= maxCallDepth {
		return fmt.Errorf("subgraph %d: subgraph calls nested deeper than %d", s.index, maxCallDepth)
	}
	s.it.depth++
	s.busy = true
	defer func() { s.busy = false; s.it.depth-- }()

	s.prepared = false
	// Tensors become dynamic again only if a kernel says so.
	for i := range s.tensors {
		t := &s.tensors[i]
		if !t.Const && !t.Variable {
			t.Dynamic = false
		}
	}
	s.phase = phasePrepare
	defer func() { s.phase = phaseIdle }()
	for j := range s.nodes {
		n := &s.nodes[j]
		s.deferred[j] = s.anyDynamic(n.Inputs)
		if s.deferred[j] {
			s.markDynamic(n.Outputs)
			s.markDynamic(n.Intermediates)
			continue
		}
		if err := s.prepareNode(j); err != nil {
			return err
		}
	}
	if s.undefinedInput != nil {
		return s.undefinedInput
	}
	if err := s.plan(); err != nil {
		return err
	}
	s.prepared = true
	return nil
}

func (s *subgraph) prepareNode(j int) error {
	s.it.budget.release(s.nodeAlloc[j])
	s.nodeAlloc[j] = 0
	s.node = j
	defer func() { s.node = -1 }()
	n := &s.nodes[j]
	if err := s.kernels[j].Prepare(s, n); err != nil {
		return fmt.Errorf("subgraph %d: %w", s.index, err)
	}
	if size := stateSize(n.State); size > costKernelState {
		return fmt.Errorf("%w: subgraph %d: %s (node %d): kernel state of %d bytes is larger than the %d bytes reserved per node", ErrInternal, s.index, n.Name(), j, size, costKernelState)
	}
	return nil
}

// stateSize is the size of the value a kernel keeps in Node.State (the
// pointed-to struct for a pointer).
func stateSize(state any) uintptr {
	if state == nil {
		return 0
	}
	t := reflect.TypeOf(state)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Size()
}

func (s *subgraph) anyDynamic(idx []int) bool {
	for _, x := range idx {
		if x >= 0 && s.tensors[x].Dynamic {
			return true
		}
	}
	return false
}

func (s *subgraph) markDynamic(idx []int) {
	for _, x := range idx {
		if x >= 0 {
			s.tensors[x].Dynamic = true
		}
	}
}

// invoke runs the nodes in order.
func (s *subgraph) invoke(ctx context.Context) (err error) {
	// Checked even for a subgraph without operators, so a WHILE over empty
	// subgraphs still stops when ctx ends.
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.prepared {
		if err := s.prepare(); err != nil {
			return err
		}
	}
	if s.busy {
		return fmt.Errorf("subgraph %d calls itself", s.index)
	}
	if s.it.depth >= maxCallDepth {
		return fmt.Errorf("subgraph %d: subgraph calls nested deeper than %d", s.index, maxCallDepth)
	}
	s.it.depth++
	s.busy = true
	prevCtx, prevPhase := s.ctx, s.phase
	s.ctx = ctx
	defer func() {
		s.busy = false
		s.it.depth--
		s.ctx, s.phase = prevCtx, prevPhase
	}()
	for j := range s.nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.deferred[j] {
			s.phase = phasePrepare
			err := s.prepareNode(j)
			if err == nil {
				err = s.checkData(j)
			}
			if err != nil {
				return err
			}
		}
		s.phase = phaseEval
		if err := s.kernels[j].Eval(s, &s.nodes[j]); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("subgraph %d: %w", s.index, err)
		}
	}
	return nil
}

// checkData verifies that the inputs of a node prepared during Invoke have
// data for their shapes (a dynamic producer must have resized them).
func (s *subgraph) checkData(j int) error {
	n := &s.nodes[j]
	for _, x := range n.Inputs {
		if x < 0 {
			continue
		}
		t := &s.tensors[x]
		if t.Sparsity != nil {
			continue // DENSIFY checks its stored values itself
		}
		want, ok := tensorBytes(t.Type, s.meta[x].elemSize, t.Shape, s.it.budget.limit)
		if !ok || int64(len(t.Data)) < want {
			return fmt.Errorf("subgraph %d: %s (node %d): input tensor %d (%q) has %d bytes of data for shape %v", s.index, n.Name(), j, x, t.Name, len(t.Data), t.Shape)
		}
	}
	return nil
}

// --- ops.Context ---

func (s *subgraph) Tensor(i int) *ops.Tensor {
	if i < 0 || i >= len(s.tensors) {
		return nil
	}
	return &s.tensors[i]
}

func (s *subgraph) Input(n *ops.Node, i int) *ops.Tensor {
	if n == nil || i < 0 || i >= len(n.Inputs) {
		return nil
	}
	return s.Tensor(n.Inputs[i])
}

func (s *subgraph) Output(n *ops.Node, i int) *ops.Tensor {
	if n == nil || i < 0 || i >= len(n.Outputs) {
		return nil
	}
	return s.Tensor(n.Outputs[i])
}

func (s *subgraph) Resize(t *ops.Tensor, shape []int) error {
	i := s.tensorIndex(t)
	if i < 0 {
		return fmt.Errorf("resize: tensor %q does not belong to subgraph %d", t.Name, s.index)
	}
	if t.Const {
		return fmt.Errorf("resize: tensor %d (%q) is a constant", i, t.Name)
	}
	for k, d := range shape {
		if d < 0 {
			return fmt.Errorf("resize: tensor %d (%q): negative dimension %d at %d", i, t.Name, d, k)
		}
	}
	size, ok := tensorBytes(t.Type, s.meta[i].elemSize, shape, s.it.budget.limit)
	if !ok {
		return fmt.Errorf("resize: tensor %d (%q): shape %v is larger than the model's memory limit", i, t.Name, shape)
	}
	if t.Variable {
		if !sameShape(t.Shape, shape) {
			return fmt.Errorf("resize: variable tensor %d (%q) has shape %v, cannot become %v", i, t.Name, t.Shape, shape)
		}
		return nil
	}
	if !t.Dynamic {
		if s.phase != phasePrepare {
			if sameShape(t.Shape, shape) {
				return nil
			}
			return fmt.Errorf("resize: tensor %d (%q) is not dynamic; its shape %v cannot change to %v during Eval", i, t.Name, t.Shape, shape)
		}
		t.Shape = append(t.Shape[:0], shape...)
		return nil
	}
	t.Shape = append(t.Shape[:0], shape...)
	return s.dynData(i, size)
}

// dynData gives dynamic tensor i size bytes of data, reusing its buffer
// when large enough.
func (s *subgraph) dynData(i int, size int64) error {
	t := &s.tensors[i]
	if size <= int64(cap(s.dynBuf[i])) {
		t.Data = s.dynBuf[i][:size]
		return nil
	}
	b := s.it.budget
	b.release(s.dynCost[i])
	s.dynCost[i], s.dynBuf[i], t.Data = 0, nil, nil
	d, err := b.alloc(size, fmt.Sprintf("dynamic tensor %d (%q)", i, t.Name))
	if err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	s.dynCost[i], s.dynBuf[i], t.Data = size, d, d
	return nil
}

func (s *subgraph) SetDynamic(t *ops.Tensor) {
	if s.phase == phasePrepare && s.tensorIndex(t) >= 0 && !t.Const && !t.Variable {
		t.Dynamic = true
	}
}

func (s *subgraph) Alloc(bytes int) ([]byte, error) {
	if err := s.Reserve(bytes); err != nil {
		return nil, err
	}
	return alignedBytes(bytes), nil
}

// Reserve charges kernel state to the node being prepared, so a re-prepare
// releases it. Kernels wrap its errors with the node's name.
func (s *subgraph) Reserve(bytes int) error {
	if bytes < 0 {
		return fmt.Errorf("kernel state: negative size %d", bytes)
	}
	if err := s.it.budget.charge(int64(bytes), "kernel state"); err != nil {
		return err
	}
	if s.node >= 0 && s.node < len(s.nodeAlloc) {
		s.nodeAlloc[s.node] += int64(bytes)
	}
	return nil
}

func (s *subgraph) Subgraph(i int) (ops.Subgraph, error) {
	if i < 0 || i >= len(s.it.subgraphs) {
		return nil, fmt.Errorf("subgraph %d does not exist (the model has %d)", i, len(s.it.subgraphs))
	}
	sub := s.it.subgraphs[i]
	if sub == s {
		return nil, fmt.Errorf("subgraph %d cannot call itself", i)
	}
	if !sub.prepared {
		if err := sub.prepare(); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

func (s *subgraph) Variables() *ops.Variables { return s.it.vars }

func (s *subgraph) Threads() int { return s.it.pool.threads }

func (s *subgraph) Parallel(n int, fn func(lo, hi int)) { s.it.pool.parallel(n, fn) }

func (s *subgraph) Ctx() context.Context {
	if s.phase == phaseEval {
		return s.ctx
	}
	return nil
}

// --- ops.Subgraph ---

func (s *subgraph) Index() int            { return s.index }
func (s *subgraph) Name() string          { return s.name }
func (s *subgraph) Inputs() []*ops.Tensor { return s.inPtrs }

// Outputs re-plans a subgraph whose inputs were resized, so callers see the
// new output shapes; a planning error is reported again by Invoke.
func (s *subgraph) Outputs() []*ops.Tensor {
	if !s.prepared && !s.busy {
		_ = s.prepare()
	}
	return s.outPtrs
}

func (s *subgraph) Invoke(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return s.invoke(ctx)
}

// ResizeInput changes the shape of input i; the subgraph re-plans at the
// next Outputs or Invoke, once every input has its new shape.
func (s *subgraph) ResizeInput(i int, shape []int) error {
	if i < 0 || i >= len(s.inputs) {
		return fmt.Errorf("subgraph %d has no input %d", s.index, i)
	}
	t := s.inPtrs[i]
	if sameShape(t.Shape, shape) && s.prepared {
		return nil
	}
	for k, d := range shape {
		if d < 0 {
			return fmt.Errorf("subgraph %d input %d: negative dimension %d at %d", s.index, i, d, k)
		}
	}
	if t.Const || t.Variable {
		return fmt.Errorf("subgraph %d input %d (%q) is not resizable", s.index, i, t.Name)
	}
	t.Shape = append(t.Shape[:0], shape...)
	s.prepared = false
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
