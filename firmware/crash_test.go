package firmware

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/axle-edge/axle/internal/reexec"
)

// envCrashChild names the drill directory when this test binary runs as
// the child that is killed.
const envCrashChild = "FIRMWARE_CRASH_CHILD"

// The drill's two binaries: even versions are binary A, odd ones B.
func drillPaths(dir string) (target, state, a, b string) {
	return filepath.Join(dir, "bin", "axle"), filepath.Join(dir, "state"),
		filepath.Join(dir, "dl", "a"), filepath.Join(dir, "dl", "b")
}

func drillConfig(dir string) Config {
	target, state, _, _ := drillPaths(dir)
	return Config{Target: target, StateDir: state, MaxAttempts: 2}
}

func versionNum(v string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "v"))
	return n
}

// runningVersion is what a freshly started binary at the target would
// report: the pending version if the swap happened, else the current one.
func runningVersion(u *Updater) (string, error) {
	st := u.State()
	p := st.Pending
	if p == nil {
		return st.Current, nil
	}
	sha, _, err := hashFile(u.Target())
	if err != nil {
		return "", err
	}
	if sha == p.SHA256 {
		return p.Version, nil
	}
	return p.From, nil
}

// TestCrashChild is the child of TestSIGKILLLeavesWorkingBinary: it
// updates, confirms and rolls back in a loop until it is killed, printing
// a line after each step.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashChild)
	if dir == "" {
		t.Skip("runs only as the child of TestSIGKILLLeavesWorkingBinary")
	}
	if err := crashLoop(dir); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
}

func crashLoop(dir string) error {
	ctx := context.Background()
	_, _, a, b := drillPaths(dir)
	bins := [2]string{a, b}
	var sums [2]string
	var sizes [2]int64
	for i, p := range bins {
		var err error
		if sums[i], sizes[i], err = hashFile(p); err != nil {
			return err
		}
	}
	u, err := Open(drillConfig(dir))
	if err != nil {
		return err
	}
	ver, err := runningVersion(u)
	if err != nil {
		return err
	}
	for {
		d, err := u.Boot(ver)
		if err != nil {
			return err
		}
		if d.Action == Restart {
			ver = u.State().Current
			continue
		}
		if d.Action == Probation {
			if _, err := u.Confirm(ver); err != nil {
				return err
			}
			fmt.Println("confirmed")
		}
		n := versionNum(ver) + 1
		next := fmt.Sprintf("v%d", n)
		if _, err := u.Stage(ctx, StageRequest{Version: next, SHA256: sums[n%2], Size: sizes[n%2], Path: bins[n%2], Verify: okVerify, Force: true}); err != nil {
			return err
		}
		fmt.Println("staged")
		if _, err := u.Commit(ctx); err != nil {
			return err
		}
		fmt.Println("committed")
		ver = next
		if n%3 == 0 {
			if _, err := u.Boot(ver); err != nil {
				return err
			}
			if _, err := u.Rollback(ctx, ver, "drill"); err != nil {
				return err
			}
			ver = u.State().Current
			fmt.Println("rolled back")
		}
	}
}

// TestSIGKILLLeavesWorkingBinary kills a child at random points of Stage,
// Commit, Confirm and Rollback. After every kill the target must be one of
// the two binaries, whole and executable, and the next Boot must recover
// to a state that agrees with the binary in place.
func TestSIGKILLLeavesWorkingBinary(t *testing.T) {
	dir := t.TempDir()
	target, state, a, b := drillPaths(dir)
	for _, d := range []string{filepath.Dir(target), state, filepath.Dir(a)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bins := [2][]byte{randomBytes(10, 512<<10), randomBytes(11, 512<<10+123)}
	writeFile(t, a, bins[0], 0o644)
	writeFile(t, b, bins[1], 0o644)
	writeFile(t, target, bins[0], 0o755)
	u, err := Open(drillConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Boot("v0"); err != nil {
		t.Fatal(err)
	}

	// Every step fsyncs a few times, which costs most of the time here;
	// FIRMWARE_DRILL_ROUNDS runs a longer drill.
	rounds := 6
	if n, err := strconv.Atoi(os.Getenv("FIRMWARE_DRILL_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := map[string]int{}
	for round := range rounds {
		cmd := reexec.Command("-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of steps plus a random fraction of
		// the next one: a random kill point, not a synchronisation.
		steps := 1 + r.IntN(4)
		lines := bufio.NewScanner(out)
		last := "start"
		for i := 0; i < steps && lines.Scan(); i++ {
			last = lines.Text()
		}
		time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child was not killed but ended: %v\n%s", round, err, stderr.String())
		}
		kills["after "+last]++

		got, err := os.ReadFile(target)
		if err != nil {
			t.Fatalf("round %d (killed after %q): %v", round, last, err)
		}
		if !bytes.Equal(got, bins[0]) && !bytes.Equal(got, bins[1]) {
			t.Fatalf("round %d (killed after %q): target is neither binary (%d bytes)", round, last, len(got))
		}
		targetIs(t, target, got, "the binary it holds")

		u, err := Open(drillConfig(dir))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ver, err := runningVersion(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Boot(ver); err != nil {
			t.Fatalf("round %d (killed after %q): Boot(%s): %v", round, last, ver, err)
		}
		cur := u.State().Current
		if u.State().Pending != nil {
			cur = u.State().Pending.Version
		}
		targetIs(t, target, bins[versionNum(cur)%2], "the binary of "+cur)
	}
	t.Logf("kill points: %v", kills)
}
