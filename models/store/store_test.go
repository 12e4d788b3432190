package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInstallActivateRollback(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{})
	v1 := install(t, s, "pump", "1.0.0")
	if v1.State != StateInstalled || v1.Size != int64(len(bundleFor("1.0.0"))) || v1.SHA256 != sumOf(bundleFor("1.0.0")) {
		t.Fatalf("installed version %+v", v1)
	}
	install(t, s, "pump", "1.1.0")
	wantPointer(t, s, "pump", Pointer{})

	activate(t, s, "pump", "1.0.0", false)
	wantPointer(t, s, "pump", Pointer{Active: "1.0.0"})
	activate(t, s, "pump", "1.1.0", true)
	wantPointer(t, s, "pump", Pointer{Active: "1.1.0", Previous: "1.0.0", Probation: true})
	if st := stateOf(t, s, "pump", "1.1.0").State; st != StateProbation {
		t.Fatalf("1.1.0 state %s, want probation", st)
	}
	if st := stateOf(t, s, "pump", "1.0.0").State; st != StateInstalled {
		t.Fatalf("1.0.0 state %s, want installed", st)
	}

	p, err := s.Rollback(ctx, "pump", RollbackOptions{Audit: Audit{KeyID: "K1", Reason: "operator"}})
	if err != nil {
		t.Fatal(err)
	}
	if p != (Pointer{Active: "1.0.0", Previous: "1.1.0"}) {
		t.Fatalf("rollback pointer %+v", p)
	}
	wantPointer(t, s, "pump", p)
	if m := stateOf(t, s, "pump", "1.1.0"); m.State != StateRolledBack || m.Reason != "operator" {
		t.Fatalf("1.1.0 after rollback: %+v", m)
	}
	if st := stateOf(t, s, "pump", "1.0.0").State; st != StateActive {
		t.Fatalf("1.0.0 state %s, want active", st)
	}
	checkBundle(t, s, "pump", "1.0.0")

	// A second model is independent.
	install(t, s, "fan", "7")
	activate(t, s, "fan", "7", false)
	wantPointer(t, s, "pump", p)

	h, err := s.History(Filter{Model: "pump"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action+" "+e.Version)
	}
	want := []string{"install 1.0.0", "install 1.1.0", "activate 1.0.0", "activate 1.1.0", "rollback 1.0.0"}
	if !slices.Equal(actions, want) {
		t.Fatalf("history %q, want %q", actions, want)
	}
	last := h[len(h)-1]
	if last.From != "1.1.0" || last.KeyID != "K1" || last.Reason != "operator" || last.Time.IsZero() {
		t.Fatalf("rollback entry %+v", last)
	}

	// Reopened, everything is as it was and nothing needed repair.
	s2 := openStore(t, root, Options{})
	if r := s2.Recovered(); len(r) != 0 {
		t.Fatalf("clean reopen recovered %+v", r)
	}
	wantPointer(t, s2, "pump", p)
	models, err := s2.Models()
	if err != nil || !slices.Equal(models, []string{"fan", "pump"}) {
		t.Fatalf("models %q, %v", models, err)
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	install(t, s, "m", "1")
	activate(t, s, "m", "1", false)
	_, err := s.Rollback(context.Background(), "m", RollbackOptions{})
	if !errors.Is(err, ErrNoPrevious) || !strings.Contains(err.Error(), "model m") {
		t.Fatalf("rollback with no previous: %v", err)
	}
	wantPointer(t, s, "m", Pointer{Active: "1"})
}

func TestInstallIdempotentAndConflict(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{})
	first := install(t, s, "m", "1")
	again := install(t, s, "m", "1")
	if !again.InstalledAt.Equal(first.InstalledAt) {
		t.Fatalf("re-install rewrote the version: %v then %v", first.InstalledAt, again.InstalledAt)
	}
	other := []byte("another bundle")
	_, err := s.Install(ctx, "m", "1", bytes.NewReader(other), sumOf(other), InstallOptions{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "model m version 1") {
		t.Fatalf("different content under an existing version: %v", err)
	}
	checkBundle(t, s, "m", "1")
	h, _ := s.History(Filter{Action: ActionInstall})
	if len(h) != 1 {
		t.Fatalf("%d install entries, want 1 (the no-op re-install is not an install)", len(h))
	}
}

