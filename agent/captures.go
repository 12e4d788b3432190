package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/axle-edge/axle/agent/api"
	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/firmware/artifact"
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
// (a drift was raised at this window), command (a capture command's
// time is running; it may ask for features only), uncertain, sample. Pipeline
// goroutine only.
func (r *runner) captureWindow(a *Agent, lm *loadedModel, start, end int64, score float64, alert string, alertChanged, driftRaised bool) {
	q := a.observe.capQ
	if q == nil {
		return
	}
	var trig capture.Trigger
	raw := true
	band := capture.UncertaintyBand{Threshold: lm.cfg.Thresholds.Alarm, Band: a.cfg.Captures.UncertainBand}
	switch {
	case alertChanged && alert != fleet.AlertOK:
		trig = capture.TriggerAlert
	case driftRaised:
		trig = capture.TriggerDrift
	case r.obs.cmdUntil.Load() >= a.now().UnixNano():
		trig, raw = capture.TriggerCommand, r.obs.cmdRaw.Load()
	case band.Band > 0 && band.Threshold > 0 && band.Contains(score):
		trig = capture.TriggerUncertain
	case r.obs.sampler != nil && r.obs.sampler.Take():
		trig = capture.TriggerSample
	default:
		return
	}
	c := capture.Capture{Info: capture.Info{Trigger: trig, Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC(), Sensor: r.cfg.Sensor,
		Model: r.cfg.Name, ModelVersion: lm.cfg.Version, Score: score},
	}
	if raw {
		c.Window, c.Channels, c.SampleRate = r.win.Window(nil), lm.cfg.Channels, r.rate
	}
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

// Limits of the capture commands.
const (
	defaultCaptureFor = 10 * time.Second
	maxCaptureFor     = time.Hour
	// uploadChunk is the default chunk size of a capture upload.
	uploadChunk = 64 << 10
)

// captureArgs are the args of a capture command.
type captureArgs struct {
	Sensor   string `json:"sensor"`
	Model    string `json:"model"`    // optional: one model of the sensor
	Duration string `json:"duration"` // default 10s
	Mode     string `json:"mode"`     // "raw" (window and features, default) or "features"
}

// handleCapture makes the models of a sensor capture every window they
// score for a while (trigger "command").
func (a *Agent) handleCapture(cmd fleet.Command) fleet.Result {
	reject := func(format string, args ...any) fleet.Result {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: fmt.Sprintf(format, args...)}
	}
	if a.observe.capQ == nil {
		return reject("captures are off on this device (set captures.budget)")
	}
	var args captureArgs
	if err := decodeArgs(cmd.Args, &args); err != nil {
		return reject("%v", err)
	}
	d := defaultCaptureFor
	if args.Duration != "" {
		var err error
		if d, err = time.ParseDuration(args.Duration); err != nil || d <= 0 || d > maxCaptureFor {
			return reject("args field \"duration\": %q is not a duration between 0 and %s", args.Duration, maxCaptureFor)
		}
	}
	raw := true
	switch args.Mode {
	case "", "raw":
	case "features":
		raw = false
	default:
		return reject("args field \"mode\": %q is not \"raw\" or \"features\"", args.Mode)
	}
	until := a.now().Add(d)
	var models []string
	for _, r := range a.runners() {
		if r.cfg.Sensor != args.Sensor || (args.Model != "" && r.cfg.Name != args.Model) {
			continue
		}
		r.obs.cmdRaw.Store(raw)
		r.obs.cmdUntil.Store(until.UnixNano())
		models = append(models, r.cfg.Name)
	}
	if len(models) == 0 {
		if args.Model != "" {
			return reject("args: no model %q on sensor %q", args.Model, args.Sensor)
		}
		return reject("args field \"sensor\": %q has no configured model", args.Sensor)
	}
	a.log.Info("capturing on command", "sensor", args.Sensor, "models", models, "until", until, "raw", raw)
	return fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: map[string]any{
		"sensor": args.Sensor, "models": models, "until": until.UTC(), "mode": map[bool]string{true: "raw", false: "features"}[raw]}}
}

// uploadArgs are the args of a capture.upload command.
type uploadArgs struct {
	ID        string `json:"id"`
	ChunkSize int64  `json:"chunk_size"`
}

