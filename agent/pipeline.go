package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/agent/probation"
	"github.com/axle-edge/axle/agent/scoring"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/quality"
)

// chunkSamples is the most samples one chunk carries from a sensor
// goroutine to its pipeline; chunkCount chunks exist per sensor, so a slow
// pipeline costs bounded memory and drops the oldest data.
const (
	chunkSamples = 256
	chunkCount   = 64
)

type chunk struct {
	seq    uint64 // producer's chunk number: a jump means chunks were dropped
	n      int
	stride int
	times  []int64
	values []float64
	valid  []bool
}

func (c *chunk) full() bool { return c.n == len(c.times) }

func (c *chunk) add(t int64, vals []float64, valid bool) {
	c.times[c.n] = t
	copy(c.values[c.n*c.stride:(c.n+1)*c.stride], vals)
	c.valid[c.n] = valid
	c.n++
}

// pipeline is one sensor and the models it feeds.
type pipeline struct {
	spec   sensors.Spec
	cfg    config.Sensor
	sensor sensors.Sensor // replaced by reopen under sensorMu
	// sensorMu orders reopen's swap with the command goroutine's access
	// (sim.fault); the read goroutine itself reads sensor without it.
	sensorMu sync.Mutex
	channels []sensors.Channel
	runners  []*runner

	data chan *chunk // filled chunks, oldest first
	free chan *chunk // empty chunks

	// offers carries replacement models to the pipeline goroutine; done is
	// closed when that goroutine returns (see slot).
	offers chan slotOffer
	done   chan struct{}
	// consumed counts chunks the pipeline goroutine finished, for the
	// watchdog's progress check.
	consumed atomic.Uint64

	sent    uint64           // chunks sent (read goroutine only)
	checker *quality.Checker // read goroutine only
	stats   quality.Metrics
}

// runner is one configured model fed by a pipeline: its window, alert state
// and the slot holding the model. Only the pipeline goroutine uses lm, win,
// scorer and outputs.
type runner struct {
	cfg     config.Model
	slot    slot
	lm      *loadedModel         // nil while the model failed to load
	win     *preprocess.Windower // nil until a bundle model has a version
	th      scoring.Thresholds
	scorer  *scoring.Scorer
	outputs []float64
	topic   string
	windows atomic.Uint64
	latency monitor.Histogram // Invoke latency

	// Fixed at setup: the sensor's channel names and rate (to build a
	// bundle's windower) and the config's window length.
	chanNames []string
	rate      float64
	inputLen  int
	// spec is the windowing in use, readable off the pipeline goroutine;
	// fromStore is set once a store version runs in the slot (the
	// config's file is then not retried).
	spec      atomic.Pointer[preprocess.Spec]
	fromStore atomic.Bool
	// verdicts carries a probation's final verdict to its watcher.
	verdicts chan verdictMsg
	// deploying is the deployment in progress, for the status.
	deploying atomic.Pointer[fleet.DeploymentStatus]

	obs  observer  // monitoring for the API and metrics (observe.go)
	pred predictor // Predict's own instance of the model (apisource.go)
	// shadow, when set, is a candidate scoring beside lm (shadow.go).
	shadow atomic.Pointer[shadowRun]
	// thOverride, when set, is config.set's thresholds (configset.go).
	thOverride atomic.Pointer[scoring.Thresholds]
}

