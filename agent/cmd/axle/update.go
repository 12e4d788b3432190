package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/axle-edge/axle/agent"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/firmware"
)

// bootUpdate runs firmware's Boot before the agent starts: it counts the
// start of a version on probation and rolls back a version that used up
// its attempts. exit is set when the process must end at once with code
// (firmware.ExitUpdate: the old binary is back at the path and systemd
// starts it). A self-update state that cannot be read or booted disables
// self-update for this run rather than stopping the agent.
func bootUpdate(cfg *config.Config, log *slog.Logger) (upd agent.Update, code int, exit bool) {
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		log.Error("self-update disabled: state dir", "err", err)
		return agent.Update{}, 0, false
	}
	fw, err := firmware.Open(firmware.Config{StateDir: cfg.StateDir, MaxAttempts: cfg.Update.MaxAttempts,
		MaxSize: int64(cfg.Update.MaxSize), KeepPrevious: cfg.Update.KeepPrevious})
	if err != nil {
		log.Error("self-update disabled", "err", err)
		return agent.Update{}, 0, false
	}
	d, err := fw.Boot(version)
	if err != nil {
		log.Error("self-update disabled: boot", "version", version, "err", err)
		return agent.Update{}, 0, false
	}
	if o := d.Outcome; o != nil {
		log.Warn("agent update undone at start", "result", o.Result, "old", o.Old, "new", o.New, "running", o.Running, "reason", o.Reason)
	}
	switch d.Action {
	case firmware.Restart:
		log.Warn("previous agent binary restored; exiting so that systemd starts it", "exit_status", firmware.ExitUpdate)
		return agent.Update{}, firmware.ExitUpdate, true
	case firmware.Probation:
		log.Info("agent version on probation", "version", version, "attempt", d.Attempt, "max_attempts", cfg.Update.MaxAttempts)
		return agent.Update{Firmware: fw, Probation: true}, 0, false
	}
	return agent.Update{Firmware: fw}, 0, false
}

// updateExit maps the agent's restart-for-update to firmware.ExitUpdate.
func updateExit(err error) (int, bool) {
	if errors.Is(err, agent.ErrRestartForUpdate) {
		return firmware.ExitUpdate, true
	}
	return 0, false
}

// rollbackOnConfigError handles a version on probation that rejects the
// configuration the previous version ran with: without this it would exit
// 78, which stops the unit with the update pending and the old binary set
// aside. It puts the old binary back instead, and the caller exits
// firmware.ExitUpdate so that systemd starts it; the old version reports
// the rollback. The state directory is read leniently from the rejected
// file (default /var/lib/axle). target is the binary ("" = this one).
func rollbackOnConfigError(cfgPath, target string, cfgErr error, stderr io.Writer) (int, bool) {
	stateDir := "/var/lib/axle"
	if data, err := os.ReadFile(cfgPath); err == nil {
		var v struct {
			StateDir string `yaml:"state_dir"`
		}
		if yaml.Unmarshal(data, &v) == nil && v.StateDir != "" {
			stateDir = v.StateDir
		}
	}
	fw, err := firmware.Open(firmware.Config{Target: target, StateDir: stateDir})
	if err != nil {
		return 0, false
	}
	p := fw.State().Pending
	if p == nil || p.Version != version {
		return 0, false
	}
	d, err := fw.Rollback(context.Background(), version, "version "+version+" rejects the configuration: "+cfgErr.Error())
	if err != nil {
		fmt.Fprintln(stderr, "axle agent: could not put the previous binary back:", err)
		return 0, false
	}
	if d.Action != firmware.Restart {
		return 0, false
	}
	fmt.Fprintf(stderr, "axle agent: version %s on probation rejects the configuration; version %s is back, exiting %d so that systemd starts it\n",
		version, p.From, firmware.ExitUpdate)
	return firmware.ExitUpdate, true
}
