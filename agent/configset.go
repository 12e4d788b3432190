package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/scoring"
	"github.com/axle-edge/axle/internal/atomicfile"
)

// config.set changes one setting at run time:
//
//	{"key": K, "value": V} ─▶ validated like the config file (config.With)
//	                      ─▶ <state_dir>/overrides.json (temp, fsync, rename)
//	                      ─▶ applied live (groups: resubscribe; metrics
//	                         interval; drain rate; a model's thresholds)
//
// At startup the overrides are applied on top of the file, so a setting
// survives restarts until the next config.set of its key.

const overridesFile = "overrides.json"

// configSetKeys are the keys config.set accepts; "models.<name>.thresholds"
// stands for one per configured model.
var configSetKeys = []string{"groups", "metrics.interval", "mqtt.drain_rate", "models.<name>.thresholds"}

// liveConfig holds the settings config.set changes, read by the goroutines
// that use them.
type liveConfig struct {
	mu        sync.Mutex // serialises config.set: persist, then apply
	overrides map[string]json.RawMessage

	groups          atomic.Pointer[[]string]
	metricsInterval atomic.Int64 // time.Duration
}

// thresholdsJSON is a thresholds value, the config file's fields.
type thresholdsJSON struct {
	Warn  float64 `json:"warn"`
	Alarm float64 `json:"alarm"`
	Raise int     `json:"raise"`
	Clear int     `json:"clear"`
}

// withSetting returns cfg with key set to raw, validated like the file.
func withSetting(cfg *config.Config, key string, raw json.RawMessage) (*config.Config, error) {
	strict := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return fmt.Errorf("config.set: key %q: value: %w", key, err)
		}
		return nil
	}
	var set func(*config.Config)
	switch {
	case key == "groups":
		var g []string
		if err := strict(&g); err != nil {
			return nil, err
		}
		if g == nil {
			g = []string{}
		}
		set = func(c *config.Config) { c.MQTT.Groups = g }
	case key == "metrics.interval":
		var s string
		if err := strict(&s); err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("config.set: key %q: value %q is not a duration (like \"30s\")", key, s)
		}
		if d <= 0 {
			return nil, fmt.Errorf("config.set: key %q: value %q must be positive", key, s)
		}
		set = func(c *config.Config) { c.Metrics.Interval = d }
	case key == "mqtt.drain_rate":
		var r float64
		if err := strict(&r); err != nil {
			return nil, err
		}
		set = func(c *config.Config) { c.MQTT.DrainRate = r }
	case strings.HasPrefix(key, "models.") && strings.HasSuffix(key, ".thresholds"):
		name := strings.TrimSuffix(strings.TrimPrefix(key, "models."), ".thresholds")
		i := slices.IndexFunc(cfg.Models, func(m config.Model) bool { return m.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("config.set: key %q: %q is not a configured model", key, name)
		}
		var t thresholdsJSON
		if err := strict(&t); err != nil {
			return nil, err
		}
		th := scoring.Thresholds{Warn: t.Warn, Alarm: t.Alarm, Raise: t.Raise, Clear: t.Clear}
		if _, err := scoring.New(th); err != nil {
			return nil, fmt.Errorf("config.set: key %q: %w", key, err)
		}
		set = func(c *config.Config) {
			c.Models[i].Thresholds = config.Thresholds{Warn: t.Warn, Alarm: t.Alarm, Raise: t.Raise, Clear: t.Clear}
		}
	default:
		return nil, fmt.Errorf("config.set: key %q is not settable; keys: %s", key, strings.Join(configSetKeys, ", "))
	}
	n, err := cfg.With("config.set", set)
	if err != nil {
		return nil, fmt.Errorf("config.set: key %q: %w", key, err)
	}
	return n, nil
}

// startOverrides applies the persisted overrides on top of cfg at
// startup. An override the current file makes invalid is skipped (logged,
// reported, kept on disk): a device must start whatever was set remotely.
func (a *Agent) startOverrides(cfg *config.Config) *config.Config {
	a.live.overrides = map[string]json.RawMessage{}
	path := filepath.Join(cfg.StateDir, overridesFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg
	}
	if err == nil {
		err = json.Unmarshal(b, &a.live.overrides)
	}
	if err != nil {
		a.log.Error("config overrides are unreadable; running on the config file alone", "path", path, "err", err)
		a.event(fleet.EventStorage, "warning", "config", "config overrides are unreadable; running on the config file alone",
			map[string]any{"path": path, "error": err.Error()})
		a.live.overrides = map[string]json.RawMessage{}
		return cfg
	}
	keys := make([]string, 0, len(a.live.overrides))
	for k := range a.live.overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n, err := withSetting(cfg, k, a.live.overrides[k])
		if err != nil {
			a.log.Error("config override skipped: invalid with this config file", "path", path, "key", k, "err", err)
			a.event(fleet.EventStorage, "warning", "config", "config override skipped: "+err.Error(), map[string]any{"key": k, "error": err.Error()})
			continue
		}
		cfg = n
		a.log.Info("config override applied", "key", k, "value", string(a.live.overrides[k]))
	}
	return cfg
}