func (a *Agent) setupPipelines(ctx context.Context) error {
	for i := range a.cfg.Sensors {
		sc := a.cfg.Sensors[i]
		open, ok := a.opts.Drivers[sc.Driver]
		if !ok {
			return fmt.Errorf("agent: sensors[%d] %q: unknown driver %q", i, sc.Name, sc.Driver)
		}
		spec := sc.Spec()
		s, err := open(ctx, spec, a.opts.Buses)
		if err != nil {
			return fmt.Errorf("agent: open sensor %q: %w", sc.Name, err)
		}
		p := &pipeline{spec: spec, cfg: sc, sensor: s, channels: s.Channels(),
			data: make(chan *chunk, chunkCount), free: make(chan *chunk, chunkCount),
			offers: make(chan slotOffer), done: make(chan struct{})}
		if p.checker, err = quality.New(p.channels, qualityLimits(sc)); err != nil {
			s.Close()
			return fmt.Errorf("agent: sensors[%d] %q limits: %w", i, sc.Name, err)
		}
		a.pipes = append(a.pipes, p)
		for range chunkCount {
			p.free <- &chunk{stride: len(p.channels), times: make([]int64, chunkSamples),
				values: make([]float64, chunkSamples*len(p.channels)), valid: make([]bool, chunkSamples)}
		}
		names := make([]string, len(p.channels))
		for j, c := range p.channels {
			names[j] = c.Name
		}
		a.log.Info("sensor open", "sensor", sc.Name, "driver", sc.Driver, "channels", names)
		for j := range a.cfg.Models {
			mc := a.cfg.Models[j]
			if mc.Sensor != sc.Name {
				continue
			}
			r, err := a.newRunner(mc, names, sc.Rate)
			if err != nil {
				return fmt.Errorf("agent: models[%d] %q: %w", j, mc.Name, err)
			}
			r.slot.offers, r.slot.stopped = p.offers, p.done
			p.runners = append(p.runners, r)
			if ok, err := a.startFromStore(ctx, r); ok || err != nil {
				if err != nil {
					a.modelFailed(r, err)
				}
				continue
			}
			// A model that cannot be loaded does not stop the agent: its
			// slot shows failed and watchModels retries it.
			if r.lm, err = a.loadModel(mc, r.win.Len()); err != nil {
				a.modelFailed(r, err)
				continue
			}
			r.slot.state.Store(&slotState{Version: mc.Version, State: fleet.ModelActive})
			r.obs.pub.Store(r.lm)
			a.log.Info("model loaded", "model", mc.Name, "version", mc.Version, "sensor", sc.Name,
				"runtime", r.lm.used.Runtime, "delegate", r.lm.used.Delegate, "window", mc.Window, "hop", mc.Hop, "inputs", r.win.Len())
		}
	}
	return nil
}

// qualityLimits maps a sensor's config onto the quality checks.
func qualityLimits(sc config.Sensor) quality.Limits {
	lim := quality.Limits{StuckSamples: sc.StuckSamples, Channels: map[string]quality.ChannelLimits{}}
	for ch, r := range sc.Limits {
		lim.Channels[ch] = quality.ChannelLimits{Min: &r.Min, Max: &r.Max}
	}
	return lim
}

// newRunner builds the config-derived part of a model's slot (window,
// alert state); the model itself is loaded by loadModel.
func (a *Agent) newRunner(mc config.Model, channelNames []string, rate float64) (*runner, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("sensor %q needs a rate to size the window", mc.Sensor)
	}
	r := &runner{cfg: mc, topic: a.topics.Scores(mc.Name), chanNames: channelNames, rate: rate, verdicts: make(chan verdictMsg, 1)}
	r.slot.state.Store(&slotState{Version: mc.Version, State: fleet.ModelFailed, Err: "not loaded yet"})
	var err error
	r.th = thresholdsOf(mc)
	if r.scorer, err = scoring.New(r.th); err != nil {
		return nil, err
	}
	if mc.Bundle != "" {
		return r, nil // windowing comes with the bundle
	}
	spec, err := specOf(mc, channelNames, rate)
	if err != nil {
		return nil, err
	}
	if r.win, err = preprocess.New(spec); err != nil {
		return nil, err
	}
	r.spec.Store(&spec)
	r.inputLen = r.win.Len()
	return r, nil
}

// specOf is the windowing of mc on a sensor with these channels and rate.
func specOf(mc config.Model, channelNames []string, rate float64) (preprocess.Spec, error) {
	chans, err := preprocess.ChannelIndex(channelNames, mc.Channels)
	if err != nil {
		return preprocess.Spec{}, err
	}
	spec := preprocess.Spec{Channels: chans, Features: mc.Features, Rate: rate,
		Window: int(math.Round(mc.Window.Seconds() * rate)), Hop: int(math.Round(mc.Hop.Seconds() * rate))}
	if mc.Normalize != nil {
		spec.Mean, spec.Std = mc.Normalize.Mean, mc.Normalize.Std
	}
	return spec, nil
}

