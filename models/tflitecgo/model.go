//go:build tflite

package tflitecgo

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
)

// ErrClosed is returned by Invoke and Reset after Close.
var ErrClosed = errors.New("tflitecgo: model is closed")

// DefaultMaxBytes is the largest model file accepted when
// models.Options.MaxBytes is 0. Memory TFLite allocates itself (arena,
// delegate buffers) is not counted: the C library does not report it.
const DefaultMaxBytes = 256 << 20

// Runtime is the TFLite C runtime, for models/runtimes.
type Runtime struct {
	// Library is the libtensorflowlite_c to dlopen: a file name the
	// dynamic loader searches for, or a path; "" is DefaultLibrary.
	Library string
}

// Name is "tflite-c".
func (Runtime) Name() string { return "tflite-c" }

// Load loads a model; see LoadModel.
func (r Runtime) Load(data []byte, opts models.Options) (models.Model, error) {
	m, err := r.LoadModel(data, opts)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Model is a model loaded into a TFLite C interpreter. Not safe for
// concurrent use.
type Model struct {
	rep      *reporter
	handle   cgo.Handle
	data     unsafe.Pointer // C copy of the model file; TfLiteModel points into it
	model    *C.TfLiteModel
	ip       *C.TfLiteInterpreter
	del      delegates.Delegater // nil: builtin kernels only
	delName  string
	inInfo   []models.TensorInfo
	inputs   [][]byte
	outIdx   []int
	sigs     []*SignatureRunner // made by Signature, freed by Close
	cancel   func()
	canceled chan struct{}
	closed   bool
}

// Load is LoadModel with the default library.
func Load(data []byte, opts models.Options) (*Model, error) {
	return Runtime{}.LoadModel(data, opts)
}

// LoadModel opens the library (once per process), copies data into C
// memory, builds an interpreter with opts.Threads threads and the delegate
// opts.Delegate names, and allocates its tensors. A library that cannot be
// opened wraps models.ErrUnavailable; a failure that only the delegate
// causes wraps models.ErrDelegate.
func (r Runtime) LoadModel(data []byte, opts models.Options) (*Model, error) {
	if err := openLibrary(r.Library); err != nil {
		return nil, fmt.Errorf("tflitecgo: %w", err)
	}
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("tflitecgo: model is %d bytes, larger than the %d-byte limit", len(data), limit)
	}
	if len(data) == 0 {
		return nil, errors.New("tflitecgo: model is empty")
	}
	m := &Model{rep: &reporter{}, canceled: make(chan struct{}, 1)}
	m.handle = cgo.NewHandle(m.rep)
	m.data = C.CBytes(data)
	m.model = C.axle_model_create(m.data, C.size_t(len(data)), C.uintptr_t(m.handle))
	if m.model == nil {
		err := fmt.Errorf("tflitecgo: the TFLite library refuses the model: %s", m.said("flatbuffer verification failed"))
		m.Close()
		return nil, err
	}
	threads := max(opts.Threads, 1)
	del, name, err := newDelegate(opts.Delegate, threads)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("tflitecgo: %w", err)
	}
	m.del, m.delName = del, name
	if err := m.build(threads); err != nil {
		if m.del != nil && m.worksWithout(threads) {
			err = fmt.Errorf("%w: delegate %s: %w", models.ErrDelegate, m.delName, err)
		}
		m.Close()
		return nil, fmt.Errorf("tflitecgo: %w", err)
	}
	m.rep.reset() // warnings of a good load are not a later error's cause
	return m, nil
}

