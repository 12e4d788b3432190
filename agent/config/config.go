// Package config is axle's configuration file: YAML, decoded strictly. An
// unknown key, a wrong type or an impossible value is an error that names the
// file, the line and the key path (e.g. "axle.yaml:14: sensors[0].rate: must
// be positive").
package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/axle-edge/axle/agent/fleet"
	axlemodels "github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors"
)

// Config is the whole configuration of one agent.
type Config struct {
	Device   string   `yaml:"device"`
	StateDir string   `yaml:"state_dir"`
	Log      Log      `yaml:"log"`
	MQTT     MQTT     `yaml:"mqtt"`
	Outbox   Outbox   `yaml:"outbox"`
	Sensors  []Sensor `yaml:"sensors"`
	Models   []Model  `yaml:"models"`
	Metrics  Metrics  `yaml:"metrics"`
	Commands Commands `yaml:"commands"`
	API      API      `yaml:"api"`
	Update   Update   `yaml:"update"`
	Captures Captures `yaml:"captures"` // observe.go
	// Model deployment and command signing (see ota.go).
	Trust       Trust       `yaml:"trust"`
	ModelsStore ModelsStore `yaml:"models_store"`
	Probation   Probation   `yaml:"probation"`
	lines       lineIndex   `yaml:"-"`
	file        string      `yaml:"-"` // the name given to Parse or Finish, for errors
}

