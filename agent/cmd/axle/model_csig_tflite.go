//go:build tflite

package main

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflitecgo"
)

// modelCSignature returns the runner of signature key of a model loaded
// on the TFLite C runtime; ok is false when m is not one.
func modelCSignature(m models.Model, key string) (r modelRunner, ok bool, err error) {
	c, ok := m.(*tflitecgo.Model)
	if !ok {
		return nil, false, nil
	}
	sr, err := c.Signature(key)
	if err != nil {
		return nil, true, err
	}
	return sr, true, nil
}
