package main

import (
	"errors"
	"log/slog"
	"os"

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
