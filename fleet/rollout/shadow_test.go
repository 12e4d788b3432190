package rollout

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

func shadowPolicy() Policy {
	p := policy()
	maxP95 := 0.1
	p.Shadow = &ShadowPolicy{Duration: Duration(10 * time.Minute), MinWindows: 100, MinAgreement: 0.95, MaxP95Diff: &maxP95}
	return p
}

func newShadowState(t testing.TB, n int) *State {
	t.Helper()
	s, err := New("r1", Bundle{Model: "pump", Version: "2", SHA256: strings.Repeat("a", 64), Size: 10}, devices(n), []float64{10, 50, 100}, shadowPolicy(), t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// good are figures that meet shadowPolicy.
func good() fleet.ShadowStatus {
	return fleet.ShadowStatus{Version: "2", Windows: 200, Agreement: 0.99, MeanDiff: 0.01, P95Diff: 0.05}
}

// verbsOf is the actions as "verb:n devices", sorted.
func verbsOf(acts []Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, fmt.Sprintf("%s:%d", a.Verb, len(a.Devices)))
	}
	slices.Sort(out)
	return out
}

// Each wave: deploy in shadow, shadow phase until ShadowUntil, then
// promote those that meet the criteria and discard the others, which
// count as failed; a third wave failing too many aborts with discards to
// its shadow devices and rollbacks to the promoted ones of waves 1 and 2.
func TestShadowWaves(t *testing.T) {
	s := newShadowState(t, 20) // waves of 2, 8 and 10 devices; max failed 20 %
	now := t0
	// figures reports per device of wave w: "" good, else how it is bad.
	run := func(w int, bad map[string]string) []Action {
		t.Helper()
		acts := s.Advance(now)
		if len(acts) != 1 || acts[0].Verb != verbDeploy || acts[0].Wave != w {
			t.Fatalf("wave %d: actions %+v, want one deploy", w+1, acts)
		}
		answer(s, acts[0], "done", now)
		if acts := s.Advance(now); len(acts) != 0 || s.Waves[w].Phase != WaveShadowing {
			t.Fatalf("wave %d after the results: %+v, phase %s; want shadowing", w+1, acts, s.Waves[w].Phase)
		}
		for _, id := range s.Waves[w].Devices {
			if d := s.Devices[id]; d.State != DeviceShadow || d.Changed {
				t.Fatalf("%s in shadow: %+v", id, d)
			}
			f := good()
			switch bad[id] {
			case "none":
				continue
			case "agreement":
				f.Agreement = 0.5
			case "p95":
				f.P95Diff = 0.2
			case "nonfinite":
				f.NonFinite = 3
			case "windows":
				f.Windows = 99
			}
			if !s.ShadowReport(id, f, true, now) {
				t.Fatalf("%s: figures not taken", id)
			}
			// Another version's figures, and a status, keep them.
			other := good()
			other.Version = "9"
			s.ShadowReport(id, other, true, now)
			s.ShadowReport(id, fleet.ShadowStatus{Version: "2", Windows: 1}, false, now)
			if got := s.Devices[id].Shadow; got == nil || got.ShadowStatus != f {
				t.Fatalf("%s figures %+v, want %+v", id, got, f)
			}
		}
		if d := s.Deadline(); !d.Equal(s.Waves[w].ShadowUntil) || !d.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("deadline %v, shadow until %v", d, s.Waves[w].ShadowUntil)
		}
		if acts := s.Advance(now.Add(10*time.Minute - time.Second)); len(acts) != 0 {
			t.Fatalf("before the shadow phase ends: %+v", acts)
		}
		now = now.Add(10 * time.Minute)
		return s.Advance(now)
	}

	acts := run(0, nil)
	if got := verbsOf(acts); !slices.Equal(got, []string{"model.promote:2"}) {
		t.Fatalf("wave 1 end of shadow: %v", got)
	}
	answer(s, acts[0], "done", now)
	if s.Advance(now); s.Waves[0].Phase != WaveSoaking || len(s.Changed()) != 2 {
		t.Fatalf("wave 1 after promotion: phase %s, changed %v", s.Waves[0].Phase, s.Changed())
	}
	now = now.Add(time.Minute) // soak

	w2 := s.Waves[1].Devices
	acts = run(1, map[string]string{w2[3]: "agreement"})
	if got := verbsOf(acts); !slices.Equal(got, []string{"model.discard:1", "model.promote:7"}) {
		t.Fatalf("wave 2 end of shadow: %v", got)
	}
	for _, a := range acts {
		answer(s, a, "done", now)
	}
	if d := s.Devices[w2[3]]; d.State != DeviceDiscarded || d.Shadow.Verdict != "fail" || !strings.Contains(d.Error, "agreement 0.5000 below 0.95") {
		t.Fatalf("the disagreeing device: %+v %+v", d, d.Shadow)
	}
	if d := s.Devices[w2[0]]; d.State != DeviceDone || d.Shadow.Verdict != "pass" {
		t.Fatalf("a passing device: %+v", d)
	}
	if s.Advance(now); s.Phase != PhaseRunning || s.Waves[1].Phase != WaveSoaking {
		t.Fatalf("1 of 8 failed (limit 20%%): phase %s, wave %s %s", s.Phase, s.Waves[1].Phase, s.Reason)
	}
	now = now.Add(time.Minute)

	w3 := s.Waves[2].Devices
	acts = run(2, map[string]string{w3[0]: "none", w3[1]: "p95", w3[2]: "nonfinite", w3[3]: "windows"})
	if s.Phase != PhaseAborting || !strings.Contains(s.Reason, "wave 3: 4 of 10") {
		t.Fatalf("4 of 10 failed: phase %s reason %q", s.Phase, s.Reason)
	}
	if got := verbsOf(acts); !slices.Equal(got, []string{"model.discard:10", "model.rollback:9"}) {
		t.Fatalf("abort: %v", got)
	}
	for id, want := range map[string]string{w3[0]: "no shadow comparison reported", w3[1]: "p95 |score difference| 0.2 above 0.1",
		w3[2]: "3 windows with a non-finite", w3[3]: "99 windows compared, want at least 100"} {
		if d := s.Devices[id]; !strings.Contains(d.Error, want) || d.Shadow.Verdict != "fail" {
			t.Errorf("%s: %q (verdict %s), want %q", id, d.Error, d.Shadow.Verdict, want)
		}
	}
	for _, a := range acts {
		answer(s, a, "done", now)
	}
	if s.Advance(now); s.Phase != PhaseAborted {
		t.Fatalf("phase %s", s.Phase)
	}
	for _, id := range w3 {
		if d := s.Devices[id]; d.State != DeviceDiscarded || d.Changed {
			t.Errorf("%s of wave 3: %+v", id, d)
		}
	}
	if n := s.Counts(0)[DeviceRolledBack] + s.Counts(1)[DeviceRolledBack]; n != 9 {
		t.Errorf("%d rolled back in waves 1 and 2, want 9", n)
	}
}

