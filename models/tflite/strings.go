package tflite

import (
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// String tensors (TFLite's buffer layout, see ops/strings.go) have no
// fixed element size: the memory plan gives them no arena bytes, constants
// are checked at load and used in place, and kernels that write strings
// mark their outputs Dynamic and size them with ResizeBytes.

// loadStrings checks the constant data of string tensor dst from buffer bi.
func loadStrings(dst *ops.Tensor, data []byte, bi uint32, limit int64) error {
	n, ok := tensorBytes(models.String, 1, dst.Shape, limit)
	if !ok {
		return fmt.Errorf("shape %v of string is too large", dst.Shape)
	}
	if err := ops.CheckStrings(data, int(n)); err != nil {
		return fmt.Errorf("buffer %d: %w", bi, err)
	}
	return nil
}

func (s *subgraph) ResizeBytes(t *ops.Tensor, shape []int, bytes int64) error {
	i := s.tensorIndex(t)
	if i < 0 {
		return fmt.Errorf("resize: tensor %q does not belong to subgraph %d", t.Name, s.index)
	}
	if !t.Dynamic || t.Type.Size() != 0 {
		return fmt.Errorf("resize: tensor %d (%q) is not a dynamic %s tensor without a fixed element size", i, t.Name, t.Type)
	}
	for k, d := range shape {
		if d < 0 {
			return fmt.Errorf("resize: tensor %d (%q): negative dimension %d at %d", i, t.Name, d, k)
		}
	}
	if _, ok := tensorBytes(t.Type, 1, shape, s.it.budget.limit); !ok || bytes < 0 || bytes > s.it.budget.limit {
		return fmt.Errorf("resize: tensor %d (%q): shape %v with %d bytes is larger than the model's memory limit", i, t.Name, shape, bytes)
	}
	t.Shape = append(t.Shape[:0], shape...)
	return s.dynData(i, bytes)
}
