// Command testagent is a tiny stand-in for the axle agent, built by the
// firmware package's end-to-end test with different version stamps and run
// under a supervisor with systemd's restart semantics. Each start it boots
// the firmware Updater, confirms a pending update (unless stamped to crash),
// writes queued outcomes to events.jsonl, and applies an update command
// found in cmd.json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/axle-edge/axle/firmware"
)

// Stamped by the test with -ldflags "-X main.version=... -X main.crash=1".
var (
	version = "dev"
	crash   = ""
)

// exitIdle ends a supervised run: the test's supervisor, like a unit with
// RestartPreventExitStatus=78, does not restart on it.
const exitIdle = 78

// Command is the update command the test leaves in cmd.json.
type Command struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Path    string `json:"path"`
	Trusted bool   `json:"trusted"` // what the Verify hook answers
	Force   bool   `json:"force"`
}

// Result is one line of results.jsonl.
type Result struct {
	Version string `json:"version"`
	Running string `json:"running"`
	Staged  bool   `json:"staged"`
	Error   string `json:"error,omitempty"`
}

func main() {
	state := flag.String("state", "", "state directory")
	attempts := flag.Int("attempts", 2, "starts a new version gets to confirm")
	flag.Parse()
	os.Exit(run(*state, *attempts))
}

func run(state string, attempts int) int {
	u, err := firmware.Open(firmware.Config{StateDir: state, MaxAttempts: attempts})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d, err := u.Boot(version)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("version=%s action=%s attempt=%d\n", version, d.Action, d.Attempt)
	if d.Action == firmware.Restart {
		return firmware.ExitUpdate
	}
	if crash != "" {
		fmt.Fprintln(os.Stderr, "crashing at start")
		return 3
	}
	if d.Action == firmware.Probation {
		if _, err := u.Confirm(version); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if reports := u.Reports(); len(reports) > 0 {
		if err := appendJSON(filepath.Join(state, "events.jsonl"), reports); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := u.AckReports(reports[len(reports)-1].Seq); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return update(u, state)
}

func update(u *firmware.Updater, state string) int {
	path := filepath.Join(state, "cmd.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return exitIdle
	}
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var c Command
	if err := json.Unmarshal(data, &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	_, err = u.Stage(ctx, firmware.StageRequest{
		Version: c.Version, SHA256: c.SHA256, Size: c.Size, Path: c.Path, Force: c.Force,
		Verify: func(string) error {
			if !c.Trusted {
				return errors.New("signature is not by a trusted key")
			}
			return nil
		},
	})
	if err == nil {
		_, err = u.Commit(ctx)
	}
	res := Result{Version: c.Version, Running: version, Staged: err == nil}
	if err != nil {
		res.Error = err.Error()
	}
	if err := appendJSON(filepath.Join(state, "results.jsonl"), []Result{res}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if res.Staged {
		return firmware.ExitUpdate
	}
	return exitIdle
}

func appendJSON[T any](path string, items []T) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
