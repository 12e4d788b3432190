package rollout

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func devices(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("pump-%03d", i)
	}
	return out
}

func TestParseWaves(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []float64
		err  string
	}{
		{"5%,25%,100%", []float64{5, 25, 100}, ""},
		{"100", []float64{100}, ""},
		{" 2.5% , 100% ", []float64{2.5, 100}, ""},
		{"5%,5%,100%", nil, "must be larger than wave 1"},
		{"5%,50%", nil, "must be 100%"},
		{"0%,100%", nil, "above 0"},
		{"abc,100%", nil, "wave 1: rollout: percentage \"abc\""},
		{"150%", nil, "from 0 to 100"},
	} {
		got, err := ParseWaves(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseWaves(%q) error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseWaves(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestAssignStable(t *testing.T) {
	waves := []float64{5, 25, 100}
	for _, n := range []int{1, 3, 20, 100, 1000} {
		ds := devices(n)
		a := Assign(ds, waves)
		rev := slices.Clone(ds)
		slices.Reverse(rev)
		b := Assign(append(rev, ds[0]), waves) // other order, a duplicate
		for i := range a {
			if !slices.Equal(a[i], b[i]) {
				t.Fatalf("n=%d wave %d: %v then %v for the same devices in another order", n, i+1, a[i], b[i])
			}
		}
		total := 0
		for i, w := range a {
			total += len(w)
			want := min(n, ceilDiv(int(waves[i])*n, 100)) - (total - len(w))
			if len(w) != want {
				t.Errorf("n=%d wave %d has %d devices, want %d", n, i+1, len(w), want)
			}
		}
		if total != n {
			t.Errorf("n=%d: waves hold %d devices", n, total)
		}
		if n >= 20 && len(a[0]) == 0 {
			t.Errorf("n=%d: no canary", n)
		}
	}
	// A device joining later keeps the relative order of the others: the
	// old canaries stay canaries unless the newcomer hashes before them.
	ds := devices(100)
	before := Assign(ds, []float64{5, 100})[0]
	after := Assign(append(ds, "pump-new"), []float64{5, 100})[0]
	common := 0
	for _, d := range after {
		if slices.Contains(before, d) {
			common++
		}
	}
	if common < len(before)-1 {
		t.Errorf("canaries %v became %v after one device joined", before, after)
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func policy() Policy {
	return Policy{MaxFailed: 0.2, Soak: Duration(time.Minute), ResultTimeout: Duration(time.Minute)}
}

func newState(t *testing.T, n int) *State {
	t.Helper()
	s, err := New("r1", Bundle{Model: "pump", Version: "2", SHA256: strings.Repeat("a", 64), Size: 10}, devices(n), []float64{10, 50, 100}, policy(), t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answer gives every sent device of a the result status, except skip.
func answer(s *State, a Action, status string, now time.Time, skip ...string) {
	for _, d := range a.Devices {
		if !slices.Contains(skip, d) {
			s.Result(d, a.Command, status, "boom", now)
		}
	}
}

func TestHappyPath(t *testing.T) {
	s := newState(t, 20)
	now := t0
	var deployed []string
	for range 3 {
		acts := s.Advance(now)
		if len(acts) != 1 || acts[0].Verb != verbDeploy {
			t.Fatalf("phase %s wave %d: actions %+v, want one deploy", s.Phase, s.Wave, acts)
		}
		if !slices.Equal(acts[0].Devices, s.Waves[acts[0].Wave].Devices) {
			t.Fatalf("deploy to %v, wave holds %v", acts[0].Devices, s.Waves[acts[0].Wave].Devices)
		}
		deployed = append(deployed, acts[0].Devices...)
		answer(s, acts[0], "done", now)
		if acts := s.Advance(now); len(acts) != 0 || s.Waves[acts0(s)].Phase != WaveSoaking {
			t.Fatalf("after results: %+v, wave phase %s; want soaking", acts, s.Waves[s.Wave].Phase)
		}
		now = now.Add(time.Minute)
	}
	if s.Advance(now); s.Phase != PhaseCompleted {
		t.Fatalf("phase %s, want completed", s.Phase)
	}
	slices.Sort(deployed)
	if !slices.Equal(deployed, devices(20)) {
		t.Fatalf("deployed to %v", deployed)
	}
}

func acts0(s *State) int { return s.Wave }

func TestAbortCriteria(t *testing.T) {
	for _, tc := range []struct {
		name   string
		event  func(s *State, a Action, now time.Time)
		reason string
		// rollback lists the devices that must get model.rollback.
		rollback func(a Action) []string
	}{
		{"failed share", func(s *State, a Action, now time.Time) {
			answer(s, a, "done", now, a.Devices[0])
			s.Result(a.Devices[0], a.Command, "failed", "self_test: off by 3", now)
			s.Result(a.Devices[1], a.Command, "failed", "again", now) // already answered: ignored
		}, "1 of 2 devices failed", func(a Action) []string { return a.Devices[1:] }},
		{"no answer", func(s *State, a Action, now time.Time) {
			answer(s, a, "done", now, a.Devices[0])
		}, "1 of 2 devices failed", func(a Action) []string { return a.Devices[1:] }},
		{"gate", func(s *State, a Action, now time.Time) {
			answer(s, a, "done", now)
			s.Gate(a.Devices[0], "2", "nan", now)
		}, "probation gate nan tripped", func(a Action) []string { return a.Devices[1:] }},
		{"gate of another version ignored, then offline", func(s *State, a Action, now time.Time) {
			answer(s, a, "done", now)
			if s.Gate(a.Devices[0], "1", "nan", now) {
				panic("gate for the old version counted")
			}
			s.Offline(a.Devices[1], "lost", now)
		}, "lost: offline: lost", func(a Action) []string { return slices.Sorted(slices.Values(a.Devices)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(t, 20)
			a := s.Advance(t0)[0]
			if len(a.Devices) != 2 {
				t.Fatalf("wave 1 holds %v, want 2 devices", a.Devices)
			}
			tc.event(s, a, t0)
			now := t0.Add(2 * time.Minute) // past the result timeout
			acts := s.Advance(now)
			if s.Phase != PhaseAborting || !strings.Contains(s.Reason, tc.reason) {
				t.Fatalf("phase %s reason %q, want aborting with %q", s.Phase, s.Reason, tc.reason)
			}
			want := tc.rollback(a)
			if len(acts) != 1 || acts[0].Verb != verbRollback || !slices.Equal(acts[0].Devices, want) {
				t.Fatalf("actions %+v, want model.rollback to %v", acts, want)
			}
			for _, id := range s.Waves[1].Devices {
				if st := s.Devices[id].State; st != DevicePending {
					t.Fatalf("wave 2 device %s is %s, want pending", id, st)
				}
			}
			answer(s, acts[0], "done", now)
			if s.Advance(now); s.Phase != PhaseAborted {
				t.Fatalf("phase %s after rollback results, want aborted", s.Phase)
			}
			if ch := s.Changed(); len(ch) != 0 {
				t.Fatalf("still changed after rollback: %v", ch)
			}
		})
	}
}

func TestLostAfterSilence(t *testing.T) {
	s := newState(t, 20)
	s.Policy.LostAfter = Duration(30 * time.Second)
	a := s.Advance(t0)[0]
	answer(s, a, "done", t0)
	s.Advance(t0)
	s.Seen(a.Devices[0], t0.Add(40*time.Second))
	s.Advance(t0.Add(50 * time.Second))
	if s.Phase != PhaseAborting || !strings.Contains(s.Reason, a.Devices[1]+" lost") {
		t.Fatalf("phase %s reason %q, want %s lost", s.Phase, s.Reason, a.Devices[1])
	}
}

// TestResumeFromEachPhase encodes the state at every step of a rollout,
// decodes it as a resumed operator would and finishes from there; every
// resumed run must reach the same end as the uninterrupted one.
func TestResumeFromEachPhase(t *testing.T) {
	type snap struct {
		what string
		b    []byte
	}
	var snaps []snap
	keep := func(s *State, what string) {
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap{what, b})
	}
	// drive answers as a fleet would: all done except pump-bad, which the
	// bad bundle's gate trips after its wave's results.
	drive := func(s *State, now time.Time, keep func(*State, string)) *State {
		for i := 0; i < 50 && !s.Done(); i++ {
			if d := s.Devices[s.Waves[1].Devices[0]]; d.State == DeviceDone {
				s.Gate(s.Waves[1].Devices[0], "2", "psi", now)
			}
			for _, a := range s.Advance(now) {
				keep(s, fmt.Sprintf("sent %s wave %d", a.Verb, a.Wave+1))
				answer(s, a, "done", now)
				keep(s, fmt.Sprintf("answered %s wave %d", a.Verb, a.Wave+1))
			}
			keep(s, fmt.Sprintf("%s wave %d %s", s.Phase, s.Wave+1, s.Waves[s.Wave].Phase))
			now = now.Add(30 * time.Second)
		}
		return s
	}
	end := drive(newState(t, 20), t0, keep)
	if end.Phase != PhaseAborted {
		t.Fatalf("uninterrupted run ends %s, want aborted", end.Phase)
	}
	wantRolledBack := 0
	for _, d := range end.Devices {
		if d.State == DeviceRolledBack {
			wantRolledBack++
		}
	}
	for _, sn := range snaps {
		s, err := Decode(sn.b)
		if err != nil {
			t.Fatalf("%s: %v", sn.what, err)
		}
		// A resumed driver does not know which commands arrived: Resend.
		for _, a := range s.Resend(t0.Add(time.Hour)) {
			answer(s, a, "done", t0.Add(time.Hour))
		}
		s = drive(s, t0.Add(time.Hour), func(*State, string) {})
		got := 0
		for _, d := range s.Devices {
			if d.State == DeviceRolledBack {
				got++
			}
		}
		if s.Phase != PhaseAborted || got != wantRolledBack {
			t.Errorf("resumed after %q: phase %s with %d rolled back, want aborted with %d", sn.what, s.Phase, got, wantRolledBack)
		}
	}
	if len(snaps) < 10 {
		t.Fatalf("only %d snapshots", len(snaps))
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := newState(t, 5).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, err string }{
		{`"v":1`, `"v":2`, `field "v" is 2`},
		{`"phase":"running"`, `"phase":"odd"`, `unknown phase "odd"`},
		{`"max_failed":0.2`, `"max_failed":2`, `policy.max_failed`},
		{`"percent":100`, `"percent":90`, `must be 100%`},
		{`"phase":"running","wave":0`, `"phase":"running","wave":7`, `field "wave" is 7`},
		{`"state":"pending"`, `"state":"weird"`, `unknown state "weird"`},
		{`"id":"r1"`, `"id":"a/b"`, `field "id"`},
		{`"v":1`, `"v":1,"extra":1`, `unknown field "extra"`},
	} {
		b := strings.Replace(string(good), tc.from, tc.to, 1)
		if b == string(good) {
			t.Fatalf("%q not found in %s", tc.from, good)
		}
		if _, err := Decode([]byte(b)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s -> %s: error %v, want %q", tc.from, tc.to, err, tc.err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	s, err := New("r1", Bundle{Model: "m", Version: "2"}, devices(4), []float64{50, 100}, policy(), t0)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := s.Encode()
	f.Add(b)
	sh := newShadowState(f, 6)
	sh.Advance(t0)
	b, _ = sh.Encode()
	f.Add(b)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":1,"id":"x","devices":{"a":null},"waves":[{"percent":100,"devices":["a"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must be safe to drive.
		for range 3 {
			for _, a := range s.Advance(t0.Add(time.Hour)) {
				answer(s, a, "done", t0.Add(time.Hour))
			}
		}
		s.Resend(t0)
		_ = s.Changed()
		_ = s.Deadline()
	})
}

// TestAbortWaitsForOutstandingDeploys: a failure aborts the wave while a
// deploy is unanswered; when that device then reports done it must get
// its rollback too.
func TestAbortWaitsForOutstandingDeploys(t *testing.T) {
	s := newState(t, 20)
	a := s.Advance(t0)[0]
	s.Result(a.Devices[0], a.Command, "failed", "self_test", t0)
	if acts := s.Advance(t0); s.Phase != PhaseAborting || len(acts) != 0 {
		t.Fatalf("phase %s actions %+v, want aborting with nothing to roll back yet", s.Phase, acts)
	}
	s.Result(a.Devices[1], a.Command, "done", "", t0.Add(time.Second))
	acts := s.Advance(t0.Add(time.Second))
	if len(acts) != 1 || !slices.Equal(acts[0].Devices, a.Devices[1:]) {
		t.Fatalf("actions %+v, want a rollback of %s", acts, a.Devices[1])
	}
	answer(s, acts[0], "done", t0.Add(2*time.Second))
	if s.Advance(t0.Add(2 * time.Second)); s.Phase != PhaseAborted {
		t.Fatalf("phase %s", s.Phase)
	}
}