func TestInstallRefusesBadContent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{MaxBundleBytes: 1000})
	b := bytes.Repeat([]byte{7}, 500)
	_, err := s.Install(ctx, "m", "1", bytes.NewReader(b), sumOf([]byte("other")), InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") || !strings.Contains(err.Error(), "model m version 1: copy bundle") {
		t.Fatalf("wrong sha256: %v", err)
	}
	big := bytes.Repeat([]byte{7}, 1001)
	_, err = s.Install(ctx, "m", "1", bytes.NewReader(big), sumOf(big), InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "1000-byte limit") {
		t.Fatalf("oversized bundle: %v", err)
	}
	_, err = s.Install(ctx, "m", "1", bytes.NewReader(b), "ABC", InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "want 64 hex digits") {
		t.Fatalf("malformed sha256: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Install(cctx, "m", "1", bytes.NewReader(b), sumOf(b), InstallOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled install: %v", err)
	}
	if _, err := os.Stat(s.versionDir("m", "1")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused install left a version directory: %v", err)
	}
	if tmp := tempEntries(t, root); len(tmp) != 0 {
		t.Fatalf("refused installs left %q", tmp)
	}
	if err := s.Activate(ctx, "m", "1", ActivateOptions{}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("activating a version never installed: %v", err)
	}
}

func TestNamesValidated(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	b := []byte("x")
	bad := []string{"", ".", "..", "a/b", "../etc", "a\\b", ".tmp-x", "-x", "a..b", "a b", "a\x00b", "é", strings.Repeat("a", 65)}
	for _, n := range bad {
		if err := ValidName(n); err == nil {
			t.Errorf("ValidName(%q) accepted", n)
		}
		if _, err := s.Install(ctx, n, "1", bytes.NewReader(b), sumOf(b), InstallOptions{}); err == nil || !strings.Contains(err.Error(), "model name") {
			t.Errorf("install with model name %q: %v", n, err)
		}
		if _, err := s.Install(ctx, "m", n, bytes.NewReader(b), sumOf(b), InstallOptions{}); err == nil || !strings.Contains(err.Error(), "model m: version") {
			t.Errorf("install with version %q: %v", n, err)
		}
		if err := s.Activate(ctx, "m", n, ActivateOptions{}); err == nil {
			t.Errorf("activate with version %q accepted", n)
		}
	}
	for _, n := range []string{"a", "1.2.3", "v1.0.0-rc.1+build_7", strings.Repeat("z", 64)} {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q): %v", n, err)
		}
	}
}

