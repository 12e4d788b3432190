package ops

// addDense registers this family's kernels.
func addDense(r *Resolver) {}
