package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/probation"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/store"
)

// Shadow mode. A model.deploy with "mode":"shadow" runs the deploy steps up
// to self_test, then keeps the candidate beside the champion instead of
// swapping it in:
//
//	pipeline goroutine: champion scores window ──copy──▶ bounded channel
//	                                              (full: window skipped, counted)
//	shadow goroutine:   candidate scores it ──▶ axle/<dev>/shadow/<model>
//	                    probation.Shadow compares ──▶ shadow events (periodic)
//	watcher:            model.promote / criteria met ──▶ swap in, probation
//	                    model.discard ──▶ candidate closed
//
// The champion never waits for the candidate.

// shadowQueue is how many windows may wait for the candidate; more are
// skipped (counted), so a slow candidate costs bounded memory.
const shadowQueue = 4

// shadowCriteria are deploy args under which the agent promotes the
// candidate by itself: {"promote_after": {"windows": N, "min_agreement":
// 0.95, "max_p95_diff": x}}.
type shadowCriteria struct {
	Windows      int64    `json:"windows"`
	MinAgreement *float64 `json:"min_agreement,omitempty"`
	MaxP95Diff   *float64 `json:"max_p95_diff,omitempty"`
}

func (c *shadowCriteria) validate() error {
	switch {
	case c.Windows <= 0:
		return errors.New("args field \"promote_after.windows\": must be positive")
	case c.MinAgreement != nil && !(*c.MinAgreement >= 0 && *c.MinAgreement <= 1):
		return fmt.Errorf("args field \"promote_after.min_agreement\": %g is not between 0 and 1", *c.MinAgreement)
	case c.MaxP95Diff != nil && !(*c.MaxP95Diff >= 0 && !math.IsInf(*c.MaxP95Diff, 0)):
		return fmt.Errorf("args field \"promote_after.max_p95_diff\": %g is not a finite non-negative number", *c.MaxP95Diff)
	}
	return nil
}

// met says whether st satisfies the criteria.
func (c *shadowCriteria) met(st probation.ShadowStats) bool {
	if st.Windows < c.Windows {
		return false
	}
	if c.MinAgreement != nil && st.Agreement < *c.MinAgreement {
		return false
	}
	if c.MaxP95Diff != nil && (st.P95AbsDiff > *c.MaxP95Diff || st.NonFinite > 0) {
		return false
	}
	return true
}

// shadowWindow is one champion window handed to the candidate.
type shadowWindow struct {
	input      []float32
	start, end int64
	score      float64
	alert      bool
}

// shadowRun is a candidate scoring in shadow beside r's champion.
type shadowRun struct {
	skipped  atomic.Int64
	compared atomic.Int64
	agreed   atomic.Int64

	lm      *loadedModel // the candidate; the shadow goroutine's until it ends
	version string
	audit   store.Audit // of the bundle, for the activation
	crit    *shadowCriteria
	period  time.Duration // comparison events

	queue chan *shadowWindow // to the shadow goroutine
	free  chan *shadowWindow // buffers not in use
	ready chan struct{}      // the criteria were met (has room for one)
	stop  chan struct{}
	done  chan struct{}

	last atomic.Pointer[fleet.ShadowStatus] // last comparison, for metrics
}

// offer hands the champion's window to the candidate without waiting;
// pipeline goroutine only.
func (s *shadowRun) offer(input []float32, start, end int64, score float64, alert bool) {
	var w *shadowWindow
	select {
	case w = <-s.free:
	default:
		s.skipped.Add(1)
		return
	}
	w.input = append(w.input[:0], input...)
	w.start, w.end, w.score, w.alert = start, end, score, alert
	s.queue <- w // cannot block: queue and free share shadowQueue buffers
}

// status is the candidate's line in the device status.
func (s *shadowRun) status() *fleet.ShadowStatus {
	st := &fleet.ShadowStatus{Version: s.version, Windows: s.compared.Load(), Skipped: s.skipped.Load()}
	if st.Windows > 0 {
		st.Agreement = float64(s.agreed.Load()) / float64(st.Windows)
	}
	return st
}

func shadowStatusOf(version string, st probation.ShadowStats, skipped int64) *fleet.ShadowStatus {
	return &fleet.ShadowStatus{Version: version, Windows: st.Windows, Skipped: skipped, Agreement: st.Agreement,
		MeanDiff: st.MeanAbsDiff, P95Diff: st.P95AbsDiff, NonFinite: st.NonFinite,
		P50US: st.CandidateP50.Microseconds(), P99US: st.CandidateP99.Microseconds()}
}

