//go:build !tflite

package main

import "github.com/axle-edge/axle/models"

// modelCSignature: a binary without the tflite tag has no C runtime, so no
// model is one of its.
func modelCSignature(models.Model, string) (modelRunner, bool, error) {
	return nil, false, nil
}
