package tflite

// KernelBytes is the memory the kernels keep from Prepare: weights packed
// into the layout of the vector kernels, requantization multipliers and
// lookup tables, and the per-thread scratch rows. With ArenaBytes it is
// what running the model costs on top of holding its file.
func (it *Interpreter) KernelBytes() int64 {
	var n int64
	for _, s := range it.subgraphs {
		for _, b := range s.nodeAlloc {
			n += b
		}
	}
	return n
}
