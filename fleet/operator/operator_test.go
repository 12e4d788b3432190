package operator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/fleet/fleettest"
	"github.com/axle-edge/axle/fleet/rollout"
	"github.com/axle-edge/axle/trust"
)

const testWait = 20 * time.Second

type env struct {
	broker *uplinktest.Broker
	sk     trust.SecretKey
	kr     *trust.Keyring
}

func newEnv(t *testing.T) env {
	t.Helper()
	pk, sk, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := trust.NewKeyring(pk)
	if err != nil {
		t.Fatal(err)
	}
	return env{broker: uplinktest.StartBroker(t, uplinktest.BrokerOptions{}), sk: sk, kr: kr}
}

func (e env) dial(t *testing.T, id string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := Dial(ctx, Config{MQTT: uplink.Config{Broker: e.broker.URL(), ClientID: id,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, Key: &e.sk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (e env) fleet(t *testing.T, ids []string, groups []string, script fleettest.Script) *fleettest.Fleet {
	t.Helper()
	return fleettest.NewFleet(t, ids, fleettest.Options{Broker: e.broker.URL(), Keyring: e.kr, Groups: groups, Script: script})
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i)
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	t.Cleanup(cancel)
	return ctx
}

func TestStatusesAndMembers(t *testing.T) {
	e := newEnv(t)
	e.fleet(t, ids("north", 3), []string{"north"}, nil)
	e.fleet(t, ids("south", 2), nil, nil) // no groups in status, but they answer the group
	c := e.dial(t, "op-status")
	if err := c.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st := c.Statuses()
	if len(st) != 5 || st["north-01"].Models[0].Version != "1" || !slices.Equal(st["north-01"].Groups, []string{"north"}) {
		t.Fatalf("statuses after sync: %+v", st)
	}
	got, err := c.Members(ctxT(t), "north", 2*time.Second)
	if err != nil || !slices.Equal(got, ids("north", 3)) {
		t.Fatalf("members of north: %v, %v", got, err)
	}
}

func TestCommandNamesSilentDevice(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 4)
	e.fleet(t, devs, nil, func(r *fleettest.Responder, cmd fleet.Command) fleettest.Answer {
		switch r.ID {
		case "pump-02":
			return fleettest.Answer{} // never answers
		case "pump-01":
			return fleettest.Answer{Status: fleet.ResultDone, Twice: true}
		case "pump-03":
			return fleettest.Answer{Status: fleet.ResultFailed, Error: "sensor busy"}
		}
		return fleettest.Answer{Status: fleet.ResultDone}
	})
	c := e.dial(t, "op-cmd")
	out, err := c.Command(ctxT(t), Target{Devices: devs}, fleet.VerbPing, nil, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Missing, []string{"pump-02"}) {
		t.Fatalf("missing %v, want pump-02", out.Missing)
	}
	if len(out.Results) != 3 || out.Results["pump-03"].Error != "sensor busy" || out.Results["pump-01"].Status != fleet.ResultDone {
		t.Fatalf("results %+v", out.Results)
	}
	if out.OK() {
		t.Fatal("outcome with a silent and a failed device is OK")
	}
	// --all: every online device is expected.
	all, err := c.Command(ctxT(t), Target{All: true}, fleet.VerbPing, nil, 2*time.Second)
	if err != nil || !slices.Equal(all.Expected, devs) || !slices.Equal(all.Missing, []string{"pump-02"}) {
		t.Fatalf("all: expected %v missing %v err %v", all.Expected, all.Missing, err)
	}
}

func TestUnsignedCommandIsRefusedBeforeSending(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := Dial(ctx, Config{MQTT: uplink.Config{Broker: e.broker.URL(), ClientID: "op-nokey"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Command(ctx, Target{Devices: []string{"a"}}, fleet.VerbPing, nil, time.Second); err == nil || !strings.Contains(err.Error(), "--sign-key") {
		t.Fatalf("error %v, want one asking for a signing key", err)
	}
}

var bundle = rollout.Bundle{Model: "pump", Version: "2", SHA256: strings.Repeat("ab", 32), Size: 1234}

func policy() rollout.Policy {
	return rollout.Policy{MaxFailed: 0.02, Soak: rollout.Duration(100 * time.Millisecond), ResultTimeout: rollout.Duration(5 * time.Second)}
}

// deployScript installs the version named in the args; rollback returns
// to "1".
func deployScript(fail func(r *fleettest.Responder) fleettest.Answer) fleettest.Script {
	return func(r *fleettest.Responder, cmd fleet.Command) fleettest.Answer {
		switch cmd.Verb {
		case fleet.VerbModelDeploy:
			a, err := fleettest.Deploy(cmd)
			if err != nil || a.Source.Kind != "mqtt" || a.Size != bundle.Size || a.SHA256 != bundle.SHA256 {
				return fleettest.Answer{Status: fleet.ResultRejected, Error: fmt.Sprintf("bad args %+v: %v", a, err)}
			}
			if fail != nil {
				if ans := fail(r); ans.Status != "" {
					return ans
				}
			}
			return fleettest.Answer{Status: fleet.ResultDone, Version: a.Version}
		case fleet.VerbModelRollback:
			return fleettest.Answer{Status: fleet.ResultDone, Version: "1"}
		}
		return fleettest.Answer{Status: fleet.ResultDone}
	}
}

func TestDeployInThreeWaves(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 20)
	f := e.fleet(t, devs, nil, deployScript(nil))
	c := e.dial(t, "op-deploy")
	var lines []string
	s, err := c.Deploy(ctxT(t), "r-good", bundle, devs, []float64{10, 50, 100}, policy(),
		RolloutOptions{Tick: 20 * time.Millisecond, Progress: func(l string) { lines = append(lines, l) }})
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if s.Phase != rollout.PhaseCompleted {
		t.Fatalf("phase %s: %s", s.Phase, s.Reason)
	}
	waves := rollout.Assign(devs, []float64{10, 50, 100})
	var lastSeq int64
	for w, ds := range waves {
		if !slices.Equal(s.Waves[w].Devices, ds) {
			t.Fatalf("wave %d holds %v, Assign gives %v", w+1, s.Waves[w].Devices, ds)
		}
		var first, last int64 = 1 << 62, 0
		for _, d := range ds {
			r := f.Get(d)
			got := r.Received()
			if len(got) != 1 || got[0].Command.Verb != fleet.VerbModelDeploy || r.Version() != "2" {
				t.Fatalf("%s received %+v, runs %s; want one deploy and version 2", d, got, r.Version())
			}
			first, last = min(first, got[0].Seq), max(last, got[0].Seq)
		}
		if first < lastSeq {
			t.Fatalf("wave %d began (command %d) before wave %d ended (command %d)", w+1, first, w, lastSeq)
		}
		lastSeq = last
	}
	// The retained state says the same, for another shell.
	other := e.dial(t, "op-other")
	rs, err := other.LoadRollout(ctxT(t), "r-good")
	if err != nil || rs.Phase != rollout.PhaseCompleted || len(rs.Devices) != 20 {
		t.Fatalf("retained state: %+v, %v", rs, err)
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "wave 3/3") }) {
		t.Fatalf("no progress line for wave 3: %q", lines)
	}
	if _, err := c.Deploy(ctxT(t), "r-good", bundle, devs, []float64{100}, policy(), RolloutOptions{}); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("second deploy with the same id: %v", err)
	}
}

func TestAbortOnFailedShareRollsBackOnlyChanged(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 20)
	waves := rollout.Assign(devs, []float64{10, 50, 100})
	bad := waves[0][1] // the second canary fails its deploy
	f := e.fleet(t, devs, nil, deployScript(func(r *fleettest.Responder) fleettest.Answer {
		if r.ID == bad {
			return fleettest.Answer{Status: fleet.ResultFailed, Error: "self_test: output 3 off by 0.4"}
		}
		return fleettest.Answer{}
	}))
	c := e.dial(t, "op-abort")
	s, err := c.Deploy(ctxT(t), "r-bad", bundle, devs, []float64{10, 50, 100}, policy(), RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != rollout.PhaseAborted || !strings.Contains(s.Reason, "1 of 2 devices failed") {
		t.Fatalf("phase %s reason %q, want aborted on the failed share", s.Phase, s.Reason)
	}
	good := waves[0][0]
	for _, d := range devs {
		v := f.Get(d).Verbs()
		switch d {
		case good:
			if v[fleet.VerbModelDeploy] != 1 || v[fleet.VerbModelRollback] != 1 || f.Get(d).Version() != "1" {
				t.Errorf("changed canary %s got %v, runs %s; want deploy then rollback, version 1", d, v, f.Get(d).Version())
			}
		case bad:
			if v[fleet.VerbModelDeploy] != 1 || v[fleet.VerbModelRollback] != 0 {
				t.Errorf("failed canary %s got %v; want its deploy and no rollback", d, v)
			}
		default:
			if len(v) != 0 {
				t.Errorf("%s outside wave 1 got %v", d, v)
			}
		}
	}
	if st := s.Devices[good].State; st != rollout.DeviceRolledBack {
		t.Errorf("canary %s is %s in the state, want rolled_back", good, st)
	}
}

func TestAbortOnProbationGate(t *testing.T) {
	e := newEnv(t)
	devs := ids("fan", 10)
	waves := rollout.Assign(devs, []float64{20, 100})
	tripped := waves[0][0]
	f := e.fleet(t, devs, nil, deployScript(func(r *fleettest.Responder) fleettest.Answer {
		if r.ID == tripped {
			return fleettest.Answer{Status: fleet.ResultDone, Version: "2", Gate: "nan"}
		}
		return fleettest.Answer{}
	}))
	c := e.dial(t, "op-gate")
	p := policy()
	p.Soak = rollout.Duration(time.Minute) // the gate comes during the soak
	s, err := c.Deploy(ctxT(t), "r-gate", bundle, devs, []float64{20, 100}, p, RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != rollout.PhaseAborted || !strings.Contains(s.Reason, "probation gate nan") {
		t.Fatalf("phase %s reason %q", s.Phase, s.Reason)
	}
	other := waves[0][1]
	if f.Get(other).Verbs()[fleet.VerbModelRollback] != 1 || f.Get(tripped).Verbs()[fleet.VerbModelRollback] != 0 {
		t.Fatalf("rollbacks: %s got %v, %s (rolled itself back) got %v", other, f.Get(other).Verbs(), tripped, f.Get(tripped).Verbs())
	}
	for _, d := range waves[1] {
		if n := len(f.Get(d).Received()); n != 0 {
			t.Fatalf("%s of wave 2 got %d commands", d, n)
		}
	}
}

// TestResumeAfterOperatorKilled cancels the operator once the second wave
// was sent, then resumes from the retained state with another process.
func TestResumeAfterOperatorKilled(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 20)
	waves := rollout.Assign(devs, []float64{10, 50, 100})
	ctx, kill := context.WithCancel(ctxT(t))
	var once sync.Once
	f := e.fleet(t, devs, nil, deployScript(func(r *fleettest.Responder) fleettest.Answer {
		if slices.Contains(waves[1], r.ID) {
			once.Do(kill) // the operator dies while wave 2 is under way
		}
		return fleettest.Answer{}
	}))
	c := e.dial(t, "op-first")
	s, err := c.Deploy(ctx, "r-kill", bundle, devs, []float64{10, 50, 100}, policy(), RolloutOptions{Tick: 20 * time.Millisecond})
	if err == nil || s.Phase != rollout.PhaseRunning {
		t.Fatalf("killed operator: phase %s, err %v", s.Phase, err)
	}
	c.Close()

	c2 := e.dial(t, "op-second")
	s, err = c2.Resume(ctxT(t), "r-kill", RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != rollout.PhaseCompleted {
		t.Fatalf("resumed rollout ends %s: %s", s.Phase, s.Reason)
	}
	for _, d := range devs {
		r := f.Get(d)
		if r.Version() != "2" || r.Verbs()[fleet.VerbModelDeploy] == 0 || r.Verbs()[fleet.VerbModelRollback] != 0 {
			t.Errorf("%s runs %s after %v", d, r.Version(), r.Verbs())
		}
		if st := s.Devices[d].State; st != rollout.DeviceDone {
			t.Errorf("%s is %s in the state", d, st)
		}
	}
	// Wave 1 was finished before the kill: no device of it got a repeat.
	for _, d := range waves[0] {
		if n := f.Get(d).Verbs()[fleet.VerbModelDeploy]; n != 1 {
			t.Errorf("canary %s got %d deploys", d, n)
		}
	}
}

func TestAbortFromAnotherShell(t *testing.T) {
	e := newEnv(t)
	devs := ids("pump", 10)
	f := e.fleet(t, devs, nil, deployScript(nil))
	c := e.dial(t, "op-run")
	p := policy()
	p.Soak = rollout.Duration(time.Hour)
	type res struct {
		s   *rollout.State
		err error
	}
	done := make(chan res, 1)
	go func() {
		s, err := c.Deploy(ctxT(t), "r-stop", bundle, devs, []float64{20, 100}, p, RolloutOptions{Tick: 20 * time.Millisecond})
		done <- res{s, err}
	}()
	c2 := e.dial(t, "op-abort-shell")
	uplinktest.WaitFor(t, testWait, "wave 1 soaking", func() bool {
		s, err := c2.LoadRollout(ctxT(t), "r-stop")
		return err == nil && s.Waves[0].Phase == rollout.WaveSoaking
	})
	s, err := c2.Abort(ctxT(t), "r-stop", "operator: wrong model", RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil || s.Phase != rollout.PhaseAborted {
		t.Fatalf("abort: %v, phase %s", err, s.Phase)
	}
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), "taken over") {
		t.Fatalf("the first operator ended with %v", r.err)
	}
	for _, d := range s.Waves[0].Devices {
		if f.Get(d).Version() != "1" {
			t.Errorf("%s still runs %s", d, f.Get(d).Version())
		}
	}
}

// TestAbortOnLostDevice: a canary that goes offline during the soak stops
// the rollout; it still gets its rollback (queued in its session).
func TestAbortOnLostDevice(t *testing.T) {
	e := newEnv(t)
	devs := ids("mill", 10)
	waves := rollout.Assign(devs, []float64{20, 100})
	f := e.fleet(t, devs, nil, deployScript(nil))
	c := e.dial(t, "op-lost")
	p := policy()
	p.Soak = rollout.Duration(time.Minute)
	lost := waves[0][0]
	// The listener runs on the reader: publish from a goroutine of ours.
	var wg sync.WaitGroup
	defer wg.Wait()
	var once sync.Once
	stop := c.Listen(func(m Msg) {
		if m.Kind == "result" && m.Device == lost && strings.Contains(string(m.Payload), `"done"`) {
			once.Do(func() {
				wg.Go(func() {
					if err := f.Get(lost).GoOffline(ctxT(t), ""); err != nil {
						t.Errorf("offline status: %v", err)
					}
				})
			})
		}
	})
	defer stop()
	s, err := c.Deploy(ctxT(t), "r-lost", bundle, devs, []float64{20, 100}, p, RolloutOptions{Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != rollout.PhaseAborted || !strings.Contains(s.Reason, lost+" lost") {
		t.Fatalf("phase %s reason %q, want aborted with %s lost", s.Phase, s.Reason, lost)
	}
	for _, d := range waves[0] {
		if f.Get(d).Verbs()[fleet.VerbModelRollback] != 1 {
			t.Errorf("%s got %v, want a rollback", d, f.Get(d).Verbs())
		}
	}
	for _, d := range waves[1] {
		if n := len(f.Get(d).Received()); n != 0 {
			t.Errorf("%s of wave 2 got %d commands", d, n)
		}
	}
}
