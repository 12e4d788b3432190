//go:build linux

package tflite_test

import "golang.org/x/sys/unix"

// threadCPUNanos is the CPU time of the calling OS thread: benchmarks on
// one thread report it besides wall time, because on the shared
// development machine wall time mostly measures the other users.
func threadCPUNanos() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
