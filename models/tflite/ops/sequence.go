package ops

// addSequence registers this family's kernels.
func addSequence(r *Resolver) {}
