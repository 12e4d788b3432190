package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
)

// housekeeping runs the periodic duties: drop reports, metrics, backlog
// progress and the systemd watchdog.
func (a *Agent) housekeeping(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	wd := watchdogInterval()
	h := health{stall: a.healthStall}
	unhealthy := "" // the reason reported for the current episode
	var lastWD, lastMetrics, lastProgress time.Time
	var eventsDropped uint64
	diskFull := false
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			a.reportDrops()
			eventsDropped = a.reportEventDrops(eventsDropped)
			diskFull = a.watchDisk(diskFull)
			if a.statusDirty.Load() && a.up.Connected() {
				a.statusDirty.Store(false)
				a.publishStatus(ctx)
			}
			why := h.observe(a.sample(now))
			switch {
			case why != "" && unhealthy == "":
				a.log.Error("agent is not making progress; no longer feeding the systemd watchdog", "reason", why)
			case why == "" && unhealthy != "":
				a.log.Info("agent is making progress again; feeding the watchdog", "after", unhealthy)
			}
			unhealthy = why
			a.healthy.Store(why == "")
			if wd > 0 && why == "" && now.Sub(lastWD) >= wd {
				lastWD = now
				sdNotify("WATCHDOG=1")
			}
			if iv := a.metricsEvery(); iv > 0 && now.Sub(lastMetrics) >= iv {
				lastMetrics = now
				a.publishMetrics(ctx)
			}
			if now.Sub(lastProgress) >= 10*time.Second {
				lastProgress = now
				a.logProgress()
			}
		}
	}
}

// reportEventDrops logs and reports events the queue had no room for since
// the last call (seen is the count reported so far) and returns the count.
func (a *Agent) reportEventDrops(seen uint64) uint64 {
	n := a.eventsDropped.Load()
	if n == seen {
		return n
	}
	a.log.Warn("event queue full; events dropped", "dropped", n-seen, "total", n)
	a.event(fleet.EventDrop, "warning", "agent", fmt.Sprintf("event queue full: dropped %d events", n-seen),
		map[string]any{"events": n - seen, "total": n})
	return n
}

func (a *Agent) reportDrops() {
	d := a.out.TakeDrops()
	if d.Scores == 0 && d.Events == 0 {
		return
	}
	a.log.Warn("outbox bound reached; oldest records dropped", "scores", d.Scores, "events", d.Events,
		"bytes", d.Bytes, "oldest_seq", d.OldestDropped, "newest_seq", d.NewestDropped)
	a.event(fleet.EventDrop, "warning", "outbox",
		fmt.Sprintf("outbox full: dropped %d scores and %d events", d.Scores, d.Events),
		map[string]any{"scores": d.Scores, "events": d.Events, "bytes": d.Bytes, "oldest_seq": d.OldestDropped, "newest_seq": d.NewestDropped})
}

func (a *Agent) logProgress() {
	p := a.deliver.Progress()
	if p.Draining && p.Backlog > 0 {
		a.log.Info("draining backlog", "records", p.Backlog, "rate_per_s", int(p.Rate), "eta", p.ETA.Round(time.Second))
	}
}

// publishStatus republishes the retained online status after a change.
func (a *Agent) publishStatus(ctx context.Context) {
	b, err := json.Marshal(a.status(fleet.StateOnline))
	if err != nil {
		return
	}
	if _, err := a.up.Publish(ctx, a.topics.Status(), 1, true, b); err != nil {
		a.statusDirty.Store(true) // try again on the next tick
		a.log.Debug("status publish failed", "err", err)
	}
}

func (a *Agent) publishMetrics(ctx context.Context) {
	if !a.up.Connected() {
		return
	}
	m := a.metrics()
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	if _, err := a.up.Publish(ctx, a.topics.Metrics(), 0, false, b); err != nil {
		a.log.Debug("metrics publish failed", "err", err)
	}
}

// metrics is the self-metrics snapshot published on the metrics topic:
// the local /metrics values plus the per-model monitoring figures and the
// per-channel quality share since start, which /metrics carries as
// labelled series instead (WriteMetrics).
func (a *Agent) metrics() fleet.Metrics {
	m := a.selfMetrics()
	for _, r := range a.runners() {
		a.monitorValues(m.Values, r)
	}
	for _, p := range a.pipes {
		for _, q := range p.checker.Quality() {
			if sh, ok := q.Share(); ok {
				m.Values["sensor_"+p.spec.Name+"_"+q.Channel+"_quality_share"] = sh
			}
		}
	}
	return m
}

