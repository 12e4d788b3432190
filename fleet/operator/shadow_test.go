package operator

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/fleet/fleettest"
	"github.com/axle-edge/axle/fleet/rollout"
)

func shadowPolicyOp(d time.Duration) rollout.Policy {
	p := policy()
	p.MaxFailed = 0.2
	maxP95 := 0.05
	p.Shadow = &rollout.ShadowPolicy{Duration: rollout.Duration(d), MinWindows: 50, MinAgreement: 0.95, MaxP95Diff: &maxP95}
	return p
}

// shadowScript answers a shadow deploy with the candidate in shadow and
// the figures figures(r) (agreement 0.99 unless it says otherwise),
// promote with the new version, discard and rollback with version 1.
func shadowScript(t *testing.T, agreement func(r *fleettest.Responder) float64) fleettest.Script {
	return func(r *fleettest.Responder, cmd fleet.Command) fleettest.Answer {
		switch cmd.Verb {
		case fleet.VerbModelDeploy:
			var a struct {
				Mode    string `json:"mode"`
				Version string `json:"version"`
			}
			if err := json.Unmarshal(cmd.Args, &a); err != nil || a.Mode != fleet.ModeShadow {
				t.Errorf("%s: deploy args %s, want mode shadow", r.ID, cmd.Args)
				return fleettest.Answer{Status: fleet.ResultRejected, Error: "not shadow"}
			}
			agree := 0.99
			if agreement != nil {
				agree = agreement(r)
			}
			return fleettest.Answer{Status: fleet.ResultDone, Shadow: &fleet.ShadowStatus{Version: a.Version, Windows: 80, Agreement: agree, MeanDiff: 0.001, P95Diff: 0.01}}
		case fleet.VerbModelPromote:
			return fleettest.Answer{Status: fleet.ResultDone, Version: bundle.Version}
		case fleet.VerbModelRollback, fleet.VerbModelDiscard:
			return fleettest.Answer{Status: fleet.ResultDone, Version: "1"}
		}
		return fleettest.Answer{Status: fleet.ResultRejected, Error: "unexpected " + cmd.Verb}
	}
}

// Each wave runs in shadow first, takes each device's figures from its
// shadow event, promotes those that meet the criteria and discards the
// one that does not; the progress shows the shadow phase and its figures.
func TestShadowRollout(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 10)
	waves := rollout.Assign(devs, []float64{20, 100})
	bad := waves[1][2]
	f := e.fleet(t, devs, nil, shadowScript(t, func(r *fleettest.Responder) float64 {
		if r.ID == bad {
			return 0.6
		}
		return 0.99
	}))
	c := e.dial(t, "op-shadow")
	var lines []string
	s, err := c.Deploy(ctxT(t), "r-shadow", bundle, devs, []float64{20, 100}, shadowPolicyOp(300*time.Millisecond),
		RolloutOptions{Tick: 20 * time.Millisecond, Progress: func(l string) { lines = append(lines, l) }})
	if err != nil || s.Phase != rollout.PhaseCompleted {
		t.Fatalf("shadow rollout: %v, phase %s %s\n%s", err, s.Phase, s.Reason, strings.Join(lines, "\n"))
	}
	for _, d := range devs {
		r, st := f.Get(d), s.Devices[d]
		var verbs []string
		for _, x := range r.Received() {
			verbs = append(verbs, x.Command.Verb)
		}
		want, version, state := []string{fleet.VerbModelDeploy, fleet.VerbModelPromote}, bundle.Version, rollout.DeviceDone
		if d == bad {
			want, version, state = []string{fleet.VerbModelDeploy, fleet.VerbModelDiscard}, "1", rollout.DeviceDiscarded
		}
		if !slices.Equal(verbs, want) || r.Version() != version || st.State != state {
			t.Errorf("%s: got %v, runs %s, state %s; want %v, %s, %s", d, verbs, r.Version(), st.State, want, version, state)
		}
		if st.Shadow == nil || st.Shadow.Windows != 80 {
			t.Errorf("%s: figures %+v, want those of its shadow event", d, st.Shadow)
		}
	}
	if d := s.Devices[bad]; d.Shadow.Verdict != "fail" || !strings.Contains(d.Error, "agreement 0.6000 below 0.95") {
		t.Errorf("the disagreeing device: %+v, %s", d.Shadow, d.Error)
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.Contains(l, "wave 2/2") && strings.Contains(l, "shadowing until") && strings.Contains(l, "figures from 8/8 devices: agreement >= 0.600")
	}) {
		t.Errorf("no progress line with the shadow figures of wave 2:\n%s", strings.Join(lines, "\n"))
	}
}

