package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/api"
	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors/quality"
)

// The agent is the local API's Source (package agent/api): this file
// answers its questions from the running pipelines.

// observeState is the API listener opened at setup, its server, and the
// ground-truth label store.
type observeState struct {
	ln     net.Listener
	srv    *api.Server
	labels *labelStore
	// caps and capQ are the capture store and its write queue (captures.go);
	// nil when captures are off.
	caps *capture.Store
	capQ *capture.Queue
}

// openObserve opens the label store and, when the config enables the API,
// its listener, so that a taken port fails setup rather than going
// unnoticed.
func (a *Agent) openObserve() error {
	var names []string
	for _, m := range a.cfg.Models {
		names = append(names, m.Name)
	}
	ls, err := openLabelStore(a.cfg.StateDir, names, a.now)
	if err != nil {
		return err
	}
	a.observe.labels = ls
	if err := a.openCaptures(); err != nil {
		return err
	}
	c := a.cfg.API
	if !c.Enabled() {
		return nil
	}
	o := api.Options{MaxBodyBytes: int64(c.MaxBodyBytes), MaxConcurrent: c.MaxConcurrent, Timeout: c.Timeout}
	if c.TokenFile != "" {
		tok, err := api.ReadToken(c.TokenFile)
		if err != nil {
			return fmt.Errorf("agent: api.token_file: %w", err)
		}
		o.Token = tok
	}
	srv, err := api.New(a, o)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	ln, err := api.Listen(c.Listen, c.Socket)
	if err != nil {
		return fmt.Errorf("agent: api: %w", err)
	}
	a.observe.ln, a.observe.srv = ln, srv
	return nil
}

// startObserve runs the capture writer and serves the API on wg until ctx
// ends.
func (a *Agent) startObserve(ctx context.Context, wg *sync.WaitGroup) {
	if q := a.observe.capQ; q != nil {
		wg.Go(func() { q.Run(ctx, a.observe.caps, a.captureDone) })
	}
	if a.observe.srv == nil {
		return
	}
	wg.Go(func() {
		if err := a.observe.srv.Serve(ctx, a.observe.ln); err != nil {
			a.log.Error("local API stopped", "err", err)
		}
	})
	a.log.Info("serving the local API", "addr", a.observe.ln.Addr().String())
}

// closeObserve closes the listener (Serve may not have run), the models
// Predict loaded and the label store; called once nothing serves requests
// or handles commands any more.
func (a *Agent) closeObserve() {
	if a.observe.ln != nil {
		a.observe.ln.Close()
	}
	for _, r := range a.runners() {
		r.pred.close()
	}
	if a.observe.labels != nil {
		if err := a.observe.labels.close(); err != nil {
			a.log.Error("closing feedback.db", "err", err)
		}
	}
}

// Ready implements api.Source: the outbox stores results, every sensor has
// delivered samples and every model is loaded.
func (a *Agent) Ready() (bool, string) {
	if a.out == nil {
		return false, "outbox is not open"
	}
	a.mu.Lock()
	appendErr := a.appendErr
	a.mu.Unlock()
	if appendErr != nil {
		return false, "outbox cannot store results: " + appendErr.Error()
	}
	for _, p := range a.pipes {
		if p.consumed.Load() == 0 {
			return false, fmt.Sprintf("sensor %q has delivered no samples yet", p.spec.Name)
		}
		for _, r := range p.runners {
			if cur := r.Current(); cur.State == fleet.ModelFailed {
				return false, fmt.Sprintf("model %q is not loaded: %s", r.cfg.Name, cur.Err)
			}
		}
	}
	return true, ""
}

// Status implements api.Source.
func (a *Agent) Status() fleet.Status { return a.status(fleet.StateOnline) }

// Models implements api.Source.
func (a *Agent) Models() []api.ModelInfo {
	var out []api.ModelInfo
	for _, r := range a.runners() {
		cur := r.Current()
		mi := api.ModelInfo{Name: r.cfg.Name, Version: cur.Version, State: cur.State, Error: cur.Err}
		if lm := r.obs.pub.Load(); lm != nil {
			mi.Inputs, mi.Outputs = lm.in.Elements(), lm.out.Elements()
			mi.Warn, mi.Alarm = lm.cfg.Thresholds.Warn, lm.cfg.Thresholds.Alarm
		}
		out = append(out, mi)
	}
	return out
}