// startShadow puts lm (loaded and self-tested, windowing like the
// champion) beside r's champion and starts its goroutine; the deployment's
// watcher (watchShadow) owns its stop.
func (a *Agent) startShadow(ctx context.Context, r *runner, d *deployment, lm *loadedModel, audit store.Audit, crit *shadowCriteria) (*shadowRun, error) {
	if lm.win != nil {
		return nil, failAt(stepLoad, errors.New("shadow mode needs the candidate to window like the running version (same channels, window, hop, features and normalisation)"))
	}
	s := &shadowRun{lm: lm, version: lm.cfg.Version, audit: audit, crit: crit, period: a.metricsEvery(),
		queue: make(chan *shadowWindow, shadowQueue), free: make(chan *shadowWindow, shadowQueue),
		ready: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if s.period <= 0 {
		s.period = time.Minute
	}
	for range shadowQueue {
		s.free <- &shadowWindow{input: make([]float32, 0, len(lm.input))}
	}
	d.shadow = s
	go s.run(context.WithoutCancel(ctx), a, r)
	r.shadow.Store(s)
	a.statusDirty.Store(true)
	return s, nil
}

// halt takes the candidate away from the pipeline and waits for its
// goroutine; the caller then owns lm.
func (s *shadowRun) halt(r *runner) {
	r.shadow.CompareAndSwap(s, nil)
	close(s.stop)
	<-s.done
}

// run is the shadow goroutine: it scores queued windows with the candidate
// and compares, until stop.
func (s *shadowRun) run(ctx context.Context, a *Agent, r *runner) {
	defer close(s.done)
	cmp := probation.NewShadow()
	tick := time.NewTicker(s.period)
	defer tick.Stop()
	lm := s.lm
	var outputs []float64
	candAlert := false
	report := func() {
		st := shadowStatusOf(s.version, cmp.Stats(), s.skipped.Load())
		s.last.Store(st)
		a.statusDirty.Store(true) // the status shows the windows compared
		var data map[string]any
		if b, err := json.Marshal(st); err == nil && json.Unmarshal(b, &data) == nil {
			data["model"] = r.cfg.Name
			a.event(fleet.EventShadow, "info", r.cfg.Name, fmt.Sprintf("model %s shadow %s: %d windows, agreement %.3f, p95 |diff| %.3g",
				r.cfg.Name, s.version, st.Windows, st.Agreement, st.P95Diff), data)
		}
	}
	for {
		var w *shadowWindow
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if cmp.Stats().Windows > 0 {
				report()
			}
			continue
		case w = <-s.queue:
		}
		cw := probation.ShadowWindow{ChampionScore: w.score, ChampionAlert: w.alert, CandidateScore: math.NaN(), CandidateAlert: candAlert}
		var value float64
		var label string
		err := preprocess.Fill(lm.model.Input(0), w.input, lm.in)
		if err == nil {
			t0 := time.Now()
			err = lm.model.Invoke(ctx)
			cw.CandidateLatency = time.Since(t0)
		}
		if err == nil {
			outputs, err = preprocess.Read(outputs, lm.model.Output(lm.cfg.Output.Index), lm.out)
		}
		s.free <- w
		if err != nil {
			a.log.Warn("shadow candidate failed on a window", "model", r.cfg.Name, "version", s.version, "err", err)
		} else {
			value, label = scoreOf(outputs, lm.cfg.Output.Labels)
			cw.CandidateScore = value
			sc := fleet.Score{V: fleet.Version, TS: a.now().UTC(), Model: r.cfg.Name, Version: s.version, Label: label,
				Window: fleet.Window{Start: time.Unix(0, w.start).UTC(), End: time.Unix(0, w.end).UTC()}}
			if len(outputs) > 1 {
				sc.Outputs = outputs
			}
			if !math.IsNaN(value) && !math.IsInf(value, 0) {
				state, _ := lm.scorer.Update(value)
				candAlert = state != fleet.AlertOK
				cw.CandidateAlert = candAlert
				sc.Score, sc.Alert = &value, state
			}
			if b, err := json.Marshal(sc); err == nil {
				a.commit(ctx, []buffer.Record{{Class: buffer.ClassScore, Topic: a.topics.Shadow(r.cfg.Name), Time: sc.TS, Payload: b}})
			}
		}
		cmp.Observe(cw)
		s.compared.Add(1)
		if cw.ChampionAlert == cw.CandidateAlert {
			s.agreed.Add(1)
		}
		if s.crit != nil && s.compared.Load() >= s.crit.Windows {
			if st := cmp.Stats(); s.crit.met(st) {
				select {
				case s.ready <- struct{}{}:
				default:
				}
			}
		}
	}
}

// scoreOf is a window's score: the first output, or with labels the
// largest output and its label.
func scoreOf(outputs []float64, labels []string) (float64, string) {
	if len(outputs) == 0 {
		return math.NaN(), ""
	}
	if len(labels) == 0 {
		return outputs[0], ""
	}
	best := 0
	for i, v := range outputs {
		if v > outputs[best] {
			best = i
		}
	}
	return outputs[best], labels[best]
}