// build creates and allocates the interpreter with m's delegate.
func (m *Model) build(threads int) error {
	o := C.ax_TfLiteInterpreterOptionsCreate()
	if o == nil {
		return errors.New("interpreter options: out of memory")
	}
	defer C.ax_TfLiteInterpreterOptionsDelete(o)
	C.ax_TfLiteInterpreterOptionsSetNumThreads(o, C.int32_t(threads))
	C.axle_options_reporter(o, C.uintptr_t(m.handle))
	if C.ax_TfLiteInterpreterOptionsEnableCancellation(o, true) != C.kTfLiteOk {
		return errors.New("interpreter options: cancellation not supported by this library")
	}
	if m.del != nil {
		C.ax_TfLiteInterpreterOptionsAddDelegate(o, (*C.TfLiteDelegate)(m.del.Ptr()))
	}
	m.ip = C.ax_TfLiteInterpreterCreate(m.model, o)
	if m.ip == nil {
		return fmt.Errorf("create interpreter: %s", m.said("failed"))
	}
	if C.ax_TfLiteInterpreterAllocateTensors(m.ip) != C.kTfLiteOk {
		return fmt.Errorf("allocate tensors: %s", m.said("failed"))
	}
	n := int(C.ax_TfLiteInterpreterGetInputTensorCount(m.ip))
	m.inInfo = make([]models.TensorInfo, n)
	m.inputs = make([][]byte, n)
	for i := range n {
		t := C.ax_TfLiteInterpreterGetInputTensor(m.ip, C.int32_t(i))
		m.inInfo[i] = tensorInfo(t, int(C.ax_TfLiteInterpreterGetInputTensorIndex(m.ip, C.int32_t(i))))
		m.inputs[i] = tensorBytes(t)
	}
	k := int(C.ax_TfLiteInterpreterGetOutputTensorCount(m.ip))
	m.outIdx = make([]int, k)
	for i := range k {
		m.outIdx[i] = int(C.ax_TfLiteInterpreterGetOutputTensorIndex(m.ip, C.int32_t(i)))
	}
	ip := m.ip
	m.cancel = func() {
		C.ax_TfLiteInterpreterCancel(ip)
		m.canceled <- struct{}{}
	}
	return nil
}

// worksWithout reports whether the model builds without the delegate,
// which makes a failure with it the delegate's.
func (m *Model) worksWithout(threads int) bool {
	probe := &Model{rep: m.rep, handle: m.handle, model: m.model}
	ok := probe.build(threads) == nil
	if probe.ip != nil {
		C.ax_TfLiteInterpreterDelete(probe.ip)
	}
	m.rep.reset()
	return ok
}

// said is what TFLite reported since the last call, or def.
func (m *Model) said(def string) string {
	if s := m.rep.take(); s != "" {
		return s
	}
	return def
}

// Delegate is the delegate the model runs with ("none" for builtin
// kernels only; "auto" resolved to what started).
func (m *Model) Delegate() string { return m.delName }

// Inputs describes the model's inputs (the slice must not be modified).
func (m *Model) Inputs() []models.TensorInfo { return m.inInfo }

// Outputs describes the model's outputs as of the last Invoke.
func (m *Model) Outputs() []models.TensorInfo {
	if m.closed {
		return nil
	}
	out := make([]models.TensorInfo, len(m.outIdx))
	for i := range out {
		out[i] = tensorInfo(C.ax_TfLiteInterpreterGetOutputTensor(m.ip, C.int32_t(i)), m.outIdx[i])
	}
	return out
}

// Input returns the writable bytes of input i, aliasing the C tensor; nil
// when i is out of range or the model is closed.
func (m *Model) Input(i int) []byte {
	if m.closed || i < 0 || i >= len(m.inputs) {
		return nil
	}
	return m.inputs[i]
}

// Output returns the bytes of output i as of the last Invoke, aliasing the
// C tensor: valid until the next Invoke, Reset or Close.
func (m *Model) Output(i int) []byte {
	if m.closed || i < 0 || i >= len(m.outIdx) {
		return nil
	}
	return tensorBytes(C.ax_TfLiteInterpreterGetOutputTensor(m.ip, C.int32_t(i)))
}

// Invoke runs the model once. A ctx cancelled during the run stops it
// between nodes (TfLiteInterpreterCancel) and Invoke returns ctx.Err(); a
// delegated node runs to its end.
func (m *Model) Invoke(ctx context.Context) error {
	return m.invoke(ctx, nil, nil)
}

