//go:build !linux

package tflite_test

// threadCPUNanos has no portable source outside Linux: no CPU metric.
func threadCPUNanos() (int64, bool) { return 0, false }
