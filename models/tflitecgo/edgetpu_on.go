//go:build tflite && edgetpu

package tflitecgo

import (
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/mattn/go-tflite/delegates"
	"github.com/mattn/go-tflite/delegates/edgetpu"
)

// newEdgeTPU opens the first Edge TPU libedgetpu finds (USB or PCIe).
func newEdgeTPU() (delegates.Delegater, error) {
	devs, err := edgetpu.DeviceList()
	if err != nil {
		return nil, fmt.Errorf("%w: edgetpu: list devices: %w", models.ErrDelegate, err)
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("%w: edgetpu: libedgetpu finds no Edge TPU", models.ErrDelegate)
	}
	d := edgetpu.New(devs[0])
	if d == nil {
		return nil, fmt.Errorf("%w: edgetpu: cannot open %s", models.ErrDelegate, devs[0].Path)
	}
	return d, nil
}
