package firmware

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
	"github.com/minio/selfupdate"
)

// ExitUpdate is the exit status with which the agent ends after Commit,
// after a Boot that rolled back, and after Rollback, so that systemd starts
// whatever binary is now at the target path. 75 (EX_TEMPFAIL) is a failure
// status, so both Restart=always and Restart=on-failure restart on it, and
// it is not in the unit's RestartPreventExitStatus (78, EX_CONFIG, is kept
// for configuration errors that a restart cannot fix).
const ExitUpdate = 75

// Defaults for Config.
const (
	DefaultMaxAttempts       = 3
	DefaultMaxSize     int64 = 256 << 20
)

const stateFileName = "firmware.json"

// Errors a caller may want to tell apart (errors.Is).
var (
	ErrRejected   = errors.New("version was rejected before")
	ErrPending    = errors.New("an update is already pending")
	ErrNotPending = errors.New("no update is pending")
	ErrNoStaged   = errors.New("nothing is staged")
	ErrNoPrevious = errors.New("no previous binary is kept")
)

// Config says where the binary and the state live.
type Config struct {
	// Target is the binary to replace; empty means the running executable.
	Target string
	// StateDir holds firmware.json; required.
	StateDir string
	// OldPath is where the previous binary is kept while the new one is on
	// probation; empty means Target + ".old". Must be on Target's filesystem.
	OldPath string
	// MaxAttempts is how many starts a new version gets to Confirm before
	// Boot rolls it back; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxSize bounds the size of a binary or patch; 0 means DefaultMaxSize.
	MaxSize int64
	// KeepPrevious keeps the old binary after Confirm so that Rollback can
	// still go back on command; by default Confirm removes it.
	KeepPrevious bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Updater stages, swaps, confirms and rolls back the binary at its target.
// Its methods are safe for concurrent use; one process should own a target.
type Updater struct {
	cfg       Config
	target    string
	old       string
	staged    string // selfupdate's fixed staging name, .<name>.new
	statePath string

	mu sync.Mutex
	st State
}

// Open reads the state file (an absent one is an empty state) and checks
// the configuration.
func Open(cfg Config) (*Updater, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("firmware: config: StateDir is empty")
	}
	if cfg.MaxAttempts < 0 {
		return nil, fmt.Errorf("firmware: config: MaxAttempts %d is negative", cfg.MaxAttempts)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxSize < 0 {
		return nil, fmt.Errorf("firmware: config: MaxSize %d is negative", cfg.MaxSize)
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	target := cfg.Target
	if target == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("firmware: config: locating the running binary: %w", err)
		}
		target = exe
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return nil, fmt.Errorf("firmware: config: Target: %w", err)
	}
	old := cfg.OldPath
	if old == "" {
		old = target + ".old"
	}
	u := &Updater{
		cfg:       cfg,
		target:    target,
		old:       old,
		staged:    filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".new"),
		statePath: filepath.Join(cfg.StateDir, stateFileName),
	}
	if u.st, err = loadState(u.statePath); err != nil {
		return nil, err
	}
	return u, nil
}

// Target is the path of the binary this Updater replaces.
func (u *Updater) Target() string { return u.target }

// State returns a copy of the persisted state.
func (u *Updater) State() State {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st.clone()
}

func (u *Updater) save() error {
	data, err := json.MarshalIndent(&u.st, "", "  ")
	if err != nil {
		return fmt.Errorf("firmware: state: %w", err)
	}
	if err := atomicfile.WriteFile(u.statePath, append(data, '\n'), 0o600, ""); err != nil {
		return fmt.Errorf("firmware: state %s: %w", u.statePath, err)
	}
	return nil
}

// StageRequest describes an already fetched update.
type StageRequest struct {
	Version string
	SHA256  string // hex sha256 of the full binary, from the command
	Size    int64  // size of the full binary, from the command
	// Path is the fetched full binary. It may be empty only when PatchPath
	// is set, and is the fallback when the patch does not produce SHA256.
	Path string
	// PatchPath is an optional bsdiff (BSDIFF40) patch against the running
	// binary.
	PatchPath string
	// Verify checks the signature of the binary that will be installed; it
	// is called with the path of the staged file, whose bytes already
	// match Size and SHA256. Required.
	Verify func(path string) error
	// Force stages a version that was rejected before or is running now.
	Force bool
}

