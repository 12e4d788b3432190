package ops

// addDetection registers this family's kernels.
func addDetection(r *Resolver) {}
