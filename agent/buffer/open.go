package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	metaBucket   = []byte("meta")
	classBuckets = [2][]byte{[]byte("events"), []byte("scores")} // by Class-1
	formatKey    = []byte("format")
	stateKey     = []byte("state")
)

const (
	formatPrefix  = "axle-outbox/"
	formatValue   = formatPrefix + "1"
	compactSuffix = ".compact"
)

func (opts Options) normalize() (Options, error) {
	switch {
	case opts.MaxBytes < 0:
		return opts, fmt.Errorf("buffer: Options.MaxBytes is negative (%d)", opts.MaxBytes)
	case opts.MaxAge < 0:
		return opts, fmt.Errorf("buffer: Options.MaxAge is negative (%s)", opts.MaxAge)
	case opts.MaxBatch < 0:
		return opts, fmt.Errorf("buffer: Options.MaxBatch is negative (%d)", opts.MaxBatch)
	case opts.MinFreeBytes < 0:
		return opts, fmt.Errorf("buffer: Options.MinFreeBytes is negative (%d)", opts.MinFreeBytes)
	case opts.LockTimeout < 0:
		return opts, fmt.Errorf("buffer: Options.LockTimeout is negative (%s)", opts.LockTimeout)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.ReserveBytes == 0 {
		opts.ReserveBytes = DefaultReserveBytes
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, nil
}

// Open opens or creates the outbox at path and starts its commit goroutine
// (stopped by Close). It validates every record and the byte accounting
// before returning. A file that is corrupt or unreadable is renamed to
// <path>.corrupt-<UTC timestamp>, a new outbox is started in its place, and
// Open returns it with Recovered() saying where the old file went and why;
// nothing is deleted. A file locked by another process (ErrLocked), one
// this process may not read, or a bbolt file holding something other than
// an outbox (ErrNotOutbox) is an error and is left alone.
//
// A new outbox starts its sequence at the current time in microseconds, so
// a replaced or deleted outbox never reuses the numbers consumers have
// seen, as long as the clock has not gone backwards.
func Open(path string, opts Options) (*Outbox, error) { return open(path, opts, nil) }

// open is Open with a hook that runs before the commit goroutine starts
// (tests lower the compaction thresholds with it).
func open(path string, opts Options, tweak func(*Outbox)) (*Outbox, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	// A compaction interrupted by a crash leaves its temporary copy; the
	// database itself is still the complete old file.
	if err := os.Remove(path + compactSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("buffer: remove stale compaction file: %w", err)
	}
	o := &Outbox{
		path:    path,
		opts:    opts,
		reqs:    make(chan *request, 1024),
		stopped: make(chan struct{}),
	}
	o.w.compactMinFree = defaultCompactMinFree
	o.w.compactFactor = defaultCompactFactor

	h, res, err := openChecked(path, opts, true)
	if err != nil && errors.Is(err, ErrCorrupt) {
		moved, mvErr := moveAside(path, opts.Now())
		if mvErr != nil {
			return nil, fmt.Errorf("%w; moving it aside failed: %v", err, mvErr)
		}
		o.movedTo, o.cause = moved, err
		h, res, err = openChecked(path, opts, true)
	}
	if err != nil {
		return nil, err
	}
	o.db = h
	o.st, o.heads, o.drops = res.st, res.heads, res.st.drops
	o.stats.FileBytes = fileSize(path)
	o.w.space = space{reserve: max(opts.ReserveBytes, 0), free: -1}
	o.loadReserve()
	if err := o.fillReserve(); err != nil {
		if !errors.Is(err, ErrDiskFull) {
			h.closeQuietly()
			return nil, err
		}
		// Already full: start in the episode; acks still commit.
		o.enterFull()
	}
	o.publishSpace()
	if tweak != nil {
		tweak(o)
	}
	go o.run()
	return o, nil
}

type opened struct {
	st    state
	heads [2]int64
}

// openChecked opens path with bbolt and loads the outbox state. With full
// set it also reads back every record. Any sign of a damaged file, including
// a panic or a memory fault inside bbolt, is reported as ErrCorrupt.
func openChecked(path string, opts Options, full bool) (h *handle, res opened, err error) {
	// If bbolt panics inside Open there is no *DB at all: keep the file so
	// that its descriptor and lock can be released.
	var file *os.File
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if file != nil {
				(&handle{file: file}).abandon()
			}
			h, err = nil, fmt.Errorf("%w: %s: reading the file failed: %v", ErrCorrupt, path, p)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, res, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, opts.LockTimeout)
		case environmental(err):
			return nil, res, fmt.Errorf("buffer: open %s: %w", path, err)
		}
		return nil, res, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	h = &handle{DB: db, file: file}
	res, err = load(db, path, opts, full)
	if err != nil {
		h.closeQuietly()
		return nil, res, err
	}
	return h, res, nil
}

// handle is an open bbolt database and its file. When bbolt panics inside a
// write transaction it can leave its locks held, and DB.Close would then
// wait forever; such a handle is abandoned instead: its file is closed,
// which releases the descriptor and the lock, and the DB is never used
// again (its memory map stays until the process exits).
type handle struct {
	*bolt.DB
	file *os.File
}

func (h *handle) abandon() {
	// The memory map keeps the open file description, and with it bbolt's
	// flock, alive after Close: unlock explicitly.
	_ = syscall.Flock(int(h.file.Fd()), syscall.LOCK_UN)
	_ = h.file.Close()
}

// closeQuietly closes a handle no panic has touched.
func (h *handle) closeQuietly() {
	defer func() { _ = recover() }()
	_ = h.Close()
}

