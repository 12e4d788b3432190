package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/cmdlog"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/trust"
)

// minCommandMemory is how long any handled id is remembered, even one of a
// command that had already expired, so that a redelivery right after the
// first answer gets no second one.
const minCommandMemory = time.Minute

// openCommandLog opens commands.db in the state directory: the ids of
// handled commands, so that a redelivery after a restart is not run again.
func (a *Agent) openCommandLog(ctx context.Context) error {
	path := filepath.Join(a.cfg.StateDir, "commands.db")
	l, err := cmdlog.Open(path, cmdlog.Options{Now: a.now})
	if err != nil {
		return fmt.Errorf("agent: open command log: %w", err)
	}
	a.cmds = l
	if keys := a.cfg.Trust.CommandKeys; len(keys) > 0 {
		kr, err := trust.ParseKeyring(keys)
		if err != nil {
			return fmt.Errorf("agent: trust.command_keys: %w", err)
		}
		a.cmdKeys = kr
	}
	if moved, cause := l.Recovered(); moved != "" {
		a.log.Error("command log was unreadable; moved aside and started a new one (a command delivered again may run again)",
			"path", path, "moved_to", moved, "err", cause)
		a.event(fleet.EventStorage, "warning", "commands", "command log was unreadable and was moved aside",
			map[string]any{"moved_to": moved, "error": cause.Error()})
	}
	return nil
}

// commandLoop decodes and answers commands until ctx ends. Every command
// gets exactly one final result, stored in the outbox like an event so
// that it survives an outage.
func (a *Agent) commandLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-a.up.Messages():
			a.handleCommand(ctx, m.Topic, m.Payload)
		}
	}
}

func (a *Agent) handleCommand(ctx context.Context, topic string, payload []byte) {
	if !a.acceptsTopic(topic) {
		a.log.Info("ignored a command of a group this device has left", "topic", topic)
		return
	}
	cmd, err := fleet.DecodeCommand(payload)
	if err != nil {
		a.log.Warn("rejected a malformed command", "topic", topic, "bytes", len(payload), "err", err)
		var probe struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(payload, &probe) == nil && probe.ID != "" && len(probe.ID) <= 128 {
			a.result(ctx, fleet.Result{ID: probe.ID, Status: fleet.ResultRejected, Error: err.Error()})
		}
		return
	}
	// The signature is checked before the id is recorded, so a forged
	// command cannot use up the id of a genuine one.
	if a.cmdKeys != nil {
		keyID, err := fleet.VerifyCommand(payload, a.cmdKeys)
		if err != nil {
			if errors.Is(err, fleet.ErrUnsigned) {
				err = fmt.Errorf("command is not signed; this agent accepts only commands signed by a key in trust.command_keys (%s)",
					strings.Join(a.cmdKeys.IDs(), ", "))
			}
			a.log.Warn("rejected a command without a valid signature", "id", cmd.ID, "verb", cmd.Verb, "topic", topic, "key_id", keyID, "err", err)
			a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error(), KeyID: keyID})
			return
		}
		cmd.KeyID = keyID
		// Every result of this command names the key: a.result reads it.
		ctx = context.WithValue(ctx, commandKeyCtx{}, keyID)
	}
	now := a.now()
	horizon := now.Add(a.cfg.Commands.MaxExpiry)
	keep := cmd.ExpiresAt
	if floor := now.Add(minCommandMemory); keep.Before(floor) {
		keep = floor
	}
	if keep.After(horizon) {
		keep = horizon
	}
	// The id is recorded before the command runs: a crash in between loses
	// that command's result rather than running it twice on redelivery.
	seen, err := a.cmds.Seen(cmd.ID, keep)
	if err != nil {
		// Running a command that cannot be recorded could run it twice.
		a.log.Error("cannot record a command id; command not run", "id", cmd.ID, "verb", cmd.Verb, "err", err)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: "agent cannot record the command id: " + err.Error()})
		return
	}
	if seen {
		a.log.Info("ignored a repeated command", "id", cmd.ID, "verb", cmd.Verb)
		return
	}
	if cmd.ExpiresAt.After(horizon) {
		a.log.Warn("rejected a command that expires too far ahead", "id", cmd.ID, "verb", cmd.Verb, "expires_at", cmd.ExpiresAt)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected,
			Error: fmt.Sprintf("expires_at %s is more than commands.max_expiry (%s) ahead", cmd.ExpiresAt.UTC().Format(time.RFC3339), a.cfg.Commands.MaxExpiry)})
		return
	}
	if err := cmd.CheckExpiry(now); err != nil {
		a.log.Warn("rejected an expired command", "id", cmd.ID, "verb", cmd.Verb, "expires_at", cmd.ExpiresAt)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error()})
		return
	}
	a.log.Info("command received", "id", cmd.ID, "verb", cmd.Verb, "topic", topic, "key_id", cmd.KeyID)
	switch cmd.Verb {
	case fleet.VerbPing:
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: map[string]any{"agent": a.opts.Version, "device": a.cfg.Device}})
	case fleet.VerbSimFault:
		a.result(ctx, a.handleSimFault(cmd))
	case fleet.VerbModelDeploy:
		a.handleDeploy(ctx, cmd)
	case fleet.VerbConfigSet:
		a.result(ctx, a.handleConfigSet(ctx, cmd))
	case fleet.VerbModelRollback, fleet.VerbModelPromote, fleet.VerbModelDiscard:
		a.handleModelControl(ctx, cmd)
	case fleet.VerbAgentUpdate, VerbAgentRollback:
		a.submitUpdate(ctx, cmd)
	case fleet.VerbFeedback:
		a.result(ctx, a.handleFeedback(cmd))
	case fleet.VerbCapture:
		a.result(ctx, a.handleCapture(cmd))
	case fleet.VerbCaptureUpload:
		a.handleCaptureUpload(ctx, cmd)
	default:
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected,
			Error: errors.New("verb " + cmd.Verb + " is not supported by this agent version").Error()})
	}
}

// commandKeyCtx is the context key of the id of the key that signed the
// command being answered.
type commandKeyCtx struct{}

func (a *Agent) result(ctx context.Context, r fleet.Result) {
	if id, ok := ctx.Value(commandKeyCtx{}).(string); ok && r.KeyID == "" {
		r.KeyID = id
	}
	r.V, r.TS = fleet.Version, a.now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		a.log.Error("encoding result", "err", err)
		return
	}
	a.commit(ctx, []buffer.Record{{Class: buffer.ClassEvent, Topic: a.topics.Result(), Time: r.TS, Payload: b}})
}
