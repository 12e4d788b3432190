package agent

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/fleet"
)

// recentCommands bounds the ids remembered for deduplication.
const recentCommands = 1024

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
	if a.seen(cmd.ID) {
		a.log.Info("ignored a repeated command", "id", cmd.ID, "verb", cmd.Verb)
		return
	}
	if err := cmd.CheckExpiry(a.now()); err != nil {
		a.log.Warn("rejected an expired command", "id", cmd.ID, "verb", cmd.Verb, "expires_at", cmd.ExpiresAt)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error()})
		return
	}
	a.log.Info("command received", "id", cmd.ID, "verb", cmd.Verb, "topic", topic)
	switch cmd.Verb {
	case fleet.VerbPing:
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: map[string]any{"agent": a.opts.Version, "device": a.cfg.Device}})
	case fleet.VerbSimFault:
		a.result(ctx, a.handleSimFault(cmd))
	default:
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected,
			Error: errors.New("verb " + cmd.Verb + " is not supported by this agent version").Error()})
	}
}

// seen records id and reports whether it was already handled.
func (a *Agent) seen(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.recentCmds[id] {
		return true
	}
	a.recentCmds[id] = true
	a.cmdOrder = append(a.cmdOrder, id)
	if len(a.cmdOrder) > recentCommands {
		delete(a.recentCmds, a.cmdOrder[0])
		a.cmdOrder = a.cmdOrder[1:]
	}
	return false
}

func (a *Agent) result(ctx context.Context, r fleet.Result) {
	r.V, r.TS = fleet.Version, a.now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		a.log.Error("encoding result", "err", err)
		return
	}
	a.commit(ctx, []buffer.Record{{Class: buffer.ClassEvent, Topic: a.topics.Result(), Time: r.TS, Payload: b}})
}
