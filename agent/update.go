package agent

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/firmware"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/trust"
)

// Self-update of the agent binary, on top of package firmware:
//
//	agent.update ─► decode args (strict) ─► update loop: fetch patch or binary
//	  (firmware/artifact, client id <client_id>-update) ─► firmware.Stage with
//	  the minisign check (update.keys, trusted comment "version:<v>")
//	  ─► job file (command id) ─► result accepted ─► run stops as for SIGTERM
//	  (sensors, pipelines, delivery, outbox closed) ─► firmware.Commit
//	  ─► Run returns ErrRestartForUpdate; main exits firmware.ExitUpdate
//	next start: main calls Boot; on probation the update loop waits for the
//	  connection and a status acknowledged by the broker within
//	  update.confirm_within, then Confirm; else Run returns ErrProbationExpired
//	every firmware Report ─► `update` event (+ the job's final result) in the
//	  outbox ─► AckReports

// VerbAgentRollback returns to the previous agent binary.
const VerbAgentRollback = "agent.rollback"

// Update is what main hands the agent for self-update.
type Update struct {
	// Firmware replaces the binary; nil refuses agent.update and
	// agent.rollback.
	Firmware *firmware.Updater
	// Probation says that Boot put this version on probation: the agent
	// confirms it once connected with its status published, within
	// update.confirm_within of its start.
	Probation bool
}

var (
	// ErrRestartForUpdate: the binary at the target path changed (update
	// committed or rolled back); main exits with firmware.ExitUpdate so that
	// systemd starts it.
	ErrRestartForUpdate = errors.New("agent: restart for update")
	// ErrProbationExpired: a version on probation could not confirm in
	// time; main exits non-zero so that the next start counts an attempt.
	ErrProbationExpired = errors.New("agent: update probation expired")
)

// updateJobFile records the command of the update under way, so that the
// binary that confirms or rolls back can answer it.
const updateJobFile = "update-job.json"

// maxUpdateArgs bounds the args of agent.update and agent.rollback.
const maxUpdateArgs = 16 << 10

// progressEvery rate-limits fetch progress in the log and in events.
const progressEvery = 10 * time.Second

// updates is the agent's side of self-update: commands are handed to the
// update loop, which runs one at a time.
type updates struct {
	jobs chan updateJob
}

func newUpdates() updates { return updates{jobs: make(chan updateJob, 1)} }

type updateJob struct {
	cmd      fleet.Command
	update   *updateArgs // nil: a rollback
	rollback string      // its reason
}

// restartCause ends run for a binary swap; commit says the staged binary
// is still to be swapped in once everything is closed.
type restartCause struct {
	version string
	commit  bool
}

func (r *restartCause) Error() string {
	if r.commit {
		return "restarting into agent version " + r.version
	}
	return "restarting into agent version " + r.version + " (rolled back)"
}

// updateArgs are the args of agent.update.
type updateArgs struct {
	Version string          `json:"version"`
	SHA256  string          `json:"sha256"`
	Size    int64           `json:"size"`
	Source  updateSource    `json:"source"`
	Minisig string          `json:"minisig"` // base64 of the binary's .minisig file
	Patch   *updateArtifact `json:"patch,omitempty"`
	Force   bool            `json:"force,omitempty"` // install a version rejected before
	sig     []byte
}

// updateArtifact is a bsdiff patch against the running binary.
type updateArtifact struct {
	SHA256 string       `json:"sha256"`
	Size   int64        `json:"size"`
	Source updateSource `json:"source"`
}

type updateSource struct {
	Kind string `json:"kind"` // mqtt or https
	URL  string `json:"url,omitempty"`
}

// decodeUpdateArgs decodes agent.update args strictly; errors name the field.
func decodeUpdateArgs(raw []byte, maxSize int64) (updateArgs, error) {
	var a updateArgs
	if len(raw) > maxUpdateArgs {
		return a, fmt.Errorf("args: %d bytes, limit %d", len(raw), maxUpdateArgs)
	}
	if err := decodeArgs(raw, &a); err != nil {
		return a, err
	}
	if err := fleet.ValidID(a.Version); err != nil || len(a.Version) > 64 {
		return a, fmt.Errorf("agent.update: args: field \"version\": %q must be 1 to 64 letters, digits, '-', '_' or '.'", clipArg(a.Version))
	}
	if err := checkArtifact("", a.SHA256, a.Size, a.Source, maxSize); err != nil {
		return a, err
	}
	if a.Minisig == "" {
		return a, errors.New("agent.update: args: field \"minisig\" is missing (base64 of the binary's .minisig file)")
	}
	if len(a.Minisig) > base64.StdEncoding.EncodedLen(trust.MaxSignatureBytes) {
		return a, fmt.Errorf("agent.update: args: field \"minisig\": %d characters, more than a signature of %d bytes", len(a.Minisig), trust.MaxSignatureBytes)
	}
	sig, err := base64.StdEncoding.DecodeString(a.Minisig)
	if err != nil {
		return a, fmt.Errorf("agent.update: args: field \"minisig\": not base64: %w", err)
	}
	if _, err := trust.ParseSignature(sig); err != nil {
		return a, fmt.Errorf("agent.update: args: field \"minisig\": %w", err)
	}
	a.sig = sig
	if p := a.Patch; p != nil {
		if err := checkArtifact("patch.", p.SHA256, p.Size, p.Source, maxSize); err != nil {
			return a, err
		}
	}
	return a, nil
}

