package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/agent/probation"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/store"
)

// verdictMsg is a probation's final verdict, from the pipeline goroutine
// to the deployment's watcher.
type verdictMsg struct {
	lm *loadedModel
	v  probation.Verdict
}

// observe feeds a window of the model in the slot to its probation, if it
// is on one; pipeline goroutine only. The final verdict goes to the
// watcher once, without blocking the pipeline (verdicts has room for it:
// a slot holds one probation at a time).
func (r *runner) observe(w probation.Window) {
	lm := r.lm
	if lm.probSpec == nil || lm.verdictSent {
		return
	}
	if lm.probDone.Load() {
		lm.probSpec, lm.prob = nil, nil
		return
	}
	if lm.prob == nil {
		p, err := probation.New(lm.probSpec.cfg, lm.probSpec.base, w.End)
		if err != nil {
			lm.probSpec = nil // checked by newProbation; cannot happen
			return
		}
		lm.prob = p
	}
	v := lm.prob.Observe(w)
	if v.Outcome == probation.Continue {
		return
	}
	lm.verdictSent = true
	select {
	case r.verdicts <- verdictMsg{lm: lm, v: v}:
	default:
	}
}

// probSpec is a probation to start at the version's first window.
type probSpec struct {
	cfg  probation.Config
	base *monitor.Baseline
}

// newProbation builds the probation of a version from the config's
// defaults (overridden by a deploy command) and the manifest's SLO and
// baseline. Gates need as many samples as the probation has windows at
// most, so that a short probation judges every gate before it passes.
func (a *Agent) newProbation(pc config.Probation, m *bundle.Manifest) (*probSpec, error) {
	cfg := probation.Config{Duration: pc.Duration, MinWindows: pc.Windows, LatencySLO: pc.LatencyP99,
		PSIMax: pc.MaxPSI, AlertRateMax: pc.MaxAlertRate}
	if cfg.LatencySLO == 0 && m.SLO != nil {
		cfg.LatencySLO = time.Duration(m.SLO.LatencyP99)
	}
	if w := cfg.MinWindows; w > 0 {
		cfg.MinLatencySamples = min(probation.DefaultMinLatencySamples, w)
		cfg.MinPSISamples = min(probation.DefaultMinPSISamples, w)
		cfg.MinAlertWindows = min(probation.DefaultMinAlertWindows, w)
	}
	var base *monitor.Baseline
	if m.Baseline != nil && m.Baseline.Score != nil && m.Baseline.Score.Histogram != nil {
		h := m.Baseline.Score.Histogram
		var total int64
		for _, c := range h.Counts {
			total += c
		}
		if total > 0 && len(h.Edges) >= 3 {
			// The manifest's histogram has outer edges; the monitor's
			// baseline only the cut points between bins.
			b := monitor.Baseline{Edges: append([]float64(nil), h.Edges[1:len(h.Edges)-1]...)}
			for _, c := range h.Counts {
				b.Probs = append(b.Probs, float64(c)/float64(total))
			}
			base = &b
		}
	}
	if base == nil {
		cfg.PSIMax = 0 // no baseline in the bundle: nothing to compare with
	}
	if _, err := probation.New(cfg, base, time.Time{}); err != nil {
		return nil, fmt.Errorf("probation: %w", err)
	}
	return &probSpec{cfg: cfg, base: base}, nil
}

// deployment is a model's deployment from the command (or spool file) to
// the end of its probation: one per model at a time.
type deployment struct {
	version string
	ctl     chan ctlReq // model.promote and model.rollback during probation
	shadow  *shadowRun  // set while the version runs in shadow (shadow.go)
}

type ctlReq struct {
	verb  string
	reply chan ctlReply
}

type ctlReply struct {
	result map[string]any
	err    error
}

