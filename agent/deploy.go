package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models/store"
)

// Deployment steps, named in failed results ("<step>: <reason>") and in
// deployment events.
const (
	stepFetch    = "fetch"
	stepVerify   = "verify"
	stepInstall  = "install"
	stepLoad     = "load"
	stepSelfTest = "self_test"
	stepSwap     = "swap"
	stepActivate = "activate"
)

// stepError is a deployment failure at one step.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func failAt(step string, err error) error { return &stepError{step: step, err: err} }

// deployArgs are model.deploy's args.
type deployArgs struct {
	Model     string         `json:"model"`
	Version   string         `json:"version"`
	SHA256    string         `json:"sha256"`
	Size      int64          `json:"size"`
	Source    deploySource   `json:"source"`
	Probation *probationArgs `json:"probation,omitempty"`
	Mode      string         `json:"mode,omitempty"`
	// PromoteAfter: criteria under which a shadow candidate is promoted.
	PromoteAfter *shadowCriteria `json:"promote_after,omitempty"`
}

type deploySource struct {
	Kind string `json:"kind"`
	URL  string `json:"url,omitempty"`
}

// probationArgs override the config's probation for one deployment.
type probationArgs struct {
	Duration     string   `json:"duration,omitempty"`
	Windows      *int64   `json:"windows,omitempty"`
	LatencyP99   string   `json:"latency_p99,omitempty"`
	MaxPSI       *float64 `json:"max_psi,omitempty"`
	MaxAlertRate *float64 `json:"max_alert_rate,omitempty"`
}

// apply returns base with the args' fields, validated.
func (p *probationArgs) apply(base config.Probation) (config.Probation, error) {
	if p == nil {
		return base, nil
	}
	dur := func(field, s string, dst *time.Duration) error {
		if s == "" {
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("args field \"probation.%s\": %q is not a non-negative duration", field, s)
		}
		*dst = d
		return nil
	}
	if err := dur("duration", p.Duration, &base.Duration); err != nil {
		return base, err
	}
	if err := dur("latency_p99", p.LatencyP99, &base.LatencyP99); err != nil {
		return base, err
	}
	if p.Windows != nil {
		base.Windows = *p.Windows
	}
	if p.MaxPSI != nil {
		base.MaxPSI = *p.MaxPSI
	}
	if p.MaxAlertRate != nil {
		base.MaxAlertRate = *p.MaxAlertRate
	}
	err := base.Validate("args field probation")
	return base, err
}

// decodeArgs decodes a command's args strictly into v.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return errors.New("args are missing")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("args: %w", err)
	}
	if d.More() {
		return errors.New("args: trailing data after the JSON object")
	}
	return nil
}

// runnerNamed is the configured model called name.
func (a *Agent) runnerNamed(name string) (*runner, error) {
	if name == "" {
		return nil, errors.New("args field \"model\" is missing")
	}
	for _, r := range a.runners() {
		if r.cfg.Name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("args field \"model\": %q is not a configured model", name)
}

// handleDeploy checks a model.deploy command and starts the deployment on
// its own goroutine: accepted now, one final result later.
func (a *Agent) handleDeploy(ctx context.Context, cmd fleet.Command) {
	r, in, err := a.checkDeploy(cmd.Args)
	if err == nil && !in.shadow && a.joinDeploy(ctx, cmd.ID, r, in.version) {
		return
	}
	if err == nil {
		var d *deployment
		if d, err = a.claim(r, in.version); err == nil {
			// Journaled before the answer: a deployment cut by a stop or a
			// crash resumes at the next start (the command id is spent).
			if err = a.journalDeploy(cmd.ID, cmd.Args); err != nil {
				a.release(r, d)
				err = fmt.Errorf("agent cannot journal the deployment: %w", err)
			} else {
				a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultAccepted, Result: map[string]any{"model": r.cfg.Name, "version": in.version}})
				a.startDeploy(ctx, cmd.ID, r, d, in)
				return
			}
		}
	}
	a.log.Warn("rejected model.deploy", "id", cmd.ID, "err", err)
	a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error()})
}