func checkArtifact(prefix, sha string, size int64, src updateSource, maxSize int64) error {
	if len(sha) != 64 || strings.ToLower(sha) != sha {
		return fmt.Errorf("agent.update: args: field %q: want 64 lowercase hex digits, got %q", prefix+"sha256", clipArg(sha))
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return fmt.Errorf("agent.update: args: field %q: want 64 lowercase hex digits, got %q", prefix+"sha256", clipArg(sha))
	}
	if size <= 0 || size > maxSize {
		return fmt.Errorf("agent.update: args: field %q: %d is not between 1 and update.max_size (%d)", prefix+"size", size, maxSize)
	}
	switch src.Kind {
	case string(artifact.KindMQTT):
		if src.URL != "" {
			return fmt.Errorf("agent.update: args: field %q: an mqtt source has no url", prefix+"source.url")
		}
	case string(artifact.KindHTTPS):
		if !strings.HasPrefix(src.URL, "https://") || len(src.URL) > 2048 {
			return fmt.Errorf("agent.update: args: field %q: %q is not an https:// URL of at most 2048 bytes", prefix+"source.url", clipArg(src.URL))
		}
	default:
		return fmt.Errorf("agent.update: args: field %q: %q is not mqtt or https", prefix+"source.kind", clipArg(src.Kind))
	}
	return nil
}

type rollbackArgs struct {
	Reason string `json:"reason,omitempty"`
}

func clipArg(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// submitUpdate checks an agent.update or agent.rollback command and hands
// it to the update loop; a refusal is answered at once.
func (a *Agent) submitUpdate(ctx context.Context, cmd fleet.Command) {
	reject := func(msg string) {
		a.log.Warn("rejected a command", "id", cmd.ID, "verb", cmd.Verb, "err", msg)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: msg})
	}
	if a.opts.Update.Firmware == nil {
		reject(cmd.Verb + ": self-update is not enabled in this agent")
		return
	}
	job := updateJob{cmd: cmd}
	if cmd.Verb == fleet.VerbAgentUpdate {
		if len(a.cfg.Update.Keys) == 0 {
			reject("agent.update: no key is trusted for agent binaries (config update.keys is empty)")
			return
		}
		args, err := decodeUpdateArgs(cmd.Args, int64(a.cfg.Update.MaxSize))
		if err != nil {
			reject(err.Error())
			return
		}
		job.update = &args
	} else {
		var args rollbackArgs
		if len(cmd.Args) == 0 {
			cmd.Args = []byte("{}")
		}
		if err := decodeArgs(cmd.Args, &args); err != nil {
			reject("agent.rollback: " + err.Error())
			return
		}
		job.rollback = args.Reason
	}
	select {
	case a.upd.jobs <- job:
	default:
		reject(cmd.Verb + ": another update or rollback is under way")
	}
}

// updateLoop reports finished updates, confirms a version on probation and
// runs update commands one at a time, until ctx ends or a job ends the run
// through restart.
func (a *Agent) updateLoop(ctx context.Context, restart context.CancelCauseFunc) {
	fw := a.opts.Update.Firmware
	if fw == nil {
		return
	}
	a.reportUpdates(ctx)
	if a.opts.Update.Probation {
		if err := a.confirmProbation(ctx); err != nil {
			if ctx.Err() == nil {
				a.log.Error("new agent version could not confirm; exiting so that the next start counts an attempt",
					"version", a.opts.Version, "err", err)
				restart(fmt.Errorf("%w: %v", ErrProbationExpired, err))
			}
			return
		}
		a.reportUpdates(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-a.upd.jobs:
			var cause *restartCause
			if job.update != nil {
				cause = a.runUpdate(ctx, job.cmd, job.update)
			} else {
				cause = a.runRollback(ctx, job.cmd, job.rollback)
			}
			if cause != nil {
				restart(cause)
				return
			}
		}
	}
}

