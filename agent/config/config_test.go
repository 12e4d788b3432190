package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const good = `device: pump-07
state_dir: /tmp/axle
mqtt:
  broker: tcp://127.0.0.1:1883
  groups: [plant-a]
outbox:
  max_bytes: 64MiB
  max_age: 168h
sensors:
  - name: pump
    driver: sim
    rate: 2000
    limits:
      bearing_temp: {min: -20, max: 150}
    options:
      seed: 7
      profile: pump
models:
  - name: pump-anomaly
    file: builtin:demo
    sensor: pump
    window: 1s
    channels: [vib_x, vib_y, vib_z]
    features: [rms, kurtosis]
    thresholds: {warn: 1, alarm: 2}
`

func TestParseGood(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != "pump-07" || c.MQTT.Prefix != "axle" || c.MQTT.ClientID != "axle-pump-07" {
		t.Errorf("device/defaults: %+v", c.MQTT)
	}
	if c.Outbox.MaxBytes != 64<<20 || c.Outbox.MaxAge != 168*time.Hour {
		t.Errorf("outbox: %+v", c.Outbox)
	}
	if c.Models[0].Hop != time.Second || c.Models[0].Thresholds.Raise != 2 {
		t.Errorf("model defaults: %+v", c.Models[0])
	}
	var opts struct {
		Seed    int64  `yaml:"seed"`
		Profile string `yaml:"profile"`
	}
	if err := c.Sensors[0].Spec().Options.Decode(&opts); err != nil {
		t.Fatal(err)
	}
	if opts.Seed != 7 || opts.Profile != "pump" {
		t.Errorf("options: %+v", opts)
	}
	if r := c.Sensors[0].Limits["bearing_temp"]; r.Max != 150 {
		t.Errorf("limits: %+v", r)
	}
}

func TestDriverOptionsStrict(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Seed int64 `yaml:"seed"`
	}
	err = c.Sensors[0].Spec().Options.Decode(&opts)
	want := "axle.yaml:17: sensors[0].options.profile: unknown key"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want prefix %q", err, want)
	}
}

func TestParseErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown key", "state_dir: /tmp/axle\n", "state_dir: /tmp/axle\nstate_dri: x\n|axle.yaml:3: state_dri: unknown key"},
		{"wrong type", "    rate: 2000\n", "    rate: fast\n|axle.yaml:12: sensors[0].rate: \"fast\" is not a finite number"},
		{"impossible value", "    rate: 2000\n", "    rate: -5\n|axle.yaml:12: sensors[0].rate: -5 is not between"},
		{"bad duration", "    window: 1s\n", "    window: soon\n|axle.yaml:22: models[0].window: \"soon\" is not a duration"},
		{"unknown sensor", "    sensor: pump\n", "    sensor: fan\n|axle.yaml:21: models[0].sensor: \"fan\" is not a configured sensor"},
		{"bad broker", "  broker: tcp://127.0.0.1:1883\n", "  broker: http://x:1\n|axle.yaml:4: mqtt.broker: scheme \"http\""},
		{"bad size", "  max_bytes: 64MiB\n", "  max_bytes: lots\n|axle.yaml:7: outbox.max_bytes: \"lots\" is not a size"},
		{"list for scalar", "  max_age: 168h\n", "  max_age: [1]\n|axle.yaml:8: outbox.max_age: want a single value"},
		{"duplicate key", "state_dir: /tmp/axle\n", "state_dir: /tmp/axle\nstate_dir: /x\n|axle.yaml:3: state_dir: duplicate key"},
		{"thresholds order", "{warn: 1, alarm: 2}", "{warn: 3, alarm: 2}|axle.yaml:25: models[0].thresholds.warn: 3 is above the alarm threshold"},
		{"bad feature parameter", "[rms, kurtosis]", `[rms, "band_energy(lo=10, hi=2000)"]|axle.yaml:24: models[0].features[1]: preprocess: feature "band_energy(lo=10, hi=2000)": key "hi": 2000 Hz is above the Nyquist frequency 1000 Hz`},
		{"unknown feature", "[rms, kurtosis]", "[rms, kurtosys]|axle.yaml:24: models[0].features[1]: preprocess: unknown feature \"kurtosys\""},
		{"missing device", "device: pump-07\n", "|axle.yaml: device: is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repl, want, _ := strings.Cut(tc.want, "|")
			if !strings.Contains(good, tc.edit) {
				t.Fatalf("edit %q not in config", tc.edit)
			}
			_, err := Parse("axle.yaml", []byte(strings.Replace(good, tc.edit, repl, 1)))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("got  %q\nwant prefix %q", err, want)
			}
		})
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse("axle.yaml", []byte("device: [\n"))
	if err == nil || !strings.Contains(err.Error(), "axle.yaml") {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("device: x\nmqtt: {broker: tcp://a:1}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err == nil && c.Device == "" {
			t.Fatal("accepted a config without device")
		}
	})
}

func TestCommandsMaxExpiry(t *testing.T) {
	c, err := Parse("a.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Commands.MaxExpiry != 24*time.Hour {
		t.Errorf("default max_expiry = %s, want 24h", c.Commands.MaxExpiry)
	}
	for _, v := range []string{"30s", "1000h", "-1h"} {
		_, err := Parse("a.yaml", []byte(good+"commands:\n  max_expiry: "+v+"\n"))
		if err == nil || !strings.Contains(err.Error(), "commands.max_expiry: ") || !strings.Contains(err.Error(), "a.yaml:") {
			t.Errorf("max_expiry %s: err = %v", v, err)
		}
	}
}

// TestFinishAndErrorAt: a config built as a struct is defaulted and
// validated like a file, and an error found later is attributed to the
// file, line and key, wrapping its cause.
func TestFinishAndErrorAt(t *testing.T) {
	c := &Config{Device: "d", MQTT: MQTT{Broker: "tcp://h:1"}, Sensors: []Sensor{{Name: "s", Driver: "sim", Rate: -1}}}
	if err := c.Finish("built"); err == nil || !strings.Contains(err.Error(), "built: sensors[0].rate:") {
		t.Errorf("Finish on a bad struct: %v", err)
	}
	c.Sensors[0].Rate = 10
	if err := c.Finish("built"); err != nil {
		t.Fatal(err)
	}
	if c.MQTT.KeepAlive != 30*time.Second {
		t.Errorf("Finish did not apply defaults: keepalive %s", c.MQTT.KeepAlive)
	}

	f, err := Parse("a.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("open x.tflite: no such file")
	err = f.ErrorAt("models[0].file", cause)
	if !errors.Is(err, cause) || !IsConfigError(err) || !strings.HasPrefix(err.Error(), "a.yaml:20: models[0].file: open x.tflite") {
		t.Errorf("ErrorAt = %v", err)
	}
	if IsConfigError(cause) {
		t.Error("a plain error counts as a configuration error")
	}
}
