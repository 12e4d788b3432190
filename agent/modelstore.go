package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/scoring"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/store"
	"github.com/axle-edge/axle/trust"
)

// Self-test and latency measurement of a bundle before it may run.
const (
	warmupInvokes  = 3
	latencyInvokes = 30
)

// openModelStore opens <state_dir>/models and the keyring of trusted model
// keys. Every version the store is about to run is re-verified with them.
func (a *Agent) openModelStore(ctx context.Context) error {
	if len(a.cfg.Trust.ModelKeys) > 0 {
		kr, err := trust.ParseKeyring(a.cfg.Trust.ModelKeys)
		if err != nil {
			return a.cfg.ErrorAt("trust.model_keys", err)
		}
		a.modelKeys = kr
	}
	st, err := store.Open(ctx, filepath.Join(a.cfg.StateDir, "models"), store.Options{
		Keep: a.cfg.ModelsStore.Keep, MaxBundleBytes: a.cfg.ModelsStore.MaxBundleBytes,
		Verify: a.verifyStored, Now: a.now,
	})
	if err != nil {
		return fmt.Errorf("agent: open model store: %w", err)
	}
	a.store = st
	for _, rc := range st.Recovered() {
		a.log.Error("model store repaired an active pointer after a crash", "model", rc.Model, "from", rc.From, "to", rc.To, "reason", rc.Reason)
		a.event(fleet.EventDeployment, "warning", rc.Model, fmt.Sprintf("model %s: active version %s was not complete; running %s", rc.Model, rc.From, rc.To),
			map[string]any{"model": rc.Model, "version": rc.To, "from": rc.From, "step": "recover", "reason": rc.Reason})
	}
	return nil
}

// verifyStored is the store's check of a version about to run: the bundle
// is signed by a trusted key and is the model and version it is stored as.
func (a *Agent) verifyStored(_ context.Context, model, version, path string, _ store.Meta) error {
	vb, err := a.openBundle(path)
	if err != nil {
		return err
	}
	defer vb.f.Close()
	m := vb.b.Manifest
	if m.Name != model || m.Version != version {
		return fmt.Errorf("bundle is %s %s, stored as %s %s", m.Name, m.Version, model, version)
	}
	return nil
}

// verifiedBundle is an opened bundle whose signature, key and member
// hashes were checked; its members are read from f, which the holder
// closes.
type verifiedBundle struct {
	f     *os.File
	b     *bundle.Bundle
	keyID string
	size  int64
}

// openBundle opens the bundle file at path and verifies it with the
// trusted model keys.
func (a *Agent) openBundle(path string) (*verifiedBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	max := a.cfg.ModelsStore.MaxBundleBytes
	if fi.Size() > max {
		f.Close()
		return nil, fmt.Errorf("bundle is %d bytes, models_store.max_bundle_bytes is %d", fi.Size(), max)
	}
	b, err := bundle.Open(f, fi.Size(), bundle.Limits{MaxTotal: max, MaxMember: max})
	if err != nil {
		f.Close()
		return nil, err
	}
	if a.modelKeys == nil {
		f.Close()
		return nil, errors.New("no trust.model_keys configured: the agent accepts no bundle")
	}
	keyID, err := b.Verify(a.modelKeys)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &verifiedBundle{f: f, b: b, keyID: keyID, size: fi.Size()}, nil
}

// storeName is the model's name in the store: its bundle, else its name.
func storeName(mc config.Model) string {
	if mc.Bundle != "" {
		return mc.Bundle
	}
	return mc.Name
}

