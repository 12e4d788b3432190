package agent

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
)

// Evidence captures: a scored window that raised an alert or a drift,
// scored inside the uncertainty band around the alarm threshold, or was
// picked at random is offered to a bounded queue (never blocking the
// pipeline; a full queue counts a drop) and written by a goroutine of its
// own into the capture store under <state_dir>/captures, within the
// configured budget and per-trigger quotas.

// captureQueueLen bounds the captures waiting for the disk.
const captureQueueLen = 32

// openCaptures opens the capture store when the config enables it.
func (a *Agent) openCaptures() error {
	c := a.cfg.Captures
	if !c.Enabled() {
		return nil
	}
	quotas := map[capture.Trigger]int64{}
	for k, q := range c.Quotas {
		quotas[capture.Trigger(k)] = int64(q)
	}
	st, err := capture.Open(filepath.Join(a.cfg.StateDir, "captures"), capture.Options{Budget: int64(c.Budget), Quotas: quotas})
	if err != nil {
		return fmt.Errorf("agent: captures: %w", err)
	}
	q, err := capture.NewQueue(captureQueueLen)
	if err != nil {
		return fmt.Errorf("agent: captures: %w", err)
	}
	for i, r := range a.runners() {
		if c.SampleRate > 0 {
			if r.obs.sampler, err = capture.NewSampler(c.SampleRate, uint64(a.now().UnixNano())+uint64(i)); err != nil {
				return fmt.Errorf("agent: captures.sample_rate: %w", err)
			}
		}
	}
	a.observe.caps, a.observe.capQ = st, q
	return nil
}

// captureWindow offers the window just scored to the capture queue when a
// trigger fires: alert (the alert state changed to warn or alarm), drift
// (a drift was raised at this window), uncertain, sample. Pipeline
// goroutine only.
func (r *runner) captureWindow(a *Agent, lm *loadedModel, start, end int64, score float64, alert string, alertChanged, driftRaised bool) {
	q := a.observe.capQ
	if q == nil {
		return
	}
	var trig capture.Trigger
	band := capture.UncertaintyBand{Threshold: lm.cfg.Thresholds.Alarm, Band: a.cfg.Captures.UncertainBand}
	switch {
	case alertChanged && alert != fleet.AlertOK:
		trig = capture.TriggerAlert
	case driftRaised:
		trig = capture.TriggerDrift
	case band.Band > 0 && band.Threshold > 0 && band.Contains(score):
		trig = capture.TriggerUncertain
	case r.obs.sampler != nil && r.obs.sampler.Take():
		trig = capture.TriggerSample
	default:
		return
	}
	c := capture.Capture{Info: capture.Info{Trigger: trig, Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC(), Sensor: r.cfg.Sensor,
		Model: r.cfg.Name, ModelVersion: lm.cfg.Version, Score: score, Channels: lm.cfg.Channels, SampleRate: r.rate},
		Window: r.win.Window(nil)}
	if len(lm.cfg.Features) > 0 {
		c.Features = append([]float32(nil), lm.input...)
	}
	q.Offer(c)
}

// captureDone logs a capture the writer could not store.
func (a *Agent) captureDone(c capture.Capture, id string, err error) {
	if err != nil {
		a.log.Warn("capture not stored", "model", c.Model, "trigger", c.Trigger, "err", err)
		return
	}
	a.log.Debug("capture stored", "id", id, "model", c.Model, "trigger", c.Trigger)
}
