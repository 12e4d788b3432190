package ops

// addShape registers this family's kernels.
func addShape(r *Resolver) {}
