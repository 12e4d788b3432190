package buffer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openT(t testing.TB, path string, opts Options) *Outbox {
	t.Helper()
	o, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	if moved, cause := o.Recovered(); moved != "" {
		t.Fatalf("Open(%s) moved the database to %s: %v", path, moved, cause)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func rec(c Class, topic, payload string) Record {
	return Record{Class: c, Topic: topic, Payload: []byte(payload)}
}

// peekAll returns every stored record of class.
func peekAll(t testing.TB, o *Outbox, c Class) []Record {
	t.Helper()
	out, err := o.Peek(c, 0, 1<<30, nil)
	if err != nil {
		t.Fatalf("Peek(%s): %v", c, err)
	}
	return out
}

func seqsOf(rs []Record) []uint64 {
	s := make([]uint64, len(rs))
	for i, r := range rs {
		s[i] = r.Seq
	}
	return s
}

func checkAccounting(t testing.TB, o *Outbox) {
	t.Helper()
	ev, sc := peekAll(t, o, ClassEvent), peekAll(t, o, ClassScore)
	var b int64
	for _, r := range append(ev, sc...) {
		b += int64(len(r.Topic) + len(r.Payload))
	}
	s := o.Stats()
	if s.Events != int64(len(ev)) || s.Scores != int64(len(sc)) || s.Records != int64(len(ev)+len(sc)) || s.Bytes != b {
		t.Fatalf("Stats says %d events, %d scores, %d records, %d bytes; stored: %d events, %d scores, %d bytes",
			s.Events, s.Scores, s.Records, s.Bytes, len(ev), len(sc), b)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestAppendAssignsSequencesAndPeekOrders(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{Now: clk.Now})

	if got, want := o.Stats().LastSeq, uint64(clk.Now().UnixMicro()); got != want {
		t.Fatalf("new outbox LastSeq = %d, want the creation time in µs %d", got, want)
	}
	recs := []Record{
		rec(ClassScore, "axle/d/scores/m", "s1"),
		rec(ClassEvent, "axle/d/events", "e1"),
		rec(ClassScore, "axle/d/scores/m", "s2"),
	}
	if err := o.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	base := recs[0].Seq
	for i, r := range recs {
		if r.Seq != base+uint64(i) {
			t.Fatalf("recs[%d].Seq = %d, want %d", i, r.Seq, base+uint64(i))
		}
		if !r.Time.Equal(clk.Now()) {
			t.Fatalf("recs[%d].Time = %v, want Now() %v for a zero Time", i, r.Time, clk.Now())
		}
	}
	more := []Record{rec(ClassEvent, "axle/d/events", "e2"), rec(ClassScore, "axle/d/scores/n", "s3")}
	more[0].Time = clk.Now().Add(-time.Hour)
	if err := o.Append(ctx, more); err != nil {
		t.Fatal(err)
	}
	if more[0].Seq != base+3 || more[1].Seq != base+4 {
		t.Fatalf("second append got seqs %d,%d, want %d,%d", more[0].Seq, more[1].Seq, base+3, base+4)
	}

	sc := peekAll(t, o, ClassScore)
	if got := seqsOf(sc); fmt.Sprint(got) != fmt.Sprint([]uint64{base, base + 2, base + 4}) {
		t.Fatalf("scores seqs = %v", got)
	}
	if string(sc[2].Payload) != "s3" || sc[2].Topic != "axle/d/scores/n" || sc[2].Class != ClassScore {
		t.Fatalf("scores[2] = %+v", sc[2])
	}
	ev := peekAll(t, o, ClassEvent)
	if len(ev) != 2 || string(ev[1].Payload) != "e2" || !ev[1].Time.Equal(more[0].Time) {
		t.Fatalf("events = %+v, want e1, e2 with e2's own Time %v", ev, more[0].Time)
	}

	// after and max.
	got, err := o.Peek(ClassScore, base, 1, nil)
	if err != nil || len(got) != 1 || got[0].Seq != base+2 {
		t.Fatalf("Peek(after %d, max 1) = %v, %v; want seq %d", base, seqsOf(got), err, base+2)
	}
	if got, _ := o.Peek(ClassScore, base+4, 10, nil); len(got) != 0 {
		t.Fatalf("Peek after the last score returned %v", seqsOf(got))
	}
	if got, _ := o.Peek(ClassScore, ^uint64(0), 10, nil); len(got) != 0 {
		t.Fatalf("Peek after MaxUint64 returned %v", seqsOf(got))
	}
	checkAccounting(t, o)
	if s := o.Stats(); s.Appended != 5 || s.LastSeq != base+4 || s.OldestAge != 0 {
		t.Fatalf("Stats = %+v, want Appended 5, LastSeq %d, OldestAge 0", s, base+4)
	}
	// OldestAge is the age of the first record of each class: once e1 is
	// acked, e2 (an hour old) is first.
	if err := o.Ack(ev[0].Seq); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if s := o.Stats(); s.OldestAge != time.Hour+time.Minute {
		t.Fatalf("OldestAge = %s, want 1h1m", s.OldestAge)
	}
}

func TestPeekNewest(t *testing.T) {
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{NoSync: true})
	if got, err := o.PeekNewest(ClassScore, 3, nil); err != nil || len(got) != 0 {
		t.Fatalf("PeekNewest on empty = %v, %v", got, err)
	}
	var recs []Record
	for i := range 10 {
		recs = append(recs, rec(ClassScore, "s", fmt.Sprint(i)), rec(ClassEvent, "e", fmt.Sprint(i)))
	}
	if err := o.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	got, err := o.PeekNewest(ClassScore, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0].Payload) != "7" || string(got[2].Payload) != "9" || got[0].Seq >= got[1].Seq {
		t.Fatalf("PeekNewest(3) = %v %q..%q, want payloads 7,8,9 ascending", seqsOf(got), got[0].Payload, got[len(got)-1].Payload)
	}
	all, _ := o.PeekNewest(ClassEvent, 100, nil)
	if len(all) != 10 || string(all[0].Payload) != "0" {
		t.Fatalf("PeekNewest(100) of 10 events returned %d, first %q", len(all), all[0].Payload)
	}
}

func TestPeekReusesDst(t *testing.T) {
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{NoSync: true})
	recs := []Record{rec(ClassScore, "s", "payload-one"), rec(ClassScore, "s", "payload-two")}
	if err := o.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	dst, err := o.Peek(ClassScore, 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	p0 := &dst[0].Payload[0]
	dst2, err := o.Peek(ClassScore, recs[0].Seq, 2, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(dst2) != 1 || &dst2[0] != &dst[0] || &dst2[0].Payload[0] != p0 || string(dst2[0].Payload) != "payload-two" {
		t.Fatalf("Peek with dst did not reuse the record and its payload array (len %d, payload %q)", len(dst2), dst2[0].Payload)
	}
}

func TestAckDeletesAnyClassAndIgnoresUnknown(t *testing.T) {
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{})
	recs := []Record{rec(ClassEvent, "e", "a"), rec(ClassScore, "s", "bb"), rec(ClassScore, "s", "ccc")}
	if err := o.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(recs[0].Seq, recs[1].Seq, recs[1].Seq, 12345, 0); err != nil {
		t.Fatal(err)
	}
	if ev := peekAll(t, o, ClassEvent); len(ev) != 0 {
		t.Fatalf("acked event still there: %v", seqsOf(ev))
	}
	if sc := peekAll(t, o, ClassScore); len(sc) != 1 || sc[0].Seq != recs[2].Seq {
		t.Fatalf("scores after ack = %v, want [%d]", seqsOf(sc), recs[2].Seq)
	}
	if s := o.Stats(); s.Acked != 2 || s.Bytes != 4 {
		t.Fatalf("Stats after ack = %+v, want Acked 2, Bytes 4", s)
	}
	checkAccounting(t, o)
}

func TestReopenContinuesSequenceAndAccounting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	ctx := context.Background()
	o, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := range 20 {
		recs := []Record{rec(ClassScore, "s", fmt.Sprint("score", i)), rec(ClassEvent, "e", fmt.Sprint("event", i))}
		if err := o.Append(ctx, recs); err != nil {
			t.Fatal(err)
		}
		last = recs[1].Seq
	}
	if err := o.Ack(last - 1); err != nil {
		t.Fatal(err)
	}
	before := o.Stats()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = openT(t, path, Options{})
	after := o.Stats()
	if after.LastSeq != last || after.Records != before.Records || after.Bytes != before.Bytes || after.Events != before.Events {
		t.Fatalf("after reopen Stats = %+v, before close %+v", after, before)
	}
	checkAccounting(t, o)
	r := []Record{rec(ClassScore, "s", "next")}
	if err := o.Append(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r[0].Seq != last+1 {
		t.Fatalf("first seq after reopen = %d, want %d", r[0].Seq, last+1)
	}
}

func TestAppendValidation(t *testing.T) {
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{MaxBytes: 4 << 20, NoSync: true})
	ctx := context.Background()
	cases := []struct {
		name string
		recs []Record
		want error
		text string
	}{
		{"class", []Record{rec(ClassScore, "s", "x"), {Class: 9, Topic: "t"}}, ErrInvalidRecord, "record 1: class 9"},
		{"no topic", []Record{{Class: ClassEvent}}, ErrInvalidRecord, "empty topic"},
		{"long topic", []Record{{Class: ClassEvent, Topic: string(make([]byte, 70000))}}, ErrInvalidRecord, "topic is 70000 bytes"},
		{"too large", []Record{{Class: ClassScore, Topic: "big", Payload: make([]byte, MaxRecordBytes)}}, ErrTooLarge, `topic "big"`},
	}
	for _, c := range cases {
		err := o.Append(ctx, c.recs)
		if !errors.Is(err, c.want) || !bytes.Contains([]byte(fmt.Sprint(err)), []byte(c.text)) {
			t.Errorf("%s: Append = %v, want %v mentioning %q", c.name, err, c.want, c.text)
		}
	}
	if s := o.Stats(); s.Records != 0 || s.Commits != 0 {
		t.Fatalf("rejected appends stored something: %+v", s)
	}
	if err := o.Append(ctx, nil); err != nil {
		t.Fatalf("Append(nil) = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := o.Append(cctx, []Record{rec(ClassScore, "s", "x")}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with canceled ctx = %v", err)
	}
	if _, err := o.Peek(3, 0, 1, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Peek(class 3) = %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{MaxBytes: -1}); err == nil {
		t.Fatal("Open with negative MaxBytes succeeded")
	}
}

