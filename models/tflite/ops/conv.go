package ops

// addConv registers this family's kernels.
func addConv(r *Resolver) {}