func thresholdsOf(mc config.Model) scoring.Thresholds {
	return scoring.Thresholds{Warn: mc.Thresholds.Warn, Alarm: mc.Thresholds.Alarm, Raise: mc.Thresholds.Raise, Clear: mc.Thresholds.Clear}
}

// readLoop is the sensor goroutine: it reads or streams samples into chunks
// and retries a failing sensor with backoff, reopening it, until ctx ends.
// A failing sensor never stops the others: each has its own goroutine.
func (p *pipeline) readLoop(ctx context.Context, a *Agent) {
	defer close(p.data)
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := p.readOnce(ctx, a)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, sensors.ErrEnd) {
			a.log.Info("sensor source ended; its pipeline finishes", "sensor", p.spec.Name, "samples", p.stats.Snapshot(time.Now()).Samples)
			return
		}
		p.stats.AddReadError()
		p.report(a, p.checker.ReadFailed(time.Now(), err))
		wait := quality.DefaultBackoff.Delay(attempt, rand.Float64())
		a.log.Debug("sensor read failed; retrying", "sensor", p.spec.Name, "err", err, "attempt", attempt+1, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := p.reopen(ctx, a); err != nil {
			a.log.Debug("sensor reopen failed", "sensor", p.spec.Name, "err", err)
			continue
		}
		attempt = -1 // reopened: the next failure starts the backoff again
	}
}

// report turns quality transitions into sensor_fault / sensor_ok events.
func (p *pipeline) report(a *Agent, trs []quality.Transition) {
	for _, tr := range trs {
		data := map[string]any{"reason": string(tr.Reason), "detail": tr.Detail}
		if tr.Channel != "" {
			data["channel"] = tr.Channel
		}
		if tr.Raised {
			a.log.Warn("sensor fault", "sensor", p.spec.Name, "channel", tr.Channel, "reason", tr.Reason, "detail", tr.Detail)
			a.event(fleet.EventSensorFault, "warning", p.spec.Name, tr.String(), data)
		} else {
			a.log.Info("sensor fault cleared", "sensor", p.spec.Name, "channel", tr.Channel, "reason", tr.Reason)
			a.event(fleet.EventSensorOK, "info", p.spec.Name, tr.String(), data)
		}
	}
}

func (p *pipeline) reopen(ctx context.Context, a *Agent) error {
	p.sensor.Close()
	s, err := a.opts.Drivers[p.spec.Driver](ctx, p.spec, a.opts.Buses)
	if err != nil {
		return err
	}
	if got := s.Channels(); len(got) != len(p.channels) {
		s.Close()
		return fmt.Errorf("reopened sensor has %d channels, had %d", len(got), len(p.channels))
	}
	p.sensorMu.Lock()
	p.sensor = s
	p.sensorMu.Unlock()
	return nil
}

// currentSensor is the open sensor, for goroutines other than the reader.
func (p *pipeline) currentSensor() sensors.Sensor {
	p.sensorMu.Lock()
	defer p.sensorMu.Unlock()
	return p.sensor
}