// watchShadow waits, for the deployment d of a shadow candidate, for an
// operator's command or the criteria, then promotes or discards it. It
// releases d (after a promotion, once the probation has ended).
func (a *Agent) watchShadow(ctx context.Context, r *runner, d *deployment) {
	s := d.shadow
	promote := func(why string) (map[string]any, *loadedModel, bool) {
		s.halt(r)
		a.statusDirty.Store(true)
		prev, swap, err := a.swapIn(ctx, r, d, s.lm, s.audit)
		if err != nil {
			a.log.Error("promoting the shadow candidate failed; the running version is untouched", "model", r.cfg.Name, "version", s.version, "err", err)
			a.event(fleet.EventDeployment, "warning", r.cfg.Name, fmt.Sprintf("model %s shadow %s promotion failed: %v", r.cfg.Name, s.version, err),
				map[string]any{"model": r.cfg.Name, "version": s.version, "step": "shadow_promote", "error": err.Error()})
			a.release(r, d)
			return map[string]any{"error": err.Error()}, nil, false
		}
		st := s.status()
		res := map[string]any{"model": r.cfg.Name, "version": s.version, "previous": s.lm.state.Previous, "state": fleet.ModelProbation,
			"reason": why, "windows": st.Windows, "agreement": st.Agreement, "swap_ms": float64(swap.Microseconds()) / 1000}
		a.log.Info("shadow candidate promoted; on probation", "model", r.cfg.Name, "version", s.version, "reason", why, "windows", st.Windows, "agreement", st.Agreement)
		a.event(fleet.EventDeployment, "info", r.cfg.Name, fmt.Sprintf("model %s shadow %s promoted (%s), on probation", r.cfg.Name, s.version, why),
			map[string]any{"model": r.cfg.Name, "version": s.version, "step": "active", "mode": fleet.ModeShadow, "reason": why, "windows": st.Windows, "agreement": st.Agreement})
		return res, prev, true
	}
	for {
		select {
		case <-ctx.Done():
			// A shadow run does not outlive the agent: the candidate stays
			// installed in the store, inactive.
			s.halt(r)
			s.lm.close()
			a.release(r, d)
			return
		case <-s.ready:
			if _, prev, ok := promote("promote_after criteria met"); ok {
				a.watchProbation(ctx, r, d, s.lm, prev)
			}
			return
		case c := <-d.ctl:
			switch c.verb {
			case fleet.VerbModelPromote:
				res, prev, ok := promote("model.promote")
				if !ok {
					c.reply <- ctlReply{err: fmt.Errorf("model %s: promote shadow %s: %s", r.cfg.Name, s.version, res["error"])}
					return
				}
				c.reply <- ctlReply{result: res}
				a.watchProbation(ctx, r, d, s.lm, prev)
				return
			case fleet.VerbModelDiscard:
				s.halt(r)
				st := shadowStatusOf(s.version, probation.ShadowStats{Windows: s.compared.Load()}, s.skipped.Load())
				s.lm.close()
				a.release(r, d)
				a.statusDirty.Store(true)
				a.log.Info("shadow candidate discarded", "model", r.cfg.Name, "version", s.version, "windows", st.Windows)
				a.event(fleet.EventDeployment, "info", r.cfg.Name, fmt.Sprintf("model %s shadow %s discarded", r.cfg.Name, s.version),
					map[string]any{"model": r.cfg.Name, "version": s.version, "step": "discard", "mode": fleet.ModeShadow})
				c.reply <- ctlReply{result: map[string]any{"model": r.cfg.Name, "discarded": s.version, "version": r.Current().Version}}
				return
			default:
				c.reply <- ctlReply{err: fmt.Errorf("model %s: version %s runs in shadow; send model.promote or model.discard", r.cfg.Name, s.version)}
			}
		}
	}
}

// shadowStatus is r's shadow candidate for the status, nil without one.
func (r *runner) shadowStatus() *fleet.ShadowStatus {
	if s := r.shadow.Load(); s != nil {
		return s.status()
	}
	return nil
}

// shadowMetrics adds r's shadow candidate, if any, to the metrics under
// prefix pre: live window counts and the last periodic comparison.
func (r *runner) shadowMetrics(v map[string]float64, pre string) {
	s := r.shadow.Load()
	if s == nil {
		return
	}
	v[pre+"shadow_windows_total"] = float64(s.compared.Load())
	v[pre+"shadow_skipped_total"] = float64(s.skipped.Load())
	if st := s.last.Load(); st != nil {
		v[pre+"shadow_agreement"] = st.Agreement
		v[pre+"shadow_mean_abs_diff"] = st.MeanDiff
		v[pre+"shadow_p95_abs_diff"] = st.P95Diff
		v[pre+"shadow_latency_p50_seconds"] = float64(st.P50US) / 1e6
		v[pre+"shadow_latency_p99_seconds"] = float64(st.P99US) / 1e6
	}
}
