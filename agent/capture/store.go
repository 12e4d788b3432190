package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
)

const (
	fileExt = ".cap"
	tempExt = ".tmp"
)

// ErrNotFound is returned for an ID the store does not hold.
var ErrNotFound = errors.New("capture: not found")

// Options configure a Store.
type Options struct {
	// Budget is the total bytes of capture files kept; required.
	Budget int64
	// Quotas bound the bytes per trigger; a trigger without an entry may
	// use the whole Budget.
	Quotas map[Trigger]int64
}

// Stats describe a Store. Added and Dropped count since Open.
type Stats struct {
	Bytes    int64 // all capture files, corrupt ones included
	Budget   int64
	Captures int
	// Corrupt counts files found corrupt (at Open or on a later read);
	// CorruptFiles and CorruptBytes are those still on disk.
	Corrupt      int64
	CorruptFiles int
	CorruptBytes int64
	Triggers     map[Trigger]TriggerStats
}

// TriggerStats describe the captures of one trigger.
type TriggerStats struct {
	Captures int
	Bytes    int64
	Quota    int64
	Added    int64
	// Dropped counts captures removed to keep this trigger's quota or the
	// total budget (not those removed by Delete).
	Dropped int64
}

// Filter selects captures in List; zero fields match everything. A
// capture matches the time range when its [Start, End] overlaps [From, To].
type Filter struct {
	Trigger  Trigger
	Model    string
	From, To time.Time
}

type entry struct {
	seq  uint64
	info Info
}

type corruptFile struct {
	name string
	size int64
}

// Store keeps captures under a directory. Its methods are safe for
// concurrent use, but Add writes and fsyncs a file: the agent calls it from
// its own writer goroutine fed by a Queue, never from the pipeline.
type Store struct {
	dir    string
	budget int64
	quotas map[Trigger]int64

	mu       sync.Mutex
	entries  map[uint64]*entry
	order    map[Trigger][]uint64 // seqs per trigger, oldest first
	used     map[Trigger]int64
	total    int64
	corrupt  []corruptFile
	nCorrupt int64
	added    map[Trigger]int64
	dropped  map[Trigger]int64
	nextSeq  uint64
}

