package firmware

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a target binary (v1) with an Updater booted on it, and a second
// binary (v2) fetched next to it.
type env struct {
	dir, target, state string
	v1, v2             []byte
	v2Path             string
	u                  *Updater
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{dir: dir, target: filepath.Join(dir, "bin", "axle"), state: filepath.Join(dir, "state")}
	for _, d := range []string{filepath.Dir(e.target), e.state, filepath.Join(dir, "dl")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.v1 = randomBytes(1, 64<<10)
	e.v2 = append(append([]byte(nil), e.v1[:40<<10]...), randomBytes(2, 30<<10)...)
	e.v2Path = filepath.Join(dir, "dl", "axle-v2")
	writeFile(t, e.target, e.v1, 0o755)
	writeFile(t, e.v2Path, e.v2, 0o644)
	cfg.Target = e.target
	cfg.StateDir = e.state
	e.u = e.open(t, cfg)
	if d, err := e.u.Boot("v1"); err != nil || d.Action != Run {
		t.Fatalf("Boot(v1) = %+v, %v; want run", d, err)
	}
	return e
}

func (e *env) open(t *testing.T, cfg Config) *Updater {
	t.Helper()
	cfg.Target = e.target
	cfg.StateDir = e.state
	u, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
}

func okVerify(string) error { return nil }

func (e *env) req() StageRequest {
	return StageRequest{Version: "v2", SHA256: sum(e.v2), Size: int64(len(e.v2)), Path: e.v2Path, Verify: okVerify}
}

// targetIs fails unless the target holds want and is executable.
func targetIs(t *testing.T, path string, want []byte, name string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s does not hold %s (%d bytes, sha256 %s)", path, name, len(got), sum(got))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o100 == 0 {
		t.Fatalf("%s is not executable: %v", path, st.Mode())
	}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists (or: %v)", path, err)
	}
}

func TestStageCommitBootConfirm(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	var verified []byte
	req := e.req()
	req.Verify = func(p string) error {
		var err error
		verified, err = os.ReadFile(p)
		return err
	}
	s, err := e.u.Stage(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(verified, e.v2) {
		t.Fatal("Verify was not given the bytes that will be installed")
	}
	if filepath.Dir(s.Path) != filepath.Dir(e.target) {
		t.Fatalf("staged at %s, not next to %s", s.Path, e.target)
	}
	targetIs(t, e.target, e.v1, "v1 (staging must not touch it)")

	p, err := e.u.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "v2" || p.From != "v1" {
		t.Fatalf("pending = %+v", p)
	}
	targetIs(t, e.target, e.v2, "v2")
	targetIs(t, e.target+".old", e.v1, "v1")
	noFile(t, s.Path)

	// The new process opens the state afresh.
	u := e.open(t, Config{})
	d, err := u.Boot("v2")
	if err != nil || d.Action != Probation || d.Attempt != 1 {
		t.Fatalf("Boot(v2) = %+v, %v; want probation, attempt 1", d, err)
	}
	o, err := u.Confirm("v2")
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultConfirmed || o.Old != "v1" || o.New != "v2" {
		t.Fatalf("outcome = %+v", o)
	}
	noFile(t, e.target+".old")
	st := e.open(t, Config{}).State()
	if st.Current != "v2" || st.Pending != nil || st.Previous != "" || len(st.Reports) != 1 {
		t.Fatalf("state after confirm = %+v", st)
	}
	if err := u.AckReports(o.Seq); err != nil {
		t.Fatal(err)
	}
	if r := e.open(t, Config{}).Reports(); len(r) != 0 {
		t.Fatalf("reports after ack = %+v", r)
	}
	if _, err := u.Confirm("v2"); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second Confirm: %v, want ErrNotPending", err)
	}
}