// environmental reports errors that say nothing about the file's contents:
// moving the file aside would not help and could hide an operator mistake.
func environmental(err error) bool {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
		return true
	}
	for _, e := range [...]syscall.Errno{
		syscall.ENOMEM, syscall.EROFS, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG,
		syscall.EMFILE, syscall.ENFILE, syscall.ENOTDIR, syscall.EISDIR,
		syscall.ELOOP, syscall.ENAMETOOLONG, syscall.EAGAIN, syscall.EINTR,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func load(db *bolt.DB, path string, opts Options, full bool) (opened, error) {
	var res opened
	fresh, repair := false, false
	err := db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			var names []string
			_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, fmt.Sprintf("%q", name))
				if len(names) == 5 {
					return errStopWalk
				}
				return nil
			})
			if len(names) > 0 {
				return fmt.Errorf("%w: %s holds buckets %s", ErrNotOutbox, path, strings.Join(names, ", "))
			}
			fresh = true
			return nil
		}
		if f := meta.Get(formatKey); string(f) != formatValue {
			if strings.HasPrefix(string(f), formatPrefix) {
				return fmt.Errorf("buffer: %s has outbox format %q; this agent reads %q", path, f, formatValue)
			}
			return fmt.Errorf("%w: format marker is %q, want %q (%s)", ErrCorrupt, f, formatValue, path)
		}
		st, err := decodeState(meta.Get(stateKey))
		if err != nil {
			return fmt.Errorf("%w (%s)", err, path)
		}
		res.st = st
		for ci, name := range classBuckets {
			b := tx.Bucket(name)
			if b == nil {
				return fmt.Errorf("%w: bucket %q missing (%s)", ErrCorrupt, name, path)
			}
			if _, v := b.Cursor().First(); v != nil {
				res.heads[ci], _ = valueTime(v)
			}
			if !full {
				continue
			}
			n, size, last, err := checkBucket(Class(ci+1), b)
			if err != nil {
				return fmt.Errorf("%w (%s, %s bucket)", err, path, name)
			}
			if n != st.count[ci] || size != st.bytes[ci] {
				res.st.count[ci], res.st.bytes[ci] = n, size
				repair = true
			}
			if last > res.st.lastSeq {
				res.st.lastSeq = last
				repair = true
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	switch {
	case fresh:
		res.st = state{}
		if us := opts.Now().UnixMicro(); us > 0 {
			res.st.lastSeq = uint64(us)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucket(metaBucket)
			if err != nil {
				return err
			}
			for _, name := range classBuckets {
				if _, err := tx.CreateBucket(name); err != nil {
					return err
				}
			}
			if err := meta.Put(formatKey, []byte(formatValue)); err != nil {
				return err
			}
			var buf [stateLen]byte
			return meta.Put(stateKey, res.st.encode(&buf))
		})
		if err == nil {
			// The file is new: make its directory entry as durable as its
			// first commit.
			err = atomicfile.SyncDir(filepath.Dir(path))
		}
	case repair:
		// The records are intact but the counters disagree with them: trust
		// the records. Nothing is lost, the accounting becomes exact again.
		err = db.Update(func(tx *bolt.Tx) error {
			var buf [stateLen]byte
			return tx.Bucket(metaBucket).Put(stateKey, res.st.encode(&buf))
		})
	}
	if err != nil {
		return res, fmt.Errorf("buffer: initialise %s: %w", path, classifyWriteErr(err))
	}
	if full && !fresh {
		probeWritePath(db, res.st.lastSeq)
	}
	return res, nil
}

// probeWritePath runs the commit path of every record bucket once: a
// file can read back cleanly and still make bbolt panic at its next
// commit, because a damaged branch page is only rebuilt when a write
// spills it (FuzzOpen found one). The transaction puts and deletes a
// record after the last, as Append and Ack would, so the content stays
// the same; a panic reaches openChecked's recover and the file is moved
// aside now instead of failing every commit later. A plain write error
// (a full disk, say) is left to the first real commit, which handles it.
func probeWritePath(db *bolt.DB, lastSeq uint64) {
	var key [keyLen]byte
	putSeq(key[:], max(lastSeq+1, 1))
	_ = db.Update(func(tx *bolt.Tx) error {
		for _, name := range classBuckets {
			b := tx.Bucket(name)
			if err := b.Put(key[:], nil); err != nil {
				return err
			}
			if err := b.Delete(key[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

var errStopWalk = errors.New("stop")

// checkBucket reads back every record of one class.
func checkBucket(class Class, b *bolt.Bucket) (n, size int64, last uint64, err error) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			return 0, 0, 0, fmt.Errorf("%w: nested bucket %x among records", ErrCorrupt, k)
		}
		seq, err := keySeq(k)
		if err != nil {
			return 0, 0, 0, err
		}
		if seq <= last {
			return 0, 0, 0, fmt.Errorf("%w: record %d after record %d", ErrCorrupt, seq, last)
		}
		if _, _, _, err := decodeValue(class, k, v); err != nil {
			return 0, 0, 0, err
		}
		last = seq
		n++
		size += valueBytes(v)
	}
	return n, size, last, nil
}

// moveAside renames a damaged database out of the way, never over another
// file, and makes the rename durable.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	dst := base
	for i := 1; ; i++ {
		_, err := os.Lstat(dst)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		dst = fmt.Sprintf("%s.%d", base, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	// Best effort: if the rename is lost in a power cut, the next Open finds
	// the same damage and moves the file again.
	_ = atomicfile.SyncDir(filepath.Dir(path))
	return dst, nil
}
