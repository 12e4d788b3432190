package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/agent/config"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := runCLI("help")
	if code != 0 || !strings.Contains(out, "axle agent --config FILE") || !strings.Contains(out, "axle demo") {
		t.Fatalf("help: %d %q", code, out)
	}
	code, out, _ = runCLI("version")
	if code != 0 || !strings.HasPrefix(out, "axle ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, errOut := runCLI("frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	for _, sub := range []string{"agent", "demo"} {
		code, _, errOut := runCLI(sub, "-h")
		if code != 2 || !strings.Contains(errOut, "Usage: axle "+sub) {
			t.Errorf("%s -h: %d %q", sub, code, errOut)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	code, _, errOut := runCLI("agent", "--check-config", "../../../scripts/axle.example.yaml")
	if code != 0 || !strings.Contains(errOut, "valid") {
		t.Fatalf("example config: %d %s", code, errOut)
	}
}

// goodConfig is a valid config: the demo model on the simulated pump. Each
// case of TestConfigErrors breaks one line of it.
const goodConfig = `device: x
mqtt: {broker: "tcp://127.0.0.1:1"}
sensors:
  - name: pump
    driver: sim
    rate: 3200
    options:
      seed: 1
models:
  - name: m
    file: builtin:demo
    sensor: pump
    window: 1s
    channels: [vib_x, vib_y, vib_z, bearing_temp]
    features: [rms, peak, kurtosis]
`

// TestConfigErrors: every configuration error, whether found by the parser,
// a driver or the model runtime, is one line naming the file, the line,
// the key and the cause, with exit status 78 both from --check-config and
// from the daemon (which must not start, nor panic).
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "garbage.tflite"), []byte("this is not a flatbuffer"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, old, new string
		want           string // after "<file>:"
		daemonToo      bool   // the daemon refuses it before starting
	}{
		{"unknown key", "device: x\n", "device: x\nfrobnicate: 1\n", `2: frobnicate: unknown key`, true},
		{"bad value", "rate: 3200", "rate: fast", `6: sensors[0].rate: "fast" is not a finite number`, true},
		{"unknown driver", "driver: sim", "driver: warp-core", `5: sensors[0].driver: driver "warp-core" is not in this binary`, true},
		{"bad driver option", "seed: 1", "seed: 1\n      profile: fan", `7: sensors[0].options: sim: option profile: "fan" is not a known profile`, true},
		{"driver option type", "seed: 1", "seed: many", `8: sensors[0].options.seed: "many" is not a non-negative whole number`, true},
		{"missing model file", "file: builtin:demo", "file: " + filepath.Join(dir, "nope.tflite"), `11: models[0].file: open ` + filepath.Join(dir, "nope.tflite") + `: no such file or directory`, false},
		{"not a model", "file: builtin:demo", "file: " + filepath.Join(dir, "garbage.tflite"), `11: models[0].file: load ` + filepath.Join(dir, "garbage.tflite") + ` with runtime`, false},
		{"wrong input size", "features: [rms, peak, kurtosis]", "features: [rms, peak]", `15: models[0].features: `, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodConfig, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(goodConfig, c.old, c.new, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runCLI("agent", "--check-config", path)
			if code != exitConfig || !strings.Contains(errOut, path+":"+c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("--check-config: exit %d, stderr:\n%s\nwant exit %d and one line with %q", code, errOut, exitConfig, path+":"+c.want)
			}
			if !c.daemonToo {
				return
			}
			code, _, errOut = runCLI("agent", "--config", path)
			if code != exitConfig || !strings.Contains(errOut, path+":"+c.want) {
				t.Errorf("daemon: exit %d, stderr:\n%s", code, errOut)
			}
		})
	}
	// The config file itself missing is a configuration error too.
	code, _, errOut := runCLI("agent", "--config", filepath.Join(dir, "absent.yaml"))
	if code != exitConfig || !strings.Contains(errOut, "absent.yaml: cannot read the configuration") {
		t.Errorf("missing config file: exit %d: %s", code, errOut)
	}
	path := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(path, []byte(goodConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("agent", "--check-config", path); code != 0 {
		t.Errorf("the base config is invalid: exit %d: %s", code, errOut)
	}
}

// Only periph-bus drivers initialise the host's buses: a gateway running
// the simulator, a replay or IIO never touches /dev/i2c-* or /dev/spidev*.
func TestNeedsBusesOnlyForPeriphDrivers(t *testing.T) {
	cfgWith := func(drivers ...string) *config.Config {
		c := &config.Config{}
		for _, d := range drivers {
			c.Sensors = append(c.Sensors, config.Sensor{Name: d, Driver: d})
		}
		return c
	}
	if needsBuses(cfgWith("sim", "replay", "iio")) {
		t.Error("sim, replay and iio asked for periph buses")
	}
	for _, d := range []string{"adxl345", "bme280", "ds18b20", "ads1115", "ina219", "gpiocount"} {
		if !needsBuses(cfgWith("sim", d)) {
			t.Errorf("%s did not ask for periph buses", d)
		}
	}
}

func TestSensorsListShowsEveryDriver(t *testing.T) {
	code, out, _ := runCLI("sensors", "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, d := range []string{"adxl345", "bme280", "ds18b20", "ads1115", "ina219", "gpiocount", "iio", "sim", "replay", "iio devices:"} {
		if !strings.Contains(out, d) {
			t.Errorf("sensors list does not mention %q:\n%s", d, out)
		}
	}
}
