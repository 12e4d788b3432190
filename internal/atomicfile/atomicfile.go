// Package atomicfile replaces files so that a crash or power cut at any
// instant leaves either the old content or the complete new one: write a
// temporary file in the same directory, fsync it, rename it over the
// target, fsync the directory.
package atomicfile

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with what write produces. tempPattern names the
// temporary file as os.CreateTemp does ("" gives ".<base>.tmp-*"), so a
// caller can recognise and remove leftovers after a crash.
func Write(path string, perm fs.FileMode, tempPattern string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if tempPattern == "" {
		tempPattern = "." + filepath.Base(path) + ".tmp-*"
	}
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteFile replaces path with data (see Write).
func WriteFile(path string, data []byte, perm fs.FileMode, tempPattern string) error {
	return Write(path, perm, tempPattern, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