// Open opens (creating it if needed) the store in dir: it removes leftover
// temp files, rebuilds the index from the capture files, and then enforces
// the quotas and budget, which may have been lowered since last time.
func Open(dir string, o Options) (*Store, error) {
	if o.Budget <= 0 {
		return nil, fmt.Errorf("capture: open %s: budget %d must be positive", dir, o.Budget)
	}
	quotas := make(map[Trigger]int64, len(o.Quotas))
	for t, q := range o.Quotas {
		if !t.Valid() {
			return nil, fmt.Errorf("capture: open %s: quota for unknown trigger %q (want one of %v)", dir, clip(string(t)), Triggers())
		}
		if q <= 0 || q > o.Budget {
			return nil, fmt.Errorf("capture: open %s: quota %d for trigger %q must be between 1 and the budget %d", dir, q, t, o.Budget)
		}
		quotas[t] = q
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("capture: open: %w", err)
	}
	s := &Store{dir: dir, budget: o.Budget, quotas: quotas, entries: map[uint64]*entry{},
		order: map[Trigger][]uint64{}, used: map[Trigger]int64{}, added: map[Trigger]int64{},
		dropped: map[Trigger]int64{}, nextSeq: 1}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("capture: open: %w", err)
	}
	removed := false
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() {
			continue
		}
		switch {
		case strings.HasSuffix(name, tempExt):
			// A write that crashed before its rename: never a capture.
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("capture: open: remove leftover temp file: %w", err)
			}
			removed = true
		case strings.HasSuffix(name, fileExt):
			s.load(name)
		}
	}
	for t := range s.order {
		slices.Sort(s.order[t])
	}
	if err := s.enforce(0); err != nil {
		return nil, err
	}
	if removed {
		if err := atomicfile.SyncDir(dir); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// load indexes one file found at Open; a corrupt one is recorded, not fatal.
func (s *Store) load(name string) {
	path := filepath.Join(s.dir, name)
	seq, idErr := parseID(strings.TrimSuffix(name, fileExt))
	if idErr == nil {
		// Also past corrupt files: a new capture must never reuse their name.
		s.nextSeq = max(s.nextSeq, seq+1)
	}
	c, size, err := readFile(path)
	if err == nil && idErr != nil {
		err = idErr
	}
	if err == nil && c.ID != strings.TrimSuffix(name, fileExt) {
		err = fmt.Errorf("%w: header id %q does not match file name", ErrCorrupt, c.ID)
	}
	if err != nil {
		s.corrupt = append(s.corrupt, corruptFile{name: name, size: size})
		s.nCorrupt++
		s.total += size
		return
	}
	s.insert(seq, c.Info)
}

// readFile reads and decodes one capture file, checking its size before
// reading. size is the file's size even when decoding fails.
func readFile(path string) (*Capture, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := st.Size()
	if size > MaxFileSize {
		return nil, size, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrCorrupt, filepath.Base(path), size, MaxFileSize)
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, size, fmt.Errorf("capture: read %s: %w", filepath.Base(path), err)
	}
	c, err := Decode(b)
	if err != nil {
		return nil, size, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return c, size, nil
}

func (s *Store) insert(seq uint64, info Info) {
	s.entries[seq] = &entry{seq: seq, info: info}
	s.order[info.Trigger] = append(s.order[info.Trigger], seq)
	s.used[info.Trigger] += info.Size
	s.total += info.Size
}

func (s *Store) path(seq uint64) string { return filepath.Join(s.dir, formatID(seq)+fileExt) }

// Add validates c, writes it as a new file (temp, fsync, rename, fsync dir)
// and then drops the oldest captures of its trigger beyond the trigger's
// quota and the oldest of any trigger beyond the budget. It returns the
// capture's ID. The new capture itself is never dropped: one that does not
// fit its quota is refused before anything is written. If only removing
// old files fails, the error comes with the new ID: the capture is stored.
func (s *Store) Add(c Capture) (string, error) {
	c.Samples = 0
	if len(c.Window) > 0 {
		c.Samples = len(c.Window[0])
	}
	c.NumFeatures = len(c.Features)
	if err := c.validate(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.nextSeq
	c.ID = formatID(seq)
	b, err := encode(&c)
	if err != nil {
		return "", err
	}
	if lim := s.limit(c.Trigger); int64(len(b)) > lim {
		return "", fmt.Errorf("capture: add: %d bytes do not fit the %q limit of %d bytes", len(b), c.Trigger, lim)
	}
	if err := writeAtomic(s.dir, formatID(seq)+fileExt, b); err != nil {
		return "", err
	}
	s.nextSeq++
	c.Size = int64(len(b))
	s.insert(seq, c.Info)
	s.added[c.Trigger]++
	if err := s.enforce(seq); err != nil {
		return c.ID, err
	}
	return c.ID, nil
}

// limit is the byte limit for one trigger.
func (s *Store) limit(t Trigger) int64 {
	if q, ok := s.quotas[t]; ok {
		return q
	}
	return s.budget
}

// enforce drops the oldest captures while a trigger is over its quota, then
// corrupt files and the oldest captures while the total is over budget.
// keep (if not 0) is never dropped.
func (s *Store) enforce(keep uint64) error {
	var removed []string
	drop := func(seq uint64) {
		e := s.entries[seq]
		s.remove(seq)
		s.dropped[e.info.Trigger]++
		removed = append(removed, s.path(seq))
	}
	for _, t := range Triggers() {
		for s.used[t] > s.limit(t) {
			seq, ok := s.oldest(t, keep)
			if !ok {
				break
			}
			drop(seq)
		}
	}
	for s.total > s.budget && len(s.corrupt) > 0 {
		cf := s.corrupt[0]
		s.corrupt = s.corrupt[1:]
		s.total -= cf.size
		removed = append(removed, filepath.Join(s.dir, cf.name))
	}
	for s.total > s.budget {
		var best uint64
		for _, t := range Triggers() {
			if seq, ok := s.oldest(t, keep); ok && (best == 0 || seq < best) {
				best = seq
			}
		}
		if best == 0 {
			break
		}
		drop(best)
	}
	return s.unlink(removed)
}

// oldest is the oldest capture of t other than keep.
func (s *Store) oldest(t Trigger, keep uint64) (uint64, bool) {
	for _, seq := range s.order[t] {
		if seq != keep {
			return seq, true
		}
	}
	return 0, false
}

// remove takes seq out of the index and accounting (not off the disk).
func (s *Store) remove(seq uint64) {
	e := s.entries[seq]
	delete(s.entries, seq)
	t := e.info.Trigger
	if i := slices.Index(s.order[t], seq); i >= 0 {
		s.order[t] = slices.Delete(s.order[t], i, i+1)
	}
	s.used[t] -= e.info.Size
	s.total -= e.info.Size
}

// unlink removes files and makes the removal durable.
func (s *Store) unlink(paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("capture: remove %s: %w", filepath.Base(p), err))
		}
	}
	errs = append(errs, atomicfile.SyncDir(s.dir))
	return errors.Join(errs...)
}

