package buffer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// makeDB creates an outbox at path with n records (payloads "payload-<i>"
// padded to 200 bytes) and returns the last Seq.
func makeDB(t testing.TB, path string, n int, now func() time.Time) uint64 {
	t.Helper()
	o, err := Open(path, Options{Now: now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for i := range n {
		recs = append(recs, rec(Class(1+i%2), "axle/d/x", sized(fmt.Sprint("payload-", i), 200)))
	}
	if err := o.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	last := o.Stats().LastSeq
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	return last
}

// openMovesAside opens a damaged file and checks the recovery contract: the
// file is renamed untouched to <path>.corrupt-<time>, the cause wraps
// ErrCorrupt, a working empty outbox takes its place, and its sequence
// starts past oldLast.
func openMovesAside(t *testing.T, path string, clk *fakeClock, oldLast uint64) {
	t.Helper()
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(path, Options{Now: clk.Now, NoSync: true})
	if err != nil {
		t.Fatalf("Open of a damaged file = %v, want a fresh outbox", err)
	}
	defer o.Close()
	moved, cause := o.Recovered()
	wantName := path + ".corrupt-" + clk.Now().UTC().Format("20060102T150405Z")
	if moved != wantName || !errors.Is(cause, ErrCorrupt) || !strings.Contains(cause.Error(), path) {
		t.Fatalf("Recovered() = %q, %v; want %q and an ErrCorrupt naming the file", moved, cause, wantName)
	}
	t.Logf("cause: %v", cause)
	kept, err := os.ReadFile(moved)
	if err != nil || !bytes.Equal(kept, damaged) {
		t.Fatalf("moved-aside file differs from the damaged one (err %v)", err)
	}
	if s := o.Stats(); s.Records != 0 {
		t.Fatalf("fresh outbox has %d records", s.Records)
	}
	r := []Record{rec(ClassEvent, "e", "after recovery")}
	if err := o.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r[0].Seq <= oldLast {
		t.Fatalf("new outbox reused sequence numbers: first %d, old last %d", r[0].Seq, oldLast)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	// The replacement opens cleanly and keeps the record.
	o2 := openT(t, path, Options{})
	if ev := peekAll(t, o2, ClassEvent); len(ev) != 1 || string(ev[0].Payload) != "after recovery" {
		t.Fatalf("replacement outbox lost its record: %v", ev)
	}
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)} }

func TestOpenGarbageMovesAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	junk := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	openMovesAside(t, path, newClock(), 0)
}

func TestOpenTruncatedMovesAside(t *testing.T) {
	for _, keep := range []int64{100, 4096 + 17, -1} {
		t.Run(fmt.Sprint(keep), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.db")
			clk := newClock()
			last := makeDB(t, path, 2000, clk.Now)
			size := fileSize(path)
			if keep < 0 {
				keep = size / 2
			}
			if err := os.Truncate(path, keep); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Second)
			openMovesAside(t, path, clk, last)
		})
	}
}

// A flipped bit inside one record's payload is caught by its checksum.
func TestOpenDamagedRecordMovesAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	clk := newClock()
	last := makeDB(t, path, 50, clk.Now)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("payload-33."))
	if i < 0 {
		t.Fatal("payload-33 not found in the file")
	}
	b[i+9] ^= 0x01 // "payload-33" -> "payload-23": still plausible bytes
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	openMovesAside(t, path, clk, last)
}

// State and records are written by bbolt directly to simulate damage that
// bbolt itself cannot see.
func TestOpenBadStateOrKeyMovesAside(t *testing.T) {
	cases := map[string]func(tx *bolt.Tx) error{
		"short state": func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Put(stateKey, []byte{1, 2, 3}) },
		"no scores":   func(tx *bolt.Tx) error { return tx.DeleteBucket(classBuckets[1]) },
		"short key":   func(tx *bolt.Tx) error { return tx.Bucket(classBuckets[0]).Put([]byte{1}, make([]byte, 40)) },
		"short value": func(tx *bolt.Tx) error { return tx.Bucket(classBuckets[0]).Put(make([]byte, 8), []byte{1}) },
		"bad marker":  func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Put(formatKey, []byte("junk")) },
		"event in score bucket": func(tx *bolt.Tx) error {
			k, v := tx.Bucket(classBuckets[0]).Cursor().First()
			return tx.Bucket(classBuckets[1]).Put(append([]byte(nil), k...), append([]byte(nil), v...))
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.db")
			clk := newClock()
			last := makeDB(t, path, 10, clk.Now)
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(damage); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Second)
			openMovesAside(t, path, clk, last)
		})
	}
}

