package conformance

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/axle-edge/axle/models"
)

// InvokeTimeout bounds one Invoke so that a hostile or looping model
// cannot hang the suite.
const InvokeTimeout = 2 * time.Minute

// Runner is what a case needs of a runtime's model, subgraph or
// signature runner.
type Runner interface {
	Inputs() []models.TensorInfo
	Outputs() []models.TensorInfo
	Input(i int) []byte
	Output(i int) []byte
	ResizeInput(i int, shape []int) error
	Invoke(ctx context.Context) error
}

// Invoke runs r once within InvokeTimeout.
func Invoke(r Runner) error {
	ctx, cancel := context.WithTimeout(context.Background(), InvokeTimeout)
	defer cancel()
	return r.Invoke(ctx)
}

// Run fills r's inputs from the case's files (resizing inputs whose case
// shape differs), invokes it and returns copies of the outputs with their
// infos, both in the case's order. The case lists tensors in subgraph
// order; a signature runner may order them by signature name, so for a
// signature case tensors are matched by name.
func (c *Case) Run(r Runner) (outs [][]byte, infos []models.TensorInfo, err error) {
	if len(c.Inputs) != len(r.Inputs()) {
		return nil, nil, fmt.Errorf("model has %d inputs, case %d", len(r.Inputs()), len(c.Inputs))
	}
	inAt, err := c.match(c.Inputs, r.Inputs())
	if err != nil {
		return nil, nil, fmt.Errorf("inputs: %w", err)
	}
	for i, in := range c.Inputs {
		if k := inAt[i]; !slices.Equal(r.Inputs()[k].Shape, in.Shape) {
			if err := r.ResizeInput(k, in.Shape); err != nil {
				return nil, nil, fmt.Errorf("resize input %d to %v: %w", k, in.Shape, err)
			}
		}
	}
	for i, in := range c.Inputs {
		k := inAt[i]
		if in.File == nil {
			return nil, nil, fmt.Errorf("input %d has no file", i)
		}
		b, err := os.ReadFile(c.Path(*in.File))
		if err != nil {
			return nil, nil, err
		}
		dst := r.Input(k)
		if len(b) != len(dst) {
			return nil, nil, fmt.Errorf("input %d: %s has %d bytes, the tensor %d", i, *in.File, len(b), len(dst))
		}
		copy(dst, b)
	}
	if err := Invoke(r); err != nil {
		return nil, nil, fmt.Errorf("invoke: %w", err)
	}
	have := r.Outputs()
	if len(have) != len(c.Outputs) {
		return nil, nil, fmt.Errorf("model has %d outputs, case %d", len(have), len(c.Outputs))
	}
	outAt, err := c.match(c.Outputs, have)
	if err != nil {
		return nil, nil, fmt.Errorf("outputs: %w", err)
	}
	outs = make([][]byte, len(c.Outputs))
	infos = make([]models.TensorInfo, len(c.Outputs))
	for i, k := range outAt {
		outs[i] = slices.Clone(r.Output(k))
		infos[i] = have[k]
	}
	return outs, infos, nil
}

// match maps each case tensor to the runner's tensor of the same name in
// a signature case, else to the one at the same position.
func (c *Case) match(want []Tensor, have []models.TensorInfo) ([]int, error) {
	at := make([]int, len(want))
	for i, w := range want {
		at[i] = i
		if c.Signature == "" {
			continue
		}
		k := slices.IndexFunc(have, func(h models.TensorInfo) bool { return h.Name == w.Name })
		if k < 0 {
			return nil, fmt.Errorf("no tensor named %q", w.Name)
		}
		at[i] = k
	}
	return at, nil
}
