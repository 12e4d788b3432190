package tflite

import "fmt"

// checkDefinedInputs refuses operators that read a tensor nothing defines:
// not a constant, not a variable, not a subgraph input and not the output
// of an earlier operator. Such a tensor (typically a "constant" whose
// buffer is empty) would be read before anything wrote it; TFLite's
// kernels fail on it at Invoke, axle refuses it at load. Tensors without
// elements (a zero-size constant the converter left without a buffer)
// read nothing and pass.
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
				return fmt.Errorf("%s (node %d): input tensor %d (%q) is neither a constant, a variable, a subgraph input nor an earlier operator's output", n.Name(), j, x, t.Name)
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
