package buffer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

type kind uint8

const (
	kindAppend kind = iota + 1
	kindAck
	kindCompact
)

// request is one caller's unit of work for the commit goroutine. The caller
// blocks on done, so recs and seqs stay valid until the result is sent.
type request struct {
	kind  kind
	recs  []Record
	size  int64
	seqs  []uint64
	first uint64 // first Seq, valid once the transaction commits
	err   error
	done  chan error
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

func getRequest(k kind) *request {
	r := requestPool.Get().(*request)
	r.kind = k
	return r
}

func putRequest(r *request) {
	*r = request{done: r.done}
	requestPool.Put(r)
}

func (r *request) weight() int {
	switch r.kind {
	case kindAppend:
		return len(r.recs)
	case kindAck:
		return len(r.seqs)
	}
	return 1
}

// writer is the state of the commit goroutine; nothing else touches it.
type writer struct {
	batch    []*request
	arena    []byte // keys and values of the open transaction (bbolt keeps references until commit)
	stateBuf [stateLen]byte
	broken   error // a commit failed: reopen the database before the next transaction

	// Automatic compaction: when the file holds at least compactMinFree free
	// bytes and is compactFactor times the live data. Fields, not constants,
	// so tests can reach the trigger with small files.
	compactMinFree  int64
	compactFactor   int64
	compactNotUntil time.Time // back-off after a failed compaction

	space space
}

const (
	maxArena              = 256 << 20
	keepArena             = 8 << 20
	defaultCompactMinFree = 16 << 20
	defaultCompactFactor  = 4
	compactRetry          = time.Minute
)

// run is the commit goroutine: it takes every request that is waiting (up
// to MaxBatch records), applies them in one transaction and answers them all
// after the single commit. While it commits, new requests queue up for the
// next round, so concurrent callers share fsyncs without any timer.
func (o *Outbox) run() {
	defer close(o.stopped)
	var tick <-chan time.Time
	if o.opts.MaxAge > 0 {
		t := time.NewTicker(sweepInterval(o.opts.MaxAge))
		defer t.Stop()
		tick = t.C
		if o.expiryDue() {
			o.commit(nil)
		}
	}
	for {
		var first *request
		select {
		case r, ok := <-o.reqs:
			if !ok {
				return
			}
			first = r
		case <-tick:
			if o.expiryDue() {
				o.commit(nil)
			}
			continue
		}
		batch := append(o.w.batch[:0], first)
		n := first.weight()
		closed := false
	fill:
		for n < o.opts.MaxBatch {
			select {
			case r, ok := <-o.reqs:
				if !ok {
					closed = true
					break fill
				}
				batch = append(batch, r)
				n += r.weight()
			default:
				break fill
			}
		}
		o.commit(batch)
		clear(batch)
		o.w.batch = batch[:0]
		if closed {
			return
		}
	}
}

// sweepInterval is how often an idle outbox checks the age bound.
func sweepInterval(maxAge time.Duration) time.Duration {
	return min(max(maxAge/8, time.Second), time.Minute)
}

func (o *Outbox) expiryDue() bool {
	cutoff := o.opts.Now().Add(-o.opts.MaxAge).UnixNano()
	o.mu.Lock()
	defer o.mu.Unlock()
	oldest, ok := o.oldestLocked()
	return ok && oldest < cutoff
}

// commit runs one transaction for batch and answers every request in it.
func (o *Outbox) commit(batch []*request) {
	o.checkSpace()
	err := o.commitTx(batch)
	if errors.Is(err, ErrDiskFull) {
		o.enterFull()
		if freesSpace(batch) {
			// The reserve is released: commit the acks and drops alone.
			// The appends fail; their callers were never told they
			// were stored.
			for _, r := range batch {
				if r.kind == kindAppend && r.err == nil {
					r.err = err
				}
			}
			err = o.commitTx(batch)
		}
	}
	compact := false
	for _, r := range batch {
		if r.err == nil && err != nil {
			r.err = err
		}
		if r.kind == kindCompact {
			compact = true
			continue
		}
		r.done <- r.err
	}
	if compact {
		cerr := err
		if cerr == nil {
			cerr = o.compact()
		}
		for _, r := range batch {
			if r.kind == kindCompact {
				r.done <- cerr
			}
		}
	} else if err == nil {
		o.maybeCompact()
	}
}

// freesSpace reports whether a commit of batch without its appends can
// free space: acks, and the age sweep (a nil batch) or any commit's drops.
func freesSpace(batch []*request) bool {
	if len(batch) == 0 {
		return true
	}
	for _, r := range batch {
		if r.kind != kindAppend {
			return true
		}
	}
	return false
}

// txn is the open write transaction with its two record buckets.
type txn struct {
	tx      *bolt.Tx
	meta    *bolt.Bucket
	buckets [2]*bolt.Bucket
	dirty   bool
}

func (o *Outbox) commitTx(batch []*request) (err error) {
	if o.w.broken != nil {
		if err := o.reopen(); err != nil {
			return err
		}
	}
	// A fault on the memory map (a file truncated under us) becomes an
	// error rather than a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	tx, err := o.db.Begin(true)
	if err != nil {
		o.w.broken = err
		return fmt.Errorf("buffer: begin transaction on %s: %w", o.path, err)
	}
	committed := false
	defer func() {
		p := recover()
		if p != nil {
			err = fmt.Errorf("%w: %s: transaction panicked: %v", ErrCorrupt, o.path, p)
		}
		if !committed {
			rollbackQuietly(tx)
		}
		if p != nil {
			o.dbMu.Lock()
			o.db.abandon()
			o.db, o.dbErr = nil, err
			o.dbMu.Unlock()
		}
		if err != nil {
			o.w.broken = err
		}
	}()

	t := txn{tx: tx, meta: tx.Bucket(metaBucket)}
	for c := range t.buckets {
		t.buckets[c] = tx.Bucket(classBuckets[c])
		if t.buckets[c] == nil || t.meta == nil {
			return fmt.Errorf("%w: %s: bucket %q missing", ErrCorrupt, o.path, classBuckets[c])
		}
		// Keys only ever grow at the right edge: pack pages full.
		t.buckets[c].FillPercent = 1.0
	}

	var need int64
	for _, r := range batch {
		if r.kind == kindAppend {
			need += r.size + int64(len(r.recs))*(keyLen+recHeader)
		}
	}
	// Sized once so that appends do not copy it; a huge batch (only
	// possible with a huge MaxBatch) just grows it instead.
	if int64(cap(o.w.arena)) < need && need <= maxArena {
		o.w.arena = make([]byte, 0, need)
	}
	o.w.arena = o.w.arena[:0]

	st := o.st // only this goroutine writes o.st
	var drops Drops
	var appended, acked uint64
	for _, r := range batch {
		switch r.kind {
		case kindAppend:
			if err := o.applyAppend(&t, &st, r, &drops); err != nil {
				return err
			}
			if r.err == nil {
				appended += uint64(len(r.recs))
			}
		case kindAck:
			n, err := o.applyAck(&t, &st, r.seqs)
			if err != nil {
				return err
			}
			acked += n
		}
	}
	if err := o.expire(&t, &st, &drops); err != nil {
		return err
	}
	if !t.dirty {
		return nil
	}

	var heads [2]int64
	for c, b := range t.buckets {
		if _, v := b.Cursor().First(); v != nil {
			heads[c], _ = valueTime(v)
		}
	}
	o.mu.Lock()
	st.drops = o.drops
	o.mu.Unlock()
	st.drops.merge(drops)
	if err := t.meta.Put(stateKey, st.encode(&o.w.stateBuf)); err != nil {
		return fmt.Errorf("buffer: write state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		committed = true // bbolt rolled back already
		return fmt.Errorf("buffer: commit to %s: %w", o.path, classifyWriteErr(err))
	}
	committed = true
	if cap(o.w.arena) > keepArena {
		o.w.arena = nil // an unusually large batch: do not hold its memory
	}

	for _, r := range batch {
		if r.kind == kindAppend && r.err == nil {
			for i := range r.recs {
				r.recs[i].Seq = r.first + uint64(i)
			}
		}
	}
	size := fileSize(o.path)
	o.mu.Lock()
	o.st = st
	o.heads = heads
	o.drops.merge(drops)
	o.stats.Appended += appended
	o.stats.Acked += acked
	o.stats.DroppedScores += drops.Scores
	o.stats.DroppedEvents += drops.Events
	o.stats.Commits++
	if size > 0 {
		o.stats.FileBytes = size
	}
	o.mu.Unlock()
	return nil
}

func rollbackQuietly(tx *bolt.Tx) {
	defer func() { _ = recover() }()
	_ = tx.Rollback()
}

// applyAppend makes room under the byte bound (dropping the oldest scores),
// then stores the records of r. It checks before it drops, so a request
// that cannot fit changes nothing and gets its own error in r.err; the
// returned error fails the whole transaction.
func (o *Outbox) applyAppend(t *txn, st *state, r *request, drops *Drops) error {
	if r.err != nil {
		return nil // refused before this transaction (disk full)
	}
	sp := &o.w.space
	if sp.full {
		if r.err = o.admitWhileFull(r); r.err != nil {
			// Make room for the next attempt: the oldest scores go, and
			// their pages are free once this transaction commits.
			return o.dropScores(t, st, r.size, drops)
		}
	}
	limit := o.opts.MaxBytes
	if sp.low {
		// The filesystem takes no more: new records replace the oldest
		// scores. Events are never dropped, so they may still grow it.
		limit = min(limit, max(st.bytes[0]+st.bytes[1], st.bytes[0]+r.size))
	}
	if st.bytes[0]+r.size > limit {
		r.err = fmt.Errorf("%w: events hold %d bytes, %d more would pass the %d-byte bound (scores are dropped for room, events never)",
			ErrFull, st.bytes[0], r.size, limit)
		return nil
	}
	if st.lastSeq > ^uint64(0)-uint64(len(r.recs)) {
		r.err = fmt.Errorf("buffer: sequence space exhausted at %d", st.lastSeq)
		return nil
	}
	if st.bytes[0]+st.bytes[1]+r.size > limit {
		c := t.buckets[1].Cursor()
		for st.bytes[0]+st.bytes[1]+r.size > limit {
			k, v := c.First()
			if k == nil {
				// The counters claim scores that are not there.
				st.count[1], st.bytes[1] = 0, 0
				break
			}
			if err := dropAt(c, st, 1, k, v, drops); err != nil {
				return err
			}
		}
		t.dirty = true
	}
	r.first = st.lastSeq + 1
	for i := range r.recs {
		rec := &r.recs[i]
		c := int(rec.Class - 1)
		start := len(o.w.arena)
		o.w.arena = binary.BigEndian.AppendUint64(o.w.arena, r.first+uint64(i))
		key := o.w.arena[start:len(o.w.arena):len(o.w.arena)]
		o.w.arena = appendValue(o.w.arena, rec.Class, key, rec)
		val := o.w.arena[start+keyLen:]
		if err := t.buckets[c].Put(key, val); err != nil {
			return fmt.Errorf("buffer: put record %d: %w", r.first+uint64(i), err)
		}
		st.count[c]++
		st.bytes[c] += int64(len(rec.Topic)) + int64(len(rec.Payload))
	}
	st.lastSeq += uint64(len(r.recs))
	t.dirty = true
	return nil
}

// dropScores drops the oldest scores until n bytes are gone or none is left.
func (o *Outbox) dropScores(t *txn, st *state, n int64, drops *Drops) error {
	c := t.buckets[1].Cursor()
	for freed := int64(0); freed < n; {
		k, v := c.First()
		if k == nil {
			return nil
		}
		freed += valueBytes(v)
		if err := dropAt(c, st, 1, k, v, drops); err != nil {
			return err
		}
		t.dirty = true
	}
	return nil
}

// dropAt deletes the record under c (class index ci) for the bound policy.
func dropAt(c *bolt.Cursor, st *state, ci int, k, v []byte, drops *Drops) error {
	var seq uint64
	if len(k) == keyLen {
		seq = binary.BigEndian.Uint64(k)
	}
	n := valueBytes(v)
	if err := c.Delete(); err != nil {
		return fmt.Errorf("buffer: drop record %d: %w", seq, err)
	}
	st.count[ci] = max(st.count[ci]-1, 0)
	st.bytes[ci] = max(st.bytes[ci]-n, 0)
	drops.add(Class(ci+1), seq, n)
	return nil
}

func (o *Outbox) applyAck(t *txn, st *state, seqs []uint64) (uint64, error) {
	var key [keyLen]byte
	var n uint64
	for _, seq := range seqs {
		putSeq(key[:], seq)
		for c, b := range t.buckets {
			v := b.Get(key[:])
			if v == nil {
				continue
			}
			size := valueBytes(v)
			if err := b.Delete(key[:]); err != nil {
				return n, fmt.Errorf("buffer: ack %d: %w", seq, err)
			}
			st.count[c] = max(st.count[c]-1, 0)
			st.bytes[c] = max(st.bytes[c]-size, 0)
			n++
			t.dirty = true
			break
		}
	}
	return n, nil
}

// expire drops records older than MaxAge, scores before events. Records are
// examined in Seq order and the sweep stops at the first young one, so a
// record with an old Time behind a younger one waits for it.
func (o *Outbox) expire(t *txn, st *state, drops *Drops) error {
	if o.opts.MaxAge <= 0 {
		return nil
	}
	cutoff := o.opts.Now().Add(-o.opts.MaxAge).UnixNano()
	for _, ci := range [...]int{1, 0} {
		c := t.buckets[ci].Cursor()
		for k, v := c.First(); k != nil; k, v = c.First() {
			if tm, ok := valueTime(v); !ok || tm >= cutoff {
				break
			}
			if err := dropAt(c, st, ci, k, v, drops); err != nil {
				return err
			}
			t.dirty = true
		}
	}
	return nil
}

// reopen replaces the handle after a failed commit so that the next
// transaction starts from what is on disk.
func (o *Outbox) reopen() error {
	o.dbMu.Lock()
	defer o.dbMu.Unlock()
	if o.db != nil {
		o.db.closeQuietly()
		o.db = nil
	}
	h, res, err := openChecked(o.path, o.opts, false)
	if err != nil {
		o.dbErr = fmt.Errorf("buffer: reopen after a failed commit: %w", err)
		return o.dbErr
	}
	o.db, o.dbErr, o.w.broken = h, nil, nil
	o.mu.Lock()
	o.st, o.heads = res.st, res.heads
	o.mu.Unlock()
	return nil
}

// diskFullError keeps ErrDiskFull and the errno in the chain even where
// bbolt formats the underlying error with %s (file resize).
type diskFullError struct {
	errno syscall.Errno
	err   error
}

func (e *diskFullError) Error() string   { return "disk full: " + e.err.Error() }
func (e *diskFullError) Unwrap() []error { return []error{ErrDiskFull, e.errno, e.err} }

func classifyWriteErr(err error) error {
	for _, errno := range [...]syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error()) {
			return &diskFullError{errno: errno, err: err}
		}
	}
	return err
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