// monitorValues adds the monitoring figures of r's current model version
// to v as flat keys model_<name>_...: windows scored and dropped,
// end-to-end latency quantiles, drift per stream and the quality
// against ground truth.
func (a *Agent) monitorValues(v map[string]float64, r *runner) {
	pre := "model_" + r.cfg.Name + "_"
	vers := r.obs.allStats()
	if len(vers) == 0 {
		return
	}
	vs := vers[len(vers)-1]
	v[pre+"windows_scored_total"] = float64(vs.scored.Load())
	v[pre+"windows_dropped_total"] = float64(vs.dropped.Load())
	// Invoke quantiles are model_<name>_invoke_*, from the slot's histogram.
	v[pre+"end_to_end_p50_seconds"] = vs.endToEnd.Quantile(0.5).Seconds()
	v[pre+"end_to_end_p99_seconds"] = vs.endToEnd.Quantile(0.99).Seconds()
	for _, d := range r.obs.driftOf(vs) {
		s := pre + "drift_" + strings.ReplaceAll(d.Stream, ".", "_") + "_"
		v[s+"psi"], v[s+"ks"] = d.PSI, d.KS
		v[s+"active"] = 0
		if d.Active {
			v[s+"active"] = 1
		}
	}
	if ls := a.observe.labels; ls != nil {
		_, m := ls.matricesOf(r.cfg.Name)
		if c, ok := m[vs.version]; ok {
			p, rc, f1 := c.scores()
			v[pre+"precision"], v[pre+"recall"], v[pre+"f1"] = p, rc, f1
			v[pre+"feedback_windows"] = float64(c.TP + c.FP + c.TN + c.FN)
		}
	}
}

// selfMetrics is the snapshot /metrics shares with the metrics topic.
func (a *Agent) selfMetrics() fleet.Metrics {
	v := delivery.Metrics(a.out.Stats(), a.up.Stats(), a.deliver.Progress())
	v["outbox_append_errors_total"] = float64(a.appendErrors.Load())
	v["events_dropped_total"] = float64(a.eventsDropped.Load())
	v["healthy"] = 0
	if a.healthy.Load() {
		v["healthy"] = 1
	}
	for _, p := range a.pipes {
		maps.Copy(v, p.stats.Snapshot(a.now()).Values("sensor_"+p.spec.Name+"_"))
		for _, r := range p.runners {
			pre := "model_" + r.cfg.Name + "_"
			v[pre+"windows_total"] = float64(r.windows.Load())
			v[pre+"invoke_p50_seconds"] = r.latency.Quantile(0.5).Seconds()
			v[pre+"invoke_p99_seconds"] = r.latency.Quantile(0.99).Seconds()
			v[pre+"invoke_mean_seconds"] = r.latency.Mean().Seconds()
			r.shadowMetrics(v, pre)
			r.runtimeMetrics(v, pre)
		}
	}
	v["uptime_seconds"] = a.now().Sub(a.started).Seconds()
	return fleet.Metrics{V: fleet.Version, TS: a.now().UTC(), Values: v}
}

// snapshot is the local /metrics view: the same values plus histograms.
func (a *Agent) snapshot() monitor.Snapshot {
	s := monitor.Snapshot{Values: a.selfMetrics().Values, Histograms: map[string]*monitor.Histogram{}}
	for _, p := range a.pipes {
		for _, r := range p.runners {
			s.Histograms["model_"+r.cfg.Name+"_invoke_seconds"] = &r.latency
		}
	}
	return s
}

// watchDisk reports a full state filesystem once per episode: a log line
// and a status update when it starts; a log line, a status update and a
// storage event when it ends.
func (a *Agent) watchDisk(was bool) bool {
	st := a.out.Stats()
	if st.DiskFull == was {
		return was
	}
	a.statusDirty.Store(true)
	if st.DiskFull {
		a.log.Error("state filesystem is full; acks commit from the reserve, oldest scores make room for new results",
			"episode", st.DiskFullEpisodes, "free_bytes", st.FreeBytes)
	} else {
		a.log.Info("state filesystem has room again", "free_bytes", st.FreeBytes, "episodes", st.DiskFullEpisodes)
		a.event(fleet.EventStorage, "warning", "outbox", "the state filesystem was full and has room again",
			map[string]any{"episodes": st.DiskFullEpisodes, "free_bytes": st.FreeBytes})
	}
	return st.DiskFull
}
