package buffer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// payload of n bytes, recognisable by tag.
func sized(tag string, n int) string {
	return tag + strings.Repeat(".", n-len(tag))
}

// The outbox bound reached while offline: the oldest scores go, events stay,
// every drop is counted (also across a restart) and Append keeps working.
func TestBoundDropsOldestScoresKeepsEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outbox.db")
	// Each record is 1 (topic) + 99 (payload) = 100 bytes; room for 10.
	o, err := Open(path, Options{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var all []Record
	for i := range 8 {
		r := []Record{rec(ClassScore, "s", sized(fmt.Sprint("s", i), 99))}
		if i%3 == 0 {
			r[0] = rec(ClassEvent, "e", sized(fmt.Sprint("e", i), 99))
		}
		if err := o.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r...)
	}
	// 8 stored (3 events: e0 e3 e6; 5 scores: s1 s2 s4 s5 s7). Append 5
	// more scores: 3 must go, the oldest: s1, s2, s4.
	var next []Record
	for i := 8; i < 13; i++ {
		next = append(next, rec(ClassScore, "s", sized(fmt.Sprint("s", i), 99)))
	}
	if err := o.Append(ctx, next); err != nil {
		t.Fatal(err)
	}
	ev, sc := peekAll(t, o, ClassEvent), peekAll(t, o, ClassScore)
	if len(ev) != 3 {
		t.Fatalf("events after overflow: %d, want all 3", len(ev))
	}
	var got []string
	for _, r := range sc {
		got = append(got, strings.TrimRight(string(r.Payload), "."))
	}
	if fmt.Sprint(got) != "[s5 s7 s8 s9 s10 s11 s12]" {
		t.Fatalf("scores after overflow = %v, want the oldest three (s1 s2 s4) dropped", got)
	}
	s := o.Stats()
	if s.Bytes != 1000 || s.DroppedScores != 3 || s.DroppedEvents != 0 {
		t.Fatalf("Stats = %+v, want Bytes 1000, DroppedScores 3", s)
	}
	checkAccounting(t, o)

	// Not taken before the restart: TakeDrops still reports them after.
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openT(t, path, Options{MaxBytes: 1000})
	d := o.TakeDrops()
	want := Drops{Scores: 3, Bytes: 300, OldestDropped: all[1].Seq, NewestDropped: all[4].Seq}
	if d != want {
		t.Fatalf("TakeDrops after restart = %+v, want %+v", d, want)
	}
	if d := o.TakeDrops(); !d.Zero() {
		t.Fatalf("second TakeDrops = %+v, want zero", d)
	}
	// A commit after TakeDrops persists the reset.
	if err := o.Ack(sc[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openT(t, path, Options{MaxBytes: 1000})
	if d := o.TakeDrops(); !d.Zero() {
		t.Fatalf("taken drops came back after restart: %+v", d)
	}
}

// Events are never dropped for room: when they alone would exceed the
// bound, Append fails with ErrFull and drops nothing.
func TestErrFullWhenEventsFillTheBound(t *testing.T) {
	ctx := context.Background()
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{MaxBytes: 500, NoSync: true})
	for i := range 3 {
		if err := o.Append(ctx, []Record{rec(ClassEvent, "e", sized(fmt.Sprint("e", i), 99))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Append(ctx, []Record{rec(ClassScore, "s", sized("s0", 99)), rec(ClassScore, "s", sized("s1", 99))}); err != nil {
		t.Fatal(err)
	}
	// 500 bytes stored. Three more events need 300: only 200 can be freed.
	var three []Record
	for i := range 3 {
		three = append(three, rec(ClassEvent, "e", sized(fmt.Sprint("x", i), 99)))
	}
	err := o.Append(ctx, three)
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "events hold 300 bytes") {
		t.Fatalf("Append past the bound = %v, want ErrFull naming the event bytes", err)
	}
	if three[0].Seq != 0 {
		t.Fatalf("failed Append assigned Seq %d", three[0].Seq)
	}
	if sc := peekAll(t, o, ClassScore); len(sc) != 2 {
		t.Fatalf("a failed Append dropped scores: %d left", len(sc))
	}
	// Two events fit once both scores go.
	if err := o.Append(ctx, three[:2]); err != nil {
		t.Fatal(err)
	}
	if len(peekAll(t, o, ClassScore)) != 0 || len(peekAll(t, o, ClassEvent)) != 5 {
		t.Fatal("want no scores and five events")
	}
	if d := o.TakeDrops(); d.Scores != 2 || d.Events != 0 {
		t.Fatalf("drops = %+v, want 2 scores", d)
	}
	// A single record larger than the bound.
	if err := o.Append(ctx, []Record{rec(ClassScore, "s", sized("big", 600))}); !errors.Is(err, ErrFull) {
		t.Fatalf("record over the bound = %v, want ErrFull", err)
	}
	checkAccounting(t, o)
}

// Concurrent appenders in one commit: a request that cannot fit fails alone.
func TestErrFullFailsOnlyItsRequest(t *testing.T) {
	ctx := context.Background()
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{MaxBytes: 300})
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			errs <- o.Append(ctx, []Record{rec(ClassEvent, "e", sized(fmt.Sprint("e", i), 99))})
		}()
	}
	var ok, full int
	for range 8 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, ErrFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	if ok != 3 || full != 5 {
		t.Fatalf("%d appends succeeded, %d full; want 3 and 5", ok, full)
	}
	checkAccounting(t, o)
}