// initLive sets the live settings from the effective configuration.
func (a *Agent) initLive() {
	g := slices.Clone(a.cfg.MQTT.Groups)
	a.live.groups.Store(&g)
	a.live.metricsInterval.Store(int64(a.cfg.Metrics.Interval))
	for _, r := range a.runners() {
		if raw, ok := a.live.overrides["models."+r.cfg.Name+".thresholds"]; ok {
			if n, err := withSetting(a.cfg, "models."+r.cfg.Name+".thresholds", raw); err == nil {
				r.setThresholds(thresholdsOf(configModel(n, r.cfg.Name)))
			}
		}
	}
}

func configModel(c *config.Config, name string) config.Model {
	for _, m := range c.Models {
		if m.Name == name {
			return m
		}
	}
	return config.Model{}
}

// subscriptionsFor are the command filters for these groups.
func (a *Agent) subscriptionsFor(groups []string) []string {
	subs := []string{a.topics.Command(), a.topics.AllCommand()}
	for _, g := range groups {
		subs = append(subs, a.topics.GroupCommand(g))
	}
	return subs
}

// metricsEvery is the metrics period (config.set "metrics.interval").
func (a *Agent) metricsEvery() time.Duration { return time.Duration(a.live.metricsInterval.Load()) }

// currentGroups is the device's groups, for the status.
func (a *Agent) currentGroups() []string {
	if g := a.live.groups.Load(); g != nil {
		return *g
	}
	return a.cfg.MQTT.Groups
}

// acceptsTopic says whether a command on topic is for this device: not one
// of a group it has left (the broker may still deliver what it queued).
func (a *Agent) acceptsTopic(topic string) bool {
	pre := a.topics.Prefix + "/group/"
	if !strings.HasPrefix(topic, pre) {
		return true
	}
	return slices.ContainsFunc(a.currentGroups(), func(g string) bool { return a.topics.GroupCommand(g) == topic })
}

// handleConfigSet answers config.set.
func (a *Agent) handleConfigSet(ctx context.Context, cmd fleet.Command) fleet.Result {
	var args struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodeArgs(cmd.Args, &args); err != nil {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: "config.set: " + err.Error()}
	}
	if args.Key == "" || len(args.Value) == 0 {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: "config.set: args need \"key\" and \"value\""}
	}
	n, err := withSetting(a.cfg, args.Key, args.Value)
	if err != nil {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error()}
	}
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	next := make(map[string]json.RawMessage, len(a.live.overrides)+1)
	for k, v := range a.live.overrides {
		next[k] = v
	}
	next[args.Key] = args.Value
	b, err := json.MarshalIndent(next, "", "  ")
	if err == nil {
		err = atomicfile.WriteFile(filepath.Join(a.cfg.StateDir, overridesFile), b, 0o600, ".overrides-*")
	}
	if err != nil {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: "config.set: persist " + overridesFile + ": " + err.Error()}
	}
	a.live.overrides = next
	res := map[string]any{"key": args.Key, "value": args.Value}
	switch {
	case args.Key == "groups":
		g := slices.Clone(n.MQTT.Groups)
		a.live.groups.Store(&g)
		a.statusDirty.Store(true)
		if err := a.up.SetSubscriptions(ctx, a.subscriptionsFor(g)); err != nil {
			// Stored and made at the next connection.
			a.log.Warn("group subscriptions not changed yet; they are at the next connection", "err", err)
			res["pending"] = err.Error()
		}
	case args.Key == "metrics.interval":
		a.live.metricsInterval.Store(int64(n.Metrics.Interval))
	case args.Key == "mqtt.drain_rate":
		a.deliver.SetDrainRate(n.MQTT.DrainRate)
		res["applies"] = "at the next connection's backlog drain"
	default:
		name := strings.TrimSuffix(strings.TrimPrefix(args.Key, "models."), ".thresholds")
		for _, r := range a.runners() {
			if r.cfg.Name == name {
				r.setThresholds(thresholdsOf(configModel(n, name)))
			}
		}
	}
	a.log.Info("config.set", "key", args.Key, "value", string(args.Value))
	return fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: res}
}

// setThresholds makes th the model's alert thresholds from its next
// window, over those of its config or bundle; the alert state starts
// afresh (ok).
func (r *runner) setThresholds(th scoring.Thresholds) { r.thOverride.Store(&th) }

// useThresholds puts a thresholds override in force; pipeline goroutine
// only.
func (r *runner) useThresholds() {
	th := r.thOverride.Load()
	if th == nil || *th == r.th {
		return
	}
	sc, err := scoring.New(*th)
	if err != nil {
		return // validated by config.set
	}
	r.th, r.scorer = *th, sc
}