// invoke runs signature runner sr, or the interpreter's subgraph 0 when
// sr is nil; key names the signature in errors. Both share the interpreter's cancellation flag, so
// TfLiteInterpreterCancel stops either.
func (m *Model) invoke(ctx context.Context, sr *C.TfLiteSignatureRunner, key *C.char) error {
	if m.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, m.cancel)
	}
	var st C.TfLiteStatus
	if sr == nil {
		st = C.ax_TfLiteInterpreterInvoke(m.ip)
	} else {
		st = C.ax_TfLiteSignatureRunnerInvoke(sr)
	}
	if stop != nil && !stop() {
		// The cancel ran or is running: wait for it, so that it cannot
		// cancel the next Invoke instead (TFLite re-arms at each start).
		<-m.canceled
	}
	switch {
	case st == C.kTfLiteOk:
		return nil
	case st == C.kTfLiteCancelled && ctx.Err() != nil:
		m.rep.reset()
		return ctx.Err()
	}
	if sr != nil {
		return fmt.Errorf("tflitecgo: signature %q: invoke: %s", C.GoString(key), m.said(fmt.Sprintf("status %d", int(st))))
	}
	return fmt.Errorf("tflitecgo: invoke: %s", m.said(fmt.Sprintf("status %d", int(st))))
}

// Reset sets the model's variable tensors back to their initial values.
func (m *Model) Reset() error {
	if m.closed {
		return ErrClosed
	}
	if C.ax_TfLiteInterpreterResetVariableTensors(m.ip) != C.kTfLiteOk {
		return fmt.Errorf("tflitecgo: reset: %s", m.said("failed"))
	}
	return nil
}

// Close frees the interpreter, the delegate, the model and its C copy.
func (m *Model) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	for _, r := range m.sigs {
		// Runners point into the interpreter: free them first.
		C.ax_TfLiteSignatureRunnerDelete(r.sr)
		C.free(unsafe.Pointer(r.ckey))
		r.sr, r.ckey = nil, nil
	}
	m.sigs = nil
	if m.ip != nil {
		C.ax_TfLiteInterpreterDelete(m.ip)
		m.ip = nil
	}
	if m.del != nil {
		m.del.Delete()
		m.del = nil
	}
	if m.model != nil {
		C.ax_TfLiteModelDelete(m.model)
		m.model = nil
	}
	if m.data != nil {
		C.free(m.data)
		m.data = nil
	}
	m.handle.Delete()
	m.inputs = nil
	return nil
}

// ResizeInput changes the shape of input i and reallocates the tensors;
// input data must be written again before the next Invoke.
func (m *Model) ResizeInput(i int, shape []int) error {
	if m.closed {
		return ErrClosed
	}
	if i < 0 || i >= len(m.inputs) {
		return fmt.Errorf("tflitecgo: resize input %d: the model has %d inputs", i, len(m.inputs))
	}
	dims, err := cDims(shape)
	if err != nil {
		return fmt.Errorf("tflitecgo: resize input %d: %w", i, err)
	}
	if C.ax_TfLiteInterpreterResizeInputTensor(m.ip, C.int32_t(i), &dims[0], C.int32_t(len(shape))) != C.kTfLiteOk ||
		C.ax_TfLiteInterpreterAllocateTensors(m.ip) != C.kTfLiteOk {
		err := fmt.Errorf("tflitecgo: resize input %d to %v: %s", i, shape, m.said("failed"))
		m.refresh()
		return err
	}
	m.refresh()
	return nil
}

// cDims checks a shape for TfLite*ResizeInputTensor.
func cDims(shape []int) ([8]C.int, error) {
	var dims [8]C.int
	if len(shape) == 0 || len(shape) > len(dims) {
		return dims, fmt.Errorf("%d dimensions, want 1 to %d", len(shape), len(dims))
	}
	for k, d := range shape {
		if d <= 0 || int64(d) > 1<<30 {
			return dims, fmt.Errorf("dimension %d is %d", k, d)
		}
		dims[k] = C.int(d)
	}
	return dims, nil
}

// refresh re-reads the input tensors of the model and of every signature
// runner after an allocation: runners of a signature on subgraph 0 share
// its tensors, so resizing either moves the other's data.
func (m *Model) refresh() {
	for k := range m.inputs {
		t := C.ax_TfLiteInterpreterGetInputTensor(m.ip, C.int32_t(k))
		m.inInfo[k] = tensorInfo(t, m.inInfo[k].Index)
		m.inputs[k] = tensorBytes(t)
	}
	for _, r := range m.sigs {
		r.refresh()
	}
}
