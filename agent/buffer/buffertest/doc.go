// Package buffertest gives tests a really full filesystem: a small tmpfs
// mounted in the test's temporary directory, so that bbolt, the reserve
// file and everything else meet a real ENOSPC rather than a fake one.
//
//	t.TempDir()/fs  ◄── mount -t tmpfs -o size=N   (root only; skip otherwise)
//	      └── unmounted by t.Cleanup
package buffertest
