//go:build tflite

package tflitecgo

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// Signature describes one signature def of the model as the TFLite C
// library reports it.
type Signature struct {
	Key     string
	Inputs  []SignatureTensor // in the order SignatureRunner.Input takes them
	Outputs []SignatureTensor // in the order SignatureRunner.Output gives them
}

// SignatureTensor is one input or output of a signature: the signature's
// name for it and the tensor. Info.Index is -1: the C API does not say
// which tensor of its subgraph a signature name maps to.
type SignatureTensor struct {
	Name string
	Info models.TensorInfo
}

// SignatureRunner runs the subgraph of one signature of a Model, with the
// signature's inputs and outputs. Input i and output i are the signature's
// in the order TFLite lists them (TfLiteSignatureRunnerGetInputName; TFLite
// 2.14 sorts them by signature name), which need not be the subgraph's
// input order that the pure-Go tflite.Runner uses. It belongs to its Model:
// not safe for concurrent use with it, and unusable after the Model's Close.
type SignatureRunner struct {
	m        *Model
	sr       *C.TfLiteSignatureRunner
	key      string
	ckey     *C.char
	inNames  []*C.char // owned by the C runner
	outNames []*C.char
	inT      []*C.TfLiteTensor
	outT     []*C.TfLiteTensor
	inInfo   []models.TensorInfo
	inputs   [][]byte
}

// signaturesSupported says why the library cannot run signatures, nil
// when it can.
func signaturesSupported() error {
	if fn := C.axle_missing_signature_fn(); fn != nil {
		return fmt.Errorf("tflitecgo: signatures: the TFLite C library has no %s (the signature runner API of TFLite 2.7 and later)", C.GoString(fn))
	}
	return nil
}

// Signatures lists the model's signature defs with their inputs and
// outputs; it prepares a runner for each (see Signature).
func (m *Model) Signatures() ([]Signature, error) {
	if m.closed {
		return nil, ErrClosed
	}
	if err := signaturesSupported(); err != nil {
		return nil, err
	}
	n := int(C.ax_TfLiteInterpreterGetSignatureCount(m.ip))
	out := make([]Signature, 0, max(n, 0))
	for i := range n {
		ck := C.ax_TfLiteInterpreterGetSignatureKey(m.ip, C.int32_t(i))
		if ck == nil {
			return nil, fmt.Errorf("tflitecgo: signature %d of %d has no key", i, n)
		}
		r, err := m.Signature(C.GoString(ck))
		if err != nil {
			return nil, err
		}
		s := Signature{Key: r.key, Inputs: make([]SignatureTensor, len(r.inT)), Outputs: make([]SignatureTensor, len(r.outT))}
		for k, info := range r.Inputs() {
			s.Inputs[k] = SignatureTensor{Name: C.GoString(r.inNames[k]), Info: info}
		}
		for k, info := range r.Outputs() {
			s.Outputs[k] = SignatureTensor{Name: C.GoString(r.outNames[k]), Info: info}
		}
		out = append(out, s)
	}
	return out, nil
}

// Signature returns the runner of the signature named key, with its
// tensors allocated; asking again for the same key returns the same
// runner. The Model's Close frees it.
func (m *Model) Signature(key string) (*SignatureRunner, error) {
	if m.closed {
		return nil, ErrClosed
	}
	for _, r := range m.sigs {
		if r.key == key {
			return r, nil
		}
	}
	if err := signaturesSupported(); err != nil {
		return nil, err
	}
	ckey := C.CString(key)
	sr := C.ax_TfLiteInterpreterGetSignatureRunner(m.ip, ckey)
	if sr == nil {
		C.free(unsafe.Pointer(ckey))
		m.rep.reset()
		return nil, fmt.Errorf("tflitecgo: the model has no signature %q", key)
	}
	r := &SignatureRunner{m: m, sr: sr, key: key, ckey: ckey}
	if err := r.init(); err != nil {
		C.ax_TfLiteSignatureRunnerDelete(sr)
		C.free(unsafe.Pointer(ckey))
		m.refresh() // a failed allocation may have moved subgraph 0's tensors too
		return nil, err
	}
	m.sigs = append(m.sigs, r)
	m.refresh() // allocating subgraph 0 for the runner may move the model's inputs
	return r, nil
}