// confirmProbation waits until the agent is connected and the broker has
// acknowledged its online status, then confirms the running version.
func (a *Agent) confirmProbation(ctx context.Context) error {
	within := a.cfg.Update.ConfirmWithin
	pctx, cancel := context.WithDeadline(ctx, a.started.Add(within))
	defer cancel()
	a.log.Info("new agent version on probation", "version", a.opts.Version, "confirm_within", within)
	var last error
	for {
		if err := a.up.WaitConnected(pctx); err != nil {
			return fmt.Errorf("not connected within update.confirm_within (%s): %w", within, err)
		}
		b, _ := json.Marshal(a.status(fleet.StateOnline))
		tok, err := a.up.Publish(pctx, a.topics.Status(), 1, true, b)
		if err == nil {
			err = tok.Wait(pctx)
		}
		if err == nil {
			break
		}
		last = err
		if pctx.Err() != nil {
			return fmt.Errorf("status not published within update.confirm_within (%s): %w", within, last)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-pctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	o, err := a.opts.Update.Firmware.Confirm(a.opts.Version)
	if err != nil {
		return err
	}
	a.log.Info("agent update confirmed", "old", o.Old, "new", o.New)
	return nil
}

// updateJobRecord is the content of updateJobFile.
type updateJobRecord struct {
	CommandID string `json:"command_id"`
	Version   string `json:"version"`
	From      string `json:"from"`
}

func (a *Agent) jobPath() string { return filepath.Join(a.cfg.StateDir, updateJobFile) }

func (a *Agent) loadUpdateJob() (*updateJobRecord, error) {
	b, err := readSmallFile(a.jobPath(), 4096)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j updateJobRecord
	if err := json.Unmarshal(b, &j); err != nil || j.CommandID == "" {
		return nil, fmt.Errorf("agent: %s: not an update job record", a.jobPath())
	}
	return &j, nil
}

func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, limit %d", path, st.Size(), limit)
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}

// saveUpdateJob writes the job record crash-safely: temp file, fsync,
// rename, fsync of the directory.
func (a *Agent) saveUpdateJob(j updateJobRecord) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	path := a.jobPath()
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("agent: update job: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(filepath.Dir(path)); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("agent: update job: %w", err)
	}
	return nil
}

// reportUpdates turns every unacknowledged firmware outcome into an
// `update` event, with the final result of the command that started it,
// and acknowledges it once both are in the outbox.
func (a *Agent) reportUpdates(ctx context.Context) {
	fw := a.opts.Update.Firmware
	job, err := a.loadUpdateJob()
	if err != nil {
		a.log.Error("cannot read the update job; its command gets no final result", "err", err)
	}
	answered := false
	for _, o := range fw.Reports() {
		sev, status := "info", fleet.ResultDone
		if o.Result != firmware.ResultConfirmed {
			sev, status = "error", fleet.ResultFailed
		}
		data := map[string]any{"result": o.Result, "old": o.Old, "new": o.New, "running": o.Running}
		msg := fmt.Sprintf("agent update %s → %s: %s", o.Old, o.New, o.Result)
		if o.Reason != "" {
			data["reason"] = o.Reason
			msg += ": " + o.Reason
		}
		recs := []buffer.Record{a.eventRecord(fleet.Event{Kind: fleet.EventUpdate, Severity: sev, Source: "update", Message: msg, Data: data, TS: o.At})}
		if job != nil && job.Version == o.New {
			r := fleet.Result{ID: job.CommandID, Status: status, Result: data}
			if status == fleet.ResultFailed {
				r.Error = msg
			}
			recs = append(recs, a.resultRecord(r))
			answered = true
		}
		if err := a.commit(ctx, recs); err != nil {
			a.log.Error("cannot store the update report; it stays queued", "seq", o.Seq, "err", err)
			return
		}
		a.log.Info("agent update reported", "result", o.Result, "old", o.Old, "new", o.New, "reason", o.Reason)
		if err := fw.AckReports(o.Seq); err != nil {
			a.log.Error("cannot acknowledge the update report; it may be reported again", "seq", o.Seq, "err", err)
		}
	}
	if job != nil && !answered && fw.State().Pending == nil && job.Version != a.opts.Version {
		// The swap never happened (Commit failed after the drain).
		r := fleet.Result{ID: job.CommandID, Status: fleet.ResultFailed,
			Error: fmt.Sprintf("agent.update: %s was staged but not swapped in; %s is still running (see the journal of the previous run)", job.Version, a.opts.Version)}
		if err := a.commit(ctx, []buffer.Record{a.resultRecord(r)}); err != nil {
			a.log.Error("cannot store the update result", "err", err)
			return
		}
		answered = true
	}
	if answered {
		if err := os.Remove(a.jobPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.log.Error("cannot remove the update job", "err", err)
		}
	}
}

