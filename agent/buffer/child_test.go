package buffer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/axle-edge/axle/internal/reexec"
)

// The crash and disk-full tests re-execute this test binary as the agent
// process; childEnv selects what the child does instead of running tests.
const (
	childEnv     = "AXLE_BUFFER_CHILD"
	childPath    = "AXLE_BUFFER_PATH"
	childSeed    = "AXLE_BUFFER_SEED"
	childCompact = "AXLE_BUFFER_COMPACT"
	childLimit   = "AXLE_BUFFER_FSIZE"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crash":
		os.Exit(crashChild())
	case "diskfull":
		os.Exit(diskFullChild())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// payloadFor is the deterministic payload of record id: the id, '|', then
// filler up to n bytes. The parent recomputes it to check contents.
func payloadFor(id string, n int) []byte {
	p := make([]byte, 0, max(n, len(id)+1))
	p = append(p, id...)
	p = append(p, '|')
	for len(p) < n {
		p = append(p, byte('a'+len(p)%26))
	}
	return p
}

// idOf recovers the id from a payload made by payloadFor.
func idOf(p []byte) string {
	i := bytes.IndexByte(p, '|')
	if i < 0 {
		return ""
	}
	return string(p[:i])
}

func topicFor(c Class) string { return "axle/dev/" + c.String() }

// childOut serialises the child's report lines: each Append's lines go out
// in one write, after Append has returned.
type childOut struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *childOut) write(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = c.w.Write(b)
}

func childFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return 2
}

// crashChild appends forever from four goroutines until it is killed:
//
//	ready <LastSeq at open>
//	a <seq> <class> <id> <payload len>   after Append returned for it
//	p <seq>                               before Ack is called for it
//	k <seq>                               after Ack returned for it
//	c <compactions so far>                in compaction rounds
func crashChild() int {
	seed, _ := strconv.ParseUint(os.Getenv(childSeed), 10, 64)
	compact := os.Getenv(childCompact) == "1"
	o, err := open(os.Getenv(childPath), Options{}, func(o *Outbox) {
		if compact {
			o.w.compactMinFree = 16 << 10
			o.w.compactFactor = 1
		}
	})
	if err != nil {
		return childFail("open: %v", err)
	}
	if moved, cause := o.Recovered(); moved != "" {
		return childFail("open moved the database to %s: %v", moved, cause)
	}
	out := &childOut{w: os.Stdout}
	out.write(fmt.Appendf(nil, "ready %d\n", o.Stats().LastSeq))
	fail := make(chan string, 5)
	if compact {
		go func() {
			for {
				if err := o.Compact(context.Background()); err != nil {
					fail <- fmt.Sprintf("compact: %v", err)
					return
				}
			}
		}()
	}
	for w := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			var buf []byte
			for i := 0; ; {
				recs := make([]Record, 1+rng.IntN(40))
				ids := make([]string, len(recs))
				for j := range recs {
					c := ClassScore
					if rng.IntN(4) == 0 {
						c = ClassEvent
					}
					ids[j] = fmt.Sprintf("%d.%d.%d", seed, w, i)
					i++
					recs[j] = Record{Class: c, Topic: topicFor(c), Payload: payloadFor(ids[j], 20+rng.IntN(400))}
				}
				if err := o.Append(context.Background(), recs); err != nil {
					fail <- fmt.Sprintf("append: %v", err)
					return
				}
				buf = buf[:0]
				for j, r := range recs {
					buf = fmt.Appendf(buf, "a %d %d %s %d\n", r.Seq, r.Class, ids[j], len(r.Payload))
				}
				if compact {
					buf = fmt.Appendf(buf, "c %d\n", o.Stats().Compactions)
				}
				out.write(buf)
				if compact && rng.IntN(2) == 0 {
					var seqs []uint64
					for _, r := range recs {
						if rng.IntN(3) > 0 {
							seqs = append(seqs, r.Seq)
						}
					}
					buf = buf[:0]
					for _, s := range seqs {
						buf = fmt.Appendf(buf, "p %d\n", s)
					}
					out.write(buf)
					if err := o.Ack(seqs...); err != nil {
						fail <- fmt.Sprintf("ack: %v", err)
						return
					}
					buf = buf[:0]
					for _, s := range seqs {
						buf = fmt.Appendf(buf, "k %d\n", s)
					}
					out.write(buf)
				}
			}
		}()
	}
	return childFail("%s", <-fail)
}