// init allocates the runner's tensors and looks up its inputs and outputs.
func (r *SignatureRunner) init() error {
	if C.ax_TfLiteSignatureRunnerAllocateTensors(r.sr) != C.kTfLiteOk {
		return fmt.Errorf("tflitecgo: signature %q: allocate tensors: %s", r.key, r.m.said("failed"))
	}
	nin := int(C.ax_TfLiteSignatureRunnerGetInputCount(r.sr))
	nout := int(C.ax_TfLiteSignatureRunnerGetOutputCount(r.sr))
	r.inNames, r.inT = make([]*C.char, nin), make([]*C.TfLiteTensor, nin)
	r.outNames, r.outT = make([]*C.char, nout), make([]*C.TfLiteTensor, nout)
	r.inInfo, r.inputs = make([]models.TensorInfo, nin), make([][]byte, nin)
	for i := range nin {
		r.inNames[i] = C.ax_TfLiteSignatureRunnerGetInputName(r.sr, C.int32_t(i))
		if r.inNames[i] == nil {
			return fmt.Errorf("tflitecgo: signature %q: input %d has no name", r.key, i)
		}
	}
	for i := range nout {
		r.outNames[i] = C.ax_TfLiteSignatureRunnerGetOutputName(r.sr, C.int32_t(i))
		if r.outNames[i] == nil {
			return fmt.Errorf("tflitecgo: signature %q: output %d has no name", r.key, i)
		}
	}
	r.refresh()
	for i, t := range r.inT {
		if t == nil {
			return fmt.Errorf("tflitecgo: signature %q: input %q has no tensor", r.key, C.GoString(r.inNames[i]))
		}
	}
	for i, t := range r.outT {
		if t == nil {
			return fmt.Errorf("tflitecgo: signature %q: output %q has no tensor", r.key, C.GoString(r.outNames[i]))
		}
	}
	return nil
}

// refresh re-reads the tensors after an allocation.
func (r *SignatureRunner) refresh() {
	for i, name := range r.inNames {
		t := C.ax_TfLiteSignatureRunnerGetInputTensor(r.sr, name)
		r.inT[i] = t
		if t == nil {
			r.inInfo[i], r.inputs[i] = models.TensorInfo{Index: -1}, nil
			continue
		}
		r.inInfo[i] = tensorInfo(t, -1)
		r.inputs[i] = tensorBytes(t)
	}
	for i, name := range r.outNames {
		r.outT[i] = (*C.TfLiteTensor)(unsafe.Pointer(C.ax_TfLiteSignatureRunnerGetOutputTensor(r.sr, name)))
	}
}

// Key is the signature's key.
func (r *SignatureRunner) Key() string { return r.key }

// Inputs describes the signature's inputs (the slice must not be
// modified); Name is the tensor's name, Signature gives the signature's.
func (r *SignatureRunner) Inputs() []models.TensorInfo {
	if r.m.closed {
		return nil
	}
	return r.inInfo
}

// Outputs describes the signature's outputs as of the last Invoke.
func (r *SignatureRunner) Outputs() []models.TensorInfo {
	if r.m.closed {
		return nil
	}
	out := make([]models.TensorInfo, len(r.outT))
	for i, t := range r.outT {
		out[i] = tensorInfo(t, -1)
	}
	return out
}

// Input returns the writable bytes of input i, aliasing the C tensor; nil
// when i is out of range or the model is closed.
func (r *SignatureRunner) Input(i int) []byte {
	if r.m.closed || i < 0 || i >= len(r.inputs) {
		return nil
	}
	return r.inputs[i]
}

// Output returns the bytes of output i as of the last Invoke, aliasing
// the C tensor: valid until the next Invoke, resize or Close.
func (r *SignatureRunner) Output(i int) []byte {
	if r.m.closed || i < 0 || i >= len(r.outT) {
		return nil
	}
	return tensorBytes(r.outT[i])
}

// Invoke runs the signature's subgraph once on the current inputs; ctx
// works as in Model.Invoke.
func (r *SignatureRunner) Invoke(ctx context.Context) error {
	return r.m.invoke(ctx, r.sr, r.ckey)
}

// ResizeInput changes the shape of input i and reallocates the tensors;
// input data must be written again before the next Invoke (of this runner
// and of the Model, when the signature runs subgraph 0).
func (r *SignatureRunner) ResizeInput(i int, shape []int) error {
	if r.m.closed {
		return ErrClosed
	}
	if i < 0 || i >= len(r.inputs) {
		return fmt.Errorf("tflitecgo: signature %q: resize input %d: the signature has %d inputs", r.key, i, len(r.inputs))
	}
	dims, err := cDims(shape)
	if err != nil {
		return fmt.Errorf("tflitecgo: signature %q: resize input %d: %w", r.key, i, err)
	}
	if C.ax_TfLiteSignatureRunnerResizeInputTensor(r.sr, r.inNames[i], &dims[0], C.int32_t(len(shape))) != C.kTfLiteOk ||
		C.ax_TfLiteSignatureRunnerAllocateTensors(r.sr) != C.kTfLiteOk {
		err := fmt.Errorf("tflitecgo: signature %q: resize input %d to %v: %s", r.key, i, shape, r.m.said("failed"))
		r.m.refresh()
		return err
	}
	r.m.refresh()
	return nil
}
