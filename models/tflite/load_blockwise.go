package tflite

import (
	"fmt"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// linkBlockwise points every blockwise-quantized tensor at its scale and
// zero point tensors and checks what any kernel relies on: the indices
// exist, both tensors are constants, the block size is positive and
// divides the last dimension, and there is one float16 scale (and zero
// point) per block.
func linkBlockwise(tensors []ops.Tensor) error {
	for i := range tensors {
		t := &tensors[i]
		bq := t.Blockwise
		if bq == nil {
			continue
		}
		if err := checkBlockwise(tensors, t, bq); err != nil {
			return fmt.Errorf("tensor %d (%q): quantization: blockwise: %w", i, t.Name, err)
		}
	}
	return nil
}

func checkBlockwise(tensors []ops.Tensor, t *ops.Tensor, bq *ops.BlockQuant) error {
	if bq.BlockSize <= 0 {
		return fmt.Errorf("field \"block_size\": %d must be positive", bq.BlockSize)
	}
	if len(t.Shape) == 0 {
		return fmt.Errorf("a scalar has no blocks")
	}
	depth := t.Shape[len(t.Shape)-1]
	if depth%bq.BlockSize != 0 {
		return fmt.Errorf("field \"block_size\": %d does not divide the last dimension %d of shape %v", bq.BlockSize, depth, t.Shape)
	}
	elems, _ := mulShape(t.Shape)
	blocks := int64(0)
	if depth > 0 {
		blocks = elems / int64(depth) * int64(depth/bq.BlockSize)
	}
	var err error
	if bq.Scales, err = blockwiseTensor(tensors, t, "scales", bq.ScalesIndex, blocks); err != nil {
		return err
	}
	if bq.Scales.Type != models.Float16 {
		return fmt.Errorf("field \"scales\": tensor %d (%q) is %s, not float16", bq.ScalesIndex, bq.Scales.Name, bq.Scales.Type)
	}
	if bq.ZeroPointsIndex == -1 {
		return nil
	}
	bq.ZeroPoints, err = blockwiseTensor(tensors, t, "zero_points", bq.ZeroPointsIndex, blocks)
	return err
}

// blockwiseTensor is the constant tensor at index idx, which must have
// one element per block.
func blockwiseTensor(tensors []ops.Tensor, t *ops.Tensor, field string, idx int, blocks int64) (*ops.Tensor, error) {
	if idx < 0 || idx >= len(tensors) {
		return nil, fmt.Errorf("field %q: tensor %d does not exist (the subgraph has %d)", field, idx, len(tensors))
	}
	p := &tensors[idx]
	if p == t {
		return nil, fmt.Errorf("field %q: tensor %d is the quantized tensor itself", field, idx)
	}
	if !p.Const {
		return nil, fmt.Errorf("field %q: tensor %d (%q) is not a constant", field, idx, p.Name)
	}
	if n, ok := mulShape(p.Shape); !ok || n != blocks {
		return nil, fmt.Errorf("field %q: tensor %d (%q) has shape %v, want %d elements (one per block of %d in shape %v)", field, idx, p.Name, p.Shape, blocks, t.Blockwise.BlockSize, t.Shape)
	}
	return p, nil
}

// mulShape is the element count of shape, false on negative dimensions
// or overflow.
func mulShape(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || (d > 0 && n > (1<<62)/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}
