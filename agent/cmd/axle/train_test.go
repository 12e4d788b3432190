package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/train"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sim"
)

// simConfig is an agent config whose only sensor is the simulated pump
// with an outer-race bearing fault from 300 s.
const simConfig = `device: x
mqtt: {broker: "tcp://127.0.0.1:1"}
sensors:
  - name: pump
    driver: sim
    rate: 3200
    options:
      seed: 21
      faults:
        - {kind: bearing_outer, start: 300s, ramp: 10s, severity: 1}
`

func readBundle(t *testing.T, path string) (*bundle.Bundle, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(bytes.NewReader(data), int64(len(data)), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return b, data
}

type evalJSON struct {
	Windows, Positive, Negative int
	Threshold                   float64
	TP, FP, TN, FN              int
	Precision, Recall, F1       float64
	AUC                         float64 `json:"roc_auc"`
}

// TestTrainBaselineFromSimulator trains on the first 240 s of the
// simulated pump, then evaluates the bundle on the rest of the same run,
// whose bearing fails from 300 s, and checks the printed metrics against
// train.Evaluate on windows computed here.
func TestTrainBaselineFromSimulator(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(cfg, []byte(simConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pump-2.axb")
	code, stdout, stderr := runCLI("model", "train-baseline", "--sensor-config", cfg, "--until", "240s",
		"--channels", "vib_x,vib_y,vib_z,bearing_temp", "--name", "pump-anomaly", "--version", "2", "--parent", "1",
		"--code-commit", "aeb9758", "--far", "0.001", "-o", out)
	if code != 0 {
		t.Fatalf("train-baseline: exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := readBundle(t, out)
	m := b.Manifest
	if m.Lineage.Parent != "1" || m.Lineage.CodeCommit != "aeb9758" || len(m.Lineage.DatasetSHA256) != 64 ||
		m.Lineage.Metrics["healthy_windows"] != 240 || m.Output.Thresholds == nil || len(m.TestVectors) != 3 || m.Baseline == nil {
		t.Fatalf("manifest: %+v", m)
	}
	if !strings.Contains(stdout, "240 healthy windows") {
		t.Errorf("stdout: %s", stdout)
	}

	// --after skips data but does not move the ranges: they count from
	// the first sample.
	code, stdout, stderr = runCLI("model", "evaluate", out, "--sensor-config", cfg, "--after", "200s", "--until", "400s",
		"--healthy", "240s-300s", "--faulty", "315s-", "--json")
	if code != 0 {
		t.Fatalf("evaluate: exit %d\n%s%s", code, stdout, stderr)
	}
	var got evalJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}

	// The reference: the same run's windows, labelled by time, scored with
	// the bundle's model.
	c := sim.DefaultConfig()
	c.Seed, c.Realtime, c.Start = 21, false, time.Unix(0, 0)
	c.Faults = []sim.Fault{{Kind: sim.BearingOuter, Start: 300 * time.Second, Ramp: 10 * time.Second, Severity: 1}}
	machine, err := sim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer machine.Close()
	ws, err := train.Features(context.Background(), machine, c.Rate, m.Input, 400)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	var positive []bool
	for i, w := range ws {
		switch { // window i covers [i s, i+1 s)
		case i >= 315:
			rows, positive = append(rows, w.Features), append(positive, true)
		case i >= 240 && i < 300:
			rows, positive = append(rows, w.Features), append(positive, false)
		}
	}
	model, err := b.ReadMember(m.Model)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := train.Score(context.Background(), model, rows)
	if err != nil {
		t.Fatal(err)
	}
	want, err := train.Evaluate(scores, positive, m.Output.Thresholds.Alarm)
	if err != nil {
		t.Fatal(err)
	}
	if got.Windows != 145 || got.Positive != 85 || got.Negative != 60 || got.TP != want.TP || got.FP != want.FP ||
		got.TN != want.TN || got.FN != want.FN || got.AUC != want.AUC || got.F1 != want.F1 || got.Threshold != want.Threshold {
		t.Fatalf("evaluate printed %+v, reference %+v", got, want)
	}
	if got.Recall < 0.95 || got.Precision < 0.95 || got.AUC < 0.99 {
		t.Errorf("the retrained model misses the bearing fault: %+v", got)
	}
}

// TestTrainBaselineFromCaptures writes captures as the agent does (healthy
// ones labelled "healthy", faulty ones labelled "bearing_outer"), trains
// on the healthy ones and evaluates on all of them.
func TestTrainBaselineFromCaptures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "captures")
	store, err := capture.Open(dir, capture.Options{Budget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	c := sim.DefaultConfig()
	c.Seed, c.Realtime, c.Start = 8, false, time.Unix(0, 0)
	c.Faults = []sim.Fault{{Kind: sim.BearingOuter, Start: 100 * time.Second, Severity: 1}}
	machine, err := sim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer machine.Close()
	var names []string
	for _, ch := range machine.Channels() {
		names = append(names, ch.Name)
	}
	// 10 captures of 10 s: 0..100 s healthy, then 3 of the fault.
	const span = 10 * 3200
	s := sensors.Sample{Values: make([]float64, len(names))}
	var healthyIDs []string
	for k := range 13 {
		cp := capture.Capture{Info: capture.Info{Trigger: capture.TriggerCommand, Sensor: "pump", Channels: names, SampleRate: c.Rate}}
		cp.Window = make([][]float32, len(names))
		for i := range span {
			if err := machine.Read(context.Background(), &s); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				cp.Start = s.Time
			}
			cp.End = s.Time
			for ch, v := range s.Values {
				cp.Window[ch] = append(cp.Window[ch], float32(v))
			}
		}
		cp.Labels = []string{"healthy"}
		if k >= 10 {
			cp.Labels = []string{"bearing_outer"}
		}
		id, err := store.Add(cp)
		if err != nil {
			t.Fatal(err)
		}
		if k < 10 {
			healthyIDs = append(healthyIDs, id)
		}
	}
	// An unlabelled capture is neither trained on nor evaluated.
	if _, err := store.Add(capture.Capture{Info: capture.Info{Trigger: capture.TriggerSample, Start: time.Unix(200, 0), End: time.Unix(201, 0)}, Features: []float32{1}}); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "m.axb")
	code, stdout, stderr := runCLI("model", "train-baseline", "--from-captures", dir, "--label", "healthy",
		"--channels", "vib_x,vib_y,vib_z", "--features", "rms,peak,kurtosis,crest_factor", "--components", "2",
		"--name", "pump-anomaly", "--version", "3", "-o", out)
	if code != 0 {
		t.Fatalf("train-baseline: exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := readBundle(t, out)
	// The dataset hash covers the healthy capture files, oldest first.
	h := sha256.New()
	for _, id := range healthyIDs {
		matches, _ := filepath.Glob(filepath.Join(dir, id+"*"))
		if len(matches) != 1 {
			t.Fatalf("capture %s: files %v", id, matches)
		}
		data, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		h.Write(data)
	}
	if got, want := b.Manifest.Lineage.DatasetSHA256, hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("dataset_sha256 %s, want %s (the healthy capture files)", got, want)
	}
	if b.Manifest.Lineage.Metrics["healthy_windows"] != 100 || len(b.Manifest.Input.Features) != 4 {
		t.Errorf("manifest: %+v", b.Manifest)
	}

	code, stdout, stderr = runCLI("model", "evaluate", out, dir)
	if code != 0 {
		t.Fatalf("evaluate: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"windows    130 (30 faulty, 100 healthy)", "recall     1.0000", "roc_auc    1.0000"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("evaluate output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestTrainUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(cfg, []byte(simConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"train-baseline", "--name", "m", "--version", "1", "-o", "x.axb"}, 2, "no data"},
		{[]string{"train-baseline", "--from-captures", dir, "--sensor-config", cfg, "--name", "m", "--version", "1", "-o", "x.axb"}, 2, "not both"},
		{[]string{"train-baseline", "--sensor-config", cfg, "--name", "m", "--version", "1", "-o", "x.axb"}, 2, "simulator never ends"},
		{[]string{"train-baseline", "--sensor-config", cfg, "--sensor", "fan", "--until", "10s", "--name", "m", "--version", "1", "-o", "x.axb"}, 1, `no sensor named "fan"`},
		{[]string{"train-baseline", "--sensor-config", cfg, "--until", "30s", "--name", "m", "--version", "1", "-o", filepath.Join(dir, "x.axb")}, 1, "need at least 20"},
		{[]string{"train-baseline", "--sensor-config", cfg, "--until", "100s", "--features", "rms,loudness", "--name", "m", "--version", "1", "-o", filepath.Join(dir, "x.axb")}, 1, "loudness"},
		{[]string{"train-baseline", "--from-captures", dir, "--name", "m", "--version", "1"}, 2, "want --name, --version and -o"},
		{[]string{"evaluate", filepath.Join(dir, "none.axb"), dir}, 1, "none.axb"},
		{[]string{"evaluate", "x.axb", "--sensor-config", cfg, "--healthy", "0s-10s"}, 2, "--healthy and --faulty"},
		{[]string{"evaluate", "x.axb", "--sensor-config", cfg, "--healthy", "10s-5s"}, 2, "FROM < TO"},
	} {
		code, _, stderr := runCLI(append([]string{"model"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.axb")); err == nil {
		t.Error("a failed training left a bundle behind")
	}
}

// TestTrainBaselineIMS runs the CLI on the IMS bearing data as a replay
// sensor: the 10-minute summaries of test 2 (only summaries reach the
// degraded phase; the raw snapshots in the datasets folder are all from
// the healthy start of test 1). Rows are 600 s apart: it trains on the
// first 400 rows, and evaluates rows 400..500 (healthy, unseen) against
// rows 700.. (bearing 1 degraded, failing at the end).
func TestTrainBaselineIMS(t *testing.T) {
	ds := os.Getenv("AXLE_DATASETS_DIR")
	if ds == "" {
		t.Skip("AXLE_DATASETS_DIR is not set (make test sets it)")
	}
	csv := filepath.Join(ds, "ims_bearing", "2nd_test_resmaple_10minutes.csv")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ims.yaml")
	conf := `device: x
mqtt: {broker: "tcp://127.0.0.1:1"}
sensors:
  - name: ims
    driver: replay
    rate: 0.0016666666666666668
    options:
      file: ` + csv + `
      columns:
        - {name: b1, column: "Bearing 1", unit: g}
        - {name: b2, column: "Bearing 2", unit: g}
        - {name: b3, column: "Bearing 3", unit: g}
        - {name: b4, column: "Bearing 4", unit: g}
`
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ims.axb")
	code, stdout, stderr := runCLI("model", "train-baseline", "--sensor-config", cfg, "--from-replay", csv,
		"--until", "240000s", "--features", "mean,max", "--window", "30m", "--hop", "10m", "--components", "2",
		"--name", "ims-bearing", "--version", "1", "-o", out)
	if code != 0 {
		t.Fatalf("train-baseline: exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := readBundle(t, out)
	data, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); b.Manifest.Lineage.DatasetSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("dataset_sha256 %s is not the replay file's", b.Manifest.Lineage.DatasetSHA256)
	}
	code, stdout, stderr = runCLI("model", "evaluate", out, "--sensor-config", cfg,
		"--healthy", "240000s-300000s", "--faulty", "420000s-", "--json")
	if code != 0 {
		t.Fatalf("evaluate: exit %d\n%s%s", code, stdout, stderr)
	}
	var got evalJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	t.Logf("%+v", got)
	if got.Negative < 90 || got.Positive < 270 || got.FP > 1 || got.Recall < 0.9 || got.AUC < 0.95 {
		t.Errorf("IMS test 2, unseen healthy rows against the degraded last day: %+v", got)
	}
}