// diskFullChild fills the file up to an RLIMIT_FSIZE limit, reports the
// error, checks that reads still work, lifts the limit and appends again.
//
//	a <seq> <class> <id> <payload len>
//	full <errors.Is ErrDiskFull> <errors.Is EFBIG> <error text>
//	still <error text>
//	peek <records stored>
//	recovered
func diskFullChild() int {
	limit, err := strconv.ParseUint(os.Getenv(childLimit), 10, 64)
	if err != nil {
		return childFail("bad %s: %v", childLimit, err)
	}
	// Past the limit the kernel sends SIGXFSZ, whose default action kills
	// the process; ignored, the write fails with EFBIG instead.
	signal.Ignore(syscall.SIGXFSZ)
	o, err := Open(os.Getenv(childPath), Options{})
	if err != nil {
		return childFail("open: %v", err)
	}
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		return childFail("getrlimit: %v", err)
	}
	lim := orig
	lim.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return childFail("setrlimit: %v", err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	ctx := context.Background()
	i := 0
	batch := func() []Record {
		recs := make([]Record, 64)
		for j := range recs {
			c := Class(1 + i%2)
			recs[j] = Record{Class: c, Topic: topicFor(c), Payload: payloadFor(fmt.Sprint("f.", i), 200)}
			i++
		}
		return recs
	}
	report := func(recs []Record) {
		for _, r := range recs {
			fmt.Fprintf(w, "a %d %d %s %d\n", r.Seq, r.Class, idOf(r.Payload), len(r.Payload))
		}
	}
	for {
		if int64(i) > 4*int64(limit)/200 {
			return childFail("no error after %d records under a %d-byte file limit", i, limit)
		}
		recs := batch()
		err := o.Append(ctx, recs)
		if err != nil {
			fmt.Fprintf(w, "full %v %v %s\n", errors.Is(err, ErrDiskFull), errors.Is(err, syscall.EFBIG), err)
			break
		}
		report(recs)
	}
	if err := o.Append(ctx, batch()); err != nil {
		fmt.Fprintf(w, "still %s\n", err)
	}
	ev, err1 := o.Peek(ClassEvent, 0, 1<<30, nil)
	sc, err2 := o.Peek(ClassScore, 0, 1<<30, nil)
	if err := errors.Join(err1, err2); err != nil {
		return childFail("peek while full: %v", err)
	}
	fmt.Fprintf(w, "peek %d\n", len(ev)+len(sc))
	d := o.TakeDrops()
	fmt.Fprintf(w, "drops %d %d %d %d\n", d.Scores, d.Events, d.OldestDropped, d.NewestDropped)

	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		return childFail("setrlimit: %v", err)
	}
	for range 3 {
		recs := batch()
		if err := o.Append(ctx, recs); err != nil {
			return childFail("append after space returned: %v", err)
		}
		report(recs)
	}
	fmt.Fprintln(w, "recovered")
	if err := o.Close(); err != nil {
		return childFail("close: %v", err)
	}
	return 0
}

// childRecord is what the child reported for one appended record.
type childRecord struct {
	class Class
	id    string
	n     int
}

// runChild starts the test binary as a child with env; stop decides when
// to kill it (nil: let it exit). It returns the complete lines the child
// wrote; a line cut by the kill is dropped.
func runChild(t *testing.T, env []string, stop func(ready <-chan struct{}, p *os.Process)) (lines []string, stderr string, waitErr error) {
	t.Helper()
	cmd := reexec.Command("-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan []string)
	go func() {
		var got []string
		r := bufio.NewReader(pipe)
		signalled := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break // a partial last line has no newline: not reported
			}
			got = append(got, strings.TrimSuffix(line, "\n"))
			if !signalled && strings.HasPrefix(line, "ready ") {
				close(ready)
				signalled = true
			}
		}
		done <- got
	}()
	if stop != nil {
		stop(ready, cmd.Process)
	}
	lines = <-done
	waitErr = cmd.Wait()
	return lines, errBuf.String(), waitErr
}

func parseAppend(t *testing.T, line string) (uint64, childRecord) {
	t.Helper()
	var seq uint64
	var c uint8
	var r childRecord
	if _, err := fmt.Sscanf(line, "a %d %d %s %d", &seq, &c, &r.id, &r.n); err != nil {
		t.Fatalf("bad child line %q: %v", line, err)
	}
	r.class = Class(c)
	return seq, r
}

// checkRecord verifies a stored record against what the child reported.
func checkRecord(t *testing.T, got Record, want childRecord) {
	t.Helper()
	if got.Class != want.class || got.Topic != topicFor(want.class) || !bytes.Equal(got.Payload, payloadFor(want.id, want.n)) {
		t.Fatalf("record %d: class %s topic %q payload %.40q..., want class %s id %s length %d",
			got.Seq, got.Class, got.Topic, got.Payload, want.class, want.id, want.n)
	}
}
