package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/fleet/fleettest"
	"github.com/axle-edge/axle/fleet/operator"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/trust"
)

// fleetEnv is a broker, an operator key pair in files and the flags that
// reach them.
type fleetEnv struct {
	broker *uplinktest.Broker
	kr     *trust.Keyring
	dir    string
	conn   []string
}

func newFleetEnv(t *testing.T) fleetEnv {
	t.Helper()
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if code, _, errs := axleCLI(t, "keygen", "-W", "-p", p("op.pub"), "-s", p("op.key")); code != 0 {
		t.Fatalf("keygen: %s", errs)
	}
	pub, err := trust.ReadPublicKeyFile(p("op.pub"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := trust.NewKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	// The same settings through --config, as an operator keeps them.
	cfg := "broker: " + b.URL() + "\nsign_key: " + p("op.key") + "\nclient_id: op-" + strings.ReplaceAll(t.Name(), "/", "-") + "\n"
	if err := os.WriteFile(p("fleet.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return fleetEnv{broker: b, kr: kr, dir: dir, conn: []string{"--config", p("fleet.yaml")}}
}

func (e fleetEnv) run(t *testing.T, sub string, args ...string) (int, string, string) {
	t.Helper()
	return axleCLI(t, append(append(append([]string{"fleet"}, strings.Fields(sub)...), e.conn...), args...)...)
}

func TestFleetDevicesAndCmd(t *testing.T) {
	e := newFleetEnv(t)
	fleettest.NewFleet(t, []string{"press-1", "press-2"}, fleettest.Options{Broker: e.broker.URL(), Keyring: e.kr, Groups: []string{"hall-a"}})
	fleettest.NewFleet(t, []string{"fan-9"}, fleettest.Options{Broker: e.broker.URL(), Keyring: e.kr, Version: "7",
		Script: func(*fleettest.Responder, fleet.Command) fleettest.Answer { return fleettest.Answer{} }}) // never answers

	code, out, errs := e.run(t, "devices")
	if code != 0 {
		t.Fatalf("devices: %d %s", code, errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^DEVICE\s+STATE\s+LAST SEEN\s+AGENT\s+MODELS\s+BACKLOG$`),
		regexp.MustCompile(`(?m)^fan-9\s+online\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+v-test\s+pump 7 \(active\)\s+0$`),
		regexp.MustCompile(`(?m)^press-1\s+online\s.*pump 1 \(active\)\s+0$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("devices table lacks %v:\n%s", want, out)
		}
	}
	code, out, errs = e.run(t, "devices", "--group", "hall-a", "--timeout", "500ms")
	if code != 0 || !strings.Contains(out, "press-2") || strings.Contains(out, "fan-9") {
		t.Fatalf("devices --group hall-a: %d\n%s%s", code, out, errs)
	}

	code, out, errs = e.run(t, "cmd", "press-1", "fan-9", "ping", "--timeout", "1s")
	if code != 1 || !strings.Contains(out, "press-1\tdone") || !strings.Contains(out, "no answer within 1s: fan-9") ||
		!strings.Contains(errs, "0 of 2 devices failed, 1 did not answer") {
		t.Fatalf("cmd with a silent device: %d\n%s%s", code, out, errs)
	}
	code, out, errs = e.run(t, "cmd", "--group", "hall-a", "sampling", `{"rate":"1kHz"}`, "--timeout", "5s")
	if code != 0 || strings.Count(out, "\tdone") != 2 {
		t.Fatalf("cmd --group: %d\n%s%s", code, out, errs)
	}
	if code, _, errs := e.run(t, "cmd", "press-1", "ping", `{"bad`); code != 2 || !strings.Contains(errs, "not valid JSON") {
		t.Fatalf("bad args: %d %s", code, errs)
	}
}

func TestFleetDeployAndRolloutStatus(t *testing.T) {
	e := newFleetEnv(t)
	p := func(n string) string { return filepath.Join(e.dir, n) }
	// A real signed bundle, made with the CLI.
	os.WriteFile(p("m.json"), []byte(packManifest), 0o644)
	os.WriteFile(p("model.tflite"), demomodel.TFLite(), 0o644)
	os.WriteFile(p("tv0.bin"), make([]byte, 48), 0o644)
	axb := p("pump.axb")
	if code, _, errs := axleCLI(t, "model", "pack", "--manifest", p("m.json"), "--model", p("model.tflite"), "--extra", p("tv0.bin"), "-o", axb); code != 0 {
		t.Fatalf("pack: %s", errs)
	}
	if code, out, errs := e.run(t, "deploy", axb, "--all"); code != 1 || !strings.Contains(errs, "not signed") {
		t.Fatalf("deploy of an unsigned bundle: %d %s %s", code, out, errs)
	}
	if code, _, errs := axleCLI(t, "model", "sign", "-s", p("op.key"), axb); code != 0 {
		t.Fatalf("sign: %s", errs)
	}
	raw := mustRead(t, axb)
	sum := sha256.Sum256(raw)
	sha := hex.EncodeToString(sum[:])

	devs := []string{"pump-a", "pump-b", "pump-c", "pump-d", "pump-e", "pump-f"}
	f := fleettest.NewFleet(t, devs, fleettest.Options{Broker: e.broker.URL(), Keyring: e.kr, Model: "pump-anomaly",
		Script: func(r *fleettest.Responder, cmd fleet.Command) fleettest.Answer {
			a, err := fleettest.Deploy(cmd)
			if cmd.Verb != fleet.VerbModelDeploy || err != nil || a.SHA256 != sha || a.Size != int64(len(raw)) || a.Model != "pump-anomaly" {
				return fleettest.Answer{Status: fleet.ResultRejected, Error: "unexpected " + string(cmd.Args)}
			}
			return fleettest.Answer{Status: fleet.ResultDone, Version: a.Version}
		}})
	code, out, errs := e.run(t, "deploy", axb, "--all", "--id", "pump-2", "--waves", "20%,60%,100%", "--soak", "50ms", "--tick", "20ms")
	if code != 0 {
		t.Fatalf("deploy: %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"published pump-anomaly 2.0.0 to the broker", "wave 1/3 (20%, 2 devices)", "wave 3/3", "rollout pump-2 completed: pump-anomaly 2.0.0 on 6 devices"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks %q:\n%s", want, out)
		}
	}
	for _, d := range devs {
		if v := f.Get(d).Version(); v != "2.0.0" {
			t.Errorf("%s runs %s", d, v)
		}
	}
	// The artifact the agents would fetch is on the broker.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	meta, ok, err := artifact.Exists(ctx, uplink.Config{Broker: e.broker.URL(), ClientID: "check-artifact"}, "axle", sha)
	if err != nil || !ok || meta.Size != int64(len(raw)) {
		t.Fatalf("artifact on the broker: %+v %v %v", meta, ok, err)
	}

	code, out, errs = e.run(t, "rollout status", "pump-2")
	if code != 0 || !strings.Contains(out, "phase completed") || !regexp.MustCompile(`(?m)^3\s+100%\s+2\s+promoted\s+done 2$`).MatchString(out) {
		t.Fatalf("rollout status: %d\n%s%s", code, out, errs)
	}
	// A second rollout of the same bundle does not publish it again.
	code, out, _ = e.run(t, "deploy", axb, "--all", "--id", "pump-2b", "--waves", "100%", "--soak", "0s", "--tick", "20ms")
	if code != 0 || !strings.Contains(out, "the broker holds pump-anomaly 2.0.0 already") {
		t.Fatalf("second deploy: %d\n%s", code, out)
	}
	if code, _, errs := e.run(t, "rollout resume", "nope"); code != 1 || !strings.Contains(errs, "no state retained") {
		t.Fatalf("resume of an unknown rollout: %d %s", code, errs)
	}
}

func TestWatchLines(t *testing.T) {
	at := time.Date(2026, 12, 4, 8, 30, 0, 0, time.Local)
	for _, tc := range []struct {
		kind, payload, want string
	}{
		{"scores", `{"v":1,"model":"pump-anomaly","version":"2","score":12.5,"alert":"alarm"}`, "08:30:00 pump-07 score pump-anomaly 2 12.5  ALERT ALARM"},
		{"scores", `{"v":1,"model":"kws","version":"1","label":"yes","alert":"ok"}`, "08:30:00 pump-07 score kws 1 yes"},
		{"events", `{"v":1,"kind":"sensor_fault","severity":"warning","message":"i2c timeout"}`, "08:30:00 pump-07 event sensor_fault warning: i2c timeout"},
		{"status", `{"v":1,"device":"pump-07","state":"offline","reason":"lost"}`, "08:30:00 pump-07 status offline lost"},
		{"shadow", `{"v":1,"model":"pump-anomaly","version":"3","score":7.25,"alert":"warn"}`, "08:30:00 pump-07 shadow pump-anomaly 3 7.25  would alert WARN"},
		{"scores", `{not json`, ""},
		{"metrics", `{"v":1}`, ""},
	} {
		got := watchLine(operator.Msg{Kind: tc.kind, Device: "pump-07", Payload: []byte(tc.payload), At: at})
		if got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.kind, tc.payload, got, tc.want)
		}
	}
}
