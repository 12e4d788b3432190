//go:build tflite

package tflitecgo

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
)

// newDelegate creates the delegate name asks for; nil for builtin kernels
// only. It returns the name of what it made ("auto" resolved). Errors wrap
// models.ErrDelegate.
func newDelegate(name string, threads int) (delegates.Delegater, string, error) {
	switch {
	case name == "" || name == models.DelegateNone:
		return nil, models.DelegateNone, nil
	case name == models.DelegateAuto:
		if d := newXNNPack(threads); d != nil {
			return d, models.DelegateXNNPack, nil
		}
		return nil, models.DelegateNone, nil
	case name == models.DelegateXNNPack:
		if d := newXNNPack(threads); d != nil {
			return d, name, nil
		}
		return nil, "", fmt.Errorf("%w: xnnpack: the TFLite library has no XNNPACK, or it does not support this CPU", models.ErrDelegate)
	case name == models.DelegateEdgeTPU:
		d, err := newEdgeTPU()
		return d, name, err
	case name == models.DelegateGPU:
		d, err := newGPU()
		return d, name, err
	case strings.HasPrefix(name, models.DelegateExternal):
		d, err := newExternal(name)
		return d, name, err
	}
	return nil, "", fmt.Errorf("%w: unknown delegate %q", models.ErrDelegate, name)
}

// xnnpack is the XNNPACK delegate compiled into libtensorflowlite_c (a
// CMake build with TFLITE_ENABLE_XNNPACK), as a go-tflite Delegater.
// go-tflite's own xnnpack package links -ltensorflowlite-delegate_xnnpack
// and -lXNNPACK, which that build does not produce.
type xnnpack struct{ d *C.TfLiteDelegate }

// newXNNPack is nil when the library lacks XNNPACK or it cannot start.
func newXNNPack(threads int) delegates.Delegater {
	d := C.axle_xnnpack_create(C.int32_t(threads))
	if d == nil {
		return nil
	}
	return &xnnpack{d: d}
}

func (x *xnnpack) Delete()             { C.axle_xnnpack_delete(x.d) }
func (x *xnnpack) Ptr() unsafe.Pointer { return unsafe.Pointer(x.d) }

// external is a TFLite delegate plugin loaded by path (NXP's VX delegate,
// vendor NPU delegates): dlopen + tflite_plugin_create_delegate, the ABI
// of TFLite's external delegate. The option strings live as long as the
// delegate, as TFLite's own external delegate keeps them.
type external struct {
	d          *C.TfLiteDelegate
	lib        unsafe.Pointer
	keys, vals **C.char
	n          int
}

func newExternal(spec string) (delegates.Delegater, error) {
	path, opts, err := models.ParseExternal(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", models.ErrDelegate, err)
	}
	e := &external{n: len(opts)}
	slots := C.size_t(max(e.n, 1))
	e.keys = (**C.char)(C.calloc(slots, C.size_t(unsafe.Sizeof(uintptr(0)))))
	e.vals = (**C.char)(C.calloc(slots, C.size_t(unsafe.Sizeof(uintptr(0)))))
	ks, vs := unsafe.Slice(e.keys, e.n), unsafe.Slice(e.vals, e.n)
	for i, kv := range opts {
		ks[i], vs[i] = C.CString(kv[0]), C.CString(kv[1])
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var errbuf [512]C.char
	e.d = C.axle_external_create(cpath, e.keys, e.vals, C.size_t(e.n), &e.lib, &errbuf[0], C.size_t(len(errbuf)))
	if e.d == nil {
		e.freeOptions()
		return nil, fmt.Errorf("%w: external: %s", models.ErrDelegate, C.GoString(&errbuf[0]))
	}
	return e, nil
}

func (e *external) freeOptions() {
	ks, vs := unsafe.Slice(e.keys, e.n), unsafe.Slice(e.vals, e.n)
	for i := range e.n {
		C.free(unsafe.Pointer(ks[i]))
		C.free(unsafe.Pointer(vs[i]))
	}
	C.free(unsafe.Pointer(e.keys))
	C.free(unsafe.Pointer(e.vals))
}

func (e *external) Delete() {
	C.axle_external_delete(e.d, e.lib)
	e.freeOptions()
}

func (e *external) Ptr() unsafe.Pointer { return unsafe.Pointer(e.d) }