func TestStageRefusesBadUpdates(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	wrongSHA := sum([]byte("something else"))
	cases := []struct {
		name string
		edit func(*StageRequest)
		want string
	}{
		{"wrong hash", func(r *StageRequest) { r.SHA256 = wrongSHA }, "checksum"},
		{"wrong size", func(r *StageRequest) { r.Size-- }, "command says"},
		{"verify fails", func(r *StageRequest) {
			r.Verify = func(string) error { return errors.New("untrusted key RWQ1") }
		}, "verify: untrusted key RWQ1"},
		{"no verify", func(r *StageRequest) { r.Verify = nil }, "no Verify hook"},
		{"bad sha field", func(r *StageRequest) { r.SHA256 = "abc" }, `field "sha256"`},
		{"bad version", func(r *StageRequest) { r.Version = "v 2" }, `field "version"`},
		{"huge size", func(r *StageRequest) { r.Size = 1 << 40 }, `field "size"`},
		{"missing file", func(r *StageRequest) { r.Path += ".gone" }, "no such file"},
		{"running version", func(r *StageRequest) { r.Version = "v1" }, "already running"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.req()
			c.edit(&r)
			_, err := e.u.Stage(ctx, r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Stage: %v, want an error containing %q", err, c.want)
			}
			targetIs(t, e.target, e.v1, "v1")
			noFile(t, filepath.Join(filepath.Dir(e.target), ".axle.new"))
			if st := e.u.State(); st.Staged != nil {
				t.Fatalf("staged after a refusal: %+v", st.Staged)
			}
		})
	}
	if _, err := e.u.Commit(ctx); !errors.Is(err, ErrNoStaged) {
		t.Fatalf("Commit without Stage: %v, want ErrNoStaged", err)
	}
}

func TestBootRollsBackAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, Config{MaxAttempts: 2})
	ctx := context.Background()
	if _, err := e.u.Stage(ctx, e.req()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		d, err := e.open(t, Config{MaxAttempts: 2}).Boot("v2")
		if err != nil || d.Action != Probation || d.Attempt != i {
			t.Fatalf("start %d: %+v, %v", i, d, err)
		}
	}
	d, err := e.open(t, Config{MaxAttempts: 2}).Boot("v2")
	if err != nil || d.Action != Restart || d.Outcome == nil {
		t.Fatalf("third start: %+v, %v; want restart with an outcome", d, err)
	}
	if o := d.Outcome; o.Result != ResultRolledBack || o.New != "v2" || o.Running != "v1" || !strings.Contains(o.Reason, "2 times") {
		t.Fatalf("outcome = %+v", o)
	}
	targetIs(t, e.target, e.v1, "v1")
	noFile(t, e.target+".old")

	u := e.open(t, Config{MaxAttempts: 2})
	if d, err := u.Boot("v1"); err != nil || d.Action != Run {
		t.Fatalf("Boot(v1) after rollback: %+v, %v", d, err)
	}
	if r := u.Reports(); len(r) != 1 || r[0].Result != ResultRolledBack {
		t.Fatalf("reports = %+v", r)
	}
	_, err = u.Stage(ctx, e.req())
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "without confirming") {
		t.Fatalf("Stage of the rejected v2: %v, want ErrRejected with the reason", err)
	}
	r := e.req()
	r.Force = true
	if _, err := u.Stage(ctx, r); err != nil {
		t.Fatalf("forced Stage: %v", err)
	}
}

