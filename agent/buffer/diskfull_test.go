package buffer

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Disk full, simulated with RLIMIT_FSIZE in a child process: Append returns
// a clear error that matches ErrDiskFull and the errno, reads keep working,
// nothing committed is damaged (the refused append drops the oldest scores,
// counted, to make room), and Append works again once space returns.
func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	const limit = 1 << 20
	lines, stderr, waitErr := runChild(t, []string{
		childEnv + "=diskfull", childPath + "=" + path, fmt.Sprintf("%s=%d", childLimit, limit),
	}, nil)
	if waitErr != nil {
		t.Fatalf("child: %v\n%s", waitErr, stderr)
	}
	want := map[uint64]childRecord{}
	var fullLine, stillLine string
	var beforeFull, afterFull []uint64
	stored := -1
	recovered := false
	var drops Drops
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "a "):
			seq, r := parseAppend(t, line)
			want[seq] = r
			if fullLine == "" {
				beforeFull = append(beforeFull, seq)
			} else {
				afterFull = append(afterFull, seq)
			}
		case strings.HasPrefix(line, "full "):
			fullLine = line
		case strings.HasPrefix(line, "still "):
			stillLine = line
		case strings.HasPrefix(line, "peek "):
			fmt.Sscanf(line, "peek %d", &stored)
		case strings.HasPrefix(line, "drops "):
			fmt.Sscanf(line, "drops %d %d %d %d", &drops.Scores, &drops.Events, &drops.OldestDropped, &drops.NewestDropped)
		case line == "recovered":
			recovered = true
		}
	}
	t.Logf("%d records before the limit; %s", len(beforeFull), fullLine)
	if len(beforeFull) < 100 {
		t.Fatalf("only %d records fit under a %d-byte limit", len(beforeFull), limit)
	}
	if !strings.HasPrefix(fullLine, "full true true ") || !strings.Contains(fullLine, "disk full") || !strings.Contains(fullLine, path) {
		t.Fatalf("error at the limit: %q; want errors.Is ErrDiskFull and EFBIG, text saying disk full and naming the file", fullLine)
	}
	if stillLine == "" {
		t.Fatal("Append succeeded while the disk was still full")
	}
	// The refused append made room for the next one by dropping the oldest
	// scores (counted); nothing else may be missing.
	if drops.Events != 0 || drops.Scores == 0 || drops.Scores > 64 {
		t.Fatalf("drops while full: %+v; want up to 64 of the oldest scores and no events", drops)
	}
	for seq, r := range want {
		if r.class == ClassScore && seq >= drops.OldestDropped && seq <= drops.NewestDropped {
			delete(want, seq)
		}
	}
	if uint64(stored)+drops.Scores != uint64(len(beforeFull)) {
		t.Fatalf("Peek while full saw %d records; %d committed, %d dropped (%d-%d)", stored, len(beforeFull), drops.Scores, drops.OldestDropped, drops.NewestDropped)
	}
	if !recovered || len(afterFull) == 0 || afterFull[0] <= beforeFull[len(beforeFull)-1] {
		t.Fatalf("no appends after space returned (recovered %v, %d records)", recovered, len(afterFull))
	}

	o := openT(t, path, Options{})
	n := 0
	for _, c := range []Class{ClassEvent, ClassScore} {
		for _, r := range peekAll(t, o, c) {
			w, ok := want[r.Seq]
			if !ok {
				t.Fatalf("record %d stored but never reported by Append", r.Seq)
			}
			checkRecord(t, r, w)
			n++
		}
	}
	if n != len(want) {
		t.Fatalf("%d records stored, %d were committed", n, len(want))
	}
	checkAccounting(t, o)
}
