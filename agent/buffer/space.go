package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/axle-edge/axle/internal/atomicfile"
)

// reserveSuffix names the reserve file kept beside the database.
const reserveSuffix = ".reserve"

// space is the commit goroutine's view of the filesystem (see "Full disk"
// in doc.go). Only the commit goroutine touches it; Stats reads the copy in
// Outbox.stats.
type space struct {
	reserve   int64 // wanted size of the reserve file; 0 = none
	have      int64 // bytes the reserve file holds now
	full      bool  // a commit failed with ErrDiskFull and the reserve is not back yet
	low       bool  // free space is under Options.MinFreeBytes
	free      int64 // last statfs result, -1 unknown
	freePages int64 // bbolt free pages (bytes) left for appends admitted in this commit while full
}

func (o *Outbox) reservePath() string { return o.path + reserveSuffix }

// fillReserve makes the reserve file hold sp.reserve bytes of real blocks
// (written, not a sparse truncate, which would reserve nothing). On a
// full disk it gives back what it wrote and returns the ErrDiskFull error.
func (o *Outbox) fillReserve() error {
	sp := &o.w.space
	if sp.reserve <= 0 || sp.have >= sp.reserve {
		return nil
	}
	path := o.reservePath()
	_, statErr := os.Lstat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("buffer: reserve file %s: %w", path, classifyWriteErr(err))
	}
	defer f.Close()
	var zero [64 << 10]byte
	for off := sp.have; off < sp.reserve; {
		n := min(int64(len(zero)), sp.reserve-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			_ = f.Truncate(0)
			sp.have = 0
			return fmt.Errorf("buffer: reserve file %s: %w", path, classifyWriteErr(err))
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		_ = f.Truncate(0)
		sp.have = 0
		return fmt.Errorf("buffer: reserve file %s: sync: %w", path, classifyWriteErr(err))
	}
	sp.have = sp.reserve
	if created {
		_ = atomicfile.SyncDir(filepath.Dir(path))
	}
	return nil
}

// loadReserve learns how much of the reserve an earlier run left on disk,
// counting allocated blocks so that a sparse file does not pass for one.
func (o *Outbox) loadReserve() {
	fi, err := os.Stat(o.reservePath())
	if err != nil {
		o.w.space.have = 0
		return
	}
	have := fi.Size()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		have = min(have, int64(st.Blocks)*512)
	}
	o.w.space.have = have
}

// releaseReserve gives the reserve's blocks back to the filesystem so the
// commits that free space (acks, drops) can allocate their pages.
func (o *Outbox) releaseReserve() {
	sp := &o.w.space
	if sp.have == 0 {
		return
	}
	if err := os.Truncate(o.reservePath(), 0); err == nil || errors.Is(err, fs.ErrNotExist) {
		sp.have = 0
	}
}

// statFree returns the bytes available to this process on the database's
// filesystem, or -1 when statfs fails.
func statFree(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// checkSpace runs before every commit: it refreshes the free-space figure
// when anything depends on it, leaves the full state once the reserve can
// be written again, and sets low when free space is under the floor.
func (o *Outbox) checkSpace() {
	sp := &o.w.space
	if !sp.full && o.opts.MinFreeBytes <= 0 {
		return
	}
	sp.free = statFree(filepath.Dir(o.path))
	// Leave the episode only with room for the reserve and as much again
	// (at least 1 MiB), so that a few new records do not start the next one.
	if sp.full && sp.free >= sp.reserve-sp.have+max(sp.reserve, 1<<20)+o.opts.MinFreeBytes {
		if o.fillReserve() == nil {
			sp.full = false
			sp.free = statFree(filepath.Dir(o.path))
		}
	}
	sp.low = sp.free >= 0 && sp.free < o.opts.MinFreeBytes
	if sp.full {
		sp.freePages = 0
		if o.db != nil {
			s := o.db.Stats()
			sp.freePages = int64(s.FreePageN+s.PendingPageN) * int64(o.db.Info().PageSize)
		}
	}
	o.publishSpace()
}

// enterFull starts (or continues) a disk-full episode: the reserve goes so
// that acks and drops can commit.
func (o *Outbox) enterFull() {
	sp := &o.w.space
	if !sp.full {
		o.mu.Lock()
		o.stats.DiskFullEpisodes++
		o.mu.Unlock()
	}
	sp.full = true
	sp.freePages = 0
	o.releaseReserve()
	sp.free = statFree(filepath.Dir(o.path))
	o.publishSpace()
}

func (o *Outbox) publishSpace() {
	sp := &o.w.space
	o.mu.Lock()
	o.stats.DiskFull = sp.full
	o.stats.SpaceLow = sp.low
	o.stats.ReserveBytes = sp.have
	o.stats.FreeBytes = sp.free
	o.mu.Unlock()
}

// admitWhileFull decides whether an append may be tried while the disk is
// full: only when bbolt's own free pages, already backed by blocks of the
// file, can hold it twice over (copy-on-write touches branch pages too), so
// a failing attempt cannot eat the space the next ack needs.
func (o *Outbox) admitWhileFull(r *request) error {
	sp := &o.w.space
	need := 2*(r.size+int64(len(r.recs))*(keyLen+recHeader)) + 64<<10
	if need > sp.freePages {
		return fmt.Errorf("%w: %s: the filesystem is full and the file has %d free bytes, %d records need about %d; they are not stored (acks and drops still commit)",
			ErrDiskFull, o.path, sp.freePages, len(r.recs), need)
	}
	sp.freePages -= need
	return nil
}