// A shadow rollout resumed from any persisted snapshot ends like the run
// that was not interrupted; figures survive the restart, and a device whose
// status shows the candidate in shadow needs no new deploy.
func TestShadowResumeFromEachPhase(t *testing.T) {
	// drive answers everything done and reports good figures, but the
	// second device of wave 2 disagrees: it is discarded.
	drive := func(s *State, now time.Time, keep func(*State, string)) *State {
		bad := s.Waves[1].Devices[1]
		for i := 0; i < 100 && !s.Done(); i++ {
			for _, a := range s.Advance(now) {
				keep(s, fmt.Sprintf("sent %s wave %d", a.Verb, a.Wave+1))
				answer(s, a, "done", now)
				keep(s, fmt.Sprintf("answered %s wave %d", a.Verb, a.Wave+1))
			}
			for _, id := range s.Waves[s.Wave].Devices {
				f := good()
				if id == bad {
					f.Agreement = 0.1
				}
				if s.Devices[id].State == DeviceShadow && s.Devices[id].Shadow == nil {
					s.ShadowReport(id, f, true, now)
					keep(s, "figures of "+id)
				}
			}
			keep(s, fmt.Sprintf("%s wave %d %s", s.Phase, s.Wave+1, s.Waves[s.Wave].Phase))
			now = now.Add(time.Minute)
		}
		return s
	}
	type snap struct {
		what string
		b    []byte
	}
	var snaps []snap
	end := drive(newShadowState(t, 20), t0, func(s *State, what string) {
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap{what, b})
	})
	if end.Phase != PhaseCompleted {
		t.Fatalf("uninterrupted: %s %s", end.Phase, end.Reason)
	}
	summary := func(s *State) string {
		var parts []string
		for _, id := range s.sortedDevices() {
			d := s.Devices[id]
			v := ""
			if d.Shadow != nil {
				v = d.Shadow.Verdict
			}
			parts = append(parts, fmt.Sprintf("%s %s %v %s", id, d.State, d.Changed, v))
		}
		return strings.Join(parts, "\n")
	}
	want := summary(end)
	if !strings.Contains(want, string(DeviceDiscarded)) {
		t.Fatalf("no device discarded:\n%s", want)
	}
	for _, sn := range snaps {
		s, err := Decode(sn.b)
		if err != nil {
			t.Fatalf("%s: %v", sn.what, err)
		}
		later := t0.Add(time.Hour)
		// The statuses say which deployed devices run the candidate.
		for _, id := range s.sortedDevices() {
			if s.Devices[id].State == DeviceSent {
				s.ShadowReport(id, fleet.ShadowStatus{Version: "2"}, false, later)
			}
		}
		for _, a := range s.Resend(later) {
			if a.Verb == verbDeploy {
				t.Fatalf("resumed after %q: deploy sent again to %v, whose status shows the candidate", sn.what, a.Devices)
			}
			answer(s, a, "done", later)
		}
		if got := summary(drive(s, later, func(*State, string) {})); got != want {
			t.Errorf("resumed after %q ends\n%s\nwant\n%s", sn.what, got, want)
		}
	}
}

