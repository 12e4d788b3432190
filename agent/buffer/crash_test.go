package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The agent killed with SIGKILL at random moments while appending, over
// many rounds: after each restart nothing Append had returned for is
// missing, nothing Ack had returned for is back, every stored record is
// intact, the database opens cleanly and the sequence continues. Every
// third round the child acks and compacts aggressively, so kills also land
// inside compactions.
func TestKill9WhileAppending(t *testing.T) {
	const rounds = 20
	path := filepath.Join(t.TempDir(), "outbox.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	want := map[uint64]childRecord{} // Append returned, not acked
	acked := map[uint64]bool{}       // Ack returned
	var maxSeq uint64
	var appendedTotal, killedAfterAppends, compactions int

	for round := range rounds {
		compact := round%3 == 2
		env := []string{childEnv + "=crash", childPath + "=" + path, fmt.Sprintf("%s=%d", childSeed, round)}
		if compact {
			env = append(env, childCompact+"=1")
		}
		early := round%5 == 4
		delay := time.Duration(10+rng.IntN(110)) * time.Millisecond
		if early {
			delay = time.Duration(rng.IntN(15)) * time.Millisecond
		}
		lines, stderr, waitErr := runChild(t, env, func(ready <-chan struct{}, p *os.Process) {
			if !early {
				select {
				case <-ready:
				case <-time.After(30 * time.Second):
					t.Errorf("round %d: child not ready after 30 s", round)
				}
			}
			// The random kill moment is this test's input, not a wait for
			// a condition.
			<-time.After(delay)
			if err := p.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("round %d: kill: %v", round, err)
			}
		})
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL; stderr:\n%s", round, waitErr, stderr)
		}

		var roundFirst, roundMax uint64
		roundCompactions := 0
		appended := 0
		for _, line := range lines {
			switch {
			case strings.HasPrefix(line, "ready "):
				var last uint64
				fmt.Sscanf(line, "ready %d", &last)
				if last < maxSeq {
					t.Fatalf("round %d: reopened with LastSeq %d, below seq %d already returned by Append", round, last, maxSeq)
				}
			case strings.HasPrefix(line, "a "):
				seq, r := parseAppend(t, line)
				if roundFirst == 0 || seq < roundFirst {
					roundFirst = seq
				}
				roundMax = max(roundMax, seq)
				want[seq] = r
				appended++
			case strings.HasPrefix(line, "p "):
				// Ack called: from now on the record may be gone.
				var seq uint64
				fmt.Sscanf(line, "p %d", &seq)
				delete(want, seq)
			case strings.HasPrefix(line, "c "):
				var n int
				fmt.Sscanf(line, "c %d", &n)
				roundCompactions = max(roundCompactions, n)
			case strings.HasPrefix(line, "k "):
				var seq uint64
				fmt.Sscanf(line, "k %d", &seq)
				delete(want, seq)
				acked[seq] = true
			}
		}
		if roundFirst != 0 && roundFirst <= maxSeq {
			t.Fatalf("round %d: sequence went back: first seq %d, earlier rounds reached %d", round, roundFirst, maxSeq)
		}
		maxSeq = max(maxSeq, roundMax)
		appendedTotal += appended
		compactions += roundCompactions
		if appended > 0 {
			killedAfterAppends++
		}

		// Restart: the file opens cleanly and holds exactly what it must.
		o, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		if moved, cause := o.Recovered(); moved != "" {
			t.Fatalf("round %d: reopen moved the database aside: %v", round, cause)
		}
		if _, err := os.Stat(path + compactSuffix); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("round %d: stale compaction file left after Open: %v", round, err)
		}
		stored := map[uint64]Record{}
		for _, c := range []Class{ClassEvent, ClassScore} {
			for _, r := range peekAll(t, o, c) {
				// Every stored record is intact, reported or not.
				n := len(r.Payload)
				checkRecord(t, r, childRecord{class: r.Class, id: idOf(r.Payload), n: n})
				stored[r.Seq] = r
			}
		}
		for seq, w := range want {
			r, ok := stored[seq]
			if !ok {
				t.Fatalf("round %d: seq %d (%s %s) lost: Append had returned for it", round, seq, w.class, w.id)
			}
			checkRecord(t, r, w)
		}
		for seq := range acked {
			if _, ok := stored[seq]; ok {
				t.Fatalf("round %d: seq %d is back although Ack had returned for it", round, seq)
			}
		}
		if s := o.Stats(); s.LastSeq < maxSeq {
			t.Fatalf("round %d: LastSeq %d below returned seq %d", round, s.LastSeq, maxSeq)
		}
		checkAccounting(t, o)

		// Deliver about half, as the sender would, so deletes and free
		// pages are part of what the next kill interrupts.
		var ack []uint64
		for seq := range stored {
			if rng.IntN(2) == 0 {
				ack = append(ack, seq)
			}
		}
		if err := o.Ack(ack...); err != nil {
			t.Fatal(err)
		}
		for _, s := range ack {
			delete(want, s)
			acked[s] = true
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rounds, %d appends reported, %d rounds killed after appends, %d compactions", rounds, appendedTotal, killedAfterAppends, compactions)
	if compactions == 0 {
		t.Fatal("no compaction ran in the compaction rounds")
	}
	// Under emulation on a loaded machine the child may need most of a
	// round's delay to start appending; a quarter of the rounds killed
	// mid-append still exercises what this test is for.
	if appendedTotal < 200 || killedAfterAppends < rounds/4 {
		t.Fatalf("only %d appends in %d rounds (%d with appends): the kills came too early to test anything",
			appendedTotal, rounds, killedAfterAppends)
	}
}
