//go:build tflite

package tflitecgo

/*
#cgo linux LDFLAGS: -ldl -lpthread
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"strings"
	"sync"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// DefaultLibrary is the library Load opens when Runtime.Library is empty;
// the dynamic loader finds it (the binary's RUNPATH, LD_LIBRARY_PATH,
// the system directories).
const DefaultLibrary = "libtensorflowlite_c.so"

// openLibrary loads the TFLite C library with dlopen; the first library
// loaded serves the whole process, and asking for another is an error.
// A failure wraps models.ErrUnavailable.
func openLibrary(name string) error {
	if name == "" {
		name = DefaultLibrary
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var errbuf [512]C.char
	if C.axle_tflite_open(cname, &errbuf[0], C.size_t(len(errbuf))) != 0 {
		return fmt.Errorf("%w: TFLite C library %s: %s", models.ErrUnavailable, name, C.GoString(&errbuf[0]))
	}
	return nil
}

// reporter collects what TFLite's error reporter says during one call, so
// that the Go error carries TFLite's own words ("Node number 3 (CONV_2D)
// failed to prepare").
type reporter struct {
	mu   sync.Mutex
	msgs []string
}

// maxReports bounds the messages kept per call: a hostile model can make
// TFLite report once per node.
const maxReports = 8

//export axleTFLiteReport
func axleTFLiteReport(h C.uintptr_t, msg *C.char) {
	r, ok := cgo.Handle(h).Value().(*reporter)
	if !ok {
		return
	}
	s := strings.TrimSpace(C.GoString(msg))
	r.mu.Lock()
	if len(r.msgs) < maxReports {
		r.msgs = append(r.msgs, s)
	} else if len(r.msgs) == maxReports {
		r.msgs = append(r.msgs, "…")
	}
	r.mu.Unlock()
}

// take returns and clears the collected messages, joined.
func (r *reporter) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.msgs, "; ")
	r.msgs = r.msgs[:0]
	return s
}

// reset drops collected messages without formatting them (hot path).
func (r *reporter) reset() {
	r.mu.Lock()
	r.msgs = r.msgs[:0]
	r.mu.Unlock()
}

// dtypes maps the C library's tensor types to models.DType. The TfLiteType
// enum of the library this package builds against (TF 2.14) ends at
// kTfLiteInt4; later LiteRT types (int2, bfloat16, float8, uint4) are not in
// its header, so a tensor of one cannot come from it.
var dtypes = map[C.TfLiteType]models.DType{
	C.kTfLiteFloat32: models.Float32, C.kTfLiteFloat16: models.Float16, C.kTfLiteFloat64: models.Float64,
	C.kTfLiteInt8: models.Int8, C.kTfLiteUInt8: models.UInt8, C.kTfLiteInt16: models.Int16,
	C.kTfLiteUInt16: models.UInt16, C.kTfLiteInt32: models.Int32, C.kTfLiteUInt32: models.UInt32,
	C.kTfLiteInt64: models.Int64, C.kTfLiteUInt64: models.UInt64, C.kTfLiteBool: models.Bool,
	C.kTfLiteString: models.String, C.kTfLiteComplex64: models.Complex64, C.kTfLiteResource: models.Resource,
	C.kTfLiteVariant: models.Variant, C.kTfLiteInt4: models.Int4, C.kTfLiteComplex128: models.Complex128,
}

// tensorInfo describes a C tensor.
func tensorInfo(t *C.TfLiteTensor, index int) models.TensorInfo {
	ti := models.TensorInfo{
		Index: index,
		Name:  C.GoString(C.ax_TfLiteTensorName(t)),
		DType: dtypes[C.ax_TfLiteTensorType(t)],
		Bytes: int(C.ax_TfLiteTensorByteSize(t)),
	}
	n := int(C.ax_TfLiteTensorNumDims(t))
	ti.Shape = make([]int, max(n, 0))
	for i := range ti.Shape {
		ti.Shape[i] = int(C.ax_TfLiteTensorDim(t, C.int32_t(i)))
	}
	var scale *C.float
	var zp *C.int32_t
	var axis C.int
	if k := int(C.axle_quant(t, &scale, &zp, &axis)); k > 0 {
		q := &models.Quant{Scale: make([]float32, k), ZeroPoint: make([]int64, k), Axis: int(axis)}
		ss := unsafe.Slice((*float32)(unsafe.Pointer(scale)), k)
		zs := unsafe.Slice((*int32)(unsafe.Pointer(zp)), k)
		copy(q.Scale, ss)
		for i, z := range zs {
			q.ZeroPoint[i] = int64(z)
		}
		ti.Quant = q
	}
	return ti
}

// tensorBytes aliases the C tensor's data; nil when it has none.
func tensorBytes(t *C.TfLiteTensor) []byte {
	if t == nil {
		return nil
	}
	p := C.ax_TfLiteTensorData(t)
	n := int(C.ax_TfLiteTensorByteSize(t))
	if p == nil || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// Version is the version string of the library r loads.
func (r Runtime) Version() (string, error) {
	if err := openLibrary(r.Library); err != nil {
		return "", fmt.Errorf("tflitecgo: %w", err)
	}
	return C.GoString(C.ax_TfLiteVersion()), nil
}