func TestMaxAgeDropsScoresThenEvents(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{MaxAge: time.Hour, Now: clk.Now, NoSync: true})
	old := []Record{rec(ClassScore, "s", "old score"), rec(ClassEvent, "e", "old event")}
	if err := o.Append(ctx, old); err != nil {
		t.Fatal(err)
	}
	clk.Add(40 * time.Minute)
	mid := []Record{rec(ClassScore, "s", "mid score")}
	if err := o.Append(ctx, mid); err != nil {
		t.Fatal(err)
	}
	if s := o.Stats(); s.OldestAge != 40*time.Minute {
		t.Fatalf("OldestAge = %s, want 40m", s.OldestAge)
	}
	clk.Add(30 * time.Minute) // old: 70 min, mid: 30 min
	if err := o.Append(ctx, []Record{rec(ClassScore, "s", "new score")}); err != nil {
		t.Fatal(err)
	}
	if ev := peekAll(t, o, ClassEvent); len(ev) != 0 {
		t.Fatalf("event older than MaxAge kept: %q", ev[0].Payload)
	}
	sc := peekAll(t, o, ClassScore)
	if len(sc) != 2 || string(sc[0].Payload) != "mid score" {
		t.Fatalf("scores = %d, first %q; want mid and new", len(sc), sc[0].Payload)
	}
	d := o.TakeDrops()
	if d.Scores != 1 || d.Events != 1 || d.OldestDropped != old[0].Seq || d.NewestDropped != old[1].Seq {
		t.Fatalf("drops = %+v, want one score and one event, seqs %d..%d", d, old[0].Seq, old[1].Seq)
	}
	if s := o.Stats(); s.DroppedEvents != 1 || s.DroppedScores != 1 || s.OldestAge != 30*time.Minute {
		t.Fatalf("Stats = %+v", s)
	}
	checkAccounting(t, o)
}

// With no traffic at all the commit goroutine still applies the age bound.
func TestMaxAgeSweepsWhenIdle(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := openT(t, filepath.Join(t.TempDir(), "outbox.db"), Options{MaxAge: time.Second, Now: clk.Now, NoSync: true})
	if err := o.Append(context.Background(), []Record{rec(ClassScore, "s", "x")}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	waitFor(t, 10*time.Second, "the idle sweep to drop the expired record", func() bool { return o.Stats().Records == 0 })
	if d := o.TakeDrops(); d.Scores != 1 {
		t.Fatalf("drops = %+v", d)
	}
}
