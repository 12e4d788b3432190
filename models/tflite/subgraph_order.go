package tflite

import "fmt"

// checkDefinedInputs finds an operator input that nothing defines: not a
// constant, not a variable, not a subgraph input and not the output of an
// earlier operator (typically a "constant" whose buffer is empty). It
// would be read before anything wrote it; TFLite's kernels fail on it at
// Invoke, axle refuses it when the subgraph is prepared, after the
// operators' own checks so that their more specific messages come first.
// Tensors without elements (a zero-size constant the converter left
// without data) read nothing and pass.
func (s *subgraph) checkDefinedInputs() error {
	defined := make([]bool, len(s.tensors))
	for _, i := range s.inputs {
		defined[i] = true
	}
	for j := range s.nodes {
		n := &s.nodes[j]
		for _, x := range n.Inputs {
			if x < 0 {
				continue
			}
			if t := &s.tensors[x]; !defined[x] && !t.Const && !t.Variable && t.NumElements() != 0 {
				return fmt.Errorf("subgraph %d: %s (node %d): input tensor %d (%q) is neither a constant, a variable, a subgraph input nor an earlier operator's output", s.index, n.Name(), j, x, t.Name)
			}
		}
		for _, o := range n.Outputs {
			if o >= 0 {
				defined[o] = true
			}
		}
	}
	return nil
}