func TestBootRollsBackUnexpectedVersion(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	if _, err := e.u.Stage(ctx, e.req()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := e.open(t, Config{}).Boot("v9")
	if err != nil || d.Action != Restart || !strings.Contains(d.Outcome.Reason, "v9 started while v2 was pending") {
		t.Fatalf("Boot(v9) = %+v, %v", d, err)
	}
	targetIs(t, e.target, e.v1, "v1")
}

func TestBootAbortsWhenSwapDidNotHappen(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	if _, err := e.u.Stage(ctx, e.req()); err != nil {
		t.Fatal(err)
	}
	// The state of a crash between recording the pending update and the
	// rename: old kept, pending recorded, target still v1.
	if err := keepOld(e.target, e.target+".old"); err != nil {
		t.Fatal(err)
	}
	s := e.u.st.Staged
	e.u.st.Pending = &Pending{Version: s.Version, From: "v1", SHA256: s.SHA256}
	e.u.st.Staged = nil
	if err := e.u.save(); err != nil {
		t.Fatal(err)
	}
	d, err := e.open(t, Config{}).Boot("v1")
	if err != nil || d.Action != Run || d.Outcome == nil || d.Outcome.Result != ResultAborted {
		t.Fatalf("Boot(v1) = %+v, %v; want run with an aborted outcome", d, err)
	}
	targetIs(t, e.target, e.v1, "v1")
	noFile(t, e.target+".old")
	noFile(t, s.Path)
	if st := e.open(t, Config{}).State(); len(st.Rejected) != 0 {
		t.Fatal("an update that never ran was rejected")
	}
}

func TestBootFinishesInterruptedRollback(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	if _, err := e.u.Stage(ctx, e.req()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// A crash after the old binary was renamed back, before the final save.
	e.u.st.Pending.RollingBack = "started 3 times without confirming"
	e.u.st.reject(Rejection{Version: "v2", Reason: e.u.st.Pending.RollingBack})
	if err := e.u.save(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.target+".old", e.target); err != nil {
		t.Fatal(err)
	}
	d, err := e.open(t, Config{}).Boot("v1")
	if err != nil || d.Action != Run || d.Outcome == nil || d.Outcome.Result != ResultRolledBack {
		t.Fatalf("Boot(v1) = %+v, %v; want run with a rolled_back outcome", d, err)
	}
	st := e.open(t, Config{}).State()
	if st.Pending != nil || st.Current != "v1" {
		t.Fatalf("state = %+v", st)
	}
	if r, ok := st.rejection("v2"); !ok || !strings.Contains(r.Reason, "3 times") {
		t.Fatalf("v2 not rejected with its reason: %+v", st.Rejected)
	}
}

func TestRollbackOnCommand(t *testing.T) {
	ctx := context.Background()
	t.Run("kept previous", func(t *testing.T) {
		e := newEnv(t, Config{KeepPrevious: true})
		if _, err := e.u.Stage(ctx, e.req()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.u.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		u := e.open(t, Config{KeepPrevious: true})
		if _, err := u.Boot("v2"); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Confirm("v2"); err != nil {
			t.Fatal(err)
		}
		targetIs(t, e.target+".old", e.v1, "v1 (kept)")
		d, err := u.Rollback(ctx, "v2", "operator asked")
		if err != nil || d.Action != Restart || d.Outcome.Running != "v1" || d.Outcome.Reason != "rolled back on command: operator asked" {
			t.Fatalf("Rollback = %+v, %v", d, err)
		}
		targetIs(t, e.target, e.v1, "v1")
		if _, err := u.Rollback(ctx, "v1", ""); !errors.Is(err, ErrNoPrevious) {
			t.Fatalf("second Rollback: %v, want ErrNoPrevious", err)
		}
	})
	t.Run("on probation", func(t *testing.T) {
		e := newEnv(t, Config{})
		if _, err := e.u.Stage(ctx, e.req()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.u.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		d, err := e.u.Rollback(ctx, "v2", "")
		if err != nil || d.Action != Restart {
			t.Fatalf("Rollback = %+v, %v", d, err)
		}
		targetIs(t, e.target, e.v1, "v1")
	})
	t.Run("nothing kept", func(t *testing.T) {
		e := newEnv(t, Config{})
		if _, err := e.u.Rollback(ctx, "v1", ""); !errors.Is(err, ErrNoPrevious) {
			t.Fatalf("Rollback: %v, want ErrNoPrevious", err)
		}
	})
}

func TestStageRefusedWhilePending(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	if _, err := e.u.Stage(ctx, e.req()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.req()
	r.Version = "v3"
	if _, err := e.u.Stage(ctx, r); !errors.Is(err, ErrPending) {
		t.Fatalf("Stage while pending: %v, want ErrPending", err)
	}
}

func TestOpenRejectsBadState(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":  "{not json",
		"unknown":  `{"current":"v1","colour":"red"}`,
		"trailing": `{"current":"v1"} {}`,
		"bad sha":  `{"current":"v1","pending":{"version":"v2","from":"v1","sha256":"zz"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, stateFileName), []byte(body), 0o600)
			_, err := Open(Config{Target: filepath.Join(dir, "axle"), StateDir: dir})
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, stateFileName)) {
				t.Fatalf("Open: %v, want an error naming the state file", err)
			}
		})
	}
}
