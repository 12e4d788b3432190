package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
	bolt "go.etcd.io/bbolt"
)

// maybeCompact compacts when the file is mostly free pages. bbolt reuses
// free pages but never shrinks its file, so after a long outage has drained
// the file would otherwise keep its peak size for good.
func (o *Outbox) maybeCompact() {
	if time.Now().Before(o.w.compactNotUntil) {
		return
	}
	s := o.db.Stats()
	pageSize := int64(o.db.Info().PageSize)
	free := int64(s.FreePageN+s.PendingPageN) * pageSize
	full := o.w.space.full
	// On a full disk the free pages are the space to win back (the reserve
	// cannot return until the file shrinks), so size does not matter.
	if free < o.w.compactMinFree && !full {
		return
	}
	var hwm int64
	if err := o.view(func(tx *bolt.Tx) error { hwm = tx.Size(); return nil }); err != nil {
		return
	}
	o.mu.Lock()
	size := o.stats.FileBytes
	o.mu.Unlock()
	live := max(hwm-free, pageSize)
	if size < o.w.compactFactor*live {
		return
	}
	// The copy needs room for the live data; do not spend what acks need.
	if full && statFree(filepath.Dir(o.path)) < 2*live+1<<20 {
		return
	}
	// A failure is counted in Stats and retried later; the old file stays.
	_ = o.compact()
}

// compact copies the live data into <path>.compact, syncs it and renames it
// over the database. A crash at any step leaves a complete database at path:
// before the rename the old file, after it the synced copy.
func (o *Outbox) compact() error {
	tmp := o.path + compactSuffix
	err := o.copyTo(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return o.compactFailed(fmt.Errorf("buffer: compact %s: %w", o.path, classifyWriteErr(err)))
	}

	o.dbMu.Lock()
	defer o.dbMu.Unlock()
	o.db.closeQuietly()
	o.db = nil
	renameErr := os.Rename(tmp, o.path)
	if renameErr != nil {
		_ = os.Remove(tmp)
	} else {
		_ = atomicfile.SyncDir(filepath.Dir(o.path))
	}
	h, res, err := openChecked(o.path, o.opts, false)
	if err != nil {
		o.dbErr = fmt.Errorf("buffer: reopen %s after compaction: %w", o.path, err)
		o.w.broken = o.dbErr
		return o.compactFailed(o.dbErr)
	}
	o.db = h
	size := fileSize(o.path)
	o.mu.Lock()
	o.st, o.heads = res.st, res.heads
	if renameErr == nil {
		o.stats.Compactions++
		o.stats.FileBytes = size
	}
	o.mu.Unlock()
	if renameErr != nil {
		return o.compactFailed(fmt.Errorf("buffer: compact %s: %w", o.path, renameErr))
	}
	return nil
}

func (o *Outbox) compactFailed(err error) error {
	o.w.compactNotUntil = time.Now().Add(compactRetry)
	o.mu.Lock()
	o.stats.CompactFailures++
	o.mu.Unlock()
	return err
}

func (o *Outbox) copyTo(tmp string) (err error) {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: copying records failed: %v", ErrCorrupt, p)
		}
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}()
	// Intermediate commits bound memory; nothing is synced until the end.
	if err := bolt.Compact(dst, o.db.DB, 32<<20); err != nil {
		return err
	}
	if o.opts.NoSync {
		return nil
	}
	return dst.Sync()
}
