package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/probation"
	"github.com/axle-edge/axle/agent/scoring"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
)

// errPipelineStopped: an offer reached a slot whose pipeline has ended.
var errPipelineStopped = errors.New("agent: model slot: pipeline stopped")

// loadedModel is a model ready to score in one slot: loaded by the runtime
// and checked against the slot's window size. Whoever holds it closes it;
// a successful Offer hands it to the pipeline.
type loadedModel struct {
	cfg     config.Model
	model   models.Model
	in, out models.TensorInfo
	input   []float32   // window features, the model's input length
	data    []byte      // the model's bytes, for Predict's own instance
	used    models.Used // the runtime and delegate it runs on
	// baseline is the bundle's baseline (nil for a plain model file), for
	// drift monitoring.
	baseline *bundle.Baseline

	// A model from a bundle brings its own preprocessing. spec is the
	// windowing it needs; win, when set, is a fresh windower for it,
	// swapped in with the model (nil: the slot's windower fits and is
	// kept, so the swap is gapless). After apply, win is the windower the
	// model scores with. th and scorer likewise for the alert thresholds.
	spec   preprocess.Spec
	win    *preprocess.Windower
	th     scoring.Thresholds
	scorer *scoring.Scorer
	// keyID signed the bundle this model came from (empty for a file),
	// for the audit log.
	keyID string
	// state is what the slot shows once this model is in (zero: active).
	state slotState
	// probSpec, when set, puts the version on probation; prob is made
	// from it at the first window, so that probation's time runs on the
	// sensor's clock (pipeline goroutine only). probDone, set by the
	// deployment's watcher (promote, rollback), tells the pipeline to stop
	// observing; verdictSent marks the verdict handed to the watcher.
	probSpec    *probSpec
	prob        *probation.Probation
	probDone    atomic.Bool
	verdictSent bool
}

func (m *loadedModel) close() { m.model.Close() }

// slotState is what a slot shows in the status.
type slotState struct {
	Version  string
	Previous string // the version a rollback returns to
	State    string // fleet.ModelActive, ModelProbation, ModelRolledBack or ModelFailed
	Err      string // why State is failed or rolled_back
	Gate     string // the probation gate that rolled Previous back
}

// slot is the place of one configured model in its pipeline. The pipeline
// goroutine owns the model in it; a replacement arrives over the pipeline's
// offer channel and is swapped in between two windows, so every window is
// scored by exactly one model version and none is dropped or repeated (the
// window itself belongs to the slot and keeps its samples across a swap).
type slot struct {
	offers  chan<- slotOffer // the pipeline's; unbuffered
	stopped <-chan struct{}  // closed when the pipeline goroutine ends
	state   atomic.Pointer[slotState]
}

type slotOffer struct {
	r       *runner
	m       *loadedModel
	applied chan struct{}
	// old, when set, receives the model swapped out instead of it being
	// closed (a deployment keeps it for a rollback during probation).
	old **loadedModel
}

// Offer hands m to the pipeline and returns once the pipeline scores with
// it (the previous model is closed by the pipeline). On error (ctx ended,
// pipeline stopped) the caller still owns m.
func (r *runner) Offer(ctx context.Context, m *loadedModel) error {
	return r.offer(ctx, slotOffer{r: r, m: m, applied: make(chan struct{})})
}

// OfferKeep is Offer handing back the model swapped out (nil if the slot
// was empty) instead of closing it; the caller owns it.
func (r *runner) OfferKeep(ctx context.Context, m *loadedModel) (*loadedModel, error) {
	var old *loadedModel
	err := r.offer(ctx, slotOffer{r: r, m: m, applied: make(chan struct{}), old: &old})
	return old, err
}

func (r *runner) offer(ctx context.Context, o slotOffer) error {
	select {
	case r.slot.offers <- o:
	case <-r.slot.stopped:
		return fmt.Errorf("%w: model %q", errPipelineStopped, r.cfg.Name)
	case <-ctx.Done():
		return fmt.Errorf("agent: model slot %q: %w", r.cfg.Name, ctx.Err())
	}
	// The pipeline applies an offer as soon as it receives it.
	<-o.applied
	return nil
}

// Current is the slot's model version and state, safe from any goroutine.
func (r *runner) Current() slotState { return *r.slot.state.Load() }

// apply swaps the offered model in; pipeline goroutine only.
//
// A model that brings a windower different from the slot's one starts
// windowing afresh at the swap: its first window ends one window length
// after the swap. One that fits the slot's windower (same channels,
// window, hop, features and normalisation) takes over at the next window
// boundary, so no window is dropped or scored twice.
func (o slotOffer) apply() {
	r, m := o.r, o.m
	old := r.lm
	if m.win != nil && m.win != r.win {
		// It may have scored before (a rollback): drop its stale samples.
		m.win.Push(0, nil, false)
		r.win = m.win
		r.spec.Store(&m.spec)
	}
	m.win = r.win
	if m.scorer != nil && m.th != r.th {
		r.scorer, r.th = m.scorer, m.th
	}
	r.lm = m
	r.obs.pub.Store(m)
	st := m.state
	if st.State == "" {
		st = slotState{Version: m.cfg.Version, State: fleet.ModelActive}
	}
	r.slot.state.Store(&st)
	if o.old != nil {
		*o.old = old
	} else if old != nil {
		old.close()
	}
	close(o.applied)
}

