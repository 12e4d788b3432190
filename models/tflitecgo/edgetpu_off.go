//go:build tflite && !edgetpu

package tflitecgo

import (
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
)

func newEdgeTPU() (delegates.Delegater, error) {
	return nil, fmt.Errorf("%w: edgetpu: this binary is built without the edgetpu tag (-tags tflite,edgetpu links libedgetpu)", models.ErrDelegate)
}
