package ops

// addPool registers this family's kernels.
func addPool(r *Resolver) {}