// setFailed shows the slot as failed with err; the model in it, if any,
// keeps scoring (a failed replacement does not take the slot down).
func (r *runner) setFailed(err error) {
	r.slot.state.Store(&slotState{Version: r.Current().Version, State: fleet.ModelFailed, Err: err.Error()})
}

// loadModel reads, loads and checks the model of mc for a window of
// inputLen values. It runs off the pipeline goroutine.
func (a *Agent) loadModel(mc config.Model, inputLen int) (*loadedModel, error) {
	data, err := LoadModelBytes(mc.File, a.opts.BuiltinModels)
	if err != nil {
		return nil, err
	}
	return a.loadModelData(mc, data, inputLen)
}

// loadModelData loads model bytes for mc (File names them in errors) and
// checks them against a window of inputLen values.
func (a *Agent) loadModelData(mc config.Model, data []byte, inputLen int) (*loadedModel, error) {
	m, used, err := a.loadRuntime(mc, data)
	if err != nil {
		return nil, fmt.Errorf("load %s with runtime %s: %w", mc.File, a.runtimeAsked(mc), err)
	}
	fail := func(err error) (*loadedModel, error) {
		m.Close()
		return nil, fmt.Errorf("%s: %w", mc.File, err)
	}
	if len(m.Inputs()) != 1 {
		return fail(fmt.Errorf("model has %d inputs; axle feeds models with one input", len(m.Inputs())))
	}
	if mc.Output.Index >= len(m.Outputs()) {
		return fail(fmt.Errorf("output.index %d: the model has %d outputs", mc.Output.Index, len(m.Outputs())))
	}
	lm := &loadedModel{cfg: mc, model: m, in: m.Inputs()[0], out: m.Outputs()[mc.Output.Index], data: data, used: used}
	if inputLen != lm.in.Elements() {
		return fail(fmt.Errorf("%w: the window gives %d values (channels %v, features %v), the model input %q takes %d (shape %v)",
			preprocess.ErrInputMismatch, inputLen, mc.Channels, mc.Features, lm.in.Name, lm.in.Elements(), lm.in.Shape))
	}
	if len(mc.Output.Labels) > 0 && len(mc.Output.Labels) != lm.out.Elements() {
		return fail(fmt.Errorf("output.labels has %d labels, the output has %d elements", len(mc.Output.Labels), lm.out.Elements()))
	}
	lm.input = make([]float32, inputLen)
	return lm, nil
}

// fileStamp identifies a version of a model file cheaply (no read).
type fileStamp struct {
	exists bool
	size   int64
	mtime  time.Time
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{exists: true, size: fi.Size(), mtime: fi.ModTime()}
}

// watchModels retries every failed slot whose model file changed (appeared,
// or a new size or mtime), loading it on this goroutine and offering it to
// the pipeline, until ctx ends.
func (a *Agent) watchModels(ctx context.Context) {
	tried := map[*runner]fileStamp{}
	for _, r := range a.runners() {
		tried[r] = stampOf(r.cfg.File)
	}
	tick := time.NewTicker(a.modelPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, r := range a.runners() {
			if r.Current().State != fleet.ModelFailed || r.cfg.File == "" || strings.HasPrefix(r.cfg.File, "builtin:") || r.fromStore.Load() {
				continue
			}
			st := stampOf(r.cfg.File)
			if st == tried[r] {
				continue
			}
			tried[r] = st
			a.retryModel(ctx, r)
		}
	}
}

func (a *Agent) retryModel(ctx context.Context, r *runner) {
	lm, err := a.loadModel(r.cfg, r.inputLen)
	if err == nil {
		if err = r.Offer(ctx, lm); err != nil {
			lm.close()
			return // stopping
		}
		a.log.Info("model loaded after a failure", "model", r.cfg.Name, "version", r.cfg.Version, "file", r.cfg.File)
		a.statusDirty.Store(true)
		a.event(fleet.EventModel, "info", r.cfg.Name, fmt.Sprintf("model %s %s loaded and scoring", r.cfg.Name, r.cfg.Version),
			map[string]any{"model": r.cfg.Name, "version": r.cfg.Version, "state": fleet.ModelActive})
		return
	}
	if err.Error() != r.Current().Err {
		a.modelFailed(r, err)
	}
}

// modelFailed marks r failed and tells the journal and the fleet, once per
// distinct reason.
func (a *Agent) modelFailed(r *runner, err error) {
	r.setFailed(err)
	a.log.Error("model cannot be loaded; its pipeline runs without it until the file is fixed",
		"model", r.cfg.Name, "version", r.cfg.Version, "file", r.cfg.File, "err", err)
	a.statusDirty.Store(true)
	a.event(fleet.EventModel, "critical", r.cfg.Name, fmt.Sprintf("model %s %s failed to load: %v", r.cfg.Name, r.cfg.Version, err),
		map[string]any{"model": r.cfg.Name, "version": r.cfg.Version, "state": fleet.ModelFailed, "error": err.Error()})
}

func (a *Agent) runners() []*runner {
	var rs []*runner
	for _, p := range a.pipes {
		rs = append(rs, p.runners...)
	}
	return rs
}
