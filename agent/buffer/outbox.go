package buffer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Class is the priority class of a record. Each class is its own ordered
// queue; the sender drains events before scores.
type Class uint8

const (
	ClassEvent Class = 1 // alerts, faults, deployments, drops: sent first, never dropped by the byte bound
	ClassScore Class = 2 // model scores: dropped oldest-first when the byte bound is hit
)

func (c Class) String() string {
	switch c {
	case ClassEvent:
		return "event"
	case ClassScore:
		return "score"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

func (c Class) valid() bool { return c == ClassEvent || c == ClassScore }

// Record is one outbox entry.
type Record struct {
	Seq     uint64    // assigned by Append: one per-device sequence shared by all classes, strictly increasing, persisted
	Class   Class     // ClassEvent or ClassScore
	Topic   string    // MQTT topic, 1 to 65535 bytes
	Time    time.Time // creation time (age bound, "historical" decisions); zero = Options.Now() at Append
	Payload []byte    // opaque; topic+payload at most MaxRecordBytes
}

// Options configure an Outbox. The zero value is usable.
type Options struct {
	MaxBytes    int64            // bound on stored topic+payload bytes; 0 = DefaultMaxBytes
	MaxAge      time.Duration    // records older than this are dropped (both classes); 0 = no age bound
	MaxBatch    int              // most records per group commit; 0 = DefaultMaxBatch
	NoSync      bool             // skip fsync: tests and benchmarks only, a power cut can corrupt the file
	Now         func() time.Time // nil = time.Now
	LockTimeout time.Duration    // how long Open waits for another process holding the file; 0 = DefaultLockTimeout
	// ReserveBytes is the size of <path>.reserve, space held back so that
	// acks and drops can commit on a full disk; 0 = DefaultReserveBytes,
	// negative = no reserve.
	ReserveBytes int64
	// MinFreeBytes is a floor on the filesystem's free space: below it the
	// outbox stops growing and new records replace the oldest scores
	// (counted as drops); 0 = no floor.
	MinFreeBytes int64
}

const (
	DefaultMaxBytes    = 256 << 20
	DefaultMaxBatch    = 4096
	DefaultLockTimeout = 5 * time.Second
	// DefaultReserveBytes covers the pages of many ack commits on a full
	// disk (each rewrites a leaf, its branches and the freelist).
	DefaultReserveBytes = 4 << 20
	// MaxRecordBytes bounds topic+payload of one record.
	MaxRecordBytes = 1 << 20
)

var (
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("buffer: outbox is closed")
	// ErrFull is returned by Append when the byte bound cannot be met even
	// after dropping every stored score: events alone fill the outbox.
	ErrFull = errors.New("buffer: outbox full")
	// ErrDiskFull wraps ENOSPC, EDQUOT and EFBIG from a failed commit; the
	// errno stays in the chain for errors.Is. Nothing committed is damaged
	// and Append works again once space returns.
	ErrDiskFull = errors.New("buffer: disk full")
	// ErrTooLarge is returned for a record over MaxRecordBytes.
	ErrTooLarge = errors.New("buffer: record too large")
	// ErrInvalidRecord is returned for a record with a bad class or topic.
	ErrInvalidRecord = errors.New("buffer: invalid record")
	// ErrCorrupt marks data read back from disk that fails validation.
	ErrCorrupt = errors.New("buffer: corrupt database")
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("buffer: database locked by another process")
	// ErrNotOutbox is returned by Open for a valid bbolt file that holds
	// something else; it is left untouched.
	ErrNotOutbox = errors.New("buffer: not an outbox database")
)

// Drops counts records removed by the bound policy rather than by Ack.
type Drops struct {
	Scores, Events uint64
	Bytes          int64  // topic+payload bytes dropped
	OldestDropped  uint64 // lowest dropped Seq, 0 if none
	NewestDropped  uint64 // highest dropped Seq, 0 if none
}

// Zero reports whether nothing was dropped.
func (d Drops) Zero() bool { return d.Scores == 0 && d.Events == 0 }

func (d *Drops) add(class Class, seq uint64, n int64) {
	if class == ClassEvent {
		d.Events++
	} else {
		d.Scores++
	}
	d.Bytes += n
	if d.OldestDropped == 0 || seq < d.OldestDropped {
		d.OldestDropped = seq
	}
	if seq > d.NewestDropped {
		d.NewestDropped = seq
	}
}

func (d *Drops) merge(o Drops) {
	d.Scores += o.Scores
	d.Events += o.Events
	d.Bytes += o.Bytes
	if o.OldestDropped != 0 && (d.OldestDropped == 0 || o.OldestDropped < d.OldestDropped) {
		d.OldestDropped = o.OldestDropped
	}
	if o.NewestDropped > d.NewestDropped {
		d.NewestDropped = o.NewestDropped
	}
}

// Stats is a snapshot for metrics. Records, Scores, Events, Bytes, LastSeq
// and OldestAge describe what is stored (OldestAge is the age of the first,
// lowest-Seq record of either class); the counters count since Open.
type Stats struct {
	Records, Scores, Events int64
	Bytes                   int64 // stored topic+payload bytes
	OldestAge               time.Duration
	Appended, Acked         uint64
	DroppedScores           uint64
	DroppedEvents           uint64
	FileBytes               int64 // size of the database file
	LastSeq                 uint64
	Compactions             uint64
	CompactFailures         uint64
	Commits                 uint64 // write transactions (one fsync each unless NoSync)

	// Storage state, for the agent's status. DiskFull is true from a commit
	// that failed for lack of space until the reserve could be written
	// again; DiskFullEpisodes counts such episodes since Open, so a status
	// or log can report each one once. SpaceLow: free space is under
	// MinFreeBytes. ReserveBytes: the reserve now on disk (0 while it is
	// spent). FreeBytes: free space at the last check, -1 if unknown or not
	// checked (it is checked only with a floor or while full).
	DiskFull         bool
	SpaceLow         bool
	DiskFullEpisodes uint64
	ReserveBytes     int64
	FreeBytes        int64
}

// Outbox is a durable, bounded, ordered store of records awaiting delivery.
// All methods are safe for concurrent use.
type Outbox struct {
	path string
	opts Options

	reqs    chan *request
	stopped chan struct{}
	sendMu  sync.RWMutex // guards closed against sends on reqs
	closed  bool

	dbMu  sync.RWMutex // held for writing only while the *bolt.DB is swapped
	db    *handle
	dbErr error // why db is nil while the outbox is open (a failed reopen)

	movedTo string
	cause   error

	w writer // owned by the commit goroutine

	mu    sync.Mutex // guards the fields below
	st    state      // mirror of the committed meta record
	heads [2]int64   // creation time (Unix ns) of the oldest record per class
	drops Drops      // pending for TakeDrops
	stats Stats      // counters only; stored sizes come from st
}

// Recovered reports whether Open found the database corrupt or unreadable:
// movedTo is where the old file now is, cause why it was moved. movedTo is ""
// when nothing was moved aside.
func (o *Outbox) Recovered() (movedTo string, cause error) { return o.movedTo, o.cause }

// Path is the database file.
func (o *Outbox) Path() string { return o.path }

// TakeDrops returns the drops since the last call and resets the count. The
// count is persisted with every commit, so drops not yet taken when the
// process dies are returned again after the next Open.
func (o *Outbox) TakeDrops() Drops {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.drops
	o.drops = Drops{}
	return d
}

// Stats returns a snapshot without touching the database.
func (o *Outbox) Stats() Stats {
	now := o.opts.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	s.Events, s.Scores = o.st.count[0], o.st.count[1]
	s.Records = s.Events + s.Scores
	s.Bytes = o.st.bytes[0] + o.st.bytes[1]
	s.LastSeq = o.st.lastSeq
	if oldest, ok := o.oldestLocked(); ok {
		if age := now.Sub(time.Unix(0, oldest)); age > 0 {
			s.OldestAge = age
		}
	}
	return s
}

func (o *Outbox) oldestLocked() (int64, bool) {
	var oldest int64
	ok := false
	for i := range 2 {
		if o.st.count[i] > 0 && (!ok || o.heads[i] < oldest) {
			oldest, ok = o.heads[i], true
		}
	}
	return oldest, ok
}

// Append stores recs durably: when it returns nil every record is committed
// with fsync and recs[i].Seq holds its sequence number (a zero Time is set
// to Options.Now()). The records of one call are committed together or not
// at all; concurrent callers share one commit. ctx bounds only the wait to
// enter the commit queue: once queued, Append waits for the commit, so that
// a nil return always means durable and an error always means not stored.
//
// Errors: ErrInvalidRecord, ErrTooLarge (checked before anything is queued),
// ErrFull, ErrDiskFull, ErrClosed, ctx.Err().
func (o *Outbox) Append(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	var size int64
	now := time.Time{}
	for i := range recs {
		r := &recs[i]
		if !r.Class.valid() {
			return fmt.Errorf("%w: record %d: class %d is neither ClassEvent (1) nor ClassScore (2)", ErrInvalidRecord, i, r.Class)
		}
		if r.Topic == "" {
			return fmt.Errorf("%w: record %d: empty topic", ErrInvalidRecord, i)
		}
		if len(r.Topic) > maxTopic {
			return fmt.Errorf("%w: record %d: topic is %d bytes, limit %d", ErrInvalidRecord, i, len(r.Topic), maxTopic)
		}
		n := int64(len(r.Topic)) + int64(len(r.Payload))
		if n > MaxRecordBytes {
			return fmt.Errorf("%w: record %d (topic %q): %d bytes of topic+payload, limit %d", ErrTooLarge, i, r.Topic, n, MaxRecordBytes)
		}
		if r.Time.IsZero() {
			if now.IsZero() {
				now = o.opts.Now()
			}
			r.Time = now
		}
		size += n
	}
	if size > o.opts.MaxBytes {
		return fmt.Errorf("%w: append of %d records needs %d bytes, bound is %d", ErrFull, len(recs), size, o.opts.MaxBytes)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := getRequest(kindAppend)
	r.recs, r.size = recs, size
	if err := o.submit(ctx, r); err != nil {
		putRequest(r)
		return err
	}
	err := <-r.done
	putRequest(r)
	return err
}

// Ack deletes delivered records of any class. Unknown or already deleted
// seqs are ignored. Like Append it shares commits with concurrent callers.
func (o *Outbox) Ack(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	r := getRequest(kindAck)
	r.seqs = seqs
	if err := o.submit(context.Background(), r); err != nil {
		putRequest(r)
		return err
	}
	err := <-r.done
	putRequest(r)
	return err
}

// Compact rewrites the database into a fresh file to give free pages back to
// the filesystem. The commit goroutine does this by itself when most of the
// file is free; Compact forces it (for operators and tests).
func (o *Outbox) Compact(ctx context.Context) error {
	r := getRequest(kindCompact)
	if err := o.submit(ctx, r); err != nil {
		putRequest(r)
		return err
	}
	err := <-r.done
	putRequest(r)
	return err
}

func (o *Outbox) submit(ctx context.Context, r *request) error {
	o.sendMu.RLock()
	defer o.sendMu.RUnlock()
	if o.closed {
		return ErrClosed
	}
	select {
	case o.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is queued, stops the commit goroutine and closes the
// database. Calls after the first return nil.
func (o *Outbox) Close() error {
	o.sendMu.Lock()
	if o.closed {
		o.sendMu.Unlock()
		return nil
	}
	o.closed = true
	close(o.reqs)
	o.sendMu.Unlock()
	<-o.stopped

	o.dbMu.Lock()
	defer o.dbMu.Unlock()
	if o.db == nil {
		return nil
	}
	err := o.db.Close()
	o.db = nil
	if err != nil {
		return fmt.Errorf("buffer: close %s: %w", o.path, err)
	}
	return nil
}
