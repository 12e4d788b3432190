package buffer

import (
	"fmt"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Peek returns up to max records of class with Seq > after, oldest first,
// appended to dst[:0]. It reuses the Records in dst's capacity, including
// their Payload arrays and (when equal) Topic strings, so a caller that
// passes the same dst back allocates nothing in the steady state; it must
// therefore be done with the previous results (e.g. the publish of their
// payloads) before passing dst again.
//
// A record that fails validation ends the result with an error wrapping
// ErrCorrupt that names its Seq; the records before it are returned. The
// caller may Ack the bad Seq to move past it.
func (o *Outbox) Peek(class Class, after uint64, max int, dst []Record) ([]Record, error) {
	dst = dst[:0]
	if !class.valid() {
		return dst, fmt.Errorf("%w: peek: class %d is neither ClassEvent (1) nor ClassScore (2)", ErrInvalidRecord, class)
	}
	if max <= 0 || after == ^uint64(0) {
		return dst, nil
	}
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(classBuckets[class-1]).Cursor()
		var from [keyLen]byte
		putSeq(from[:], after+1)
		var err error
		for k, v := c.Seek(from[:]); k != nil && len(dst) < max; k, v = c.Next() {
			if dst, err = appendRecord(dst, class, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	return dst, err
}

// PeekNewest returns the newest max records of class in ascending Seq
// order, appended to dst[:0] with the same reuse rules as Peek. The sender
// uses it to publish live data first after an outage.
func (o *Outbox) PeekNewest(class Class, max int, dst []Record) ([]Record, error) {
	dst = dst[:0]
	if !class.valid() {
		return dst, fmt.Errorf("%w: peek newest: class %d is neither ClassEvent (1) nor ClassScore (2)", ErrInvalidRecord, class)
	}
	if max <= 0 {
		return dst, nil
	}
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(classBuckets[class-1]).Cursor()
		k, _ := c.Last()
		if k == nil {
			return nil
		}
		n := 1
		for n < max {
			pk, _ := c.Prev()
			if pk == nil {
				break
			}
			k = pk
			n++
		}
		var err error
		k, v := c.Seek(k)
		for ; k != nil && len(dst) < n; k, v = c.Next() {
			if dst, err = appendRecord(dst, class, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	return dst, err
}

// view runs fn in a read transaction on the current handle; a memory fault
// or a bbolt panic on a damaged page becomes ErrCorrupt instead of a crash.
func (o *Outbox) view(fn func(*bolt.Tx) error) (err error) {
	o.dbMu.RLock()
	defer o.dbMu.RUnlock()
	if o.db == nil {
		if o.dbErr != nil {
			return o.dbErr
		}
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: read failed: %v", ErrCorrupt, o.path, p)
		}
	}()
	return o.db.View(fn)
}

func appendRecord(dst []Record, class Class, k, v []byte) ([]Record, error) {
	seq, err := keySeq(k)
	if err != nil {
		return dst, err
	}
	ns, topic, payload, err := decodeValue(class, k, v)
	if err != nil {
		return dst, err
	}
	if len(dst) < cap(dst) {
		dst = dst[:len(dst)+1]
	} else {
		dst = append(dst, Record{})
	}
	r := &dst[len(dst)-1]
	r.Seq, r.Class = seq, class
	if r.Topic != string(topic) {
		r.Topic = string(topic)
	}
	r.Time = time.Unix(0, ns).UTC()
	r.Payload = append(r.Payload[:0], payload...)
	return dst, nil
}