func TestShadowPolicyValidated(t *testing.T) {
	s := newShadowState(t, 5)
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, err string }{
		{`"min_windows":100`, `"min_windows":0`, `policy.shadow.min_windows`},
		{`"min_agreement":0.95`, `"min_agreement":1.5`, `policy.shadow.min_agreement`},
		{`"max_p95_diff":0.1`, `"max_p95_diff":-1`, `policy.shadow.max_p95_diff`},
		{`"duration":"10m0s"`, `"duration":"0s"`, `policy.shadow.duration`},
	} {
		bad := strings.Replace(string(b), tc.from, tc.to, 1)
		if bad == string(b) {
			t.Fatalf("%q not in %s", tc.from, b)
		}
		if _, err := Decode([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.to, err, tc.err)
		}
	}
}

// A device whose discard is rejected (nothing in shadow any more: its
// agent restarted) counts as discarded; a failed discard is recorded.
func TestShadowDiscardAnswers(t *testing.T) {
	s := newShadowState(t, 20)
	a := s.Advance(t0)[0]
	answer(s, a, "done", t0)
	s.Abort("by hand", t0)
	acts := s.Advance(t0)
	if got := verbsOf(acts); !slices.Equal(got, []string{"model.discard:2"}) {
		t.Fatalf("abort in shadow: %v", got)
	}
	s.Result(acts[0].Devices[0], acts[0].Command, "rejected", "no version of it runs in shadow", t0)
	s.Result(acts[0].Devices[1], acts[0].Command, "failed", "boom", t0)
	if d := s.Devices[acts[0].Devices[0]]; d.State != DeviceDiscarded {
		t.Errorf("rejected discard: %+v", d)
	}
	if d := s.Devices[acts[0].Devices[1]]; d.State != DeviceDiscardFailed || !strings.Contains(d.Error, "discard: failed: boom") {
		t.Errorf("failed discard: %+v", d)
	}
	if s.Advance(t0); s.Phase != PhaseAborted {
		t.Fatalf("phase %s", s.Phase)
	}
}

