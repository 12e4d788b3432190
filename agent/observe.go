package agent

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/api"
	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
)

// Monitoring of each model slot, for the local API and /metrics: counters
// and latency histograms per model version, and the recent scores for the
// live page.
const (
	// seriesHorizon is how far back the live page's scores go, in at most
	// seriesPoints points: one per seriesBucket, the highest score of the
	// bucket (an anomaly score's peaks are what an operator looks for).
	seriesHorizon = time.Hour
	seriesPoints  = 720
	seriesBucket  = seriesHorizon / seriesPoints
	// maxObservedVersions bounds the versions whose metrics are kept per
	// slot: the running one and those it replaced most recently.
	maxObservedVersions = 4
)

// versionStats are one model version's counters; the pipeline goroutine
// writes them, metrics readers read them.
type versionStats struct {
	scored, dropped atomic.Uint64
	invoke          monitor.Histogram // Invoke latency
	endToEnd        monitor.Histogram // window end to durable commit
	version         string
	drift           []driftStat // latest drift per stream; under observer.mu
}

// observer is the monitoring state of one runner. Its methods are safe for
// concurrent use: the pipeline goroutine records, API requests read.
type observer struct {
	// pub is the model the slot runs, published for Predict, which loads
	// its own instance from the same bytes (the slot's instance belongs to
	// the pipeline goroutine).
	pub atomic.Pointer[loadedModel]

	// drift measures the model in driftFor; pipeline goroutine only.
	drift    *driftTracker
	driftFor *loadedModel

	memory  windowMemory     // recent windows, for feedback
	sampler *capture.Sampler // the sample capture trigger; nil: off
	// cmdUntil (unix ns) and cmdRaw are the capture command's deadline
	// and mode, set by the command goroutine.
	cmdUntil atomic.Int64
	cmdRaw   atomic.Bool

	mu       sync.Mutex
	versions []*versionStats // oldest first, the current one last
	points   []api.Point     // oldest first, one per seriesBucket
	alert    string
}

// stats is the counters of version, made on its first window.
func (o *observer) stats(version string) *versionStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.versions); n > 0 && o.versions[n-1].version == version {
		return o.versions[n-1]
	}
	for i, vs := range o.versions {
		if vs.version == version { // back to an earlier version (rollback)
			o.versions = append(append(o.versions[:i:i], o.versions[i+1:]...), vs)
			return vs
		}
	}
	vs := &versionStats{version: version}
	if len(o.versions) == maxObservedVersions {
		o.versions = append(o.versions[:0], o.versions[1:]...)
	}
	o.versions = append(o.versions, vs)
	return vs
}

// scored records a committed window: its score at its end time, its alert
// state, how long Invoke took and how long after the window's end it was
// durable (committed at now).
func (o *observer) scored(vs *versionStats, end time.Time, score float64, alert string, invoke time.Duration, now time.Time) {
	vs.scored.Add(1)
	vs.invoke.Observe(invoke)
	vs.endToEnd.Observe(max(now.Sub(end), 0))
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alert = alert
	n := len(o.points)
	if n > 0 && o.points[n-1].T.Truncate(seriesBucket).Equal(end.Truncate(seriesBucket)) {
		if score > o.points[n-1].Score {
			o.points[n-1] = api.Point{T: end, Score: score}
		}
		return
	}
	drop := 0
	for drop < n && (end.Sub(o.points[drop].T) > seriesHorizon || n-drop >= seriesPoints) {
		drop++
	}
	if drop > 0 {
		o.points = append(o.points[:0], o.points[drop:]...)
	}
	o.points = append(o.points, api.Point{T: end, Score: score})
}

// series is the recorded scores ending after since, with the alert state
// and the current version's end-to-end latency.
func (o *observer) series(since time.Time) (pts []api.Point, alert string, cur *versionStats, drift []driftStat) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range o.points {
		if !p.T.Before(since) {
			pts = append(pts, p)
		}
	}
	if n := len(o.versions); n > 0 {
		cur = o.versions[n-1]
		drift = cur.drift
	}
	alert = o.alert
	if alert == "" {
		alert = fleet.AlertOK
	}
	return pts, alert, cur, drift
}

// driftWindow feeds a scored window to the drift tracker of lm (made when
// lm is new to the slot) and reports drift beginning or ending as events.
// Pipeline goroutine only.
func (r *runner) driftWindow(a *Agent, lm *loadedModel, vs *versionStats, end time.Time, score float64) (raised bool) {
	o := &r.obs
	if o.driftFor != lm {
		o.driftFor = lm
		var err error
		if o.drift, err = newDriftTracker(lm.cfg, lm.baseline); err != nil {
			a.log.Warn("model version is not monitored for drift: its baseline is unusable", "model", r.cfg.Name, "version", lm.cfg.Version, "err", err)
			a.event(fleet.EventModel, "warning", r.cfg.Name, fmt.Sprintf("model %s version %s: no drift monitoring: %v", r.cfg.Name, lm.cfg.Version, err),
				map[string]any{"model": r.cfg.Name, "version": lm.cfg.Version, "error": err.Error()})
		}
	}
	if o.drift == nil {
		return false
	}
	changes := o.drift.add(end, lm.input, score)
	st := o.drift.stats()
	o.mu.Lock()
	vs.drift = st
	o.mu.Unlock()
	for _, c := range changes {
		raised = raised || c.raised
		kind, sev, verb := fleet.EventDrift, "warning", "drifted from its baseline"
		if !c.raised {
			kind, sev, verb = fleet.EventDriftClear, "info", "is back near its baseline"
		}
		msg := fmt.Sprintf("model %s version %s: %s %s (PSI %.3f, KS %.3f)", r.cfg.Name, lm.cfg.Version, c.stream, verb, c.psi, c.ks)
		a.log.Info("drift "+map[bool]string{true: "raised", false: "cleared"}[c.raised], "model", r.cfg.Name, "version", lm.cfg.Version,
			"stream", c.stream, "psi", c.psi, "ks", c.ks)
		a.event(kind, sev, r.cfg.Name, msg, map[string]any{"model": r.cfg.Name, "version": lm.cfg.Version, "stream": c.stream,
			"psi": c.psi, "ks": c.ks, "max_psi": lm.cfg.Drift.MaxPSI, "clear_psi": lm.cfg.Drift.ClearPSI})
	}
	return raised
}

// allStats is a copy of the list of observed versions, oldest first.
func (o *observer) allStats() []*versionStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*versionStats(nil), o.versions...)
}

// driftOf is a copy of vs's drift statistics.
func (o *observer) driftOf(vs *versionStats) []driftStat {
	o.mu.Lock()
	defer o.mu.Unlock()
	return vs.drift
}
