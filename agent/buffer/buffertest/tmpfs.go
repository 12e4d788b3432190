package buffertest

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes in a new directory under t.TempDir()
// and returns the directory; t.Cleanup unmounts it. It skips the test,
// saying why, when the process may not mount (not root, or in a container
// without CAP_SYS_ADMIN).
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("buffertest: mounting a small tmpfs needs root; the RLIMIT_FSIZE disk-full test covers the rest")
	}
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("buffertest: cannot mount a %d-byte tmpfs at %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("buffertest: unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file of n bytes of real blocks at path, so that removing
// it later gives the space back. It fails the test on any error.
func Fill(t testing.TB, path string, n int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for w := int64(0); w < n; {
		k := min(int64(len(buf)), n-w)
		if _, err := f.Write(buf[:k]); err != nil {
			t.Fatalf("buffertest: fill %s: %v", path, err)
		}
		w += k
	}
}
