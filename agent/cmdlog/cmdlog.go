package cmdlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// MaxIDLen bounds a command id (the fleet protocol allows 128 bytes).
const MaxIDLen = 128

// DefaultMaxEntries bounds the log when Options.MaxEntries is 0.
const DefaultMaxEntries = 100_000

var (
	bucketIDs    = []byte("ids")
	bucketExpiry = []byte("expiry")
)

// ErrCorrupt marks a file that is not a readable command log.
var ErrCorrupt = errors.New("cmdlog: corrupt database")

// Options tune a Log.
type Options struct {
	MaxEntries  int              // 0 = DefaultMaxEntries
	Now         func() time.Time // nil = time.Now
	LockTimeout time.Duration    // waiting for another process's lock; 0 = 5s
}

// Log is the persistent set of handled command ids. It is safe for
// concurrent use.
type Log struct {
	mu      sync.Mutex
	db      *bolt.DB
	n       int // entries in bucketIDs
	max     int
	now     func() time.Time
	movedTo string
	cause   error
}

// Open opens or creates the log at path. A damaged file is moved aside and
// replaced by an empty log (see Recovered); a locked or unreadable one
// (permissions, read-only filesystem) is an error and is left alone.
func Open(path string, o Options) (*Log, error) {
	if o.MaxEntries < 0 {
		return nil, fmt.Errorf("cmdlog: MaxEntries %d is negative", o.MaxEntries)
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = 5 * time.Second
	}
	l := &Log{max: o.MaxEntries, now: o.Now}
	db, n, err := openChecked(path, o.LockTimeout)
	if errors.Is(err, ErrCorrupt) {
		moved, mvErr := moveAside(path, o.Now())
		if mvErr != nil {
			return nil, fmt.Errorf("%w; moving it aside failed: %v", err, mvErr)
		}
		l.movedTo, l.cause = moved, err
		db, n, err = openChecked(path, o.LockTimeout)
	}
	if err != nil {
		return nil, err
	}
	l.db, l.n = db, n
	return l, nil
}

// Recovered reports whether Open found the file damaged: where it was
// moved and why. Both are empty for a healthy file.
func (l *Log) Recovered() (movedTo string, cause error) { return l.movedTo, l.cause }

// Len is the number of ids remembered.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		return nil
	}
	err := l.db.Close()
	l.db = nil
	if err != nil {
		return fmt.Errorf("cmdlog: close: %w", err)
	}
	return nil
}

// Seen reports whether id was recorded before and has not been forgotten
// yet; if not, it records id until keepUntil. The check and the record are
// one durable transaction: once Seen has returned false, every later call
// with the same id (in this process or after a restart) returns true until
// keepUntil has passed.
func (l *Log) Seen(id string, keepUntil time.Time) (bool, error) {
	if id == "" || len(id) > MaxIDLen {
		return false, fmt.Errorf("cmdlog: id must be 1 to %d bytes, got %d", MaxIDLen, len(id))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		return false, errors.New("cmdlog: log is closed")
	}
	now := l.now().UnixNano()
	until := keepUntil.UnixNano()
	seen := false
	n := l.n
	err := l.db.Update(func(tx *bolt.Tx) error {
		ids, exp := tx.Bucket(bucketIDs), tx.Bucket(bucketExpiry)
		// Prune first, so an id whose time has passed counts as new.
		c := exp.Cursor()
		for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) <= now; k, _ = c.First() {
			if err := forget(ids, exp, k); err != nil {
				return err
			}
			n--
		}
		if ids.Get([]byte(id)) != nil {
			seen = true
			return nil
		}
		if until <= now {
			return nil // nothing to remember: the command is already out of date
		}
		if err := ids.Put([]byte(id), be64(until)); err != nil {
			return err
		}
		if err := exp.Put(expiryKey(until, id), nil); err != nil {
			return err
		}
		n++
		for n > l.max {
			k, _ := exp.Cursor().First()
			if err := forget(ids, exp, k); err != nil {
				return err
			}
			n--
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("cmdlog: record %q: %w", id, err)
	}
	l.n = n
	return seen, nil
}

func forget(ids, exp *bolt.Bucket, expKey []byte) error {
	// Copy: keys are only valid until the bucket changes.
	id := string(expKey[8:])
	if err := exp.Delete(bytes.Clone(expKey)); err != nil {
		return err
	}
	return ids.Delete([]byte(id))
}

func be64(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

func expiryKey(until int64, id string) []byte {
	return append(be64(until), id...)
}

// openChecked opens path, creates the buckets and checks every entry; any
// sign of damage, including a panic or memory fault inside bbolt, is
// ErrCorrupt.
func openChecked(path string, lockTimeout time.Duration) (db *bolt.DB, n int, err error) {
	var file *os.File
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if file != nil {
				// bbolt's flock outlives Close while its map is alive.
				_ = syscall.Flock(int(file.Fd()), syscall.LOCK_UN)
				_ = file.Close()
			}
			db, err = nil, fmt.Errorf("%w: %s: reading the file failed: %v", ErrCorrupt, path, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout: lockTimeout,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, 0, fmt.Errorf("cmdlog: %s is locked by another process (waited %s)", path, lockTimeout)
		case environmental(err):
			return nil, 0, fmt.Errorf("cmdlog: open %s: %w", path, err)
		}
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		ids, err := tx.CreateBucketIfNotExists(bucketIDs)
		if err != nil {
			return err
		}
		exp, err := tx.CreateBucketIfNotExists(bucketExpiry)
		if err != nil {
			return err
		}
		return check(ids, exp, &n)
	})
	if err != nil {
		_ = db.Close()
		if environmental(err) {
			return nil, 0, fmt.Errorf("cmdlog: open %s: %w", path, err)
		}
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	return db, n, nil
}

// check verifies that the two buckets index each other exactly.
func check(ids, exp *bolt.Bucket, n *int) error {
	err := ids.ForEach(func(k, v []byte) error {
		if len(k) == 0 || len(k) > MaxIDLen || len(v) != 8 {
			return fmt.Errorf("entry %q: malformed (id %d bytes, value %d bytes)", k, len(k), len(v))
		}
		if exp.Get(expiryKey(int64(binary.BigEndian.Uint64(v)), string(k))) == nil {
			return fmt.Errorf("entry %q: missing from the expiry index", k)
		}
		*n++
		return nil
	})
	if err != nil {
		return err
	}
	if st := exp.Stats(); st.KeyN != *n {
		return fmt.Errorf("expiry index has %d entries, ids %d", st.KeyN, *n)
	}
	return nil
}

// environmental reports errors that say nothing about the file's contents:
// moving the file aside would not help and could hide an operator mistake.
func environmental(err error) bool {
	for _, e := range []error{fs.ErrPermission, fs.ErrNotExist, syscall.EROFS, syscall.ENOSPC,
		syscall.EDQUOT, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.EISDIR, syscall.ENOTDIR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// moveAside renames a damaged file out of the way, never over another
// file, and makes the rename durable.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	dst := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return "", err
		}
		dst = fmt.Sprintf("%s.%d", base, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return dst, nil // the rename happened; a lost rename is redone by the next Open
	}
	defer d.Close()
	_ = d.Sync()
	return dst, nil
}