// startDeploy runs a claimed deployment on a goroutine of its own.
func (a *Agent) startDeploy(ctx context.Context, id string, r *runner, d *deployment, in deployInput) {
	a.jobs.Go(func() {
		res, lm, prev, err := a.deploy(ctx, r, d, in)
		if err != nil && ctx.Err() != nil {
			// Stopping: the journal entry stays and the next start resumes.
			a.release(r, d)
			a.log.Info("model deployment interrupted by the stop; it resumes at the next start", "id", id, "model", r.cfg.Name, "version", in.version)
			return
		}
		a.deployResult(ctx, id, r, d, res, lm, prev, err)
	})
}

// checkDeploy validates model.deploy args.
func (a *Agent) checkDeploy(raw json.RawMessage) (*runner, deployInput, error) {
	var args deployArgs
	if err := decodeArgs(raw, &args); err != nil {
		return nil, deployInput{}, err
	}
	r, err := a.runnerNamed(args.Model)
	if err != nil {
		return nil, deployInput{}, err
	}
	switch {
	case args.Mode != "" && args.Mode != fleet.ModeShadow:
		return nil, deployInput{}, fmt.Errorf("args field \"mode\": %q is not supported (want %q or none)", args.Mode, fleet.ModeShadow)
	case args.PromoteAfter != nil && args.Mode != fleet.ModeShadow:
		return nil, deployInput{}, errors.New("args field \"promote_after\": only for \"mode\": \"shadow\"")
	case args.PromoteAfter != nil && args.PromoteAfter.validate() != nil:
		return nil, deployInput{}, args.PromoteAfter.validate()
	case store.ValidName(args.Version) != nil:
		return nil, deployInput{}, fmt.Errorf("args field \"version\": %v", store.ValidName(args.Version))
	case len(args.SHA256) != 64 || strings.ToLower(args.SHA256) != args.SHA256 || !isHex(args.SHA256):
		return nil, deployInput{}, errors.New("args field \"sha256\": want 64 lowercase hex digits")
	case args.Size <= 0:
		return nil, deployInput{}, errors.New("args field \"size\": must be positive")
	case args.Size > a.cfg.ModelsStore.MaxBundleBytes:
		return nil, deployInput{}, fmt.Errorf("args field \"size\": %d bytes is over models_store.max_bundle_bytes (%d)", args.Size, a.cfg.ModelsStore.MaxBundleBytes)
	}
	var src artifact.Source
	switch args.Source.Kind {
	case string(artifact.KindMQTT):
		src = artifact.Source{Kind: artifact.KindMQTT, MQTT: a.fetchTemplate(), Prefix: a.cfg.MQTT.Prefix}
	case string(artifact.KindHTTPS):
		if !strings.HasPrefix(args.Source.URL, "https://") {
			return nil, deployInput{}, errors.New("args field \"source.url\": want an https:// URL")
		}
		src = artifact.Source{Kind: artifact.KindHTTPS, URL: args.Source.URL, CAFile: a.cfg.MQTT.CAFile, SystemRoots: a.cfg.MQTT.CAFile == ""}
	default:
		return nil, deployInput{}, fmt.Errorf("args field \"source.kind\": %q is not mqtt or https", args.Source.Kind)
	}
	pc, err := args.Probation.apply(a.cfg.Probation)
	if err != nil {
		return nil, deployInput{}, err
	}
	return r, deployInput{version: args.Version, sha: args.SHA256, size: args.Size, src: &src, probation: pc,
		shadow: args.Mode == fleet.ModeShadow, criteria: args.PromoteAfter}, nil
}

// The deployment journal, <state_dir>/deployments/<id hash>.json, holds
// each accepted model.deploy until its final result.
type journalEntry struct {
	ID   string          `json:"id"`
	Args json.RawMessage `json:"args"`
}