// Counters that disagree with intact records are repaired, not a reason to
// move the file.
func TestOpenRepairsCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	last := makeDB(t, path, 10, time.Now)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		st := state{lastSeq: last - 5, count: [2]int64{1, 99}, bytes: [2]int64{7, 7}}
		var buf [stateLen]byte
		return tx.Bucket(metaBucket).Put(stateKey, st.encode(&buf))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	o := openT(t, path, Options{})
	if s := o.Stats(); s.Records != 10 || s.LastSeq != last {
		t.Fatalf("after repair Stats = %+v, want 10 records, LastSeq %d", s, last)
	}
	checkAccounting(t, o)
}

func TestOpenLeavesOtherFilesAlone(t *testing.T) {
	dir := t.TempDir()

	// A bbolt file that is not an outbox.
	other := filepath.Join(dir, "commands.db")
	db, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("dedupe")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(other, Options{}); !errors.Is(err, ErrNotOutbox) || !strings.Contains(err.Error(), `"dedupe"`) {
		t.Fatalf("Open(other bbolt file) = %v, want ErrNotOutbox naming its bucket", err)
	}

	// A newer outbox format (after an agent rollback).
	newer := filepath.Join(dir, "newer.db")
	makeDB(t, newer, 3, time.Now)
	db, err = bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Put(formatKey, []byte(formatPrefix+"2")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(newer, Options{}); err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "axle-outbox/2") {
		t.Fatalf("Open(newer format) = %v, want a plain error naming the format", err)
	}

	// A file held by another opener.
	held := filepath.Join(dir, "held.db")
	o := openT(t, held, Options{})
	start := time.Now()
	if _, err := Open(held, Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("LockTimeout not honoured")
	}
	_ = o

	// A missing directory.
	if _, err := Open(filepath.Join(dir, "no", "such", "outbox.db"), Options{}); err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open in a missing directory = %v, want a plain error", err)
	}

	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".corrupt-") {
			t.Fatalf("%s was moved aside", e.Name())
		}
	}
}

// Damage that appears after Open is reported by Peek with the Seq, and the
// sender can Ack past it.
func TestPeekReportsDamagedRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := openT(t, path, Options{})
	recs := []Record{rec(ClassScore, "s", "good-1"), rec(ClassScore, "s", "bad"), rec(ClassScore, "s", "good-2")}
	if err := o.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// Write through bbolt's memory map is not possible; damage the page
	// through the file, which the read-only map shares.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	i := bytes.Index(b, []byte("bad"))
	if i < 0 {
		t.Fatal("record not found in file")
	}
	if _, err := f.WriteAt([]byte("BAD"), int64(i)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := o.Peek(ClassScore, 0, 10, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("score record %d", recs[1].Seq)) {
		t.Fatalf("Peek over a damaged record = %v, want ErrCorrupt naming seq %d", err, recs[1].Seq)
	}
	if len(got) != 1 || string(got[0].Payload) != "good-1" {
		t.Fatalf("Peek returned %d records before the damage, want good-1", len(got))
	}
	if err := o.Ack(recs[1].Seq); err != nil {
		t.Fatal(err)
	}
	got, err = o.Peek(ClassScore, 0, 10, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("Peek after acking the damaged record = %d records, %v", len(got), err)
	}
}

// Pages damaged under a running outbox make bbolt panic inside a write
// transaction; Append must report it and Close must not hang on the locks
// the panic left behind.
func TestDamageUnderRunningOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seqs := fill(t, o, 2000)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	size := fileSize(path)
	junk := bytes.Repeat([]byte{0xa5}, 4096)
	for off := int64(2 * 4096); off < size; off += 4096 {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	errs := 0
	for range 3 {
		err := o.Append(context.Background(), []Record{rec(ClassScore, "s", "x")})
		if err != nil {
			errs++
			t.Logf("Append on damaged pages: %v", err)
		}
	}
	if err := o.Ack(seqs[:10]...); err != nil {
		errs++
		t.Logf("Ack on damaged pages: %v", err)
	}
	if _, err := o.Peek(ClassScore, 0, 10, nil); err != nil {
		errs++
		t.Logf("Peek on damaged pages: %v", err)
	}
	if errs == 0 {
		t.Fatal("no call noticed the damaged pages")
	}
	done := make(chan error, 1)
	go func() { done <- o.Close() }()
	select {
	case err := <-done:
		t.Logf("Close: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close hung after a panic inside bbolt")
	}
	// The next Open moves the damaged file aside.
	o2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if moved, _ := o2.Recovered(); moved == "" {
		t.Fatal("damaged file was not moved aside at the next Open")
	}
}