// List returns the metadata of the captures matching f, oldest first.
func (s *Store) List(f Filter) []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	seqs := make([]uint64, 0, len(s.entries))
	for seq, e := range s.entries {
		if f.match(e.info) {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	out := make([]Info, len(seqs))
	for i, seq := range seqs {
		out[i] = cloneInfo(s.entries[seq].info)
	}
	return out
}

func (f Filter) match(in Info) bool {
	return (f.Trigger == "" || in.Trigger == f.Trigger) &&
		(f.Model == "" || in.Model == f.Model) &&
		(f.From.IsZero() || !in.End.Before(f.From)) &&
		(f.To.IsZero() || !in.Start.After(f.To))
}

func cloneInfo(in Info) Info {
	in.Labels = slices.Clone(in.Labels)
	in.Channels = slices.Clone(in.Channels)
	if in.Meta != nil {
		m := make(map[string]string, len(in.Meta))
		for k, v := range in.Meta {
			m[k] = v
		}
		in.Meta = m
	}
	return in
}

// Read returns the full capture id, verified against its checksum. A file
// found corrupt is taken out of the index, counted and kept on disk.
func (s *Store) Read(id string) (*Capture, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read(id)
}

func (s *Store) read(id string) (*Capture, error) {
	seq, err := parseID(id)
	if err != nil {
		return nil, err
	}
	if _, ok := s.entries[seq]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	c, size, err := readFile(s.path(seq))
	if err == nil && c.ID != id {
		err = fmt.Errorf("%w: header id %q does not match file name", ErrCorrupt, c.ID)
	}
	switch {
	case errors.Is(err, ErrCorrupt):
		s.remove(seq)
		s.corrupt = append(s.corrupt, corruptFile{name: formatID(seq) + fileExt, size: size})
		s.total += size
		s.nCorrupt++
	case errors.Is(err, fs.ErrNotExist):
		// Removed behind the store's back: forget it so the accounting
		// matches the disk again.
		s.remove(seq)
		return nil, fmt.Errorf("%w: %s: file is gone", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("capture: read %s: %w", id, err)
	}
	return c, nil
}

// Label attaches label to capture id and persists it (the file is
// rewritten atomically). A label already present is not repeated.
func (s *Store) Label(id, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.label(id, label)
}

// LabelRange attaches label to every capture of model whose time range
// overlaps [from, to] and returns how many it labelled. Captures found
// corrupt or missing on the way are skipped (and counted in Stats).
func (s *Store) LabelRange(model string, from, to time.Time, label string) (int, error) {
	if model == "" {
		return 0, errors.New("capture: label range: model is empty")
	}
	if to.Before(from) {
		return 0, fmt.Errorf("capture: label range: to %s is before from %s", to.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := Filter{Model: model, From: from, To: to}
	var ids []string
	for seq, e := range s.entries {
		if f.match(e.info) {
			ids = append(ids, formatID(seq))
		}
	}
	slices.Sort(ids)
	n := 0
	for _, id := range ids {
		err := s.label(id, label)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) {
			continue // out of the index now, and counted if corrupt
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Store) label(id, label string) error {
	if label == "" || len(label) > MaxString {
		return fmt.Errorf("capture: label %s: label must be 1 to %d bytes", id, MaxString)
	}
	c, err := s.read(id)
	if err != nil {
		return err
	}
	if slices.Contains(c.Labels, label) {
		return nil
	}
	c.Labels = append(c.Labels, label)
	b, err := encode(c)
	if err != nil {
		return fmt.Errorf("capture: label %s: %w", id, err)
	}
	seq, _ := parseID(id)
	if err := writeAtomic(s.dir, id+fileExt, b); err != nil {
		return err
	}
	e := s.entries[seq]
	grow := int64(len(b)) - e.info.Size
	e.info.Labels = slices.Clone(c.Labels)
	e.info.Size = int64(len(b))
	s.used[e.info.Trigger] += grow
	s.total += grow
	return s.enforce(seq)
}

// Delete removes capture id.
func (s *Store) Delete(id string) error {
	seq, err := parseID(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[seq]; !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	s.remove(seq)
	return s.unlink([]string{s.path(seq)})
}

// Stats returns the store's accounting.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Bytes: s.total, Budget: s.budget, Captures: len(s.entries), Corrupt: s.nCorrupt,
		CorruptFiles: len(s.corrupt), Triggers: make(map[Trigger]TriggerStats, 5)}
	for _, cf := range s.corrupt {
		st.CorruptBytes += cf.size
	}
	for _, t := range Triggers() {
		st.Triggers[t] = TriggerStats{Captures: len(s.order[t]), Bytes: s.used[t], Quota: s.limit(t),
			Added: s.added[t], Dropped: s.dropped[t]}
	}
	return st
}

// writeAtomic writes b to dir/name so that a crash leaves either the old
// file or the new one; a leftover temp file ends in tempExt.
func writeAtomic(dir, name string, b []byte) error {
	if err := atomicfile.WriteFile(filepath.Join(dir, name), b, 0o600, "."+name+"-*"+tempExt); err != nil {
		return fmt.Errorf("capture: write %s: %w", name, err)
	}
	return nil
}