// A resumed driver leaves alone a device whose status shows the
// deployment still in progress: no second deploy (the agent would refuse
// it), and the first one's result, under the kept id, still counts.
func TestResendSkipsDeploymentsInProgress(t *testing.T) {
	s := newShadowState(t, 20)
	a := s.Advance(t0)[0]
	busy, other := a.Devices[0], a.Devices[1]
	acts := s.ResendExcept(t0.Add(time.Minute), map[string]bool{busy: true})
	if len(acts) != 1 || !slices.Equal(acts[0].Devices, []string{other}) || acts[0].Command == a.Command {
		t.Fatalf("resend: %+v, want a fresh deploy to %s only", acts, other)
	}
	if !s.Result(busy, a.Command, "done", "", t0.Add(2*time.Minute)) || s.Devices[busy].State != DeviceShadow {
		t.Fatalf("the first deploy's result: %+v", s.Devices[busy])
	}
}

// A device whose deploy result never came is counted as not answering; if
// its status then shows the candidate in shadow after the wave's verdict,
// the candidate is discarded rather than left running.
func TestShadowFoundLateIsDiscarded(t *testing.T) {
	s := newShadowState(t, 20)
	p := shadowPolicy()
	p.MaxFailed = 0.5
	s.Policy = p
	a := s.Advance(t0)[0]
	late := a.Devices[0]
	s.Result(a.Devices[1], a.Command, "done", "", t0)
	now := t0.Add(time.Minute) // the result timeout
	if s.Advance(now); s.Devices[late].State != DeviceNoAnswer || s.Waves[0].Phase != WaveShadowing {
		t.Fatalf("after the result timeout: %s, wave %s", s.Devices[late].State, s.Waves[0].Phase)
	}
	s.ShadowReport(a.Devices[1], good(), true, now)
	now = now.Add(10 * time.Minute)
	acts := s.Advance(now)
	if got := verbsOf(acts); !slices.Equal(got, []string{"model.promote:1"}) {
		t.Fatalf("end of shadow: %v", got)
	}
	answer(s, acts[0], "done", now)
	s.Advance(now)
	if !s.ShadowReport(late, fleet.ShadowStatus{Version: "2"}, false, now) {
		t.Fatal("status with the candidate in shadow not taken")
	}
	acts = s.Advance(now)
	if len(acts) != 1 || acts[0].Verb != verbDiscard || !slices.Equal(acts[0].Devices, []string{late}) {
		t.Fatalf("actions %+v, want a discard to %s", acts, late)
	}
	answer(s, acts[0], "done", now)
	if d := s.Devices[late]; d.State != DeviceDiscarded || d.Shadow.Verdict != "fail" {
		t.Fatalf("late device: %+v", d)
	}
}

// Shadow phases and states need the shadow policy that drives them.
func TestShadowStatesNeedThePolicy(t *testing.T) {
	s := newShadowState(t, 20)
	answer(s, s.Advance(t0)[0], "done", t0)
	s.Advance(t0)
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), `,"shadow":{"duration"`)
	j := strings.Index(string(b), `"waves"`)
	if i < 0 || j < i {
		t.Fatalf("no shadow policy in %s", b)
	}
	// Cut the policy's shadow member, up to the end of the policy object.
	end := strings.LastIndex(string(b[:j]), "}")
	noPolicy := string(b[:i]) + string(b[end:])
	if _, err := Decode([]byte(noPolicy)); err == nil || !strings.Contains(err.Error(), `needs "policy.shadow"`) {
		t.Fatalf("shadow state without its policy: %v\n%s", err, noPolicy)
	}
}

// A device lost while its candidate is in shadow aborts the rollout and
// is sent model.discard with the others (queued for it by the broker).
func TestShadowLostDeviceIsDiscarded(t *testing.T) {
	s := newShadowState(t, 20)
	a := s.Advance(t0)[0]
	answer(s, a, "done", t0)
	s.Advance(t0)
	lost := a.Devices[1]
	if !s.Offline(lost, "lost", t0) {
		t.Fatal("offline status not taken")
	}
	acts := s.Advance(t0)
	if s.Phase != PhaseAborting || len(acts) != 1 || acts[0].Verb != verbDiscard || !slices.Contains(acts[0].Devices, lost) || len(acts[0].Devices) != 2 {
		t.Fatalf("phase %s, actions %+v: want both devices of wave 1 discarded", s.Phase, acts)
	}
}