func TestRejected(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	install(t, s, "m", "1")
	install(t, s, "m", "2")
	activate(t, s, "m", "1", false)
	activate(t, s, "m", "2", true)

	if err := s.MarkRejected(ctx, "m", "2", Audit{Reason: "x"}); err == nil || !strings.Contains(err.Error(), "active") {
		t.Fatalf("rejecting the active version directly: %v", err)
	}
	p, err := s.Rollback(ctx, "m", RollbackOptions{Reject: true, Audit: Audit{Reason: "gate nan: 3 NaN outputs"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Active != "1" {
		t.Fatalf("after rollback active %q", p.Active)
	}
	if m := stateOf(t, s, "m", "2"); m.State != StateRejected || m.Reason != "gate nan: 3 NaN outputs" {
		t.Fatalf("rejected version meta %+v", m)
	}
	b := bundleFor("2")
	_, err = s.Install(ctx, "m", "2", bytes.NewReader(b), sumOf(b), InstallOptions{})
	var rej *RejectedError
	if !errors.Is(err, ErrRejected) || !errors.As(err, &rej) || rej.Reason != "gate nan: 3 NaN outputs" {
		t.Fatalf("re-install of a rejected version: %v", err)
	}
	if err := s.Activate(ctx, "m", "2", ActivateOptions{}); !errors.Is(err, ErrRejected) {
		t.Fatalf("activate of a rejected version: %v", err)
	}
	if _, err := s.Rollback(ctx, "m", RollbackOptions{}); err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("rollback onto a rejected version: %v", err)
	}
	wantPointer(t, s, "m", Pointer{Active: "1", Previous: "2"})

	if _, err := s.Install(ctx, "m", "2", bytes.NewReader(b), sumOf(b), InstallOptions{Force: true}); err != nil {
		t.Fatalf("forced re-install: %v", err)
	}
	if st := stateOf(t, s, "m", "2").State; st != StateInstalled {
		t.Fatalf("forced re-install left state %s", st)
	}
	activate(t, s, "m", "2", false)

	// MarkFailed, then the same content installed again retries it.
	install(t, s, "m", "3")
	if err := s.MarkFailed(ctx, "m", "3", Audit{}); err == nil {
		t.Fatal("MarkFailed without a reason accepted")
	}
	if err := s.MarkFailed(ctx, "m", "3", Audit{Reason: "self-test: output 0 off by 0.4"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Activate(ctx, "m", "3", ActivateOptions{}); err == nil || !strings.Contains(err.Error(), "self-test") {
		t.Fatalf("activate of a failed version: %v", err)
	}
	install(t, s, "m", "3")
	if st := stateOf(t, s, "m", "3").State; st != StateInstalled {
		t.Fatalf("re-install of a failed version left state %s", st)
	}
	h, _ := s.History(Filter{Version: "2", Action: ActionReject})
	if len(h) != 1 || h[0].Reason != "gate nan: 3 NaN outputs" {
		t.Fatalf("reject entries %+v", h)
	}
}

func TestPromote(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	activate(t, s, "m", "1", true)
	if err := s.Promote(ctx, "m", "2", Audit{}); err == nil {
		t.Fatal("promote of a version that is not active accepted")
	}
	if err := s.Promote(ctx, "m", "1", Audit{Reason: "probation passed"}); err != nil {
		t.Fatal(err)
	}
	wantPointer(t, s, "m", Pointer{Active: "1"})
	if st := stateOf(t, s, "m", "1").State; st != StateActive {
		t.Fatalf("promoted state %s", st)
	}
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{Keep: 3})
	vs := []string{"1", "2", "3", "4", "5", "6"}
	for _, v := range vs {
		install(t, s, "m", v)
	}
	// The active version is the oldest: it stays, with the newest two.
	activate(t, s, "m", "1", false)
	if got := names(t, s, "m"); !slices.Equal(got, []string{"1", "5", "6"}) {
		t.Fatalf("after activating the oldest kept %q, want 1 5 6", got)
	}
	// Now the oldest is the previous one: it stays too.
	activate(t, s, "m", "5", false)
	install(t, s, "m", "7")
	if _, err := s.Prune(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, "m"); !slices.Equal(got, []string{"1", "5", "7"}) {
		t.Fatalf("kept %q, want 1 5 7", got)
	}
	// A rejected version pruned keeps its meta.json: still refused.
	install(t, s, "m", "8")
	activate(t, s, "m", "8", false)
	if _, err := s.Rollback(ctx, "m", RollbackOptions{Reject: true, Audit: Audit{Reason: "bad"}}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"9", "10", "11"} {
		install(t, s, "m", v)
		activate(t, s, "m", v, false)
	}
	if _, err := os.Stat(s.Path("m", "8")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("rejected bundle still on disk after pruning: %v", err)
	}
	b := bundleFor("8")
	if _, err := s.Install(ctx, "m", "8", bytes.NewReader(b), sumOf(b), InstallOptions{}); !errors.Is(err, ErrRejected) {
		t.Fatalf("install of a pruned rejected version: %v", err)
	}
	if got := names(t, s, "m"); !slices.Equal(got, []string{"9", "10", "11"}) {
		t.Fatalf("kept %q, want 9 10 11", got)
	}
	if _, err := s.Install(ctx, "m", "8", bytes.NewReader(b), sumOf(b), InstallOptions{Force: true}); err != nil {
		t.Fatalf("forced install over a tombstone: %v", err)
	}
	checkBundle(t, s, "m", "8")
}

// names lists the versions of a model that still have their bundle.
func names(t *testing.T, s *Store, model string) []string {
	t.Helper()
	vs, err := s.Versions(model)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		if v.Path != "" {
			out = append(out, v.Version)
		}
	}
	return out
}

func TestOpenFallsBackFromBrokenActive(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, s *Store)
		want   string
	}{
		{"bundle bit flip", func(t *testing.T, s *Store) {
			p := s.Path("m", "2")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "sha256"},
		{"bundle truncated", func(t *testing.T, s *Store) {
			if err := os.Truncate(s.Path("m", "2"), 10); err != nil {
				t.Fatal(err)
			}
		}, "10 bytes"},
		{"meta missing", func(t *testing.T, s *Store) {
			if err := os.Remove(filepath.Join(s.versionDir("m", "2"), metaFile)); err != nil {
				t.Fatal(err)
			}
		}, "not installed"},
		{"version gone", func(t *testing.T, s *Store) {
			if err := os.RemoveAll(s.versionDir("m", "2")); err != nil {
				t.Fatal(err)
			}
		}, "not installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := openStore(t, root, Options{})
			install(t, s, "m", "1")
			install(t, s, "m", "2")
			activate(t, s, "m", "1", false)
			activate(t, s, "m", "2", false)
			tc.damage(t, s)
			s2 := openStore(t, root, Options{})
			r := s2.Recovered()
			if len(r) != 1 || r[0].Model != "m" || r[0].From != "2" || r[0].To != "1" || !strings.Contains(r[0].Reason, tc.want) {
				t.Fatalf("recovered %+v, want m 2 -> 1 naming %q", r, tc.want)
			}
			wantPointer(t, s2, "m", Pointer{Active: "1"})
			if st := stateOf(t, s2, "m", "1").State; st != StateActive {
				t.Fatalf("fallback version state %s", st)
			}
			h, err := s2.History(Filter{Action: ActionRecover})
			if err != nil || len(h) != 1 || h[0].From != "2" || h[0].Version != "1" {
				t.Fatalf("recover entries %+v, %v", h, err)
			}
			// The broken version can be installed again and activated.
			install(t, s2, "m", "2")
			activate(t, s2, "m", "2", false)
			checkBundle(t, s2, "m", "2")
		})
	}
}

