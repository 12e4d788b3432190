package buffer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fill appends n 200-byte scores in batches and returns their seqs.
func fill(t testing.TB, o *Outbox, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	for len(seqs) < n {
		recs := make([]Record, min(1000, n-len(seqs)))
		for i := range recs {
			recs[i] = rec(ClassScore, "axle/d/scores/m", sized(fmt.Sprint("r", len(seqs)+i), 200))
		}
		if err := o.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
		}
	}
	return seqs
}

func TestCompactShrinksFileAndKeepsRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := openT(t, path, Options{NoSync: true})
	seqs := fill(t, o, 30000)
	if err := o.Ack(seqs[:len(seqs)-100]...); err != nil {
		t.Fatal(err)
	}
	if err := o.Append(context.Background(), []Record{rec(ClassEvent, "e", "event")}); err != nil {
		t.Fatal(err)
	}
	before := o.Stats()

	// Readers keep working while the file is swapped.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var peekErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		var dst []Record
		for !stop.Load() {
			var err error
			if dst, err = o.Peek(ClassScore, 0, 100, dst); err != nil || len(dst) != 100 {
				peekErr = fmt.Errorf("Peek during compaction: %d records, %v", len(dst), err)
				return
			}
		}
	}()
	err := o.Compact(context.Background())
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if peekErr != nil {
		t.Fatal(peekErr)
	}

	after := o.Stats()
	t.Logf("file %d -> %d bytes", before.FileBytes, after.FileBytes)
	if after.Compactions != 1 || after.FileBytes*4 > before.FileBytes || after.FileBytes != fileSize(path) {
		t.Fatalf("after Compact: %d compactions, file %d bytes (was %d, on disk %d)", after.Compactions, after.FileBytes, before.FileBytes, fileSize(path))
	}
	if after.Records != 101 || after.Bytes != before.Bytes || after.LastSeq != before.LastSeq {
		t.Fatalf("Stats after Compact = %+v, before %+v", after, before)
	}
	sc := peekAll(t, o, ClassScore)
	if len(sc) != 100 || sc[0].Seq != seqs[len(seqs)-100] || string(sc[99].Payload) != sized("r29999", 200) {
		t.Fatalf("records after Compact: %d, first %d", len(sc), sc[0].Seq)
	}
	checkAccounting(t, o)
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	r := []Record{rec(ClassScore, "s", "after")}
	if err := o.Append(context.Background(), r); err != nil || r[0].Seq != before.LastSeq+1 {
		t.Fatalf("Append after Compact: seq %d, %v; want %d", r[0].Seq, err, before.LastSeq+1)
	}
}

// After a drained backlog the commit goroutine compacts by itself.
func TestAutoCompactAfterDrain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := open(path, Options{NoSync: true}, func(o *Outbox) { o.w.compactMinFree = 1 << 20 })
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	seqs := fill(t, o, 20000)
	peak := o.Stats().FileBytes
	if o.Stats().Compactions != 0 {
		t.Fatal("compacted while the backlog was growing")
	}
	for i := 0; i < len(seqs); i += 1000 {
		if err := o.Ack(seqs[i : i+1000]...); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "an automatic compaction", func() bool { return o.Stats().Compactions > 0 })
	if s := o.Stats(); s.FileBytes*4 > peak || s.Records != 0 {
		t.Fatalf("after drain and compaction: file %d bytes (peak %d), %d records", s.FileBytes, peak, s.Records)
	}
}

// A compaction interrupted by a crash leaves <path>.compact; Open removes it
// and keeps the database.
func TestOpenRemovesStaleCompactionFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	last := makeDB(t, path, 10, time.Now)
	if err := os.WriteFile(path+compactSuffix, []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := openT(t, path, Options{})
	if s := o.Stats(); s.Records != 10 || s.LastSeq != last {
		t.Fatalf("Stats = %+v", s)
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stale compaction file still there: %v", err)
	}
}
