package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
)

// State is where a version stands in its life on this gateway.
type State string

const (
	StateInstalled  State = "installed"   // on disk, verified at install, not running
	StateProbation  State = "probation"   // active, gates still watching it
	StateActive     State = "active"      // active and promoted (or activated without probation)
	StateRolledBack State = "rolled_back" // was active, rolled back by an operator
	StateRejected   State = "rejected"    // refused for good: not installed again unless forced
	StateFailed     State = "failed"      // a check after install failed; a re-install retries it
)

func (s State) valid() bool {
	switch s {
	case StateInstalled, StateProbation, StateActive, StateRolledBack, StateRejected, StateFailed:
		return true
	}
	return false
}

// File names inside the store; see doc.go for the picture.
const (
	versionsDir = "versions"
	bundleFile  = "bundle.axb"
	metaFile    = "meta.json"
	pointerFile = "active.json"
)

// metaLimit bounds meta.json and active.json; both are a few hundred bytes.
const metaLimit = 64 << 10

// Meta is a version's meta.json.
type Meta struct {
	// Seq numbers the model's installs in order; retention goes by it,
	// not by installed_at, because a gateway without a real-time clock
	// may boot with its clock behind.
	Seq         int64     `json:"seq"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	InstalledAt time.Time `json:"installed_at"`
	State       State     `json:"state"`
	Reason      string    `json:"reason,omitempty"`
}

// Pointer is a model's active.json: the version that runs, the one a
// rollback returns to, and whether the active one is on probation.
type Pointer struct {
	Active    string `json:"active"`
	Previous  string `json:"previous,omitempty"`
	Probation bool   `json:"probation,omitempty"`
}

// Version describes one installed version as found on disk.
type Version struct {
	Model   string
	Version string
	Meta
	// Path is the bundle file; empty for a rejected version whose bundle
	// was pruned (its meta.json stays so the rejection is remembered).
	Path string
}

// VerifyFunc re-checks a version's bundle file beyond its recorded sha256
// and size (for example its signature); it runs on Open for the active
// version and on Activate and Rollback for the version about to run.
type VerifyFunc func(ctx context.Context, model, version, path string, m Meta) error

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// Keep is how many versions per model are kept (default 3, at least
	// 2); the active and the previous one are never removed.
	Keep int
	// MaxBundleBytes refuses larger bundles during Install (default 256 MiB).
	MaxBundleBytes int64
	// HistoryMaxBytes rotates the audit log to history.jsonl.1 when an
	// append would make it larger (default 1 MiB).
	HistoryMaxBytes int64
	// Verify, when set, is called in addition to the sha256 check.
	Verify VerifyFunc
	// Now is the clock for installed_at and audit entries (default time.Now).
	Now func() time.Time
}

// Recovery is one repair Open made to a model's active pointer.
type Recovery struct {
	Model  string
	From   string // the version the pointer named
	To     string // the version now active; empty when none could be
	Reason string
}

// Audit carries who and why for a state change; it goes into the audit log.
type Audit struct {
	KeyID   string
	Lineage map[string]any
	Reason  string
}

// check refuses an Audit that could not be written to the audit log, so
// that a change is not made and then reported as failed.
func (a Audit) check() error {
	b, err := json.Marshal(Entry{Lineage: a.Lineage, KeyID: a.KeyID, Reason: a.Reason})
	if err != nil {
		return fmt.Errorf("audit lineage: %w", err)
	}
	if len(b) > maxEntryBytes/2 {
		return fmt.Errorf("audit: key id, lineage and reason take %d bytes, more than %d", len(b), maxEntryBytes/2)
	}
	return nil
}

var (
	// ErrRejected: the version was rejected earlier (see RejectedError).
	ErrRejected = errors.New("version was rejected")
	// ErrConflict: a version of that name holds different content.
	ErrConflict = errors.New("a different bundle is already installed under this version")
	// ErrNotInstalled: no complete version of that name is on disk.
	ErrNotInstalled = errors.New("version not installed")
	// ErrNoPrevious: rollback has nothing to return to.
	ErrNoPrevious = errors.New("no previous version to roll back to")
	// ErrPrune: the state change succeeded, removing old versions did not.
	ErrPrune = errors.New("pruning old versions failed")
)

// RejectedError says a version was rejected and why; errors.Is(err,
// ErrRejected) holds.
type RejectedError struct {
	Model, Version, Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("store: model %s version %s was rejected (%s); install with Force to retry it", e.Model, e.Version, e.Reason)
}

func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Store holds versioned model bundles under one root directory. Its methods
// are safe for concurrent use; one process at a time may open a root.
type Store struct {
	root      string
	opts      Options
	recovered []Recovery

	mu sync.Mutex // serialises every change to the tree and the audit log
}

// Open opens the store at root, creating it if needed, and recovers from a
// crash: leftover temporary entries are removed, a torn last audit line is
// cut, and every model's active pointer is made to name a complete,
// verified version (falling back to the previous one, reported by
// Recovered and in the audit log).
func Open(ctx context.Context, root string, opts Options) (*Store, error) {
	if opts.Keep == 0 {
		opts.Keep = 3
	}
	if opts.Keep < 2 {
		return nil, fmt.Errorf("store: open %s: Keep %d: must be at least 2 (active and previous)", root, opts.Keep)
	}
	if opts.MaxBundleBytes <= 0 {
		opts.MaxBundleBytes = 256 << 20
	}
	if opts.HistoryMaxBytes <= 0 {
		opts.HistoryMaxBytes = 1 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{root: root, opts: opts}
	if err := mkdirSynced(root); err != nil {
		return nil, fmt.Errorf("store: open %s: create: %w", root, err)
	}
	if err := removeTemps(root); err != nil {
		return nil, fmt.Errorf("store: open %s: remove temporary files: %w", root, err)
	}
	if err := repairHistory(filepath.Join(root, historyFile)); err != nil {
		return nil, fmt.Errorf("store: open %s: audit log: %w", root, err)
	}
	models, err := s.Models()
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		if err := s.recoverModel(ctx, m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Recovered lists the pointer repairs Open made.
func (s *Store) Recovered() []Recovery { return append([]Recovery(nil), s.recovered...) }

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

func (s *Store) modelDir(name string) string { return filepath.Join(s.root, name) }
func (s *Store) versionDir(name, version string) string {
	return filepath.Join(s.root, name, versionsDir, version)
}

// removeTemps deletes ".tmp-" entries in root, in each model directory,
// in each versions directory and in each version: installs, deletions,
// pointer and meta writes that a crash interrupted. It walks with ReadDir,
// not Glob, so a root path with glob characters in it is no problem.
func removeTemps(root string) error {
	if err := removeTempsIn(root); err != nil {
		return err
	}
	models, err := subdirs(root)
	if err != nil {
		return err
	}
	for _, m := range models {
		if err := removeTempsIn(m); err != nil {
			return err
		}
		versions, err := subdirs(filepath.Join(m, versionsDir))
		if err != nil {
			return err
		}
		if err := removeTempsIn(filepath.Join(m, versionsDir)); err != nil {
			return err
		}
		for _, v := range versions {
			if err := removeTempsIn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// subdirs lists the directories in dir whose names are valid model names
// or versions; none when dir does not exist.
func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidName(e.Name()) == nil {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// removeTempsIn removes the ".tmp-" entries directly in dir and fsyncs it
// when it removed any.
func removeTempsIn(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	removed := false
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return atomicfile.SyncDir(dir)
	}
	return nil
}

// Models lists the model names that have a directory in the store.
func (s *Store) Models() ([]string, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("store: list models in %s: %w", s.root, err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// readMeta reads and checks a version's meta.json.
func (s *Store) readMeta(name, version string) (Meta, error) {
	b, err := readSmallFile(filepath.Join(s.versionDir(name, version), metaFile), metaLimit)
	if err != nil {
		return Meta{}, err
	}
	return parseMeta(b)
}

// parseMeta decodes meta.json strictly and checks its values.
func parseMeta(b []byte) (Meta, error) {
	var m Meta
	if err := decodeStrict(b, &m); err != nil {
		return Meta{}, fmt.Errorf("meta.json: %w", err)
	}
	if err := checkSHA256(m.SHA256); err != nil {
		return Meta{}, fmt.Errorf("meta.json: %w", err)
	}
	if m.Size < 0 || m.Seq < 0 {
		return Meta{}, fmt.Errorf("meta.json: size %d, seq %d: negative", m.Size, m.Seq)
	}
	if !m.State.valid() {
		return Meta{}, fmt.Errorf("meta.json: state %.40q: unknown", m.State)
	}
	return m, nil
}

func (s *Store) writeMeta(name, version string, m Meta) error {
	return writeJSONAtomic(filepath.Join(s.versionDir(name, version), metaFile), m)
}

// readPointer returns the zero Pointer when the model has none.
func (s *Store) readPointer(name string) (Pointer, error) {
	b, err := readSmallFile(filepath.Join(s.modelDir(name), pointerFile), metaLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return Pointer{}, nil
	}
	if err != nil {
		return Pointer{}, err
	}
	return parsePointer(b)
}

// parsePointer decodes active.json strictly; the names in it become paths,
// so they are validated like names from the network.
func parsePointer(b []byte) (Pointer, error) {
	var p Pointer
	if err := decodeStrict(b, &p); err != nil {
		return Pointer{}, fmt.Errorf("active.json: %w", err)
	}
	if p.Active == "" && (p.Previous != "" || p.Probation) {
		return Pointer{}, errors.New("active.json: previous or probation without an active version")
	}
	if p.Active != "" {
		if err := ValidName(p.Active); err != nil {
			return Pointer{}, fmt.Errorf("active.json: active %.80q: %w", p.Active, err)
		}
	}
	if p.Previous != "" {
		if err := ValidName(p.Previous); err != nil {
			return Pointer{}, fmt.Errorf("active.json: previous %.80q: %w", p.Previous, err)
		}
	}
	return p, nil
}

func (s *Store) writePointer(name string, p Pointer) error {
	return writeJSONAtomic(filepath.Join(s.modelDir(name), pointerFile), p)
}

// verify checks that a version is complete: meta.json readable, bundle
// file present with the recorded size and sha256, and Options.Verify
// content. It returns the meta.
func (s *Store) verify(ctx context.Context, name, version string) (Meta, error) {
	m, err := s.readMeta(name, version)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, ErrNotInstalled
	}
	if err != nil {
		return Meta{}, err
	}
	path := filepath.Join(s.versionDir(name, version), bundleFile)
	sum, n, err := hashFile(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s missing: %w", bundleFile, ErrNotInstalled)
	}
	if err != nil {
		return m, err
	}
	if n != m.Size || sum != m.SHA256 {
		return m, fmt.Errorf("%s: %d bytes sha256 %s, meta.json records %d bytes sha256 %s", bundleFile, n, sum, m.Size, m.SHA256)
	}
	if s.opts.Verify != nil {
		if err := s.opts.Verify(ctx, name, version, path, m); err != nil {
			return m, fmt.Errorf("verify callback: %w", err)
		}
	}
	return m, nil
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// recoverModel makes the pointer name a complete, verified version and
// brings the per-version states in line with it.
func (s *Store) recoverModel(ctx context.Context, name string) error {
	p, err := s.readPointer(name)
	if err != nil {
		// active.json is written atomically, so this is disk corruption:
		// no version is trusted to run until one is activated again.
		s.recovered = append(s.recovered, Recovery{Model: name, Reason: "active.json unreadable: " + err.Error()})
		if err := os.Remove(filepath.Join(s.modelDir(name), pointerFile)); err != nil {
			return fmt.Errorf("store: open: model %s: remove unreadable active.json: %w", name, err)
		}
		if err := atomicfile.SyncDir(s.modelDir(name)); err != nil {
			return fmt.Errorf("store: open: model %s: %w", name, err)
		}
		p = Pointer{}
	}
	if p.Active != "" {
		m, verr := s.verify(ctx, name, p.Active)
		if verr == nil && m.State == StateRejected {
			// Rollback with Reject writes the rejection before the
			// pointer: a crash in between finishes the rollback here.
			verr = &RejectedError{Model: name, Version: p.Active, Reason: m.Reason}
		}
		if verr != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("store: open: model %s version %s: verify: %w", name, p.Active, ctx.Err())
			}
			rec := Recovery{Model: name, From: p.Active, Reason: verr.Error()}
			np := Pointer{}
			if p.Previous != "" {
				pm, perr := s.verify(ctx, name, p.Previous)
				if perr == nil && pm.State != StateRejected {
					np.Active = p.Previous
				} else if perr != nil {
					rec.Reason += "; previous " + p.Previous + ": " + perr.Error()
				} else {
					rec.Reason += "; previous " + p.Previous + " is rejected"
				}
			}
			// A rejected version that still verifies stays the only one
			// that can run when there is nothing to fall back to.
			var rej *RejectedError
			if np.Active == "" && errors.As(verr, &rej) {
				np = Pointer{Active: p.Active}
				rec.Reason += "; kept active: nothing to fall back to"
			}
			rec.To = np.Active
			if err := s.writePointer(name, np); err != nil {
				return fmt.Errorf("store: open: model %s: write active.json: %w", name, err)
			}
			if np.Active != p.Active {
				if !errors.As(verr, &rej) && !errors.Is(verr, ErrNotInstalled) {
					if bm, err := s.readMeta(name, p.Active); err == nil {
						bm.State, bm.Reason = StateFailed, "found broken at open: "+verr.Error()
						if err := s.writeMeta(name, p.Active, bm); err != nil {
							return fmt.Errorf("store: open: model %s version %s: write meta.json: %w", name, p.Active, err)
						}
					}
				}
			}
			s.recovered = append(s.recovered, rec)
			if err := s.appendHistory(Entry{Model: name, Version: rec.To, Action: ActionRecover, From: rec.From, Reason: rec.Reason}); err != nil {
				return fmt.Errorf("store: open: model %s: %w", name, err)
			}
			p = np
		}
	}
	return s.reconcile(name, p)
}

// reconcile sets meta states to agree with the pointer, which is the
// truth about what runs: a crash between the pointer write and the meta
// writes leaves them behind.
func (s *Store) reconcile(name string, p Pointer) error {
	vs, err := os.ReadDir(filepath.Join(s.modelDir(name), versionsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: open: model %s: %w", name, err)
	}
	for _, e := range vs {
		v := e.Name()
		if ValidName(v) != nil {
			continue
		}
		m, err := s.readMeta(name, v)
		if err != nil {
			continue // half-written or damaged: never activated, replaced by the next install
		}
		want := m.State
		switch {
		case v == p.Active && p.Probation:
			want = StateProbation
		case v == p.Active:
			want = StateActive
		case m.State == StateActive || m.State == StateProbation:
			want = StateInstalled
		}
		if want != m.State {
			m.State = want
			if err := s.writeMeta(name, v, m); err != nil {
				return fmt.Errorf("store: open: model %s version %s: write meta.json: %w", name, v, err)
			}
		}
	}
	return nil
}

// InstallOptions adjust Install.
type InstallOptions struct {
	// Force installs a version that was rejected before.
	Force bool
	Audit Audit
}

// Install stores the bundle read from src as model name, version, checking
// its sha256 (64 lowercase hex digits) while copying. The caller has
// verified the bundle. Installing the same content again is a no-op (a
// failed version goes back to installed); different content under an
// existing version is refused with ErrConflict, and a rejected version with
// a *RejectedError unless opts.Force.
func (s *Store) Install(ctx context.Context, name, version string, src io.Reader, sha string, opts InstallOptions) (Version, error) {
	if err := checkNames("install", name, version); err != nil {
		return Version{}, err
	}
	fail := func(step string, err error) (Version, error) {
		return Version{}, fmt.Errorf("store: install: model %s version %s: %s: %w", name, version, step, err)
	}
	if err := checkSHA256(sha); err != nil {
		return fail("check arguments", err)
	}
	if err := opts.Audit.check(); err != nil {
		return fail("check arguments", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	dir := s.versionDir(name, version)
	replace := false
	if _, err := os.Stat(dir); err == nil {
		m, err := s.readMeta(name, version)
		switch {
		case err != nil:
			replace = true // half-written or damaged: install over it
		case m.State == StateRejected && !opts.Force:
			return Version{}, &RejectedError{Model: name, Version: version, Reason: m.Reason}
		case m.SHA256 != sha && m.State != StateRejected:
			return fail("compare", fmt.Errorf("%w: installed sha256 %s, new %s", ErrConflict, m.SHA256, sha))
		case m.SHA256 != sha:
			replace = true
		default:
			if _, verr := s.verify(ctx, name, version); verr != nil {
				if ctx.Err() != nil {
					return fail("verify existing", ctx.Err())
				}
				replace = true
				break
			}
			if m.State == StateFailed || m.State == StateRejected {
				m.State, m.Reason = StateInstalled, ""
				if err := s.writeMeta(name, version, m); err != nil {
					return fail("write meta.json", err)
				}
				if err := s.appendAudit(ActionInstall, name, version, "", opts.Audit); err != nil {
					return fail("audit", err)
				}
			}
			return Version{Model: name, Version: version, Meta: m, Path: filepath.Join(dir, bundleFile)}, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail("stat", err)
	}

	parent := filepath.Dir(dir)
	if err := mkdirSynced(parent); err != nil {
		return fail("create versions directory", err)
	}
	tmp, err := os.MkdirTemp(parent, tmpPrefix+version+"-")
	if err != nil {
		return fail("create temporary directory", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()
	n, err := s.copyBundle(ctx, filepath.Join(tmp, bundleFile), src, sha)
	if err != nil {
		return fail("copy bundle", err)
	}
	existing, err := s.versions(name)
	if err != nil {
		return fail("list versions", err)
	}
	var seq int64
	for _, v := range existing {
		seq = max(seq, v.Seq)
	}
	m := Meta{Seq: seq + 1, SHA256: sha, Size: n, InstalledAt: s.opts.Now().UTC(), State: StateInstalled}
	if err := writeJSONAtomic(filepath.Join(tmp, metaFile), m); err != nil {
		return fail("write meta.json", err)
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return fail("sync temporary directory", err)
	}
	if replace {
		old := filepath.Join(parent, tmpPrefix+"old-"+version)
		if err := os.RemoveAll(old); err != nil {
			return fail("remove old copy", err)
		}
		if err := os.Rename(dir, old); err != nil {
			return fail("move old copy aside", err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail("rename into place", err)
	}
	done = true
	if err := atomicfile.SyncDir(parent); err != nil {
		return fail("sync versions directory", err)
	}
	if err := s.appendAudit(ActionInstall, name, version, "", opts.Audit); err != nil {
		return fail("audit", err)
	}
	return Version{Model: name, Version: version, Meta: m, Path: filepath.Join(dir, bundleFile)}, nil
}

// InstallFile is Install reading the bundle from a file.
func (s *Store) InstallFile(ctx context.Context, name, version, path, sha string, opts InstallOptions) (Version, error) {
	f, err := os.Open(path)
	if err != nil {
		return Version{}, fmt.Errorf("store: install: model %s version %s: open bundle: %w", name, version, err)
	}
	defer f.Close()
	return s.Install(ctx, name, version, f, sha, opts)
}

// copyBundle writes src to path, fsyncs it and checks size and sha256.
func (s *Store) copyBundle(ctx context.Context, path string, src io.Reader, sha string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := sha256.New()
	limit := s.opts.MaxBundleBytes
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, src}, limit+1))
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, fmt.Errorf("bundle larger than the %d-byte limit", limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return n, fmt.Errorf("sha256 mismatch: got %s over %d bytes, want %s", got, n, sha)
	}
	if err := f.Sync(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// ActivateOptions adjust Activate.
type ActivateOptions struct {
	// Probation marks the new version as on probation until Promote.
	Probation bool
	Audit     Audit
}

// Activate makes version the active one of model name after re-verifying
// it; the version active so far becomes the previous one. The pointer is
// replaced atomically: after a crash either the old or the new version is
// active. Old versions beyond Options.Keep are pruned afterwards; a prune
// failure is returned wrapping ErrPrune, with the activation in effect.
func (s *Store) Activate(ctx context.Context, name, version string, opts ActivateOptions) error {
	if err := checkNames("activate", name, version); err != nil {
		return err
	}
	fail := func(step string, err error) error {
		return fmt.Errorf("store: activate: model %s version %s: %s: %w", name, version, step, err)
	}
	if err := opts.Audit.check(); err != nil {
		return fail("check arguments", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.verify(ctx, name, version)
	if err != nil {
		return fail("verify", err)
	}
	switch m.State {
	case StateRejected:
		return &RejectedError{Model: name, Version: version, Reason: m.Reason}
	case StateFailed:
		return fail("check state", fmt.Errorf("version failed (%s); install it again to retry", m.Reason))
	}
	p, err := s.readPointer(name)
	if err != nil {
		return fail("read active.json", err)
	}
	np := Pointer{Active: version, Previous: p.Active, Probation: opts.Probation}
	if p.Active == version {
		np.Previous = p.Previous
	} else if p.Active == "" {
		np.Previous = p.Previous
	}
	if err := s.writePointer(name, np); err != nil {
		return fail("write active.json", err)
	}
	m.State, m.Reason = StateActive, ""
	if opts.Probation {
		m.State = StateProbation
	}
	if err := s.writeMeta(name, version, m); err != nil {
		return fail("write meta.json", err)
	}
	if p.Active != "" && p.Active != version {
		if om, err := s.readMeta(name, p.Active); err == nil && (om.State == StateActive || om.State == StateProbation) {
			om.State = StateInstalled
			if err := s.writeMeta(name, p.Active, om); err != nil {
				return fail("write meta.json of "+p.Active, err)
			}
		}
	}
	if err := s.appendAudit(ActionActivate, name, version, p.Active, opts.Audit); err != nil {
		return fail("audit", err)
	}
	if _, err := s.prune(name, np); err != nil {
		return fail("prune", fmt.Errorf("%w: %w", ErrPrune, err))
	}
	return nil
}

// Promote ends the probation of the active version.
func (s *Store) Promote(ctx context.Context, name, version string, a Audit) error {
	if err := checkNames("promote", name, version); err != nil {
		return err
	}
	fail := func(step string, err error) error {
		return fmt.Errorf("store: promote: model %s version %s: %s: %w", name, version, step, err)
	}
	if err := a.check(); err != nil {
		return fail("check arguments", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readPointer(name)
	if err != nil {
		return fail("read active.json", err)
	}
	if p.Active != version {
		return fail("check", fmt.Errorf("not the active version (active: %q)", p.Active))
	}
	if p.Probation {
		p.Probation = false
		if err := s.writePointer(name, p); err != nil {
			return fail("write active.json", err)
		}
	}
	m, err := s.readMeta(name, version)
	if err != nil {
		return fail("read meta.json", err)
	}
	if m.State != StateActive {
		m.State = StateActive
		if err := s.writeMeta(name, version, m); err != nil {
			return fail("write meta.json", err)
		}
	}
	return s.wrapAudit(fail, ActionPromote, name, version, "", a)
}

// RollbackOptions adjust Rollback.
type RollbackOptions struct {
	// Reject marks the version rolled back from as rejected (Audit.Reason
	// says why) so that it is not installed again by accident.
	Reject bool
	Audit  Audit
}

// Rollback makes the previous version active again after re-verifying it;
// the version rolled back from becomes the previous one, in state
// rolled_back or rejected. It returns the new pointer.
func (s *Store) Rollback(ctx context.Context, name string, opts RollbackOptions) (Pointer, error) {
	if err := checkNames("rollback", name, ""); err != nil {
		return Pointer{}, err
	}
	if err := opts.Audit.check(); err != nil {
		return Pointer{}, fmt.Errorf("store: rollback: model %s: check arguments: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readPointer(name)
	if err != nil {
		return Pointer{}, fmt.Errorf("store: rollback: model %s: read active.json: %w", name, err)
	}
	if p.Previous == "" || p.Active == "" {
		return Pointer{}, fmt.Errorf("store: rollback: model %s (active %q): %w", name, p.Active, ErrNoPrevious)
	}
	fail := func(step string, err error) error {
		return fmt.Errorf("store: rollback: model %s from %s to %s: %s: %w", name, p.Active, p.Previous, step, err)
	}
	pm, err := s.verify(ctx, name, p.Previous)
	if err != nil {
		return Pointer{}, fail("verify "+p.Previous, err)
	}
	if pm.State == StateRejected || pm.State == StateFailed {
		return Pointer{}, fail("check state", fmt.Errorf("previous version is %s (%s)", pm.State, pm.Reason))
	}
	om, err := s.readMeta(name, p.Active)
	if err != nil {
		return Pointer{}, fail("read meta.json of "+p.Active, err)
	}
	om.State, om.Reason = StateRolledBack, opts.Audit.Reason
	if opts.Reject {
		// Written before the pointer: Open completes a rollback that a
		// crash cut short rather than keep a rejected version running.
		om.State = StateRejected
		if err := s.writeMeta(name, p.Active, om); err != nil {
			return Pointer{}, fail("write meta.json of "+p.Active, err)
		}
	}
	np := Pointer{Active: p.Previous, Previous: p.Active}
	if err := s.writePointer(name, np); err != nil {
		return Pointer{}, fail("write active.json", err)
	}
	if !opts.Reject {
		if err := s.writeMeta(name, p.Active, om); err != nil {
			return Pointer{}, fail("write meta.json of "+p.Active, err)
		}
	}
	pm.State, pm.Reason = StateActive, ""
	if err := s.writeMeta(name, p.Previous, pm); err != nil {
		return Pointer{}, fail("write meta.json of "+p.Previous, err)
	}
	if err := s.appendAudit(ActionRollback, name, p.Previous, p.Active, opts.Audit); err != nil {
		return Pointer{}, fail("audit", err)
	}
	if opts.Reject {
		if err := s.appendAudit(ActionReject, name, p.Active, "", opts.Audit); err != nil {
			return Pointer{}, fail("audit", err)
		}
	}
	return np, nil
}

// MarkRejected marks an inactive version as rejected so that Install
// refuses it unless forced; a.Reason says why. An active version is rolled
// back with RollbackOptions.Reject instead.
func (s *Store) MarkRejected(ctx context.Context, name, version string, a Audit) error {
	return s.mark(ctx, "reject", ActionReject, StateRejected, name, version, a)
}

// MarkFailed marks an inactive version as failed (a check after install
// did not pass); a.Reason says why. A later Install of the same content
// resets it to installed.
func (s *Store) MarkFailed(ctx context.Context, name, version string, a Audit) error {
	return s.mark(ctx, "mark failed", ActionFail, StateFailed, name, version, a)
}

func (s *Store) mark(_ context.Context, op, action string, st State, name, version string, a Audit) error {
	if err := checkNames(op, name, version); err != nil {
		return err
	}
	fail := func(step string, err error) error {
		return fmt.Errorf("store: %s: model %s version %s: %s: %w", op, name, version, step, err)
	}
	if a.Reason == "" {
		return fail("check arguments", errors.New("a reason is required"))
	}
	if err := a.check(); err != nil {
		return fail("check arguments", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readPointer(name)
	if err != nil {
		return fail("read active.json", err)
	}
	if p.Active == version {
		return fail("check", errors.New("version is active; roll it back first"))
	}
	m, err := s.readMeta(name, version)
	if errors.Is(err, fs.ErrNotExist) {
		err = ErrNotInstalled
	}
	if err != nil {
		return fail("read meta.json", err)
	}
	m.State, m.Reason = st, a.Reason
	if err := s.writeMeta(name, version, m); err != nil {
		return fail("write meta.json", err)
	}
	return s.wrapAudit(fail, action, name, version, "", a)
}

// Active returns the model's pointer; the zero Pointer when none is active.
func (s *Store) Active(name string) (Pointer, error) {
	if err := ValidName(name); err != nil {
		return Pointer{}, fmt.Errorf("store: active: model name %.80q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readPointer(name)
	if err != nil {
		return Pointer{}, fmt.Errorf("store: active: model %s: read active.json: %w", name, err)
	}
	return p, nil
}

// Path is the bundle file of a version (which may not exist).
func (s *Store) Path(name, version string) string {
	return filepath.Join(s.versionDir(name, version), bundleFile)
}

// Versions lists the model's versions that have a readable meta.json,
// oldest install (lowest Seq) first. Their bundles are not re-hashed here.
func (s *Store) Versions(name string) ([]Version, error) {
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("store: versions: model name %.80q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, err := s.versions(name)
	if err != nil {
		return nil, fmt.Errorf("store: versions: model %s: %w", name, err)
	}
	return vs, nil
}

func (s *Store) versions(name string) ([]Version, error) {
	ents, err := os.ReadDir(filepath.Join(s.modelDir(name), versionsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Version
	for _, e := range ents {
		v := e.Name()
		if ValidName(v) != nil {
			continue
		}
		m, err := s.readMeta(name, v)
		if err != nil {
			continue
		}
		ver := Version{Model: name, Version: v, Meta: m, Path: s.Path(name, v)}
		if _, err := os.Stat(ver.Path); err != nil {
			ver.Path = ""
		}
		out = append(out, ver)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// Prune removes the model's oldest versions beyond Options.Keep, never the
// active or the previous one, and any damaged version directory. Age is
// install order: a version installed and awaiting activation is the
// newest, so it is kept unless Keep more are installed after it. A pruned
// rejected version keeps its meta.json so the rejection is remembered. It
// returns the versions whose bundles it removed.
func (s *Store) Prune(ctx context.Context, name string) ([]string, error) {
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("store: prune: model name %.80q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readPointer(name)
	if err != nil {
		return nil, fmt.Errorf("store: prune: model %s: read active.json: %w", name, err)
	}
	removed, err := s.prune(name, p)
	if err != nil {
		return removed, fmt.Errorf("store: prune: model %s: %w", name, err)
	}
	return removed, nil
}

func (s *Store) prune(name string, p Pointer) ([]string, error) {
	vdir := filepath.Join(s.modelDir(name), versionsDir)
	ents, err := os.ReadDir(vdir)
	if err != nil {
		return nil, err
	}
	var removed []string
	// Damaged directories (no readable meta.json) are never active.
	for _, e := range ents {
		v := e.Name()
		if ValidName(v) != nil || v == p.Active || v == p.Previous {
			continue
		}
		if _, err := s.readMeta(name, v); err != nil {
			if err := s.removeVersion(name, v); err != nil {
				return removed, err
			}
			removed = append(removed, v)
		}
	}
	vs, err := s.versions(name)
	if err != nil {
		return removed, err
	}
	var live []Version
	for _, v := range vs {
		if v.Path != "" {
			live = append(live, v)
		}
	}
	excess := len(live) - s.opts.Keep
	for _, v := range live {
		if excess <= 0 {
			break
		}
		if v.Version == p.Active || v.Version == p.Previous {
			continue
		}
		if v.State == StateRejected {
			// Keep the tombstone: meta.json without the bundle.
			if err := os.Remove(v.Path); err != nil {
				return removed, fmt.Errorf("version %s: remove bundle: %w", v.Version, err)
			}
			if err := atomicfile.SyncDir(filepath.Dir(v.Path)); err != nil {
				return removed, fmt.Errorf("version %s: %w", v.Version, err)
			}
		} else if err := s.removeVersion(name, v.Version); err != nil {
			return removed, err
		}
		removed = append(removed, v.Version)
		excess--
	}
	for _, v := range removed {
		if err := s.appendHistory(Entry{Model: name, Version: v, Action: ActionPrune}); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// removeVersion renames the directory to a temp name first, so a crash
// during the recursive delete leaves a ".tmp-" entry that Open removes,
// never a half-deleted version.
func (s *Store) removeVersion(name, version string) error {
	dir := s.versionDir(name, version)
	tmp := filepath.Join(filepath.Dir(dir), tmpPrefix+"del-"+version)
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	if err := os.Rename(dir, tmp); err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	return nil
}

func (s *Store) appendAudit(action, name, version, from string, a Audit) error {
	return s.appendHistory(Entry{Model: name, Version: version, Action: action, From: from, KeyID: a.KeyID, Lineage: a.Lineage, Reason: a.Reason})
}

func (s *Store) wrapAudit(fail func(string, error) error, action, name, version, from string, a Audit) error {
	if err := s.appendAudit(action, name, version, from, a); err != nil {
		return fail("audit", err)
	}
	return nil
}
