package ops

// addControl registers this family's kernels.
func addControl(r *Resolver) {}