// Stage checks the update and writes it next to the binary, ready for
// Commit. Nothing at the target path changes. A previous staged update is
// replaced.
func (u *Updater) Stage(ctx context.Context, req StageRequest) (Staged, error) {
	if err := req.check(u.cfg.MaxSize); err != nil {
		return Staged{}, fmt.Errorf("firmware: stage: %w", err)
	}
	fail := func(err error) (Staged, error) {
		return Staged{}, fmt.Errorf("firmware: stage %s: %w", req.Version, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if p := u.st.Pending; p != nil {
		return fail(fmt.Errorf("%w: %s (confirm or roll back first)", ErrPending, p.Version))
	}
	if u.st.Current == "" {
		return fail(errors.New("running version unknown: call Boot first"))
	}
	if !req.Force {
		if r, ok := u.st.rejection(req.Version); ok {
			return fail(fmt.Errorf("%w on %s: %s (force to stage it anyway)", ErrRejected, r.At.UTC().Format(time.RFC3339), r.Reason))
		}
		if req.Version == u.st.Current {
			return fail(errors.New("this version is already running (force to reinstall it)"))
		}
	}
	if u.st.Staged != nil {
		u.st.Staged = nil
		if err := u.save(); err != nil {
			return fail(err)
		}
	}
	if err := removeIfExists(u.staged); err != nil {
		return fail(err)
	}
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(u.target); err != nil {
		return fail(fmt.Errorf("target: %w", err))
	} else if st.Mode().Perm()&0o111 != 0 {
		mode = st.Mode().Perm()
	}
	sum, _ := hex.DecodeString(strings.ToLower(req.SHA256))
	// selfupdate writes .<name>.new next to TargetPath (so the swap is a
	// rename on one filesystem) only after Checksum matched.
	opts := selfupdate.Options{TargetPath: u.target, TargetMode: mode, Checksum: sum}

	staged := Staged{Version: req.Version, SHA256: strings.ToLower(req.SHA256), Size: req.Size, Path: u.staged}
	done := false
	defer func() {
		if !done {
			os.Remove(u.staged)
		}
	}()
	if req.PatchPath != "" {
		err := u.prepareDelta(ctx, req, opts)
		if err == nil {
			staged.Delta = true
		} else if req.Path == "" || ctx.Err() != nil {
			return fail(fmt.Errorf("delta %s: %w", req.PatchPath, err))
		} else {
			staged.Fallback = err.Error()
		}
	}
	if !staged.Delta {
		if err := u.prepareFull(ctx, req, opts); err != nil {
			return fail(err)
		}
	}
	if err := syncFile(u.staged); err != nil {
		return fail(err)
	}
	if sha, n, err := hashFile(u.staged); err != nil {
		return fail(err)
	} else if n != req.Size || sha != staged.SHA256 {
		return fail(fmt.Errorf("staged file %s has %d bytes and sha256 %s, want %d and %s", u.staged, n, sha, req.Size, staged.SHA256))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := req.Verify(u.staged); err != nil {
		return fail(fmt.Errorf("verify: %w", err))
	}
	if err := atomicfile.SyncDir(filepath.Dir(u.staged)); err != nil {
		return fail(err)
	}
	staged.StagedAt = u.cfg.Now().UTC()
	u.st.Staged = &staged
	if err := u.save(); err != nil {
		u.st.Staged = nil
		return fail(err)
	}
	done = true
	return staged, nil
}

func (r *StageRequest) check(maxSize int64) error {
	if err := checkVersion(r.Version); err != nil {
		return err
	}
	if err := checkSHA256(r.SHA256); err != nil {
		return err
	}
	if r.Size <= 0 || r.Size > maxSize {
		return fmt.Errorf("field \"size\": %d outside 1..%d", r.Size, maxSize)
	}
	if r.Path == "" && r.PatchPath == "" {
		return errors.New("neither a binary path nor a patch path given")
	}
	if r.Verify == nil {
		return errors.New("no Verify hook: refusing to install an unverified binary")
	}
	return nil
}

func checkVersion(v string) error {
	if v == "" || len(v) > 128 {
		return fmt.Errorf("field \"version\": %q must be 1..128 bytes", v)
	}
	for _, c := range v {
		if c <= ' ' || c > '~' {
			return fmt.Errorf("field \"version\": %q has a space, control or non-ASCII character", v)
		}
	}
	return nil
}

func checkSHA256(s string) error {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return fmt.Errorf("field \"sha256\": %q is not 64 hex digits", s)
	}
	return nil
}

// openSized opens a regular file whose size must be within [1, max] and,
// when want > 0, exactly want; sizes are checked before anything is read.
func openSized(path string, want, max int64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case !st.Mode().IsRegular():
		err = fmt.Errorf("%s is not a regular file", path)
	case want > 0 && st.Size() != want:
		err = fmt.Errorf("%s is %d bytes, command says %d", path, st.Size(), want)
	case st.Size() <= 0 || st.Size() > max:
		err = fmt.Errorf("%s is %d bytes, outside 1..%d", path, st.Size(), max)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (u *Updater) prepareFull(ctx context.Context, req StageRequest, opts selfupdate.Options) error {
	if req.Path == "" {
		return errors.New("no full binary to fall back to")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := openSized(req.Path, req.Size, u.cfg.MaxSize)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := selfupdate.PrepareAndCheckBinary(f, opts); err != nil {
		return fmt.Errorf("%s: %w", req.Path, err)
	}
	return nil
}

func (u *Updater) prepareDelta(ctx context.Context, req StageRequest, opts selfupdate.Options) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := openSized(req.PatchPath, 0, u.cfg.MaxSize)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := make([]byte, bsdiffHeaderLen)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if _, err := parseBsdiffHeader(hdr, st.Size(), req.Size); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	opts.Patcher = safePatcher{selfupdate.NewBSDiffPatcher()}
	return selfupdate.PrepareAndCheckBinary(f, opts)
}

// Commit swaps the staged binary in: the running binary is kept at OldPath,
// the update is recorded as pending, and the staged file is renamed over
// the target. The caller then drains and exits with ExitUpdate.
func (u *Updater) Commit(ctx context.Context) (Pending, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.st.Staged
	if s == nil {
		return Pending{}, fmt.Errorf("firmware: commit: %w", ErrNoStaged)
	}
	fail := func(err error) (Pending, error) {
		return Pending{}, fmt.Errorf("firmware: commit %s: %w", s.Version, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// The staged file is checked again: it sat on disk since Stage.
	if sha, n, err := hashFile(s.Path); err != nil {
		return fail(fmt.Errorf("staged file: %w", err))
	} else if sha != s.SHA256 || n != s.Size {
		return fail(fmt.Errorf("staged file %s changed since Stage: %d bytes, sha256 %s", s.Path, n, sha))
	}
	if err := keepOld(u.target, u.old); err != nil {
		return fail(fmt.Errorf("keeping the old binary at %s: %w", u.old, err))
	}
	p := Pending{Version: s.Version, From: u.st.Current, SHA256: s.SHA256, StartedAt: u.cfg.Now().UTC()}
	u.st.Pending = &p
	u.st.Staged = nil
	u.st.Previous = u.st.Current
	if err := u.save(); err != nil {
		return fail(err)
	}
	// The one step that changes the target: a rename, so the path always
	// names a whole binary, old or new. selfupdate.CommitBinary is not used
	// because it first renames the target to OldSavePath, leaving a moment
	// (and, after a crash, a boot) with no binary at the path.
	if err := os.Rename(s.Path, u.target); err != nil {
		return fail(fmt.Errorf("swap: %w", err))
	}
	if err := atomicfile.SyncDir(filepath.Dir(u.target)); err != nil {
		return fail(err)
	}
	return p, nil
}

// Action tells main what to do after Boot.
type Action int

const (
	// Run: no update is pending; run normally.
	Run Action = iota
	// Probation: this version is a pending update; run, and Confirm once
	// READY, connected and status published, or exit non-zero if that does
	// not happen within the configured time (the next start counts).
	Probation
	// Restart: the old binary was put back; exit with ExitUpdate now so
	// systemd starts it.
	Restart
)

func (a Action) String() string {
	switch a {
	case Run:
		return "run"
	case Probation:
		return "probation"
	case Restart:
		return "restart"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is Boot's answer.
type Decision struct {
	Action  Action
	Attempt int      // start attempt of a version on probation
	Outcome *Outcome // set when Boot rolled back or aborted an update
}

// Boot is called early by main with the version of the running binary. It
// counts start attempts of a pending version, rolls it back after more
// than MaxAttempts starts or when an unexpected version runs, and finishes
// a rollback a crash interrupted.
func (u *Updater) Boot(version string) (Decision, error) {
	if err := checkVersion(version); err != nil {
		return Decision{}, fmt.Errorf("firmware: boot: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.st.Pending
	switch {
	case p == nil:
		if u.st.Current != version {
			// Installed by other means (a package upgrade): adopt it.
			u.st.Current = version
			if err := u.save(); err != nil {
				return Decision{}, fmt.Errorf("firmware: boot: %w", err)
			}
		}
		return Decision{Action: Run}, nil
	case p.RollingBack != "":
		return u.rollback(version, p.RollingBack)
	case version == p.Version:
		p.Attempts++
		if p.Attempts > u.cfg.MaxAttempts {
			p.Attempts--
			return u.rollback(version, fmt.Sprintf("started %d times without confirming", u.cfg.MaxAttempts))
		}
		if err := u.save(); err != nil {
			return Decision{}, fmt.Errorf("firmware: boot: %w", err)
		}
		return Decision{Action: Probation, Attempt: p.Attempts}, nil
	case version == p.From && p.Attempts == 0:
		return u.abort(version)
	default:
		return u.rollback(version, fmt.Sprintf("version %s started while %s was pending", version, p.Version))
	}
}

// abort undoes a Commit whose swap never happened (a crash between
// recording the pending update and the rename): the old binary still runs.
func (u *Updater) abort(version string) (Decision, error) {
	p := u.st.Pending
	if err := removeIfExists(u.old); err != nil {
		return Decision{}, fmt.Errorf("firmware: boot: %w", err)
	}
	if err := removeIfExists(u.staged); err != nil {
		return Decision{}, fmt.Errorf("firmware: boot: %w", err)
	}
	u.st.Pending = nil
	u.st.Previous = ""
	u.st.Current = version
	o := u.st.report(Outcome{Result: ResultAborted, Old: p.From, New: p.Version, Running: version,
		Reason: "the swap did not complete; the old binary is still in place", At: u.cfg.Now().UTC()})
	if err := u.save(); err != nil {
		return Decision{}, fmt.Errorf("firmware: boot: %w", err)
	}
	return Decision{Action: Run, Outcome: &o}, nil
}

// rollback puts the old binary back over the target and rejects the
// pending version. It first records that it is rolling back, so a crash
// part way is finished by the next Boot. running is the version of this
// process, to decide whether it must exit.
func (u *Updater) rollback(running, reason string) (Decision, error) {
	p := u.st.Pending
	fail := func(err error) (Decision, error) {
		return Decision{}, fmt.Errorf("firmware: rollback %s to %s: %w", p.Version, p.From, err)
	}
	now := u.cfg.Now().UTC()
	if p.RollingBack == "" {
		p.RollingBack = reason
		u.st.reject(Rejection{Version: p.Version, SHA256: p.SHA256, Reason: reason, At: now})
		if err := u.save(); err != nil {
			return fail(err)
		}
	}
	haveOld, err := exists(u.old)
	if err != nil {
		return fail(err)
	}
	if haveOld {
		if err := os.Rename(u.old, u.target); err != nil {
			return fail(err)
		}
		// Renaming a hard link onto the same file is a no-op that leaves
		// both names; the old name must not outlive the rollback.
		if err := removeIfExists(u.old); err != nil {
			return fail(err)
		}
		if err := atomicfile.SyncDir(filepath.Dir(u.target)); err != nil {
			return fail(err)
		}
	} else if sha, _, err := hashFile(u.target); err != nil {
		return fail(err)
	} else if sha == p.SHA256 {
		return fail(fmt.Errorf("%w: %s is gone and %s is still the rejected version", ErrNoPrevious, u.old, u.target))
	}
	// else: an earlier attempt renamed it already and crashed before saving.
	u.st.Pending = nil
	u.st.Current = p.From
	u.st.Previous = ""
	o := u.st.report(Outcome{Result: ResultRolledBack, Old: p.From, New: p.Version, Running: p.From, Reason: p.RollingBack, At: now})
	if err := u.save(); err != nil {
		return fail(err)
	}
	d := Decision{Action: Restart, Outcome: &o}
	if running == p.From {
		d.Action = Run
	}
	return d, nil
}

// Confirm ends the probation of the running version: the old binary is
// removed (unless KeepPrevious) and the outcome is queued for reporting.
func (u *Updater) Confirm(version string) (Outcome, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.st.Pending
	switch {
	case p == nil:
		return Outcome{}, fmt.Errorf("firmware: confirm %s: %w", version, ErrNotPending)
	case p.Version != version:
		return Outcome{}, fmt.Errorf("firmware: confirm %s: the pending version is %s", version, p.Version)
	case p.RollingBack != "":
		return Outcome{}, fmt.Errorf("firmware: confirm %s: a rollback is under way: %s", version, p.RollingBack)
	}
	u.st.Pending = nil
	u.st.Current = p.Version
	u.st.Previous = ""
	if u.cfg.KeepPrevious {
		u.st.Previous = p.From
	}
	o := u.st.report(Outcome{Result: ResultConfirmed, Old: p.From, New: p.Version, Running: p.Version, At: u.cfg.Now().UTC()})
	// State first: a crash before the removal leaves a stray old file,
	// which the next Commit replaces, never a pending update without one.
	if err := u.save(); err != nil {
		return Outcome{}, fmt.Errorf("firmware: confirm %s: %w", version, err)
	}
	if !u.cfg.KeepPrevious {
		if err := removeIfExists(u.old); err != nil {
			return o, fmt.Errorf("firmware: confirm %s: removing %s: %w", version, u.old, err)
		}
	}
	return o, nil
}

// Rollback returns to the previous binary on command: the pending version
// if one is on probation, else the version kept by KeepPrevious. The
// version left is rejected with reason. When the returned Decision says
// Restart, the caller exits with ExitUpdate.
func (u *Updater) Rollback(ctx context.Context, running, reason string) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("firmware: rollback: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if reason == "" {
		reason = "rolled back on command"
	} else {
		reason = "rolled back on command: " + reason
	}
	if u.st.Pending != nil {
		return u.rollback(running, reason)
	}
	if u.st.Staged != nil {
		return Decision{}, fmt.Errorf("firmware: rollback: %s is staged, not committed", u.st.Staged.Version)
	}
	haveOld, err := exists(u.old)
	if err != nil {
		return Decision{}, fmt.Errorf("firmware: rollback: %w", err)
	}
	if u.st.Previous == "" || !haveOld {
		return Decision{}, fmt.Errorf("firmware: rollback: %w", ErrNoPrevious)
	}
	sha, _, err := hashFile(u.target)
	if err != nil {
		return Decision{}, fmt.Errorf("firmware: rollback: %w", err)
	}
	u.st.Pending = &Pending{Version: u.st.Current, From: u.st.Previous, SHA256: sha, StartedAt: u.cfg.Now().UTC()}
	return u.rollback(running, reason)
}

// Reports returns the outcomes not yet acknowledged, oldest first.
func (u *Updater) Reports() []Outcome {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Outcome(nil), u.st.Reports...)
}

// AckReports drops the outcomes up to and including seq, once the agent
// has them durably (in its outbox).
func (u *Updater) AckReports(seq uint64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	kept := u.st.Reports[:0:0]
	for _, o := range u.st.Reports {
		if o.Seq > seq {
			kept = append(kept, o)
		}
	}
	if len(kept) == len(u.st.Reports) {
		return nil
	}
	u.st.Reports = kept
	if err := u.save(); err != nil {
		return fmt.Errorf("firmware: ack reports: %w", err)
	}
	return nil
}