func (a *Agent) journalPath(id string) string {
	h := sha256.Sum256([]byte(id))
	return filepath.Join(a.cfg.StateDir, "deployments", hex.EncodeToString(h[:8])+".json")
}

func (a *Agent) journalDeploy(id string, args json.RawMessage) error {
	b, err := json.Marshal(journalEntry{ID: id, Args: args})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(a.cfg.StateDir, "deployments"), 0o750); err != nil {
		return err
	}
	return writeFileAtomic(a.journalPath(id), b)
}

func (a *Agent) unjournal(id string) {
	if err := os.Remove(a.journalPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Error("removing a finished deployment from the journal", "id", id, "err", err)
	}
}

// resumeDeployments restarts the journaled deployments a stop or crash
// cut short; a fetch goes on from the chunks already on disk.
func (a *Agent) resumeDeployments(ctx context.Context) {
	dir := filepath.Join(a.cfg.StateDir, "deployments")
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			a.log.Error("reading the deployment journal", "dir", dir, "err", err)
		}
		return
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		var je journalEntry
		if err == nil {
			err = json.Unmarshal(b, &je)
		}
		if err != nil || je.ID == "" {
			a.log.Error("dropping an unreadable deployment journal entry", "file", path, "err", err)
			os.Remove(path)
			continue
		}
		r, in, err := a.checkDeploy(je.Args)
		var d *deployment
		if err == nil {
			d, err = a.claim(r, in.version)
		}
		if err != nil {
			a.result(ctx, fleet.Result{ID: je.ID, Status: fleet.ResultFailed, Error: "resume after restart: " + err.Error()})
			a.unjournal(je.ID)
			continue
		}
		if cur := r.Current(); cur.Version == in.version && cur.State != fleet.ModelFailed {
			// The stop came after the activation, before the answer.
			a.release(r, d)
			a.result(ctx, fleet.Result{ID: je.ID, Status: fleet.ResultDone, Result: map[string]any{"model": r.cfg.Name, "version": in.version, "previous": cur.Previous}})
			a.unjournal(je.ID)
			continue
		}
		a.log.Info("resuming a model deployment cut short by a stop", "id", je.ID, "model", r.cfg.Name, "version", in.version)
		a.startDeploy(ctx, je.ID, r, d, in)
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// deployResult answers a deployment and, when it succeeded, watches its
// probation on the calling goroutine.
func (a *Agent) deployResult(ctx context.Context, id string, r *runner, d *deployment, res map[string]any, lm, prev *loadedModel, err error) {
	if err != nil {
		a.release(r, d)
		a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultFailed, Error: err.Error()})
		a.unjournal(id)
		return
	}
	a.result(ctx, fleet.Result{ID: id, Status: fleet.ResultDone, Result: res})
	a.unjournal(id)
	if d.shadow != nil {
		a.watchShadow(ctx, r, d)
		return
	}
	a.watchProbation(ctx, r, d, lm, prev)
}

// fetchTemplate is the agent's broker connection for artifact transfers,
// under a client id of its own.
func (a *Agent) fetchTemplate() uplink.Config {
	c := a.cfg.MQTT
	return uplink.Config{Broker: c.Broker, ClientID: c.ClientID + "-fetch", Username: c.Username, Password: a.password,
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, KeepAlive: c.KeepAlive}
}

// deployInput is one deployment: from a source (fetched) or a local file
// (spool, path set).
type deployInput struct {
	version   string // "" for a spool file: the manifest's
	sha       string
	size      int64
	src       *artifact.Source
	path      string
	probation config.Probation
	shadow    bool            // run beside the champion, not in its place
	criteria  *shadowCriteria // shadow only: promote by itself when met
}

