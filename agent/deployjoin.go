package agent

import (
	"context"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// A model.deploy may arrive again under a new command id for a version the
// device already runs or is deploying: an operator resuming a rollout it
// could not see the answers of. It gets the outcome of that version rather
// than a refusal, so that a resumed rollout does not count it as failed.

// joinDeploy answers command id for version when r already runs it or a
// deployment of it is under way; false when neither holds.
func (a *Agent) joinDeploy(ctx context.Context, id string, r *runner, version string) bool {
	running := func() bool {
		cur := r.Current()
		return cur.Version == version && (cur.State == fleet.ModelActive || cur.State == fleet.ModelProbation)
	}
	a.deployMu.Lock()
	d := a.deployments[r]
	a.deployMu.Unlock()
	switch {
	case d == nil && running():
		a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultDone, Result: map[string]any{"model": r.cfg.Name, "version": version, "already_running": true}})
		return true
	case d == nil || d.version != version:
		return false
	}
	a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultAccepted, Result: map[string]any{"model": r.cfg.Name, "version": version, "joined": true}})
	a.jobs.Go(func() {
		// The deployment's own goroutine answers its command; this one
		// watches the slot for the same outcome.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if running() {
				a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultDone, Result: map[string]any{"model": r.cfg.Name, "version": version, "joined": true}})
				return
			}
			a.deployMu.Lock()
			still := a.deployments[r] == d
			a.deployMu.Unlock()
			if !still && !running() {
				a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultFailed, Error: "the deployment of version " + version + " this command joined did not activate; see the deployment events"})
				return
			}
		}
	})
	return true
}
