package tflite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("tflite: model is closed")

// ErrInternal wraps a kernel panic turned into an error. It always means a
// bug in axle, never a property of the model: fuzzers treat it as a crash.
var ErrInternal = errors.New("tflite: internal error")

// Runtime is the pure-Go TFLite runtime, for the agent's runtime table.
type Runtime struct{}

// Name is "tflite-go".
func (Runtime) Name() string { return "tflite-go" }

// Load loads a model with the builtin kernels.
func (Runtime) Load(data []byte, opts models.Options) (models.Model, error) {
	it, err := Load(data, opts)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// Interpreter is a loaded, allocated TFLite model. Its embedded Runner runs
// subgraph 0, so an Interpreter is a models.Model. Not safe for concurrent
// use.
type Interpreter struct {
	*Runner

	data        []byte // the model file; constant tensors may point into it
	budget      *budget
	resolver    *ops.Resolver
	subgraphs   []*subgraph
	signatures  []Signature
	description string
	vars        *ops.Variables
	pool        *pool
	depth       int // nesting of subgraph calls
	closed      bool
}

// Load parses and validates a .tflite model, resolves its operators against
// ops.Builtins(), prepares subgraph 0 and plans its memory. Constant tensors
// whose data is 16-byte aligned point into data, which therefore must not be
// modified while the Interpreter is in use.
func Load(data []byte, opts models.Options) (*Interpreter, error) {
	return LoadWithResolver(data, opts, ops.Builtins())
}

// LoadFile reads and loads a model file, refusing files larger than the
// memory limit before reading them.
func LoadFile(path string, opts models.Options) (*Interpreter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	limit := newBudget(opts.MaxBytes).limit
	if st.Size() > limit {
		return nil, fmt.Errorf("tflite: %s: model file is %d bytes, larger than the %d-byte limit", path, st.Size(), limit)
	}
	data := alignedBytes(int(st.Size()))
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("tflite: %s: %w", path, err)
	}
	it, err := Load(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return it, nil
}

// LoadWithResolver is Load with an explicit kernel table (tests, or a
// binary that trims the kernels it ships).
func LoadWithResolver(data []byte, opts models.Options, r *ops.Resolver) (it *Interpreter, err error) {
	defer func() {
		if p := recover(); p != nil {
			it, err = nil, fmt.Errorf("%w: load: %v", ErrInternal, p)
		}
	}()
	b := newBudget(opts.MaxBytes)
	if err := b.charge(int64(len(data)), "model file"); err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	p, err := parse(data, b)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	it = &Interpreter{
		data:        data,
		budget:      b,
		resolver:    r,
		signatures:  p.signatures,
		description: p.description,
	}
	it.vars = ops.NewVariables(func(n int) ([]byte, error) { return b.alloc(int64(n), "resource variable") })
	it.subgraphs = make([]*subgraph, len(p.subgraphs))
	for i := range p.subgraphs {
		s, err := newSubgraph(it, p, i)
		if err != nil {
			return nil, fmt.Errorf("tflite: subgraph %d: %w", i, err)
		}
		it.subgraphs[i] = s
	}
	for _, sg := range it.signatures {
		s := it.subgraphs[sg.Subgraph]
		for _, m := range append(append([]SignatureTensor(nil), sg.Inputs...), sg.Outputs...) {
			if m.Tensor >= len(s.tensors) {
				return nil, fmt.Errorf("tflite: signature %q: tensor %q is index %d, outside subgraph %d's %d tensors", sg.Key, m.Name, m.Tensor, sg.Subgraph, len(s.tensors))
			}
		}
	}
	it.pool = newPool(opts.Threads)
	if it.Runner, err = it.runner(0); err != nil {
		it.pool.close()
		return nil, fmt.Errorf("tflite: %w", err)
	}
	return it, nil
}

// Description is the model's description string.
func (it *Interpreter) Description() string { return it.description }

// NumSubgraphs is the number of subgraphs in the model.
func (it *Interpreter) NumSubgraphs() int { return len(it.subgraphs) }

// Signatures are the model's signature defs.
func (it *Interpreter) Signatures() []Signature { return it.signatures }

// ArenaBytes is the size of the activation arenas of the subgraphs planned
// so far.
func (it *Interpreter) ArenaBytes() int64 {
	var n int64
	for _, s := range it.subgraphs {
		n += s.arenaCost
	}
	return n
}

// MemoryBytes is everything charged against the model's memory limit: the
// file, bookkeeping, arenas, copies of constants, variables, kernel state
// and dynamic tensors.
func (it *Interpreter) MemoryBytes() int64 { return it.budget.used }

// OpInfo describes one operator of the model.
type OpInfo struct {
	Subgraph int
	Index    int
	Name     string // builtin name ("CONV_2D") or custom code
	Version  int
}

// Ops lists the operators of every subgraph in order.
func (it *Interpreter) Ops() []OpInfo {
	var out []OpInfo
	for _, s := range it.subgraphs {
		for j := range s.nodes {
			n := &s.nodes[j]
			out = append(out, OpInfo{Subgraph: s.index, Index: j, Name: n.Name(), Version: n.Version})
		}
	}
	return out
}

// Subgraph returns a Runner for subgraph i, preparing it if needed.
func (it *Interpreter) Subgraph(i int) (*Runner, error) {
	if i < 0 || i >= len(it.subgraphs) {
		return nil, fmt.Errorf("tflite: subgraph %d does not exist (the model has %d)", i, len(it.subgraphs))
	}
	r, err := it.runner(i)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	return r, nil
}

// Signature returns a Runner for the subgraph of the signature named key.
func (it *Interpreter) Signature(key string) (*Runner, error) {
	for _, s := range it.signatures {
		if s.Key == key {
			return it.Subgraph(s.Subgraph)
		}
	}
	return nil, fmt.Errorf("tflite: the model has no signature %q", key)
}

func (it *Interpreter) runner(i int) (r *Runner, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%w: prepare subgraph %d: %v", ErrInternal, i, p)
		}
	}()
	s := it.subgraphs[i]
	if !s.prepared {
		if err := s.prepare(); err != nil {
			return nil, err
		}
	}
	return &Runner{it: it, s: s}, nil
}

