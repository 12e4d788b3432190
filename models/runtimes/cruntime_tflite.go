//go:build tflite

package runtimes

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflitecgo"
)

// cRuntime is the TFLite C library (go-tflite) this build links.
func cRuntime() models.Runtime { return tflitecgo.Runtime{} }
