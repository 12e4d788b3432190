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
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("device: x\nmqtt:\n  broker: tcp://h:1\n  keepalive: soon\n"), 0o600)
	code, _, errOut = runCLI("agent", "--check-config", bad)
	if code != 1 || !strings.Contains(errOut, "bad.yaml:4: mqtt.keepalive:") {
		t.Fatalf("bad config: %d %s", code, errOut)
	}
	unknown := filepath.Join(t.TempDir(), "drv.yaml")
	os.WriteFile(unknown, []byte("device: x\nmqtt: {broker: tcp://h:1}\nsensors:\n  - {name: s, driver: warp-core}\n"), 0o600)
	code, _, errOut = runCLI("agent", "--check-config", unknown)
	if code != 1 || !strings.Contains(errOut, `driver "warp-core" is not in this binary`) {
		t.Fatalf("unknown driver: %d %s", code, errOut)
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