// deploy runs every step of a deployment of r. On success the new version
// scores in r's slot on probation; lm is it and prev the model it replaced
// (for the watcher). On failure the running version is untouched and the
// error names the step; a deployment event tells the fleet either way.
func (a *Agent) deploy(ctx context.Context, r *runner, d *deployment, in deployInput) (res map[string]any, lm, prev *loadedModel, err error) {
	name := storeName(r.cfg)
	began := time.Now()
	a.setStep(r, d.version, stepFetch, 0)
	defer func() {
		r.deploying.Store(nil)
		a.statusDirty.Store(true)
		if err == nil {
			return
		}
		var se *stepError
		step := ""
		if errors.As(err, &se) {
			step = se.step
		}
		a.log.Error("model deployment failed; the running version is untouched", "model", r.cfg.Name, "version", d.version, "step", step, "err", err)
		a.event(fleet.EventDeployment, "warning", r.cfg.Name, fmt.Sprintf("model %s %s deployment failed: %v", r.cfg.Name, d.version, err),
			map[string]any{"model": r.cfg.Name, "version": d.version, "step": step, "error": err.Error()})
	}()

	path := in.path
	if in.src != nil {
		a.log.Info("model deployment: fetching", "model", r.cfg.Name, "version", in.version, "source", in.src.Kind, "bytes", in.size)
		opts := artifact.Options{
			Dir: filepath.Join(a.cfg.StateDir, "artifacts"), MaxSize: a.cfg.ModelsStore.MaxBundleBytes,
			Progress: a.progressReporter(r, in.version),
		}
		if a.fetchTune != nil {
			a.fetchTune(&opts)
		}
		path, err = artifact.Fetch(ctx, *in.src, artifact.Want{SHA256: in.sha, Size: in.size}, opts)
		if err != nil {
			return nil, nil, nil, failAt(stepFetch, err)
		}
		// The store keeps its own copy; the fetched file is done with.
		defer os.Remove(path)
	}

	a.setStep(r, d.version, stepVerify, 0)
	vb, err := a.openBundle(path)
	if err != nil {
		return nil, nil, nil, failAt(stepVerify, err)
	}
	defer vb.f.Close()
	m := vb.b.Manifest
	switch {
	case m.Name != name:
		return nil, nil, nil, failAt(stepVerify, fmt.Errorf("bundle is model %q, not %q", m.Name, name))
	case in.version != "" && m.Version != in.version:
		return nil, nil, nil, failAt(stepVerify, fmt.Errorf("bundle is version %q, the command names %q", m.Version, in.version))
	}
	if in.sha == "" {
		if in.sha, err = fileSHA256(vb.f); err != nil {
			return nil, nil, nil, failAt(stepVerify, err)
		}
	}
	audit := store.Audit{KeyID: vb.keyID, Lineage: lineageOf(m.Lineage)}
	ps, err := a.newProbation(in.probation, m)
	if err != nil {
		return nil, nil, nil, failAt(stepVerify, err)
	}

	cur := r.Current()
	if cur.Version == m.Version && cur.State != fleet.ModelFailed {
		return nil, nil, nil, failAt(stepInstall, fmt.Errorf("version %s is already running", m.Version))
	}
	a.setStep(r, d.version, stepInstall, 0)
	if _, err := a.store.InstallFile(ctx, name, m.Version, path, in.sha, store.InstallOptions{Audit: audit}); err != nil {
		return nil, nil, nil, failAt(stepInstall, err)
	}
	markFailed := func(step string, err error) error {
		if e := a.store.MarkFailed(ctx, name, m.Version, store.Audit{KeyID: vb.keyID, Reason: step + ": " + err.Error()}); e != nil {
			a.log.Error("marking a version failed in the store", "model", name, "version", m.Version, "err", e)
		}
		return failAt(step, err)
	}

	a.setStep(r, d.version, stepLoad, 0)
	lm, err = a.loadBundle(r, vb.b, false)
	if err != nil {
		return nil, nil, nil, markFailed(stepLoad, err)
	}
	lm.keyID = vb.keyID
	a.setStep(r, d.version, stepSelfTest, 0)
	st, err := selfTest(ctx, lm, vb.b)
	if err == nil {
		err = lm.model.Reset()
	}
	if err != nil {
		lm.close()
		return nil, nil, nil, markFailed(stepSelfTest, err)
	}
	lm.probSpec = ps
	previous := cur.Version
	if cur.State == fleet.ModelFailed {
		previous = "" // nothing was scoring
	}
	lm.state = slotState{Version: m.Version, Previous: previous, State: fleet.ModelProbation}

	if in.shadow {
		if _, err := a.startShadow(ctx, r, d, lm, audit, in.criteria); err != nil {
			lm.close()
			return nil, nil, nil, err
		}
		res = map[string]any{"model": r.cfg.Name, "version": m.Version, "mode": fleet.ModeShadow, "champion": cur.Version, "key_id": vb.keyID,
			"self_test":      map[string]any{"vectors": st.Vectors, "max_error": st.MaxError},
			"latency_p50_us": st.P50.Microseconds(), "latency_p99_us": st.P99.Microseconds()}
		a.log.Info("model version deployed in shadow", "model", r.cfg.Name, "version", m.Version, "champion", cur.Version, "key_id", vb.keyID)
		a.event(fleet.EventDeployment, "info", r.cfg.Name, fmt.Sprintf("model %s %s scoring in shadow beside %s", r.cfg.Name, m.Version, cur.Version),
			map[string]any{"model": r.cfg.Name, "version": m.Version, "step": "shadow", "mode": fleet.ModeShadow, "champion": cur.Version})
		return res, nil, nil, nil
	}
	prev, swap, err := a.swapIn(ctx, r, d, lm, audit)
	if err != nil {
		return nil, nil, nil, err
	}
	a.statusDirty.Store(true)
	res = map[string]any{"model": r.cfg.Name, "version": m.Version, "previous": previous, "key_id": vb.keyID,
		"self_test":      map[string]any{"vectors": st.Vectors, "max_error": st.MaxError},
		"latency_p50_us": st.P50.Microseconds(), "latency_p99_us": st.P99.Microseconds(),
		"swap_ms": float64(swap.Microseconds()) / 1000}
	a.log.Info("model version deployed; on probation", "model", r.cfg.Name, "version", m.Version, "previous", previous,
		"key_id", vb.keyID, "vectors", st.Vectors, "latency_p99", st.P99, "swap", swap, "took", time.Since(began))
	ev := map[string]any{"step": "active", "key_id": vb.keyID, "lineage": audit.Lineage}
	for k, v := range res {
		ev[k] = v
	}
	a.event(fleet.EventDeployment, "info", r.cfg.Name, fmt.Sprintf("model %s %s deployed (previous %q), on probation", r.cfg.Name, m.Version, previous), ev)
	return res, lm, prev, nil
}

