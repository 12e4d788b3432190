//go:build tflite && !gpu

package tflitecgo

import (
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
)

func newGPU() (delegates.Delegater, error) {
	return nil, fmt.Errorf("%w: gpu: this binary is built without the gpu tag (-tags tflite,gpu links libtensorflowlite_gpu_delegate)", models.ErrDelegate)
}
