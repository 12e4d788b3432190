//go:build !tflite

package runtimes

import "github.com/axle-edge/axle/models"

// cRuntime is nil: this build has no TFLite C runtime.
func cRuntime() models.Runtime { return nil }