// startFromStore loads the store's active version into r's slot at setup.
// ok is false when the store has no version for r (the config's file
// runs); a bundle model without a version is an error.
func (a *Agent) startFromStore(ctx context.Context, r *runner) (ok bool, err error) {
	name := storeName(r.cfg)
	ptr, err := a.store.Active(name)
	if err != nil {
		return true, err
	}
	if ptr.Active == "" {
		if r.cfg.Bundle != "" {
			return true, fmt.Errorf("bundle %q has no installed version: deploy one with model.deploy or axle model install", name)
		}
		return false, nil
	}
	if ptr.Previous == "" && r.cfg.File != "" && a.rolledBackToFile(name, ptr.Active) {
		a.log.Warn("the store's only version of this model was rolled back; running the configured file", "model", r.cfg.Name, "version", ptr.Active, "file", r.cfg.File)
		return false, nil
	}
	lm, vb, err := a.loadStored(r, ptr.Active)
	if err != nil {
		return true, fmt.Errorf("bundle %s %s: %w", name, ptr.Active, err)
	}
	vb.f.Close()
	lm.state = slotState{Version: ptr.Active, Previous: ptr.Previous, State: fleet.ModelActive}
	if ptr.Probation {
		// Restarted during probation: the version is watched afresh.
		if lm.probSpec, err = a.newProbation(a.cfg.Probation, vb.b.Manifest); err != nil {
			lm.close()
			return true, err
		}
		lm.state.State = fleet.ModelProbation
	}
	if lm.win == nil {
		return true, errors.New("internal: stored model without a windower")
	}
	// Setup runs before the pipeline goroutine: apply directly.
	r.win, r.lm = lm.win, lm
	r.obs.pub.Store(lm)
	r.spec.Store(&lm.spec)
	r.scorer, r.th = lm.scorer, lm.th
	r.fromStore.Store(true)
	st := lm.state
	r.slot.state.Store(&st)
	if ptr.Probation {
		a.pendingProbations = append(a.pendingProbations, pendingProbation{r: r, lm: lm, version: ptr.Active})
	}
	a.log.Info("model loaded from the store", "model", r.cfg.Name, "version", ptr.Active, "previous", ptr.Previous,
		"probation", ptr.Probation, "key_id", vb.keyID, "runtime", lm.used.Runtime, "delegate", lm.used.Delegate, "inputs", lm.win.Len())
	return true, nil
}

// rolledBackToFile reports whether version, the store's only version of
// model name, was rolled back to the config's file after its activation
// (see rollback): the store cannot name "no version", the audit log can.
func (a *Agent) rolledBackToFile(name, version string) bool {
	hist, err := a.store.History(store.Filter{Model: name, Version: version})
	if err != nil {
		return false
	}
	back := false
	for _, e := range hist {
		switch e.Action {
		case store.ActionActivate:
			back = false
		case store.ActionRollback:
			back = true
		}
	}
	return back
}

// loadStored opens, verifies and loads a stored version for r.
func (a *Agent) loadStored(r *runner, version string) (*loadedModel, *verifiedBundle, error) {
	name := storeName(r.cfg)
	vb, err := a.openBundle(a.store.Path(name, version))
	if err != nil {
		return nil, nil, err
	}
	if m := vb.b.Manifest; m.Name != name || m.Version != version {
		vb.f.Close()
		return nil, nil, fmt.Errorf("bundle is %s %s, stored as %s %s", m.Name, m.Version, name, version)
	}
	lm, err := a.loadBundle(r, vb.b, true)
	if err != nil {
		vb.f.Close()
		return nil, nil, err
	}
	lm.keyID = vb.keyID
	return lm, vb, nil
}

// bundleConfig is r's config with the preprocessing and output of the
// manifest: the config binds the bundle to a sensor, the bundle says how
// its input is made and its output read.
func bundleConfig(bind config.Model, m *bundle.Manifest) config.Model {
	mc := bind
	mc.Version = m.Version
	mc.File = "bundle:" + m.Name + "@" + m.Version
	mc.Window, mc.Hop = time.Duration(m.Input.Window), time.Duration(m.Input.Hop)
	mc.Channels, mc.Features = m.Input.Channels, m.Input.Features
	mc.Normalize = nil
	if n := m.Input.Normalize; n != nil {
		mc.Normalize = &config.Normalize{Mean: n.Mean, Std: n.Std}
	}
	mc.Output = config.Output{Index: m.Output.Index, Labels: m.Output.Labels}
	// The config's runtime and delegate, when given, override the
	// manifest's: the operator knows the device.
	if c := m.Runtime.Choice(); bind.Runtime == "" && bind.Delegate == "" {
		mc.Runtime, mc.Delegate = c.Runtime, c.Delegate
	}
	if t := m.Output.Thresholds; t != nil {
		mc.Thresholds = config.Thresholds{Warn: t.Warn, Alarm: t.Alarm, Raise: t.Raise, Clear: t.Clear}
	}
	return mc
}