// handleCaptureUpload publishes a capture as an artifact on a job of its
// own: an accepted result at once, progress events, and a final result
// with the artifact's sha256 and size.
func (a *Agent) handleCaptureUpload(ctx context.Context, cmd fleet.Command) {
	reject := func(format string, args ...any) {
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: fmt.Sprintf(format, args...)})
	}
	if a.observe.caps == nil {
		reject("captures are off on this device (set captures.budget)")
		return
	}
	var args uploadArgs
	if err := decodeArgs(cmd.Args, &args); err != nil {
		reject("%v", err)
		return
	}
	if args.ChunkSize == 0 {
		args.ChunkSize = uploadChunk
	}
	up, err := a.observe.caps.Chunks(args.ID, args.ChunkSize)
	if err != nil {
		reject("args: %v", err)
		return
	}
	size := up.Meta().Size
	a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultAccepted, Result: map[string]any{"id": args.ID, "size": size}})
	a.jobs.Go(func() {
		defer up.Close()
		var mu sync.Mutex // Progress may be called from the publisher's goroutines
		next := int64(0)
		meta, err := artifact.Publish(ctx, a.up, a.cfg.MQTT.Prefix, up, size, artifact.PublishOptions{
			ChunkSize: args.ChunkSize, Name: up.Meta().Name, Kind: "capture",
			Progress: func(done, total int64) {
				if total <= 0 {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if pct := done * 100 / total; pct >= next || done == total {
					next = pct/10*10 + 10
					a.event(fleet.EventCaptureUpload, "info", "captures", fmt.Sprintf("capture %s: %d%% uploaded", args.ID, pct),
						map[string]any{"id": args.ID, "percent": pct, "bytes": done, "total": total})
				}
			}})
		if err != nil {
			a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: "upload: " + err.Error()})
			return
		}
		a.log.Info("capture uploaded", "id", args.ID, "sha256", meta.SHA256, "size", meta.Size)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: map[string]any{
			"id": args.ID, "sha256": meta.SHA256, "size": meta.Size, "chunks": meta.Chunks, "chunk_size": meta.ChunkSize}})
	})
}

// Captures implements api.CaptureSource: the metadata of the stored
// captures matching f.
func (a *Agent) Captures(f api.CaptureFilter) ([]api.CaptureInfo, error) {
	if a.observe.caps == nil {
		return nil, fmt.Errorf("agent: captures are off on this device (set captures.budget): %w", api.ErrNotFound)
	}
	if f.Trigger != "" && !capture.Trigger(f.Trigger).Valid() {
		return nil, fmt.Errorf("agent: captures: %w: query \"trigger\": %q is not one of %v", api.ErrBadInput, f.Trigger, capture.Triggers())
	}
	list := a.observe.caps.List(capture.Filter{Trigger: capture.Trigger(f.Trigger), Model: f.Model, From: f.From, To: f.To})
	out := make([]api.CaptureInfo, len(list))
	for i, in := range list {
		out[i] = api.CaptureInfo{ID: in.ID, Trigger: string(in.Trigger), Start: in.Start, End: in.End, Sensor: in.Sensor,
			Model: in.Model, ModelVersion: in.ModelVersion, Labels: in.Labels, Channels: in.Channels, SampleRate: in.SampleRate,
			Samples: in.Samples, Features: in.NumFeatures, Size: in.Size}
		if !math.IsNaN(in.Score) {
			out[i].Score = &in.Score
		}
	}
	return out, nil
}

// captureFile is an open capture file for the API.
type captureFile struct{ *capture.Upload }

func (f captureFile) Size() int64 { return f.Meta().Size }

// OpenCapture implements api.CaptureSource: capture id's file, checked
// against its checksum while it is opened.
func (a *Agent) OpenCapture(id string) (api.CaptureFile, error) {
	if a.observe.caps == nil {
		return nil, fmt.Errorf("agent: captures are off on this device (set captures.budget): %w", api.ErrNotFound)
	}
	// A string that is not a capture id (12 or more digits, as the store
	// names them) names no capture: 404, like an id the store does not hold.
	if seq, err := strconv.ParseUint(id, 10, 64); err != nil || fmt.Sprintf("%012d", seq) != id {
		return nil, fmt.Errorf("agent: capture %q: %w", id, api.ErrNotFound)
	}
	up, err := a.observe.caps.Chunks(id, artifact.MaxChunkSize)
	switch {
	case errors.Is(err, capture.ErrNotFound):
		return nil, fmt.Errorf("agent: %w: %w", api.ErrNotFound, err)
	case err != nil:
		return nil, fmt.Errorf("agent: %w", err)
	}
	return captureFile{up}, nil
}