func TestClosed(t *testing.T) {
	o, err := Open(filepath.Join(t.TempDir(), "outbox.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := []Record{rec(ClassScore, "s", "x")}
	if err := o.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := o.Append(context.Background(), r); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
	if err := o.Ack(r[0].Seq); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ack after Close = %v", err)
	}
	if _, err := o.Peek(ClassScore, 0, 1, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Peek after Close = %v", err)
	}
}

// Concurrent single-record appends must share commits (and fsyncs) and
// still get distinct, gap-free sequence numbers.
func TestConcurrentAppendsShareCommits(t *testing.T) {
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{})
	const workers, each = 32, 20
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := []Record{rec(Class(1+(w+i)%2), "t", fmt.Sprint(w, "/", i))}
				if err := o.Append(context.Background(), r); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[r[0].Seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := o.Stats()
	if len(seen) != workers*each || s.Appended != workers*each {
		t.Fatalf("%d distinct seqs, Appended %d; want %d", len(seen), s.Appended, workers*each)
	}
	first := s.LastSeq - workers*each + 1
	for q := first; q <= s.LastSeq; q++ {
		if !seen[q] {
			t.Fatalf("seq %d missing from %d..%d", q, first, s.LastSeq)
		}
	}
	if s.Commits >= s.Appended {
		t.Fatalf("%d commits for %d concurrent appends: group commit did not batch", s.Commits, s.Appended)
	}
	t.Logf("%d appends in %d commits", s.Appended, s.Commits)
	checkAccounting(t, o)
}

// Close while callers are appending: every Append that returned nil is on
// disk after reopening, the rest got ErrClosed.
func TestCloseWhileAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ok []uint64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r := []Record{rec(ClassScore, "s", "x")}
				err := o.Append(context.Background(), r)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				ok = append(ok, r[0].Seq)
				mu.Unlock()
			}
		}()
	}
	waitFor(t, 10*time.Second, "some appends", func() bool { return o.Stats().Appended >= 50 })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	o = openT(t, path, Options{})
	stored := map[uint64]bool{}
	for _, r := range peekAll(t, o, ClassScore) {
		stored[r.Seq] = true
	}
	for _, s := range ok {
		if !stored[s] {
			t.Fatalf("seq %d returned by Append before Close is missing", s)
		}
	}
	if len(stored) != len(ok) {
		t.Fatalf("%d records stored, %d appends returned nil", len(stored), len(ok))
	}
}
