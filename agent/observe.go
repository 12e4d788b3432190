package agent

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/api"
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
}

// observer is the monitoring state of one runner. Its methods are safe for
// concurrent use: the pipeline goroutine records, API requests read.
type observer struct {
	// pub is the model the slot runs, published for Predict, which loads
	// its own instance from the same bytes (the slot's instance belongs to
	// the pipeline goroutine).
	pub atomic.Pointer[loadedModel]

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
func (o *observer) series(since time.Time) (pts []api.Point, alert string, cur *versionStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range o.points {
		if !p.T.Before(since) {
			pts = append(pts, p)
		}
	}
	if n := len(o.versions); n > 0 {
		cur = o.versions[n-1]
	}
	alert = o.alert
	if alert == "" {
		alert = fleet.AlertOK
	}
	return pts, alert, cur
}

// allStats is a copy of the list of observed versions, oldest first.
func (o *observer) allStats() []*versionStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*versionStats(nil), o.versions...)
}