// readOnce reads until the sensor fails (error) or ctx ends.
func (p *pipeline) readOnce(ctx context.Context, a *Agent) error {
	c := p.take()
	flush := func() {
		if c.n > 0 {
			p.send(c)
			c = p.take()
		}
	}
	defer func() {
		if c.n > 0 {
			p.send(c)
		} else {
			p.free <- c
		}
	}()
	if st, ok := p.sensor.(sensors.Streamer); ok {
		return st.Stream(ctx, func(b *sensors.Batch) error {
			if b.Valid == nil || len(b.Valid) != b.Len() || b.Stride != len(p.channels) || len(b.Values) != b.Len()*b.Stride {
				return fmt.Errorf("driver delivered a malformed batch (%d times, %d values, stride %d, %d valid flags)",
					b.Len(), len(b.Values), b.Stride, len(b.Valid))
			}
			p.report(a, p.checker.CheckBatch(b))
			invalid := 0
			for i := range b.Len() {
				if !b.Valid[i] {
					invalid++
				}
				c.add(b.Times[i], b.Values[i*b.Stride:(i+1)*b.Stride], b.Valid[i])
				if c.full() {
					flush()
				}
			}
			p.stats.AddSamples(b.Len())
			p.stats.AddInvalid(invalid)
			flush()
			return nil
		})
	}
	s := sensors.Sample{Values: make([]float64, len(p.channels))}
	last := time.Now()
	for {
		if err := p.sensor.Read(ctx, &s); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		p.report(a, p.checker.Check(&s))
		p.stats.AddSamples(1)
		if !s.Valid {
			p.stats.AddInvalid(1)
		}
		c.add(s.Time.UnixNano(), s.Values, s.Valid)
		// Low-rate sensors send every sample; fast ones in chunks.
		if c.full() || time.Since(last) > 50*time.Millisecond {
			flush()
			last = time.Now()
		}
	}
}

// take returns an empty chunk; when none is free the pipeline has fallen
// behind, and the oldest filled chunk is dropped and reused.
func (p *pipeline) take() *chunk {
	select {
	case c := <-p.free:
		c.n = 0
		return c
	default:
	}
	select {
	case c := <-p.free:
		c.n = 0
		return c
	case c := <-p.data:
		p.stats.AddDropped(c.n)
		c.n = 0
		return c
	}
}

func (p *pipeline) send(c *chunk) {
	p.sent++
	c.seq = p.sent
	p.data <- c
}

// processLoop is the pipeline goroutine: it windows samples and runs the
// models until the sensor goroutine closes the data channel. Offered models
// are swapped in between chunks, which is between windows: a window is
// scored the moment it is complete.
func (p *pipeline) processLoop(ctx context.Context, a *Agent) {
	defer close(p.done)
	var last uint64
	for {
		var c *chunk
		select {
		case o := <-p.offers:
			o.apply()
			continue
		case next, ok := <-p.data:
			if !ok {
				return
			}
			c = next
		}
		if c.seq != last+1 {
			// Chunks were dropped: no window may span the hole.
			for _, r := range p.runners {
				if r.win != nil {
					r.win.Push(0, nil, false)
				}
			}
		}
		last = c.seq
		for i := range c.n {
			vals := c.values[i*c.stride : (i+1)*c.stride]
			for _, r := range p.runners {
				if r.win == nil {
					continue
				}
				ready, err := r.win.Push(c.times[i], vals, c.valid[i])
				if err != nil {
					a.log.Error("windowing failed", "model", r.cfg.Name, "err", err)
					continue
				}
				if ready && r.lm != nil {
					r.score(context.WithoutCancel(ctx), a)
				}
			}
		}
		p.free <- c
		p.consumed.Add(1)
	}
}