// Reset clears state kept across invocations: resource variables and
// variable tensors (back to their initial values from the file, or zeros).
func (it *Interpreter) Reset() error {
	if it.closed {
		return ErrClosed
	}
	it.vars.Reset()
	for _, s := range it.subgraphs {
		s.resetVariables()
	}
	return nil
}

// Close stops the worker goroutines. The Interpreter cannot be used after.
func (it *Interpreter) Close() error {
	if !it.closed {
		it.closed = true
		it.pool.close()
	}
	return nil
}

// Runner runs one subgraph of an Interpreter with that subgraph's inputs
// and outputs.
type Runner struct {
	it      *Interpreter
	s       *subgraph
	inInfo  []models.TensorInfo
	outInfo []models.TensorInfo
}

// SubgraphIndex is the subgraph this Runner runs.
func (r *Runner) SubgraphIndex() int { return r.s.index }

// Inputs describes the subgraph's inputs (the slice must not be modified).
func (r *Runner) Inputs() []models.TensorInfo {
	if r.inInfo == nil || !r.s.prepared {
		r.inInfo = r.info(r.s.inputs)
	}
	return r.inInfo
}

// Outputs describes the subgraph's outputs as of the last Invoke or plan.
func (r *Runner) Outputs() []models.TensorInfo {
	r.outInfo = r.info(r.s.outputs)
	return r.outInfo
}

func (r *Runner) info(idx []int) []models.TensorInfo {
	out := make([]models.TensorInfo, len(idx))
	for k, x := range idx {
		t := &r.s.tensors[x]
		size, _ := tensorBytes(t.Type, r.s.meta[x].elemSize, t.Shape, r.it.budget.limit)
		out[k] = models.TensorInfo{
			Index: x, Name: t.Name, DType: t.Type,
			Shape: append([]int(nil), t.Shape...), Quant: t.Quant, Bytes: int(size),
		}
	}
	return out
}

// Input returns the writable bytes of input i, nil when i is out of range.
func (r *Runner) Input(i int) []byte {
	if i < 0 || i >= len(r.s.inPtrs) {
		return nil
	}
	return r.s.inPtrs[i].Data
}

// Output returns the bytes of output i as of the last Invoke.
func (r *Runner) Output(i int) []byte {
	if i < 0 || i >= len(r.s.outPtrs) {
		return nil
	}
	return r.s.outPtrs[i].Data
}

// ResizeInput changes the shape of input i; the subgraph is re-planned
// (and input data must be written again) before the next Invoke.
func (r *Runner) ResizeInput(i int, shape []int) error {
	if err := r.s.ResizeInput(i, shape); err != nil {
		return fmt.Errorf("tflite: %w", err)
	}
	r.inInfo = nil
	_, err := r.it.runner(r.s.index)
	return err
}

// Invoke runs the subgraph once on the current inputs. A cancelled ctx
// stops it between operators and returns ctx.Err().
func (r *Runner) Invoke(ctx context.Context) (err error) {
	if r.it.closed {
		return ErrClosed
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: invoke subgraph %d: %v", ErrInternal, r.s.index, p)
			r.it.depth = 0
			for _, s := range r.it.subgraphs {
				s.busy = false
				s.phase = phaseIdle
			}
		}
	}()
	r.it.pool.begin() // workers poll for split ops until the Invoke ends
	defer r.it.pool.end()
	err = r.s.invoke(ctx)
	if err != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("tflite: %w", err)
	}
	return err
}
