//go:build tflite && gpu

package tflitecgo

/*
#cgo LDFLAGS: -ltensorflowlite_gpu_delegate
#include "tensorflow/lite/delegates/gpu/delegate.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
)

// gpu is TFLite's GPU delegate (OpenCL, else OpenGL ES), V2 API. go-tflite's
// gpu packages wrap the older GL-only delegate through OSMesa.
type gpu struct{ d *C.TfLiteDelegate }

func newGPU() (delegates.Delegater, error) {
	o := C.TfLiteGpuDelegateOptionsV2Default()
	d := C.TfLiteGpuDelegateV2Create(&o)
	if d == nil {
		return nil, fmt.Errorf("%w: gpu: TfLiteGpuDelegateV2Create failed (no OpenCL or OpenGL ES device?)", models.ErrDelegate)
	}
	return &gpu{d: d}, nil
}

func (g *gpu) Delete()             { C.TfLiteGpuDelegateV2Delete(g.d) }
func (g *gpu) Ptr() unsafe.Pointer { return unsafe.Pointer(g.d) }