// swapIn swaps lm (loaded, self-tested, on probation) into r's slot and
// activates it in the store; on failure what ran before runs again and lm
// is closed. prev is the model swapped out, the caller's.
func (a *Agent) swapIn(ctx context.Context, r *runner, d *deployment, lm *loadedModel, audit store.Audit) (prev *loadedModel, swap time.Duration, err error) {
	name, version := storeName(r.cfg), lm.cfg.Version
	// A verdict left over from an earlier version would keep this one's
	// from being delivered.
	select {
	case <-r.verdicts:
	default:
	}
	a.setStep(r, d.version, stepSwap, 0)
	defer r.deploying.Store(nil)
	t0 := time.Now()
	prev, err = r.OfferKeep(ctx, lm)
	swap = time.Since(t0)
	if err != nil {
		lm.close()
		return nil, 0, failAt(stepSwap, err)
	}
	r.fromStore.Store(true)
	a.setStep(r, d.version, stepActivate, 0)
	if err := a.store.Activate(ctx, name, version, store.ActivateOptions{Probation: true, Audit: audit}); err != nil && !errors.Is(err, store.ErrPrune) {
		// Back to what ran before: the store still names it.
		if prev != nil {
			if e := r.Offer(ctx, prev); e != nil {
				prev.close()
			}
		}
		if e := a.store.MarkFailed(ctx, name, version, store.Audit{KeyID: lm.keyID, Reason: stepActivate + ": " + err.Error()}); e != nil {
			a.log.Error("marking a version failed in the store", "model", name, "version", version, "err", e)
		}
		return nil, 0, failAt(stepActivate, err)
	}
	return prev, swap, nil
}