// Series implements api.Source.
func (a *Agent) Series(since time.Time) []api.Series {
	var out []api.Series
	for _, r := range a.runners() {
		pts, alert, cur, drift := r.obs.series(since)
		s := api.Series{Model: r.cfg.Name, Version: r.Current().Version, Alert: alert, Points: pts}
		if lm := r.obs.pub.Load(); lm != nil {
			s.Warn, s.Alarm = lm.cfg.Thresholds.Warn, lm.cfg.Thresholds.Alarm
		}
		if cur != nil {
			s.LatencyP50 = cur.endToEnd.Quantile(0.5).Seconds()
			s.LatencyP99 = cur.endToEnd.Quantile(0.99).Seconds()
		}
		// Drift is the score's PSI; DriftActive says whether the score or
		// any input feature has drifted.
		for _, d := range drift {
			if d.Stream == "score" {
				s.Drift = d.PSI
			}
			s.DriftActive = s.DriftActive || d.Active
		}
		if s.Points == nil {
			s.Points = []api.Point{}
		}
		out = append(out, s)
	}
	return out
}

// WriteMetrics implements api.Source: the agent's self-metrics, then per
// model version the windows scored and dropped, and the Invoke and
// end-to-end latency histograms, labelled model, version and sensor.
func (a *Agent) WriteMetrics(w io.Writer) error {
	if err := monitor.WritePrometheus(w, a.snapshot()); err != nil {
		return err
	}
	type row struct {
		labels string
		vs     *versionStats
	}
	type driftRow struct {
		labels string
		d      driftStat
	}
	var rows []row
	var drifts []driftRow
	for _, r := range a.runners() {
		for _, vs := range r.obs.allStats() {
			rows = append(rows, row{monitor.Labels("model", r.cfg.Name, "version", vs.version, "sensor", r.cfg.Sensor), vs})
			for _, d := range r.obs.driftOf(vs) {
				drifts = append(drifts, driftRow{monitor.Labels("model", r.cfg.Name, "version", vs.version, "sensor", r.cfg.Sensor, "stream", d.Stream), d})
			}
		}
	}
	var b strings.Builder
	counter := func(name, help string, v func(*versionStats) uint64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for _, rw := range rows {
			fmt.Fprintf(&b, "%s%s %d\n", name, rw.labels, v(rw.vs))
		}
	}
	counter("axle_model_windows_scored_total", "Windows scored and durably committed.", func(vs *versionStats) uint64 { return vs.scored.Load() })
	counter("axle_model_windows_dropped_total", "Windows not scored or not stored (feature, invoke or output error, non-finite score, storage failure).",
		func(vs *versionStats) uint64 { return vs.dropped.Load() })
	hist := func(name, help string, h func(*versionStats) *monitor.Histogram) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
		for _, rw := range rows {
			monitor.WriteHistogramSeries(&b, name, rw.labels, h(rw.vs))
		}
	}
	hist("axle_model_invoke_duration_seconds", "Model Invoke latency.", func(vs *versionStats) *monitor.Histogram { return &vs.invoke })
	hist("axle_model_end_to_end_latency_seconds", "Latency from a window's end to its score being durable in the outbox.",
		func(vs *versionStats) *monitor.Histogram { return &vs.endToEnd })
	gauge := func(name, help string, v func(driftStat) float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, d := range drifts {
			fmt.Fprintf(&b, "%s%s %s\n", name, d.labels, strconv.FormatFloat(v(d.d), 'g', -1, 64))
		}
	}
	gauge("axle_model_drift_psi", "Population stability index of the stream (score or <channel>.<feature>) over the drift horizon against the bundle's baseline.",
		func(d driftStat) float64 { return d.PSI })
	gauge("axle_model_drift_ks", "Kolmogorov-Smirnov distance of the stream over the drift horizon against the bundle's baseline.",
		func(d driftStat) float64 { return d.KS })
	gauge("axle_model_drift_active", "1 while the stream is drifted (PSI reached drift.max_psi and has not fallen below drift.clear_psi).",
		func(d driftStat) float64 {
			if d.Active {
				return 1
			}
			return 0
		})
	a.writeFeedbackMetrics(&b)
	a.writeQualityMetrics(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeQualityMetrics writes per sensor channel the samples that passed and
// failed the quality checks since start, and the share that passed.
func (a *Agent) writeQualityMetrics(b *strings.Builder) {
	type row struct {
		sensor string
		q      quality.ChannelQuality
	}
	var rows []row
	for _, p := range a.pipes {
		for _, q := range p.checker.Quality() {
			rows = append(rows, row{p.spec.Name, q})
		}
	}
	const n = "axle_sensor_quality_samples_total"
	fmt.Fprintf(b, "# HELP %s Samples checked per channel since start, by result of the quality checks (range, NaN/Inf, stuck, driver flag).\n# TYPE %s counter\n", n, n)
	for _, rw := range rows {
		fmt.Fprintf(b, "%s%s %d\n", n, monitor.Labels("sensor", rw.sensor, "channel", rw.q.Channel, "result", "passed"), rw.q.Passed)
		fmt.Fprintf(b, "%s%s %d\n", n, monitor.Labels("sensor", rw.sensor, "channel", rw.q.Channel, "result", "failed"), rw.q.Checked-rw.q.Passed)
	}
	const sh = "axle_sensor_quality_share"
	fmt.Fprintf(b, "# HELP %s Share of the channel's samples since start that passed the quality checks.\n# TYPE %s gauge\n", sh, sh)
	for _, rw := range rows {
		if v, ok := rw.q.Share(); ok {
			fmt.Fprintf(b, "%s%s %s\n", sh, monitor.Labels("sensor", rw.sensor, "channel", rw.q.Channel), strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
}

// predictor is the model instance Predict runs for one slot, loaded from
// the bytes of the model the slot runs and reloaded when that changes.
// sem (capacity 1) guards it: one request at a time per model, and a
// waiter gives up when its context ends.
type predictor struct {
	sem   chan struct{}
	init  sync.Once
	lm    *loadedModel // the slot's model the instance was loaded from
	model models.Model
	out   []float64
}

func (p *predictor) lock(ctx context.Context) error {
	p.init.Do(func() { p.sem = make(chan struct{}, 1) })
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *predictor) unlock() { <-p.sem }

func (p *predictor) close() {
	if p.lock(context.Background()) != nil {
		return
	}
	defer p.unlock()
	if p.model != nil {
		p.model.Close()
		p.model, p.lm = nil, nil
	}
}

// Predict implements api.Source: it runs the model a slot runs, on an
// instance of its own, on each input vector.
func (a *Agent) Predict(ctx context.Context, model string, instances [][]float32) ([][]float32, error) {
	var r *runner
	for _, x := range a.runners() {
		if x.cfg.Name == model {
			r = x
		}
	}
	if r == nil {
		return nil, fmt.Errorf("agent: predict: %w %q", api.ErrUnknownModel, model)
	}
	lm := r.obs.pub.Load()
	if lm == nil {
		return nil, fmt.Errorf("agent: predict: model %q is not loaded: %s", model, r.Current().Err)
	}
	for i, in := range instances {
		if len(in) != lm.in.Elements() {
			return nil, fmt.Errorf("agent: predict: %w: instance %d has %d values, model %q version %s takes %d",
				api.ErrBadInput, i, len(in), model, lm.cfg.Version, lm.in.Elements())
		}
	}
	p := &r.pred
	if err := p.lock(ctx); err != nil {
		return nil, err
	}
	defer p.unlock()
	if p.lm != lm {
		m, _, err := a.loadRuntime(lm.cfg, lm.data)
		if err != nil {
			return nil, fmt.Errorf("agent: predict: load model %q version %s: %w", model, lm.cfg.Version, err)
		}
		if p.model != nil {
			p.model.Close()
		}
		p.model, p.lm = m, lm
	}
	preds := make([][]float32, len(instances))
	for i, in := range instances {
		if err := preprocess.Fill(p.model.Input(0), in, lm.in); err != nil {
			return nil, fmt.Errorf("agent: predict: instance %d: %w: %w", i, api.ErrBadInput, err)
		}
		if err := p.model.Invoke(ctx); err != nil {
			return nil, fmt.Errorf("agent: predict: model %q: %w", model, err)
		}
		var err error
		if p.out, err = preprocess.Read(p.out, p.model.Output(lm.cfg.Output.Index), lm.out); err != nil {
			return nil, fmt.Errorf("agent: predict: model %q output: %w", model, err)
		}
		preds[i] = make([]float32, len(p.out))
		for j, v := range p.out {
			preds[i][j] = float32(v)
		}
	}
	return preds, nil
}

// The agent serves feedback and captures through the API too.
var (
	_ api.FeedbackSource = (*Agent)(nil)
	_ api.CaptureSource  = (*Agent)(nil)
)