// claim registers a deployment of r, or says why one cannot start.
func (a *Agent) claim(r *runner, version string) (*deployment, error) {
	a.deployMu.Lock()
	defer a.deployMu.Unlock()
	if d := a.deployments[r]; d != nil {
		return nil, fmt.Errorf("model %s: a deployment of version %s is still in progress or on probation (promote or roll it back first)", r.cfg.Name, d.version)
	}
	d := &deployment{version: version, ctl: make(chan ctlReq)}
	a.deployments[r] = d
	return d, nil
}

func (a *Agent) release(r *runner, d *deployment) {
	a.deployMu.Lock()
	defer a.deployMu.Unlock()
	if a.deployments[r] == d {
		delete(a.deployments, r)
	}
}

// pendingProbation is a version found on probation at startup.
type pendingProbation struct {
	r       *runner
	lm      *loadedModel
	version string
}

// watchProbation waits for the verdict on version (running in r's slot as
// lm) or an operator's command, then promotes or rolls back. prev is the
// model swapped out, kept loaded for a quick rollback; nil means the
// previous version is loaded from the store when needed. It releases d.
func (a *Agent) watchProbation(ctx context.Context, r *runner, d *deployment, lm, prev *loadedModel) {
	defer a.release(r, d)
	defer func() {
		if prev != nil {
			prev.close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.verdicts:
			if m.lm != lm {
				continue // a verdict of an earlier version
			}
			switch m.v.Outcome {
			case probation.Passed:
				if _, err := a.promote(ctx, r, lm, "probation passed"); err != nil {
					a.log.Error("promoting after probation failed", "model", r.cfg.Name, "version", d.version, "err", err)
				}
			case probation.Tripped:
				if _, err := a.rollback(ctx, r, lm, &prev, &m.v, "probation gate "+string(m.v.Gate)+" tripped"); err != nil {
					a.log.Error("rolling back after a tripped gate failed", "model", r.cfg.Name, "version", d.version, "err", err)
				}
			}
			return
		case c := <-d.ctl:
			if c.verb == fleet.VerbModelDiscard {
				c.reply <- ctlReply{err: fmt.Errorf("model %s: version %s is on probation, not in shadow", r.cfg.Name, d.version)}
				continue
			}
			var rep ctlReply
			if c.verb == fleet.VerbModelPromote {
				rep.result, rep.err = a.promote(ctx, r, lm, "model.promote")
			} else {
				rep.result, rep.err = a.rollback(ctx, r, lm, &prev, nil, "model.rollback")
			}
			c.reply <- rep
			return
		}
	}
}

// promote ends the probation of the version in lm.
func (a *Agent) promote(ctx context.Context, r *runner, lm *loadedModel, why string) (map[string]any, error) {
	name, version := storeName(r.cfg), lm.cfg.Version
	lm.probDone.Store(true)
	if err := a.store.Promote(ctx, name, version, store.Audit{KeyID: lm.keyID, Reason: why}); err != nil {
		return nil, fmt.Errorf("activate: %w", err)
	}
	cur := r.Current()
	r.slot.state.Store(&slotState{Version: version, Previous: cur.Previous, State: fleet.ModelActive})
	a.statusDirty.Store(true)
	a.log.Info("model version promoted", "model", r.cfg.Name, "version", version, "reason", why)
	a.event(fleet.EventDeployment, "info", r.cfg.Name, fmt.Sprintf("model %s %s promoted: %s", r.cfg.Name, version, why),
		map[string]any{"model": r.cfg.Name, "version": version, "step": "promote", "reason": why})
	return map[string]any{"model": r.cfg.Name, "version": version, "state": fleet.ModelActive}, nil
}