// score runs the model on the current window and commits the result.
func (r *runner) score(ctx context.Context, a *Agent) {
	lm := r.lm
	start, end := r.win.Span()
	vs, committed := r.obs.stats(lm.cfg.Version), false
	defer func() {
		if !committed {
			vs.dropped.Add(1)
		}
	}()
	if err := r.win.Compute(lm.input); err != nil {
		a.log.Error("features failed", "model", r.cfg.Name, "err", err)
		r.observe(probation.Window{End: time.Unix(0, end), Err: err})
		return
	}
	if err := preprocess.Fill(lm.model.Input(0), lm.input, lm.in); err != nil {
		a.log.Error("filling model input failed", "model", r.cfg.Name, "err", err)
		r.observe(probation.Window{End: time.Unix(0, end), Err: err})
		return
	}
	t0 := time.Now()
	if err := lm.model.Invoke(ctx); err != nil {
		a.log.Error("model invoke failed", "model", r.cfg.Name, "err", err)
		r.observe(probation.Window{End: time.Unix(0, end), Err: err})
		return
	}
	took := time.Since(t0)
	r.latency.Observe(took)
	var err error
	r.outputs, err = preprocess.Read(r.outputs, lm.model.Output(lm.cfg.Output.Index), lm.out)
	if err != nil {
		a.log.Error("reading model output failed", "model", r.cfg.Name, "err", err)
		r.observe(probation.Window{End: time.Unix(0, end), Err: err, Latency: took})
		return
	}
	r.windows.Add(1)
	sc := fleet.Score{V: fleet.Version, TS: a.now().UTC(), Model: r.cfg.Name, Version: lm.cfg.Version,
		Window: fleet.Window{Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC()}}
	value := r.outputs[0]
	if len(lm.cfg.Output.Labels) > 0 {
		best := 0
		for i, v := range r.outputs {
			if v > r.outputs[best] {
				best = i
			}
		}
		sc.Label, value = lm.cfg.Output.Labels[best], r.outputs[best]
		sc.Outputs = r.outputs
	} else if len(r.outputs) > 1 {
		sc.Outputs = r.outputs
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		a.log.Warn("model produced a non-finite score; window skipped", "model", r.cfg.Name)
		r.observe(probation.Window{End: time.Unix(0, end), Score: value, Outputs: r.outputs, Latency: took})
		return
	}
	sc.Score = &value
	r.useThresholds()
	state, changed := r.scorer.Update(value)
	sc.Alert = state
	r.observe(probation.Window{End: time.Unix(0, end), Score: value, Outputs: r.outputs, Latency: took, Alert: state != fleet.AlertOK})
	if sh := r.shadow.Load(); sh != nil {
		sh.offer(lm.input, start, end, value, state != fleet.AlertOK)
	}
	recs := make([]buffer.Record, 0, 2)
	b, err := json.Marshal(sc)
	if err != nil {
		a.log.Error("encoding score", "err", err)
		return
	}
	recs = append(recs, buffer.Record{Class: buffer.ClassScore, Topic: r.topic, Time: sc.TS, Payload: b})
	var ev fleet.Event
	if changed {
		ev = r.alertEvent(sc, a)
		eb, err := json.Marshal(ev)
		if err == nil {
			recs = append(recs, buffer.Record{Class: buffer.ClassEvent, Topic: a.topics.Events(), Time: ev.TS, Payload: eb})
		}
	}
	if err := a.commit(ctx, recs); err != nil {
		return
	}
	committed = true
	r.obs.scored(vs, time.Unix(0, end), value, state, took, a.now())
	drifted := r.driftWindow(a, lm, vs, time.Unix(0, end), value)
	r.captureWindow(a, lm, start, end, value, state, changed, drifted)
	r.obs.memory.add(scoredWindow{seq: recs[0].Seq, end: end, version: lm.cfg.Version, predicted: alarmed(lm.cfg.Thresholds, value)})
	if a.opts.OnScore != nil {
		a.opts.OnScore(sc)
	}
	if changed && a.opts.OnEvent != nil {
		a.opts.OnEvent(ev)
	}
}

func (r *runner) alertEvent(sc fleet.Score, a *Agent) fleet.Event {
	kind, sev := fleet.EventAlert, "warning"
	msg := fmt.Sprintf("model %s score %.3g: state %s", r.cfg.Name, *sc.Score, sc.Alert)
	switch sc.Alert {
	case fleet.AlertAlarm:
		sev = "critical"
	case fleet.AlertOK:
		kind, sev = fleet.EventAlertClear, "info"
	}
	a.log.Info("alert state changed", "model", r.cfg.Name, "state", sc.Alert, "score", *sc.Score)
	return fleet.Event{V: fleet.Version, TS: sc.TS, Kind: kind, Severity: sev, Source: r.cfg.Name, Message: msg,
		Data: map[string]any{"state": sc.Alert, "score": *sc.Score, "model": r.cfg.Name, "version": sc.Version}}
}

func (p *pipeline) close(a *Agent) {
	for _, r := range p.runners {
		if r.lm != nil {
			r.lm.close()
		}
	}
	if p.sensor != nil {
		if err := p.sensor.Close(); err != nil {
			a.log.Warn("closing sensor", "sensor", p.spec.Name, "err", err)
		}
	}
}