// setStep shows a deployment's step in the status.
func (a *Agent) setStep(r *runner, version, step string, percent int64) {
	r.deploying.Store(&fleet.DeploymentStatus{Version: version, Step: step, Percent: percent})
	a.statusDirty.Store(true)
}

// progressReporter logs and reports a transfer (events, status) at most
// every 10 %.
func (a *Agent) progressReporter(r *runner, version string) func(artifact.Progress) {
	next := int64(0)
	model := r.cfg.Name
	return func(p artifact.Progress) {
		if p.Total <= 0 {
			return
		}
		pct := p.Done * 100 / p.Total
		if pct < next && p.Done != p.Total {
			return
		}
		next = pct/10*10 + 10
		a.setStep(r, version, stepFetch, pct)
		a.log.Info("model deployment: transfer", "model", model, "version", version, "percent", pct, "bytes", p.Done, "total", p.Total)
		a.event(fleet.EventDeployment, "info", model, fmt.Sprintf("model %s %s: %d%% transferred", model, version, pct),
			map[string]any{"model": model, "version": version, "step": stepFetch, "percent": pct, "bytes": p.Done, "total": p.Total,
				"chunks_done": p.ChunksDone, "chunks": p.Chunks, "received": p.Received})
	}
}

func lineageOf(l any) map[string]any {
	b, err := json.Marshal(l)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}

func fileSHA256(f *os.File) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handleModelControl answers model.promote and model.rollback.
func (a *Agent) handleModelControl(ctx context.Context, cmd fleet.Command) {
	fail := func(status string, err error) {
		a.log.Warn("model command not done", "id", cmd.ID, "verb", cmd.Verb, "err", err)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: status, Error: err.Error()})
	}
	var args struct {
		Model string `json:"model"`
	}
	if err := decodeArgs(cmd.Args, &args); err != nil {
		fail(fleet.ResultRejected, err)
		return
	}
	r, err := a.runnerNamed(args.Model)
	if err != nil {
		fail(fleet.ResultRejected, err)
		return
	}
	a.deployMu.Lock()
	d := a.deployments[r]
	a.deployMu.Unlock()
	if cmd.Verb == fleet.VerbModelDiscard && r.shadow.Load() == nil {
		fail(fleet.ResultRejected, fmt.Errorf("model %s: no version of it runs in shadow", r.cfg.Name))
		return
	}
	if d == nil {
		if cmd.Verb == fleet.VerbModelPromote {
			fail(fleet.ResultRejected, fmt.Errorf("model %s: %w", r.cfg.Name, errNoProbation))
			return
		}
		// Not on probation: roll the active version back, holding the
		// model so no deployment starts meanwhile.
		d, err := a.claim(r, r.Current().Version)
		if err != nil {
			fail(fleet.ResultRejected, err)
			return
		}
		var none *loadedModel
		res, err := a.rollback(ctx, r, nil, &none, nil, "model.rollback")
		a.release(r, d)
		if err != nil {
			fail(fleet.ResultFailed, err)
			return
		}
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: res})
		return
	}
	req := ctlReq{verb: cmd.Verb, reply: make(chan ctlReply, 1)}
	select {
	case d.ctl <- req:
	case <-ctx.Done():
		return
	case <-time.After(time.Second):
		fail(fleet.ResultRejected, fmt.Errorf("model %s: deployment of version %s is not on probation yet", r.cfg.Name, d.version))
		return
	}
	rep := <-req.reply
	if rep.err != nil {
		fail(fleet.ResultFailed, rep.err)
		return
	}
	a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: rep.result})
}