func (a *Agent) eventRecord(ev fleet.Event) buffer.Record {
	ev.V = fleet.Version
	if ev.TS.IsZero() {
		ev.TS = a.now().UTC()
	}
	b, _ := json.Marshal(ev)
	return buffer.Record{Class: buffer.ClassEvent, Topic: a.topics.Events(), Time: ev.TS, Payload: b}
}

func (a *Agent) resultRecord(r fleet.Result) buffer.Record {
	r.V, r.TS = fleet.Version, a.now().UTC()
	b, _ := json.Marshal(r)
	return buffer.Record{Class: buffer.ClassEvent, Topic: a.topics.Result(), Time: r.TS, Payload: b}
}

// runUpdate fetches, verifies and stages an update; on success it answers
// accepted and returns the cause that ends the run for the swap.
func (a *Agent) runUpdate(ctx context.Context, cmd fleet.Command, args *updateArgs) *restartCause {
	fw := a.opts.Update.Firmware
	fail := func(err error) *restartCause {
		msg := err.Error()
		a.log.Error("agent update failed; this version keeps running", "id", cmd.ID, "version", args.Version, "err", msg)
		a.event(fleet.EventUpdate, "error", "update", "agent update to "+args.Version+" refused: "+msg,
			map[string]any{"result": "refused", "old": a.opts.Version, "new": args.Version, "reason": msg})
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: msg})
		return nil
	}
	kr, err := a.cfg.Update.Keyring()
	if err != nil {
		return fail(fmt.Errorf("agent.update: update.keys: %w", err))
	}
	// Cheap checks before megabytes are fetched; Verify checks it all again.
	if ps, err := trust.ParseSignature(args.sig); err != nil {
		return fail(fmt.Errorf("agent.update: signature: %w", err))
	} else if !slices.Contains(kr.IDs(), ps.KeyID) {
		return fail(fmt.Errorf("agent.update: signature: %w %s; trusted: %s", trust.ErrUntrustedKey, ps.KeyID, strings.Join(kr.IDs(), ", ")))
	} else if !slices.Contains(strings.Fields(ps.TrustedComment), "version:"+args.Version) {
		return fail(fmt.Errorf("agent.update: signature: trusted comment %q does not say version:%s", clipArg(ps.TrustedComment), args.Version))
	}
	verify := func(path string) error { return verifyBinary(kr, path, args.sig, args.Version) }
	dir := filepath.Join(a.cfg.StateDir, "artifacts")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fail(fmt.Errorf("agent.update: %w", err))
	}
	req := firmware.StageRequest{Version: args.Version, SHA256: args.SHA256, Size: args.Size, Verify: verify, Force: args.Force}
	var staged firmware.Staged
	done := false
	if p := args.Patch; p != nil {
		path, err := a.fetchArtifact(ctx, dir, "patch", args.Version, p.SHA256, p.Size, p.Source)
		if err == nil {
			pr := req
			pr.PatchPath = path
			staged, err = fw.Stage(ctx, pr)
			os.Remove(path)
		}
		if err == nil {
			done = true
		} else if ctx.Err() != nil {
			return nil
		} else {
			a.log.Warn("agent update patch not usable; fetching the full binary", "version", args.Version, "err", err)
		}
	}
	if !done {
		path, err := a.fetchArtifact(ctx, dir, "binary", args.Version, args.SHA256, args.Size, args.Source)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fail(fmt.Errorf("agent.update: fetch: %w", err))
		}
		req.Path = path
		staged, err = fw.Stage(ctx, req)
		os.Remove(path)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fail(err)
		}
	}
	if err := a.saveUpdateJob(updateJobRecord{CommandID: cmd.ID, Version: args.Version, From: a.opts.Version}); err != nil {
		return fail(err)
	}
	a.log.Info("agent update staged; draining and restarting into it", "id", cmd.ID, "old", a.opts.Version,
		"new", args.Version, "delta", staged.Delta, "fallback", staged.Fallback)
	a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultAccepted, Result: map[string]any{
		"old": a.opts.Version, "new": args.Version, "delta": staged.Delta, "state": "staged; restarting into it"}})
	return &restartCause{version: args.Version, commit: true}
}