func TestOpenNoFallback(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	activate(t, s, "m", "1", false)
	if err := os.Truncate(s.Path("m", "1"), 0); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, root, Options{})
	if r := s2.Recovered(); len(r) != 1 || r[0].From != "1" || r[0].To != "" {
		t.Fatalf("recovered %+v, want 1 -> none", r)
	}
	wantPointer(t, s2, "m", Pointer{})
	if m := stateOf(t, s2, "m", "1"); m.State != StateFailed || !strings.Contains(m.Reason, "found broken at open") {
		t.Fatalf("broken version meta %+v", m)
	}
}

func TestOpenVerifyCallback(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	install(t, s, "m", "2")
	activate(t, s, "m", "1", false)
	activate(t, s, "m", "2", false)
	verify := func(_ context.Context, model, version, path string, m Meta) error {
		if path != filepath.Join(root, model, "versions", version, "bundle.axb") || m.SHA256 == "" {
			return errors.New("unexpected arguments")
		}
		if version == "2" {
			return errors.New("signature by untrusted key K9")
		}
		return nil
	}
	s2 := openStore(t, root, Options{Verify: verify})
	if r := s2.Recovered(); len(r) != 1 || r[0].To != "1" || !strings.Contains(r[0].Reason, "untrusted key K9") {
		t.Fatalf("recovered %+v", r)
	}
	err := s2.Activate(ctx, "m", "2", ActivateOptions{})
	if err == nil || !strings.Contains(err.Error(), "model m version 2: verify: verify callback: signature by untrusted key K9") {
		t.Fatalf("activate of a version the callback refuses: %v", err)
	}
}

// A crash between writing "rejected" and the pointer during Rollback
// with Reject: Open finishes the rollback.
func TestOpenCompletesRejectingRollback(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	install(t, s, "m", "2")
	activate(t, s, "m", "1", false)
	activate(t, s, "m", "2", true)
	m := stateOf(t, s, "m", "2")
	m.State, m.Reason = StateRejected, "latency"
	if err := s.writeMeta("m", "2", m); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, root, Options{})
	wantPointer(t, s2, "m", Pointer{Active: "1"})
	if m := stateOf(t, s2, "m", "2"); m.State != StateRejected || m.Reason != "latency" {
		t.Fatalf("rejected version after recovery %+v", m)
	}
}

func TestOpenCleansLeftovers(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state [*?]")
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	activate(t, s, "m", "1", false)
	vdir := filepath.Join(root, "m", "versions")
	for _, d := range []string{
		filepath.Join(vdir, ".tmp-2-123"),
		filepath.Join(vdir, ".tmp-del-0"),
		filepath.Join(root, ".tmp-x"),
	} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "bundle.axb"), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(root, "m", ".tmp-active.json-9"), filepath.Join(vdir, "1", ".tmp-meta.json-4")} {
		if err := os.WriteFile(f, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A version directory without meta.json (damaged by hand): ignored.
	if err := os.MkdirAll(filepath.Join(vdir, "3"), 0o755); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, root, Options{})
	if tmp := tempEntries(t, root); len(tmp) != 0 {
		t.Fatalf("Open left %q", tmp)
	}
	if got := names(t, s2, "m"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("versions %q, want only 1", got)
	}
	install(t, s2, "m", "3")
	checkBundle(t, s2, "m", "3")
}