// rollback returns r's slot to the previous version by the same swap as a
// deploy: the store first (so a crash leaves the previous version active),
// then the slot. A tripped gate (v) rejects the version for good.
func (a *Agent) rollback(ctx context.Context, r *runner, lm *loadedModel, prev **loadedModel, v *probation.Verdict, why string) (map[string]any, error) {
	name := storeName(r.cfg)
	version, keyID := r.Current().Version, ""
	if lm != nil {
		version, keyID = lm.cfg.Version, lm.keyID
		lm.probDone.Store(true)
	}
	ptr, err := a.store.Active(name)
	if err != nil {
		return nil, err
	}
	if ptr.Active == "" {
		return nil, fmt.Errorf("model %s: %w: no version of it was deployed", r.cfg.Name, store.ErrNoPrevious)
	}
	if ptr.Active != version {
		return nil, fmt.Errorf("model %s: version %s is not the active one (%q)", r.cfg.Name, version, ptr.Active)
	}
	back := *prev
	*prev = nil
	target, inStore := ptr.Previous, true
	switch {
	case target == "" && back != nil:
		// The first store version of a model from a config file: back to
		// that file's model. The store keeps naming the version; startup
		// sees the rollback in the audit log and runs the file instead.
		target, inStore = back.cfg.Version, false
	case target == "":
		return nil, fmt.Errorf("model %s: %w (active %q)", r.cfg.Name, store.ErrNoPrevious, ptr.Active)
	case back != nil && back.cfg.Version != target:
		back.close()
		back = nil
	}
	if back == nil {
		var vb *verifiedBundle
		if back, vb, err = a.loadStored(r, target); err != nil {
			return nil, fmt.Errorf("load previous version %s: %w", target, err)
		}
		vb.f.Close()
	}
	details := map[string]any{}
	reason := why
	if v != nil {
		details = map[string]any{"gate": string(v.Gate), "observed": v.Observed, "limit": v.Limit, "windows": v.Windows, "detail": v.Detail}
		reason = fmt.Sprintf("%s: observed %g, limit %g after %d windows (%s)", why, v.Observed, v.Limit, v.Windows, v.Detail)
		if err := a.store.Record(ctx, store.Entry{Model: name, Version: version, Action: store.ActionGate, KeyID: keyID, Reason: reason, Details: details}); err != nil {
			a.log.Error("recording a probation gate in the audit log", "model", name, "err", err)
		}
	}
	if inStore {
		if _, err := a.store.Rollback(ctx, name, store.RollbackOptions{Reject: v != nil, Audit: store.Audit{KeyID: keyID, Reason: reason}}); err != nil {
			back.close()
			return nil, err
		}
	} else if err := a.store.Record(ctx, store.Entry{Model: name, Version: version, Action: store.ActionRollback, From: version, KeyID: keyID,
		Reason: reason + "; back to the configured file " + back.cfg.File}); err != nil {
		back.close()
		return nil, err
	}
	back.state = slotState{Version: target, Previous: version, State: fleet.ModelRolledBack, Err: fmt.Sprintf("version %s rolled back: %s", version, reason)}
	if v != nil {
		back.state.Gate = string(v.Gate)
	}
	back.probSpec, back.prob, back.verdictSent = nil, nil, false
	t0 := time.Now()
	if err := r.Offer(ctx, back); err != nil {
		back.close()
		return nil, fmt.Errorf("swap: %w", err)
	}
	swap := time.Since(t0)
	a.statusDirty.Store(true)
	a.log.Warn("model version rolled back", "model", r.cfg.Name, "version", version, "to", target, "reason", reason)
	data := map[string]any{"model": r.cfg.Name, "version": version, "previous": target, "step": "rollback", "reason": reason,
		"swap_ms": float64(swap.Microseconds()) / 1000}
	for k, x := range details {
		data[k] = x
	}
	a.event(fleet.EventDeployment, "warning", r.cfg.Name, fmt.Sprintf("model %s %s rolled back to %s: %s", r.cfg.Name, version, target, reason), data)
	return map[string]any{"model": r.cfg.Name, "version": target, "rolled_back": version, "state": fleet.ModelRolledBack}, nil
}

// errNoProbation: model.promote for a version not on probation.
var errNoProbation = errors.New("no version of this model is on probation")