// An operator killed during a wave's shadow phase is resumed from another
// shell: figures kept in the retained state, devices already in shadow
// not deployed again, the rollout completes.
func TestShadowResumeAfterKill(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 10)
	f := e.fleet(t, devs, nil, shadowScript(t, nil))
	c := e.dial(t, "op-shadow-first")
	ctx, kill := context.WithCancel(ctxT(t))
	// The operator dies once the retained state holds the figures of
	// every device of wave 2 (the fake agents report them only once).
	watcher := e.dial(t, "op-shadow-watch")
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		for ctx.Err() == nil {
			if rs, err := watcher.LoadRollout(ctx, "r-shadow-kill"); err == nil && rs.Waves[1].Phase == rollout.WaveShadowing &&
				!slices.ContainsFunc(rs.Waves[1].Devices, func(d string) bool { return rs.Devices[d].Shadow == nil }) {
				kill()
				return
			}
			time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
		}
	})
	s, err := c.Deploy(ctx, "r-shadow-kill", bundle, devs, []float64{20, 100}, shadowPolicyOp(3*time.Second),
		RolloutOptions{Tick: 20 * time.Millisecond, PersistEvery: 10 * time.Millisecond})
	if err == nil || s.Phase != rollout.PhaseRunning || s.Waves[1].Phase != rollout.WaveShadowing {
		t.Fatalf("killed operator: phase %s wave 2 %s, err %v", s.Phase, s.Waves[1].Phase, err)
	}
	c.Close()
	c2 := e.dial(t, "op-shadow-second")
	kept, err := c2.LoadRollout(ctxT(t), "r-shadow-kill")
	if err != nil {
		t.Fatal(err)
	}
	if kept.Waves[1].Phase != rollout.WaveShadowing || kept.Devices[kept.Waves[1].Devices[0]].Shadow == nil {
		t.Fatalf("retained state mid-shadow: wave 2 %s, figures %+v", kept.Waves[1].Phase, kept.Devices[kept.Waves[1].Devices[0]].Shadow)
	}
	s, err = c2.Resume(ctxT(t), "r-shadow-kill", RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil || s.Phase != rollout.PhaseCompleted {
		t.Fatalf("resumed: %v, phase %s %s", err, s.Phase, s.Reason)
	}
	for _, d := range devs {
		r := f.Get(d)
		if v := r.Verbs(); v[fleet.VerbModelDeploy] != 1 || v[fleet.VerbModelPromote] != 1 || r.Version() != bundle.Version {
			t.Errorf("%s: %v, runs %s; want one deploy and one promote", d, v, r.Version())
		}
	}
}

// A wave whose devices fail the criteria beyond max-failed aborts: its
// candidates are discarded, the devices promoted in wave 1 rolled back.
func TestShadowAbortDiscardsAndRollsBack(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 10)
	waves := rollout.Assign(devs, []float64{20, 100})
	f := e.fleet(t, devs, nil, shadowScript(t, func(r *fleettest.Responder) float64 {
		if slices.Index(waves[1], r.ID) >= 5 { // 3 of 8 in wave 2
			return 0.5
		}
		return 0.99
	}))
	c := e.dial(t, "op-shadow-abort")
	s, err := c.Deploy(ctxT(t), "r-shadow-abort", bundle, devs, []float64{20, 100}, shadowPolicyOp(200*time.Millisecond), RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil || s.Phase != rollout.PhaseAborted || !strings.Contains(s.Reason, "wave 2: 3 of 8") {
		t.Fatalf("rollout: %v, phase %s %q", err, s.Phase, s.Reason)
	}
	for _, d := range devs {
		r, v := f.Get(d), f.Get(d).Verbs()
		inWave1 := slices.Contains(waves[0], d)
		switch {
		case r.Version() != "1":
			t.Errorf("%s runs %s after the abort", d, r.Version())
		case inWave1 && (v[fleet.VerbModelPromote] != 1 || v[fleet.VerbModelRollback] != 1):
			t.Errorf("canary %s: %v, want promoted then rolled back", d, v)
		case !inWave1 && (v[fleet.VerbModelPromote] != 0 || v[fleet.VerbModelDiscard] != 1):
			t.Errorf("%s of wave 2: %v, want discarded, never promoted", d, v)
		}
	}
}
