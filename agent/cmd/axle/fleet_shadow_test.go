package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/fleet/fleettest"
	"github.com/axle-edge/axle/models/demomodel"
)

// deploy --shadow: each wave scores in shadow, the devices meeting the
// criteria are promoted, one that does not is discarded and named; the
// rollout status shows the figures.
func TestFleetDeployShadow(t *testing.T) {
	e := newFleetEnv(t)
	p := func(n string) string { return filepath.Join(e.dir, n) }
	os.WriteFile(p("m.json"), []byte(packManifest), 0o644)
	os.WriteFile(p("model.tflite"), demomodel.TFLite(), 0o644)
	os.WriteFile(p("tv0.bin"), make([]byte, 48), 0o644)
	axb := p("pump.axb")
	if code, _, errs := axleCLI(t, "model", "pack", "--manifest", p("m.json"), "--model", p("model.tflite"), "--extra", p("tv0.bin"), "-o", axb); code != 0 {
		t.Fatalf("pack: %s", errs)
	}
	if code, _, errs := axleCLI(t, "model", "sign", "-s", p("op.key"), axb); code != 0 {
		t.Fatalf("sign: %s", errs)
	}
	devs := []string{"pump-a", "pump-b", "pump-c", "pump-d", "pump-e"}
	f := fleettest.NewFleet(t, devs, fleettest.Options{Broker: e.broker.URL(), Keyring: e.kr, Model: "pump-anomaly",
		Script: func(r *fleettest.Responder, cmd fleet.Command) fleettest.Answer {
			switch cmd.Verb {
			case fleet.VerbModelDeploy:
				a, _ := fleettest.Deploy(cmd)
				if !strings.Contains(string(cmd.Args), `"mode":"shadow"`) {
					return fleettest.Answer{Status: fleet.ResultRejected, Error: "not shadow: " + string(cmd.Args)}
				}
				st := &fleet.ShadowStatus{Version: a.Version, Windows: 500, Agreement: 0.99, MeanDiff: 0.002, P95Diff: 0.01}
				if r.ID == "pump-c" {
					st.P95Diff = 0.5
				}
				return fleettest.Answer{Status: fleet.ResultDone, Shadow: st}
			case fleet.VerbModelPromote:
				return fleettest.Answer{Status: fleet.ResultDone, Version: "2.0.0"}
			}
			return fleettest.Answer{Status: fleet.ResultDone, Version: "1"}
		}})
	if code, _, errs := e.run(t, "deploy", axb, "--all", "--shadow", "1s", "--max-p95-diff", "lots"); code != 2 || !strings.Contains(errs, `--max-p95-diff "lots"`) {
		t.Fatalf("bad --max-p95-diff: %d %s", code, errs)
	}
	code, out, errs := e.run(t, "deploy", axb, "--all", "--id", "pump-sh", "--waves", "40%,100%", "--soak", "50ms", "--tick", "20ms",
		"--shadow", "500ms", "--max-p95-diff", "0.1", "--max-failed", "50%")
	if code != 0 {
		t.Fatalf("deploy --shadow: %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"each wave scores in shadow for 500ms first; promoted when at least 100 windows compared with agreement >= 0.95, p95 |score difference| <= 0.1",
		"shadowing until", "sent model.promote to", "sent model.discard to 1 devices: pump-c", "rollout pump-sh completed",
		"pump-c (wave "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, d := range devs {
		want := "2.0.0"
		if d == "pump-c" {
			want = "1"
		}
		if v := f.Get(d).Version(); v != want {
			t.Errorf("%s runs %s, want %s", d, v, want)
		}
	}
	code, out, errs = e.run(t, "rollout status", "pump-sh")
	if code != 0 || !strings.Contains(out, "pump-c (wave") || !strings.Contains(out, "shadow criteria not met: p95 |score difference| 0.5 above 0.1") ||
		!regexp.MustCompile(`(?m)^pump-c\s+\d\s+500\s+0\.9900\s+0\.002\s+0\.5\s+0\s+fail\s`).MatchString(out) {
		t.Fatalf("rollout status: %d\n%s%s", code, out, errs)
	}
}