func TestOpenUnreadablePointer(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, Options{})
	install(t, s, "m", "1")
	activate(t, s, "m", "1", false)
	if err := os.WriteFile(filepath.Join(root, "m", pointerFile), []byte(`{"active":"../../etc"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, root, Options{})
	if r := s2.Recovered(); len(r) != 1 || !strings.Contains(r[0].Reason, "active.json") {
		t.Fatalf("recovered %+v", r)
	}
	wantPointer(t, s2, "m", Pointer{})
}

func TestOpenRejectsBadKeep(t *testing.T) {
	_, err := Open(context.Background(), t.TempDir(), Options{Keep: 1})
	if err == nil || !strings.Contains(err.Error(), "Keep 1") {
		t.Fatalf("Keep 1: %v", err)
	}
}

// Retention follows install order even when the clock goes backwards, as
// on a gateway that boots without a real-time clock.
func TestRetentionIgnoresClock(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	s := openStore(t, t.TempDir(), Options{Keep: 2, Now: func() time.Time { return now }})
	for _, v := range []string{"a", "b", "c", "d"} {
		install(t, s, "m", v)
		now = now.Add(-time.Hour)
	}
	activate(t, s, "m", "d", false)
	if got := names(t, s, "m"); !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("kept %q, want the last two installed: c d", got)
	}
}

func TestInstallFileAndReactivate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	b := bundleFor("5")
	path := filepath.Join(t.TempDir(), "pump-5.axb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InstallFile(ctx, "m", "5", path, sumOf(b), InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	checkBundle(t, s, "m", "5")
	_, err := s.InstallFile(ctx, "m", "6", filepath.Join(t.TempDir(), "missing.axb"), sumOf(b), InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "model m version 6: open bundle") {
		t.Fatalf("missing bundle file: %v", err)
	}
	install(t, s, "m", "4")
	activate(t, s, "m", "4", false)
	activate(t, s, "m", "5", true)
	// Activating the active version again keeps the previous one.
	activate(t, s, "m", "5", false)
	wantPointer(t, s, "m", Pointer{Active: "5", Previous: "4"})
}

// The Store serialises concurrent callers (one model each, as the agent
// runs one deployment per model at a time); run with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{Keep: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 4 {
		wg.Go(func() {
			model := fmt.Sprint("m", w)
			for i := range 3 {
				v := fmt.Sprint(i)
				b := bundleFor(model + v)
				if _, err := s.Install(ctx, model, v, bytes.NewReader(b), sumOf(b), InstallOptions{}); err != nil {
					errs <- err
					return
				}
				if err := s.Activate(ctx, model, v, ActivateOptions{}); err != nil {
					errs <- err
					return
				}
				if _, err := s.History(Filter{Model: model}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range 4 {
		model := fmt.Sprint("m", w)
		wantPointer(t, s, model, Pointer{Active: "2", Previous: "1"})
		if got := names(t, s, model); !slices.Equal(got, []string{"1", "2"}) {
			t.Fatalf("model %s kept %q, want 1 2", model, got)
		}
	}
	h, err := s.History(Filter{Action: ActionActivate})
	if err != nil || len(h) != 12 {
		t.Fatalf("%d activate entries (%v), want 12", len(h), err)
	}
}

func TestAuditValidatedBeforeChange(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	b := bundleFor("1")
	bad := Audit{Lineage: map[string]any{"metric": make(chan int)}}
	_, err := s.Install(ctx, "m", "1", bytes.NewReader(b), sumOf(b), InstallOptions{Audit: bad})
	if err == nil || !strings.Contains(err.Error(), "model m version 1: check arguments: audit lineage") {
		t.Fatalf("unencodable lineage: %v", err)
	}
	if _, err := os.Stat(s.versionDir("m", "1")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("install went ahead despite a bad audit record: %v", err)
	}
	install(t, s, "m", "1")
	huge := Audit{Reason: strings.Repeat("r", maxEntryBytes)}
	if err := s.Activate(ctx, "m", "1", ActivateOptions{Audit: huge}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("oversized audit: %v", err)
	}
	wantPointer(t, s, "m", Pointer{})
}
