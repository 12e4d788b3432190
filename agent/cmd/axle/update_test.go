package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/firmware"
)

// TestRollbackOnConfigError: a version on probation whose config check
// fails puts the previous binary back and asks for exit 75 instead of 78;
// without a pending update of this version nothing changes.
func TestRollbackOnConfigError(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	target := filepath.Join(dir, "axle")
	old, next := []byte("old binary"), []byte("new binary")
	if err := os.MkdirAll(state, 0o750); err != nil {
		t.Fatal(err)
	}
	writeFile(t, target, old)
	cfg := filepath.Join(dir, "axle.yaml")
	writeFile(t, cfg, []byte("device: gw\nstate_dir: "+state+"\nnew_key: 1\n"))
	cfgErr := errors.New(`axle.yaml:3: new_key: unknown key`)

	var out bytes.Buffer
	if _, ok := rollbackOnConfigError(cfg, target, cfgErr, &out); ok {
		t.Fatal("rolled back with no update pending")
	}

	fw, err := firmware.Open(firmware.Config{Target: target, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Boot("v0"); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(dir, "next")
	writeFile(t, staged, next)
	if _, err := fw.Stage(context.Background(), firmware.StageRequest{Version: version, SHA256: hexSHA(next), Size: int64(len(next)),
		Path: staged, Verify: func(string) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, ok := rollbackOnConfigError(cfg, target, cfgErr, &out)
	if !ok || code != firmware.ExitUpdate {
		t.Fatalf("got %d %v, want exit %d; output %s", code, ok, firmware.ExitUpdate, out.String())
	}
	if b := readFile(t, target); !bytes.Equal(b, old) {
		t.Errorf("target is %q after the rollback, want the old binary", b)
	}
	fw2, err := firmware.Open(firmware.Config{Target: target, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	reps := fw2.Reports()
	if len(reps) != 1 || reps[0].Result != firmware.ResultRolledBack || !strings.Contains(reps[0].Reason, "rejects the configuration") {
		t.Errorf("reports %+v", reps)
	}
}