// loadBundle loads a verified bundle's model for r's slot with the
// windowing its manifest asks for. fresh forces a windower of its own
// (setup); otherwise the slot's windower is kept when it fits, which makes
// the swap gapless.
func (a *Agent) loadBundle(r *runner, b *bundle.Bundle, fresh bool) (*loadedModel, error) {
	mc := bundleConfig(r.cfg, b.Manifest)
	spec, err := specOf(mc, r.chanNames, r.rate)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var win *preprocess.Windower
	cur := r.spec.Load()
	if fresh || cur == nil || !reflect.DeepEqual(*cur, spec) {
		if win, err = preprocess.New(spec); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
	}
	th := thresholdsOf(mc)
	sc, err := scoring.New(th)
	if err != nil {
		return nil, fmt.Errorf("output.thresholds: %w", err)
	}
	data, err := b.ReadMember(b.Manifest.Model)
	if err != nil {
		return nil, err
	}
	inputLen := 0
	if win != nil {
		inputLen = win.Len()
	} else {
		// The slot's windower fits: same spec, same length.
		probe, err := preprocess.New(spec)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		inputLen = probe.Len()
	}
	lm, err := a.loadModelData(mc, data, inputLen)
	if err != nil {
		return nil, err
	}
	lm.spec, lm.win, lm.th, lm.scorer = spec, win, th, sc
	lm.baseline = b.Manifest.Baseline
	return lm, nil
}

// selfTestResult is what the bundled test vectors and the latency
// measurement showed.
type selfTestResult struct {
	Vectors  int
	MaxError float64
	P50, P99 time.Duration
}

// selfTest runs the manifest's test vectors on lm (not yet in a slot) and
// measures its Invoke latency after a warm-up.
func selfTest(ctx context.Context, lm *loadedModel, b *bundle.Bundle) (selfTestResult, error) {
	var res selfTestResult
	m := lm.model
	in := m.Input(0)
	for i, tv := range b.Manifest.TestVectors {
		data, err := b.ReadMember(tv.Input)
		if err != nil {
			return res, fmt.Errorf("test_vectors[%d]: %w", i, err)
		}
		if len(data) != len(in) {
			return res, fmt.Errorf("test_vectors[%d]: input %s has %d bytes, the model input takes %d", i, tv.Input, len(data), len(in))
		}
		if tv.Output < 0 || tv.Output >= len(m.Outputs()) {
			return res, fmt.Errorf("test_vectors[%d]: output %d: the model has %d outputs", i, tv.Output, len(m.Outputs()))
		}
		copy(in, data)
		if err := m.Invoke(ctx); err != nil {
			return res, fmt.Errorf("test_vectors[%d]: invoke: %w", i, err)
		}
		got, err := preprocess.Read(nil, m.Output(tv.Output), m.Outputs()[tv.Output])
		if err != nil {
			return res, fmt.Errorf("test_vectors[%d]: %w", i, err)
		}
		if len(got) != len(tv.Expected) {
			return res, fmt.Errorf("test_vectors[%d]: output has %d values, expected %d", i, len(got), len(tv.Expected))
		}
		for j, want := range tv.Expected {
			d := math.Abs(got[j] - want)
			if !(d <= tv.Tolerance) {
				return res, fmt.Errorf("test_vectors[%d]: output[%d] is %g, expected %g within %g", i, j, got[j], want, tv.Tolerance)
			}
			res.MaxError = max(res.MaxError, d)
		}
		res.Vectors++
	}
	lat := make([]time.Duration, 0, latencyInvokes)
	for i := range warmupInvokes + latencyInvokes {
		t0 := time.Now()
		if err := m.Invoke(ctx); err != nil {
			return res, fmt.Errorf("latency: invoke: %w", err)
		}
		if i >= warmupInvokes {
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	res.P50 = lat[len(lat)/2]
	res.P99 = lat[(len(lat)*99+99)/100-1]
	return res, nil
}
