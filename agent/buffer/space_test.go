package buffer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/axle-edge/axle/agent/buffer/buffertest"
)

// A really full filesystem (a 6 MiB tmpfs): appends fail with ErrDiskFull,
// acks still commit thanks to the reserve, appends succeed again into the
// pages the acks freed, nothing committed is lost, and when space returns
// the reserve comes back and the episode ends, counted once.
func TestTmpfsFullAckCommitsAndAppendsResume(t *testing.T) {
	dir := buffertest.Tmpfs(t, 6<<20)
	filler := filepath.Join(dir, "filler")
	buffertest.Fill(t, filler, 2<<20)
	path := filepath.Join(dir, "outbox.db")
	const reserve = 256 << 10
	o := openT(t, path, Options{ReserveBytes: reserve})
	if s := o.Stats(); s.ReserveBytes != reserve || s.DiskFull {
		t.Fatalf("after Open: reserve %d, full %v; want %d, false", s.ReserveBytes, s.DiskFull, reserve)
	}
	ctx := context.Background()
	committed := map[uint64]string{}
	i := 0
	batch := func(n int) []Record {
		recs := make([]Record, n)
		for j := range recs {
			c := ClassScore
			if i%10 == 0 {
				c = ClassEvent
			}
			recs[j] = Record{Class: c, Topic: topicFor(c), Payload: payloadFor(fmt.Sprint("t.", i), 200)}
			i++
		}
		return recs
	}
	var fullErr error
	for fullErr == nil {
		if i > 100000 {
			t.Fatal("no error after 100000 records on a 6 MiB filesystem")
		}
		recs := batch(32)
		if fullErr = o.Append(ctx, recs); fullErr == nil {
			for _, r := range recs {
				committed[r.Seq] = idOf(r.Payload)
			}
		}
	}
	if !errors.Is(fullErr, ErrDiskFull) || !errors.Is(fullErr, syscall.ENOSPC) {
		t.Fatalf("error on the full filesystem: %v; want ErrDiskFull wrapping ENOSPC", fullErr)
	}
	s := o.Stats()
	if !s.DiskFull || s.DiskFullEpisodes != 1 || s.ReserveBytes != 0 {
		t.Fatalf("after ENOSPC: full %v, episodes %d, reserve %d; want true, 1, 0", s.DiskFull, s.DiskFullEpisodes, s.ReserveBytes)
	}
	t.Logf("%d records committed before the disk filled: %v", len(committed), fullErr)

	// Ack the older half: this commit needs new pages on a full disk.
	var acks []uint64
	for _, r := range append(peekAll(t, o, ClassEvent), peekAll(t, o, ClassScore)...) {
		if r.Seq%2 == 0 {
			acks = append(acks, r.Seq)
		}
	}
	for len(acks) > 0 {
		n := min(len(acks), 200)
		if err := o.Ack(acks[:n]...); err != nil {
			t.Fatalf("Ack on a full disk: %v", err)
		}
		for _, s := range acks[:n] {
			delete(committed, s)
		}
		acks = acks[n:]
	}

	// Appends go into the freed pages, still on a full filesystem.
	for range 5 {
		recs := batch(32)
		if err := o.Append(ctx, recs); err != nil {
			t.Fatalf("Append after acks freed pages: %v (stats %+v)", err, o.Stats())
		}
		for _, r := range recs {
			committed[r.Seq] = idOf(r.Payload)
		}
	}
	checkStored(t, o, committed)

	// Space returns: the next commit writes the reserve and ends the episode.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	recs := batch(4)
	if err := o.Append(ctx, recs); err != nil {
		t.Fatalf("Append after space returned: %v", err)
	}
	for _, r := range recs {
		committed[r.Seq] = idOf(r.Payload)
	}
	s = o.Stats()
	if s.DiskFull || s.ReserveBytes != reserve || s.DiskFullEpisodes != 1 {
		t.Fatalf("after space returned: full %v, reserve %d, episodes %d; want false, %d, 1", s.DiskFull, s.ReserveBytes, s.DiskFullEpisodes, reserve)
	}
	checkStored(t, o, committed)
	checkAccounting(t, o)

	// And it all survives a reopen.
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openT(t, path, Options{ReserveBytes: reserve})
	checkStored(t, o, committed)
}

// checkStored asserts that exactly the records in want (seq → payload id)
// are stored.
func checkStored(t *testing.T, o *Outbox, want map[uint64]string) {
	t.Helper()
	got := append(peekAll(t, o, ClassEvent), peekAll(t, o, ClassScore)...)
	for _, r := range got {
		id, ok := want[r.Seq]
		if !ok {
			t.Fatalf("record %d stored but not committed (or acked)", r.Seq)
		}
		if idOf(r.Payload) != id {
			t.Fatalf("record %d holds %q, want %q", r.Seq, idOf(r.Payload), id)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d records stored, want %d", len(got), len(want))
	}
}

// Under the free-space floor the outbox stops growing: every new record
// replaces the oldest scores, counted as drops, and no event is dropped.
func TestFreeSpaceFloorDropsOldestScores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := openT(t, path, Options{ReserveBytes: -1, NoSync: true})
	ctx := context.Background()
	var first []Record
	for i := range 100 {
		c := ClassScore
		if i%10 == 0 {
			c = ClassEvent
		}
		first = append(first, Record{Class: c, Topic: topicFor(c), Payload: payloadFor(fmt.Sprint("a.", i), 200)})
	}
	if err := o.Append(ctx, first); err != nil {
		t.Fatal(err)
	}
	o.Close()

	// A floor no filesystem meets.
	o = openT(t, path, Options{ReserveBytes: -1, NoSync: true, MinFreeBytes: 1 << 62})
	before := o.Stats()
	for i := range 30 {
		c := ClassScore
		if i%10 == 0 {
			c = ClassEvent
		}
		if err := o.Append(ctx, []Record{{Class: c, Topic: topicFor(c), Payload: payloadFor(fmt.Sprint("b.", i), 200)}}); err != nil {
			t.Fatal(err)
		}
	}
	s := o.Stats()
	if !s.SpaceLow || s.FreeBytes <= 0 {
		t.Fatalf("SpaceLow %v, FreeBytes %d; want true and the measured free space", s.SpaceLow, s.FreeBytes)
	}
	if s.Bytes > before.Bytes+3*int64(len(topicFor(ClassEvent))+200) {
		t.Fatalf("stored bytes grew from %d to %d under the floor", before.Bytes, s.Bytes)
	}
	d := o.TakeDrops()
	if d.Events != 0 || d.Scores < 27 || s.DroppedScores != d.Scores {
		t.Fatalf("drops %+v (stats %d); want ≥27 scores and no events", d, s.DroppedScores)
	}
	sc := peekAll(t, o, ClassScore)
	if d.NewestDropped >= sc[0].Seq {
		t.Fatalf("dropped up to %d but score %d is older and kept", d.NewestDropped, sc[0].Seq)
	}
	if ev := peekAll(t, o, ClassEvent); len(ev) != 13 {
		t.Fatalf("%d events stored, want all 13", len(ev))
	}
	checkAccounting(t, o)
}