// verifyBinary checks the minisign signature of the staged binary against
// the update keyring; its trusted comment must name the version.
func verifyBinary(kr *trust.Keyring, path string, sig []byte, version string) error {
	msg, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	id, comment, err := kr.Verify(msg, sig)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if !slices.Contains(strings.Fields(comment), "version:"+version) {
		return fmt.Errorf("signature: key %s signed %q, whose trusted comment does not say version:%s", id, clipArg(comment), version)
	}
	return nil
}

// fetchArtifact fetches one artifact into dir, reporting progress at most
// every progressEvery.
func (a *Agent) fetchArtifact(ctx context.Context, dir, what, version, sha string, size int64, s updateSource) (string, error) {
	src := artifact.Source{Kind: artifact.Kind(s.Kind), URL: s.URL, CAFile: a.cfg.Update.CAFile, SystemRoots: true,
		Prefix: a.cfg.MQTT.Prefix}
	if src.Kind == artifact.KindMQTT {
		tmpl, err := a.updateMQTT()
		if err != nil {
			return "", err
		}
		src.MQTT = tmpl
	}
	last := time.Now()
	progress := func(p artifact.Progress) {
		if p.Done < p.Total && time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		a.log.Info("fetching agent update", "what", what, "version", version, "done", p.Done, "total", p.Total)
		a.event(fleet.EventUpdate, "info", "update", fmt.Sprintf("fetching agent %s %s: %d of %d bytes", what, version, p.Done, p.Total),
			map[string]any{"result": "fetching", "what": what, "new": version, "done": p.Done, "total": p.Total})
	}
	want := artifact.Want{SHA256: sha, Size: size}
	opts := artifact.Options{Dir: dir, MaxSize: int64(a.cfg.Update.MaxSize), Progress: progress}
	path, err := artifact.Fetch(ctx, src, want, opts)
	if err != nil && ctx.Err() == nil {
		// One more try, resuming what was verified: the dedicated MQTT
		// session may first be flooded with chunks queued for it by the
		// previous fetch, and a message it had no room for is dropped.
		a.log.Warn("fetching agent update failed; trying once more", "what", what, "version", version, "err", err)
		path, err = artifact.Fetch(ctx, src, want, opts)
	}
	return path, err
}

// updateMQTT is the connection template of MQTT fetches: the agent's
// broker and credentials under a client id of its own.
func (a *Agent) updateMQTT() (uplink.Config, error) {
	m := a.cfg.MQTT
	password := m.Password
	if m.PasswordFile != "" {
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return uplink.Config{}, fmt.Errorf("agent: mqtt.password_file: %w", err)
		}
		password = string(trimNewline(b))
	}
	return uplink.Config{Broker: m.Broker, ClientID: m.ClientID + "-update", Username: m.Username, Password: password,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile, KeepAlive: m.KeepAlive}, nil
}

// runRollback puts the previous binary back; the run then ends for the
// restart into it, which reports the outcome.
func (a *Agent) runRollback(ctx context.Context, cmd fleet.Command, reason string) *restartCause {
	d, err := a.opts.Update.Firmware.Rollback(ctx, a.opts.Version, reason)
	if err != nil {
		a.log.Error("agent rollback failed", "id", cmd.ID, "err", err)
		a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: err.Error()})
		return nil
	}
	o := d.Outcome
	data := map[string]any{"old": o.New, "new": o.Running}
	a.result(ctx, fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: data})
	a.log.Info("agent rolled back on command", "id", cmd.ID, "from", o.New, "to", o.Running, "action", d.Action)
	if d.Action != firmware.Restart {
		a.reportUpdates(ctx)
		return nil
	}
	return &restartCause{version: o.Running}
}

// afterRun maps the cause that ended run to Run's result: the staged
// binary is swapped in only now, with sensors stopped and the outbox
// closed, and main exits with firmware.ExitUpdate.
func (a *Agent) afterRun(cause error) error {
	var rc *restartCause
	if errors.As(cause, &rc) {
		if rc.commit {
			p, err := a.opts.Update.Firmware.Commit(context.Background())
			if err != nil {
				return fmt.Errorf("agent: update to %s: %w", rc.version, err)
			}
			a.log.Info("agent binary replaced; restarting into it", "old", p.From, "new", p.Version)
		}
		return fmt.Errorf("%w: %s", ErrRestartForUpdate, rc.Error())
	}
	if errors.Is(cause, ErrProbationExpired) {
		return cause
	}
	return nil
}
