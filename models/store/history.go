package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/axle-edge/axle/internal/atomicfile"
)

// The audit log: one JSON object per line, appended and fsynced.
const (
	historyFile    = "history.jsonl"
	historyRotated = "history.jsonl.1"
	// maxEntryBytes bounds one line, so a reader never buffers more.
	maxEntryBytes = 64 << 10
)

// Audit actions.
const (
	ActionInstall  = "install"
	ActionActivate = "activate"
	ActionPromote  = "promote"
	ActionRollback = "rollback"
	ActionGate     = "gate" // a probation gate tripped or passed (Record)
	ActionReject   = "reject"
	ActionFail     = "fail"
	ActionRecover  = "recover" // Open repaired an active pointer
	ActionPrune    = "prune"
)

// Entry is one line of the audit log.
type Entry struct {
	Time    time.Time `json:"time"`
	Model   string    `json:"model"`
	Version string    `json:"version,omitempty"`
	Action  string    `json:"action"`
	// From is the version active before an activate, rollback or recover.
	From    string         `json:"from,omitempty"`
	KeyID   string         `json:"key_id,omitempty"`
	Lineage map[string]any `json:"lineage,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	// Details carries figures, e.g. of a probation gate.
	Details map[string]any `json:"details,omitempty"`
}

// Record appends an entry that is not a store change, such as a probation
// gate with its figures. A zero Time is set to now.
func (s *Store) Record(_ context.Context, e Entry) error {
	if err := ValidName(e.Model); err != nil {
		return fmt.Errorf("store: record: model name %.80q: %w", e.Model, err)
	}
	if e.Version != "" {
		if err := ValidName(e.Version); err != nil {
			return fmt.Errorf("store: record: model %s: version %.80q: %w", e.Model, e.Version, err)
		}
	}
	if e.Action == "" {
		return fmt.Errorf("store: record: model %s version %s: empty action", e.Model, e.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.appendHistory(e); err != nil {
		return fmt.Errorf("store: record: model %s version %s action %s: %w", e.Model, e.Version, e.Action, err)
	}
	return nil
}

// appendHistory writes one line and fsyncs it, rotating first when the
// line would take the file past HistoryMaxBytes. Called with s.mu held.
func (s *Store) appendHistory(e Entry) error {
	if e.Time.IsZero() {
		e.Time = s.opts.Now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: encode: %w", err)
	}
	line = append(line, '\n')
	if len(line) > maxEntryBytes {
		return fmt.Errorf("audit log: entry of %d bytes, more than %d", len(line), maxEntryBytes)
	}
	path := filepath.Join(s.root, historyFile)
	if st, err := os.Stat(path); err == nil && st.Size()+int64(len(line)) > s.opts.HistoryMaxBytes {
		if err := os.Rename(path, filepath.Join(s.root, historyRotated)); err != nil {
			return fmt.Errorf("audit log: rotate: %w", err)
		}
		if err := atomicfile.SyncDir(s.root); err != nil {
			return fmt.Errorf("audit log: rotate: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit log: append: %w", err)
	}
	return nil
}

// repairHistory cuts a torn last line (a crash during an append) so the
// next append starts on a line of its own.
func repairHistory(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size == 0 {
		return nil
	}
	// The torn part is shorter than one entry; look back that far.
	start := max(0, size-maxEntryBytes-1)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil {
		return err
	}
	if buf[len(buf)-1] == '\n' {
		return nil
	}
	cut := start
	for i := len(buf) - 1; i >= 0; i-- {
		if buf[i] == '\n' {
			cut = start + int64(i) + 1
			break
		}
	}
	if err := f.Truncate(cut); err != nil {
		return err
	}
	return f.Sync()
}

// Filter selects audit entries; empty fields match everything.
type Filter struct {
	Model   string
	Version string
	Action  string
	Since   time.Time
}

func (f Filter) match(e Entry) bool {
	return (f.Model == "" || f.Model == e.Model) &&
		(f.Version == "" || f.Version == e.Version) &&
		(f.Action == "" || f.Action == e.Action) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since))
}

// History returns the audit entries matching f, oldest first.
func (s *Store) History(f Filter) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ReadHistory(s.root, f)
}

// ReadHistory reads the audit log of the store at root without opening
// the store (for `axle model history`, while the agent runs). A torn last
// line, from a crash during an append, is skipped; a damaged line anywhere
// else is an error naming file and line.
func ReadHistory(root string, f Filter) ([]Entry, error) {
	var out []Entry
	for _, name := range []string{historyRotated, historyFile} {
		path := filepath.Join(root, name)
		fh, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: history: %w", err)
		}
		out, err = readEntries(fh, f, out)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("store: history: %s: %w", path, err)
		}
	}
	return out, nil
}

func readEntries(r io.Reader, f Filter, out []Entry) ([]Entry, error) {
	br := bufio.NewReaderSize(r, maxEntryBytes+1)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return out, fmt.Errorf("line %d: longer than %d bytes", n, maxEntryBytes)
		}
		if err == io.EOF {
			return out, nil // a last line without '\n' is torn: skipped
		}
		if err != nil {
			return out, err
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if f.match(e) {
			out = append(out, e)
		}
	}
}