// Log configures the agent's log output.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// MQTT configures the uplink.
type MQTT struct {
	Broker       string        `yaml:"broker"` // tcp://host:1883, ssl://host:8883
	ClientID     string        `yaml:"client_id"`
	Username     string        `yaml:"username"`
	Password     string        `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	CAFile       string        `yaml:"ca_file"`
	CertFile     string        `yaml:"cert_file"`
	KeyFile      string        `yaml:"key_file"`
	Prefix       string        `yaml:"prefix"`
	Groups       []string      `yaml:"groups"`
	KeepAlive    time.Duration `yaml:"keepalive"`
	InFlight     int           `yaml:"inflight"`
	DrainRate    float64       `yaml:"drain_rate"`  // backlog records/s after an outage; 0 = as fast as possible
	LiveWindow   time.Duration `yaml:"live_window"` // older records are sent as historical
}

// Outbox bounds the durable outbox.
type Outbox struct {
	MaxBytes ByteSize      `yaml:"max_bytes"`
	MaxAge   time.Duration `yaml:"max_age"`
	// ReserveBytes is kept allocated beside the database and released when
	// the disk fills, so acks and deletes can always commit (0: the
	// outbox's default, 4MiB).
	ReserveBytes ByteSize `yaml:"reserve_bytes"`
	// MinFreeBytes: below this much free space on the state directory's
	// filesystem the outbox stops growing and drops its oldest scores.
	MinFreeBytes ByteSize `yaml:"min_free_bytes"`
}

// Sensor is one configured sensor.
type Sensor struct {
	Name    string           `yaml:"name"`
	Driver  string           `yaml:"driver"`
	Rate    float64          `yaml:"rate"`
	Timeout time.Duration    `yaml:"timeout"`
	Limits  map[string]Range `yaml:"limits"` // per channel valid range
	// StuckSamples is how many identical values in a row make a channel
	// stuck; 0 = the default (256), negative disables the check.
	StuckSamples int       `yaml:"stuck_samples"`
	Options      yaml.Node `yaml:"options"`

	options Options
}

// Spec is the sensor as its driver sees it: the one place a config entry
// becomes a sensors.Spec, for the agent and for the command-line tools.
func (s *Sensor) Spec() sensors.Spec {
	return sensors.Spec{Name: s.Name, Driver: s.Driver, Rate: s.Rate, Timeout: s.Timeout, Options: s.options}
}

// Range is a valid value range of a channel.
type Range struct {
	Min float64 `yaml:"min"`
	Max float64 `yaml:"max"`
}

// Model is one model run on one sensor's windows.
type Model struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	File    string `yaml:"file"` // path to a .tflite file, or "builtin:demo"
	// Bundle names the model in the store (<state_dir>/models) instead of
	// File: the active version's bundle is loaded, and window, hop,
	// channels, features, normalize, output and thresholds come from its
	// manifest.
	Bundle     string        `yaml:"bundle"`
	Sensor     string        `yaml:"sensor"`
	Window     time.Duration `yaml:"window"`
	Hop        time.Duration `yaml:"hop"`
	Channels   []string      `yaml:"channels"`
	Features   []string      `yaml:"features"` // per channel; empty: the raw window is the input
	Normalize  *Normalize    `yaml:"normalize"`
	Output     Output        `yaml:"output"`
	Thresholds Thresholds    `yaml:"thresholds"`
	Threads    int           `yaml:"threads"`
	// Runtime (go, tflite, auto) and Delegate (none, xnnpack, edgetpu,
	// gpu, external:PATH, auto) choose where the model runs; empty takes
	// the bundle manifest's choice, else the pure-Go runtime
	// (docs/delegates.md).
	Runtime  string `yaml:"runtime"`
	Delegate string `yaml:"delegate"`
	Drift    Drift  `yaml:"drift"` // observe.go
}

// Normalize maps each feature x to (x - mean) / std before the model.
type Normalize struct {
	Mean []float64 `yaml:"mean"`
	Std  []float64 `yaml:"std"`
}

// Output says how to read the model's result.
type Output struct {
	Index  int      `yaml:"index"`  // which output tensor
	Labels []string `yaml:"labels"` // classification: the label of the largest element
}

// Thresholds turn a score into an alert state with hysteresis: the state
// rises after Raise consecutive windows above a threshold and falls after
// Clear consecutive windows below it.
type Thresholds struct {
	Warn  float64 `yaml:"warn"`
	Alarm float64 `yaml:"alarm"`
	Raise int     `yaml:"raise"`
	Clear int     `yaml:"clear"`
}

// Metrics configures self-metrics.
type Metrics struct {
	Interval time.Duration `yaml:"interval"` // publish period on the metrics topic; 0 disables
	Listen   string        `yaml:"listen"`   // local HTTP address for /metrics; "" disables
}

// Commands configures fleet command handling.
type Commands struct {
	// MaxExpiry is the furthest a command's expires_at may lie in the
	// future; handled ids are remembered (on disk) until their expiry, so
	// this also bounds how long that is. Default 24h.
	MaxExpiry time.Duration `yaml:"max_expiry"`
}

// ByteSize is a size in bytes written as 1048576, 512KiB, 64MiB or 2GiB.
type ByteSize int64

// UnmarshalText parses a size with an optional binary unit.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size (use e.g. 512MiB, 2GiB or a number of bytes)", text)
	}
	*b = ByteSize(n * mult)
	return nil
}

// lineIndex maps key paths to the line they were written on.
type lineIndex map[string]int

func (l lineIndex) index(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			l.index(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			l[p] = n.Content[i].Line
			l.index(n.Content[i+1], p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			l[p] = c.Line
			l.index(c, p)
		}
	}
}

// Parse decodes and validates a configuration. name is used in errors.
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "more than one YAML document"}
	}
	c := &Config{lines: lineIndex{}}
	c.lines.index(&doc, "")
	d := decoder{file: name}
	if err := d.decode(&doc, reflect.ValueOf(c).Elem(), ""); err != nil {
		return nil, err
	}
	if err := c.Finish(name); err != nil {
		return nil, err
	}
	return c, nil
}

// Finish applies the defaults to a configuration built in Go (or decoded by
// Parse) and validates it; name is used in errors. A Config built as a
// struct goes through the same checks as a file.
func (c *Config) Finish(name string) error {
	if c.lines == nil {
		c.lines = lineIndex{}
	}
	c.file = name
	for i := range c.Sensors {
		s := &c.Sensors[i]
		node := s.Options
		s.options = Options{file: name, path: fmt.Sprintf("sensors[%d].options", i), node: &node}
	}
	c.applyDefaults()
	return c.validate(name)
}

// Load reads and parses a configuration file. Every error it returns is a
// configuration error (see IsConfigError), an unreadable file included.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the configuration: " + err.Error(), Err: err}
	}
	return Parse(path, data)
}

// ErrorAt attributes cause, found after parsing (a model file that does not
// load, driver options a driver rejects), to key: the error names the file,
// the line key (or its nearest written parent) is on, the key and the cause,
// which it wraps. A cause that wraps an *Error (a driver decoding its
// options) keeps that error's more precise place.
func (c *Config) ErrorAt(key string, cause error) error {
	var ce *Error
	if errors.As(cause, &ce) {
		return &Error{File: ce.File, Line: ce.Line, Key: ce.Key, Msg: ce.Msg, Err: cause}
	}
	e := c.errAt(c.file, key, "%v", cause).(*Error)
	e.Err = cause
	return e
}

// IsConfigError reports whether err is (or wraps) a configuration error:
// what an operator fixes in the file, not a fault of the machine.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}

func (c *Config) applyDefaults() {
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.StateDir == "" {
		c.StateDir = "/var/lib/axle"
	}
	m := &c.MQTT
	if m.Prefix == "" {
		m.Prefix = fleet.DefaultPrefix
	}
	if m.ClientID == "" {
		m.ClientID = "axle-" + c.Device
	}
	if m.KeepAlive == 0 {
		m.KeepAlive = 30 * time.Second
	}
	if m.InFlight == 0 {
		m.InFlight = 64
	}
	if m.LiveWindow == 0 {
		m.LiveWindow = 30 * time.Second
	}
	if c.Outbox.MaxBytes == 0 {
		c.Outbox.MaxBytes = 256 << 20
	}
	if c.Metrics.Interval == 0 {
		c.Metrics.Interval = time.Minute
	}
	if c.Commands.MaxExpiry == 0 {
		c.Commands.MaxExpiry = 24 * time.Hour
	}
	c.applyOTADefaults()
	c.Update.applyDefaults()
	for i := range c.Models {
		md := &c.Models[i]
		if md.Hop == 0 {
			md.Hop = md.Window
		}
		if md.Version == "" {
			md.Version = "0"
		}
		if md.Thresholds.Raise == 0 {
			md.Thresholds.Raise = 2
		}
		if md.Thresholds.Clear == 0 {
			md.Thresholds.Clear = 3
		}
	}
}

// errAt makes an error at key, with the line of key or of its nearest
// written parent (a default value has no line of its own).
func (c *Config) errAt(file, key, format string, args ...any) error {
	line := 0
	for k := key; k != ""; {
		if l, ok := c.lines[k]; ok {
			line = l
			break
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return &Error{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) validate(file string) error {
	e := func(key, format string, args ...any) error { return c.errAt(file, key, format, args...) }
	if c.Device == "" {
		return e("device", "is required (the device id used in MQTT topics)")
	}
	if err := fleet.ValidID(c.Device); err != nil {
		return e("device", "%v", strings.TrimPrefix(err.Error(), "fleet: "))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return e("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return e("log.format", "%q is not text or json", c.Log.Format)
	}
	if err := c.MQTT.validate(e); err != nil {
		return err
	}
	if err := c.validateCommandKeys(e); err != nil {
		return err
	}
	if c.Outbox.MaxBytes < 1<<20 {
		return e("outbox.max_bytes", "must be at least 1MiB")
	}
	if c.Outbox.MaxAge < 0 {
		return e("outbox.max_age", "must not be negative")
	}
	if c.Outbox.ReserveBytes < 0 || c.Outbox.ReserveBytes > 1<<30 {
		return e("outbox.reserve_bytes", "must be between 0 and 1GiB")
	}
	if c.Outbox.MinFreeBytes < 0 {
		return e("outbox.min_free_bytes", "must not be negative")
	}
	if c.Metrics.Interval < 0 {
		return e("metrics.interval", "must not be negative")
	}
	if c.Commands.MaxExpiry < time.Minute || c.Commands.MaxExpiry > 30*24*time.Hour {
		return e("commands.max_expiry", "%s is not between 1m and 720h", c.Commands.MaxExpiry)
	}
	if err := c.API.finish(e); err != nil {
		return err
	}
	if err := c.finishObserve(e); err != nil {
		return err
	}
	if err := c.validateOTA(e); err != nil {
		return err
	}
	if err := c.Update.validate(e); err != nil {
		return err
	}
	sensors := map[string]bool{}
	rates := map[string]float64{} // to check feature declarations against the window
	for i, s := range c.Sensors {
		k := fmt.Sprintf("sensors[%d]", i)
		switch {
		case s.Name == "":
			return e(k+".name", "is required")
		case fleet.ValidID(s.Name) != nil:
			return e(k+".name", "%q must be letters, digits, '-', '_' or '.'", s.Name)
		case sensors[s.Name]:
			return e(k+".name", "%q is used by another sensor", s.Name)
		case s.Driver == "":
			return e(k+".driver", "is required")
		case s.Rate < 0 || s.Rate > 1e6:
			return e(k+".rate", "%g is not between 0 and 1000000 samples/s", s.Rate)
		case s.Timeout < 0:
			return e(k+".timeout", "must not be negative")
		}
		for ch, r := range s.Limits {
			if !(r.Min < r.Max) {
				return e(k+".limits."+ch, "min %g must be below max %g", r.Min, r.Max)
			}
		}
		sensors[s.Name] = true
		rates[s.Name] = s.Rate
	}
	models := map[string]bool{}
	for i, m := range c.Models {
		k := fmt.Sprintf("models[%d]", i)
		switch {
		case m.Name == "":
			return e(k+".name", "is required")
		case fleet.ValidID(m.Name) != nil:
			return e(k+".name", "%q must be letters, digits, '-', '_' or '.'", m.Name)
		case models[m.Name]:
			return e(k+".name", "%q is used by another model", m.Name)
		case m.File == "" && m.Bundle == "":
			return e(k+".file", "is required (a .tflite path or builtin:demo), or bundle: the model's name in the store")
		case m.File != "" && m.Bundle != "":
			return e(k+".bundle", "and file are exclusive: a model comes from a file or from the store")
		case m.Bundle != "" && fleet.ValidID(m.Bundle) != nil:
			return e(k+".bundle", "%q must be letters, digits, '-', '_' or '.'", m.Bundle)
		case !sensors[m.Sensor]:
			return e(k+".sensor", "%q is not a configured sensor", m.Sensor)
		case m.Bundle != "":
			// Preprocessing comes from the bundle's manifest.
		case m.Window <= 0:
			return e(k+".window", "must be positive")
		case m.Hop <= 0 || m.Hop > m.Window:
			return e(k+".hop", "must be positive and at most the window")
		case len(m.Channels) == 0:
			return e(k+".channels", "name at least one channel of sensor %q", m.Sensor)
		case m.Output.Index < 0:
			return e(k+".output.index", "must not be negative")
		case m.Threads < 0:
			return e(k+".threads", "must not be negative")
		case m.Runtime != "" && checkChoice(m.Runtime, "") != nil:
			return e(k+".runtime", "%v", checkChoice(m.Runtime, ""))
		case m.Delegate != "" && checkChoice(m.Runtime, m.Delegate) != nil:
			return e(k+".delegate", "%v", checkChoice(m.Runtime, m.Delegate))
		case m.Thresholds.Raise < 1 || m.Thresholds.Clear < 1:
			return e(k+".thresholds", "raise and clear must be at least 1")
		}
		if m.Thresholds.Warn > m.Thresholds.Alarm && m.Thresholds.Alarm != 0 {
			return e(k+".thresholds.warn", "%g is above the alarm threshold %g", m.Thresholds.Warn, m.Thresholds.Alarm)
		}
		if n := m.Normalize; n != nil && len(n.Mean) != len(n.Std) {
			return e(k+".normalize", "mean has %d values and std %d", len(n.Mean), len(n.Std))
		}
		if n := m.Normalize; n != nil {
			for j, s := range n.Std {
				if s <= 0 {
					return e(fmt.Sprintf("%s.normalize.std[%d]", k, j), "%g must be positive", s)
				}
			}
		}
		if rate := rates[m.Sensor]; rate > 0 {
			for j, f := range m.Features {
				if err := preprocess.CheckFeature(f, rate, int(math.Round(m.Window.Seconds()*rate))); err != nil {
					return e(fmt.Sprintf("%s.features[%d]", k, j), "%v", err)
				}
			}
		}
		models[m.Name] = true
	}
	return nil
}

// checkChoice validates a model's runtime and delegate keys; an empty
// runtime with a delegate is checked as runtime auto (the manifest or the
// default decides the runtime).
func checkChoice(runtime, delegate string) error {
	if runtime == "" && delegate != "" {
		runtime = axlemodels.RuntimeAuto
	}
	_, err := axlemodels.ParseChoice(runtime, delegate)
	return err
}

func (m *MQTT) validate(e func(key, format string, args ...any) error) error {
	if m.Broker == "" {
		return e("mqtt.broker", "is required, e.g. tcp://127.0.0.1:1883 or ssl://broker:8883")
	}
	u, err := url.Parse(m.Broker)
	if err != nil || u.Host == "" {
		return e("mqtt.broker", "%q is not a broker URL like tcp://host:1883", m.Broker)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	default:
		return e("mqtt.broker", "scheme %q is not tcp, mqtt, ssl, tls or mqtts", u.Scheme)
	}
	if (m.CertFile == "") != (m.KeyFile == "") {
		return e("mqtt.cert_file", "cert_file and key_file go together")
	}
	if m.Password != "" && m.PasswordFile != "" {
		return e("mqtt.password_file", "set password or password_file, not both")
	}
	if err := fleet.ValidID(m.Prefix); err != nil {
		return e("mqtt.prefix", "%q must be letters, digits, '-', '_' or '.'", m.Prefix)
	}
	for i, g := range m.Groups {
		if fleet.ValidID(g) != nil {
			return e(fmt.Sprintf("mqtt.groups[%d]", i), "%q must be letters, digits, '-', '_' or '.'", g)
		}
	}
	if m.InFlight < 1 || m.InFlight > 65535 {
		return e("mqtt.inflight", "%d is not between 1 and 65535", m.InFlight)
	}
	if m.KeepAlive < time.Second {
		return e("mqtt.keepalive", "must be at least 1s")
	}
	if m.DrainRate < 0 {
		return e("mqtt.drain_rate", "must not be negative")
	}
	return nil
}
