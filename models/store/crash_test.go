package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/axle-edge/axle/internal/reexec"
)

// The crash test re-executes this test binary as the agent; childEnv
// selects what the child does instead of running tests.
const (
	childEnv    = "AXLE_STORE_CHILD"
	childRoot   = "AXLE_STORE_ROOT"
	childRound  = "AXLE_STORE_ROUND"
	roundsEnv   = "AXLE_STORE_CRASH_ROUNDS" // more rounds than the default, on request
	crashModel  = "pump"
	crashRounds = 30
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crash":
		os.Exit(crashChild())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// crashChild installs and activates new versions (and now and then rolls
// back) until it is killed, reporting each step on stdout:
//
//	ready <active>      after Open
//	a- <version>        before Activate
//	a+ <version>        after Activate returned
//	b-                  before Rollback
//	b+ <active>         after Rollback returned
//	b0                  Rollback had no previous version
func crashChild() int {
	round, _ := strconv.Atoi(os.Getenv(childRound))
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(childRoot), Options{Keep: 3})
	if err != nil {
		fmt.Fprintf(os.Stderr, "open: %v\n", err)
		return 2
	}
	p, err := s.Active(crashModel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "active: %v\n", err)
		return 2
	}
	fmt.Printf("ready %s\n", p.Active)
	rng := rand.New(rand.NewPCG(uint64(round), 1))
	for i := 0; ; i++ {
		v := fmt.Sprintf("r%d.%d", round, i)
		b := bundleFor(v)
		if _, err := s.Install(ctx, crashModel, v, bytes.NewReader(b), sumOf(b), InstallOptions{}); err != nil {
			fmt.Fprintf(os.Stderr, "install %s: %v\n", v, err)
			return 2
		}
		fmt.Printf("a- %s\n", v)
		if err := s.Activate(ctx, crashModel, v, ActivateOptions{Probation: rng.IntN(2) == 0}); err != nil {
			fmt.Fprintf(os.Stderr, "activate %s: %v\n", v, err)
			return 2
		}
		fmt.Printf("a+ %s\n", v)
		if rng.IntN(3) == 0 {
			fmt.Println("b-")
			p, err := s.Rollback(ctx, crashModel, RollbackOptions{Reject: rng.IntN(2) == 0, Audit: Audit{Reason: "crash test"}})
			if errors.Is(err, ErrNoPrevious) {
				fmt.Println("b0")
				continue
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "rollback: %v\n", err)
				return 2
			}
			fmt.Printf("b+ %s\n", p.Active)
		}
	}
}

// SIGKILL at random instants of installs, activations, rollbacks and
// prunes, over many rounds: after each reopen the active version is the
// old or the new one of the step that was cut, its bundle is complete and
// byte-for-byte what was installed, nothing needed repair, no temporary
// entry is left and the audit log reads back.
func TestKill9DuringInstallAndActivate(t *testing.T) {
	rounds := crashRounds
	if n, err := strconv.Atoi(os.Getenv(roundsEnv)); err == nil && n > 0 {
		rounds = n
	}
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	active, previous := "", "" // as the child last reported them
	steps := 0
	cut := map[string]int{} // rounds by the step the kill interrupted
	for round := range rounds {
		env := []string{childEnv + "=crash", childRoot + "=" + root, fmt.Sprintf("%s=%d", childRound, round)}
		// The random kill moment is this test's input, not a wait.
		delay := time.Duration(rng.IntN(120)) * time.Millisecond
		lines, stderr, waitErr := runChild(t, env, delay)
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL; stderr:\n%s", round, waitErr, stderr)
		}
		// allowed: what may be active after the kill.
		allowed := map[string]bool{active: true}
		step := "install"
		for _, line := range lines {
			f := strings.Fields(line)
			arg := ""
			if len(f) > 1 {
				arg = f[1]
			}
			switch f[0] {
			case "ready":
				if arg != active {
					t.Fatalf("round %d: child opened with %q active, want %q", round, arg, active)
				}
			case "a-":
				allowed = map[string]bool{active: true, arg: true}
				step = "activate"
			case "a+":
				if arg != active {
					active, previous = arg, active
				}
				allowed = map[string]bool{active: true}
				steps++
				step = "install"
			case "b-":
				allowed = map[string]bool{active: true, previous: true}
				step = "rollback"
			case "b0":
				allowed = map[string]bool{active: true}
				step = "install"
			case "b+":
				if arg != active {
					active, previous = arg, active
				}
				allowed = map[string]bool{active: true}
				steps++
				step = "install"
			}
		}

		cut[step]++

		s, err := Open(context.Background(), root, Options{Keep: 3})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		// The one repair allowed: a rejecting rollback cut between its
		// meta.json and pointer writes is finished by Open.
		if r := s.Recovered(); len(r) != 0 {
			if len(r) > 1 || step != "rollback" || r[0].From != active || r[0].To != previous || !strings.Contains(r[0].Reason, "was rejected") {
				t.Fatalf("round %d: reopen had to repair %+v (cut during %s, active %q previous %q)", round, r, step, active, previous)
			}
		}
		p, err := s.Active(crashModel)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !allowed[p.Active] {
			t.Fatalf("round %d: active %q after the kill, want one of %v", round, p.Active, allowed)
		}
		if p.Active != "" {
			if _, err := s.verify(context.Background(), crashModel, p.Active); err != nil {
				t.Fatalf("round %d: active %s does not verify: %v", round, p.Active, err)
			}
			checkBundle(t, s, crashModel, p.Active)
		}
		vs, err := s.Versions(crashModel)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.Path != "" {
				checkBundle(t, s, crashModel, v.Version)
			}
		}
		if tmp := tempEntries(t, root); len(tmp) != 0 {
			t.Fatalf("round %d: Open left %q", round, tmp)
		}
		if _, err := s.History(Filter{}); err != nil {
			t.Fatalf("round %d: audit log after kill: %v", round, err)
		}
		active, previous = p.Active, p.Previous
	}
	// The kill moments are random; over the rounds some must land inside
	// an activation, or the test has not tested what it claims.
	if cut["activate"] == 0 {
		t.Fatalf("no kill landed inside an activation in %d rounds (cut: %v)", rounds, cut)
	}
	t.Logf("%d rounds, %d activations or rollbacks completed; kills cut: %v", rounds, steps, cut)
}

// runChild starts the test binary as the crash child, kills it delay
// after it reported ready and returns the complete lines it wrote.
func runChild(t *testing.T, env []string, delay time.Duration) (lines []string, stderr string, waitErr error) {
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
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break // a line cut by the kill has no newline: not reported
			}
			got = append(got, strings.TrimSuffix(line, "\n"))
			if len(got) == 1 {
				close(ready)
			}
		}
		done <- got
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Errorf("child not ready after 30 s")
	}
	<-time.After(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill: %v", err)
	}
	lines = <-done
	waitErr = cmd.Wait() // before reading errBuf: Wait ends the copy into it
	return lines, errBuf.String(), waitErr
}
