package firmware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// maxStateFile bounds what loadState reads; a real state file is a few KiB.
const maxStateFile = 1 << 20

// Bounds on the history kept in the state file.
const (
	maxRejected = 32
	maxReports  = 64
)

// Results of an update, in Outcome.Result.
const (
	ResultConfirmed  = "confirmed"   // the new version runs and confirmed
	ResultRolledBack = "rolled_back" // the old binary was put back
	ResultAborted    = "aborted"     // the swap never completed; nothing changed
)

// State is what firmware.json records.
type State struct {
	Current  string      `json:"current,omitempty"`  // version running (or last booted)
	Previous string      `json:"previous,omitempty"` // version kept at OldPath, if any
	Staged   *Staged     `json:"staged,omitempty"`
	Pending  *Pending    `json:"pending,omitempty"`
	Rejected []Rejection `json:"rejected,omitempty"`
	Reports  []Outcome   `json:"reports,omitempty"` // not yet acknowledged by the agent
	NextSeq  uint64      `json:"next_seq,omitempty"`
}

// Staged is a verified binary waiting next to the running one for Commit.
type Staged struct {
	Version  string    `json:"version"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Path     string    `json:"path"`
	Delta    bool      `json:"delta,omitempty"`    // built from a bsdiff patch
	Fallback string    `json:"fallback,omitempty"` // why the patch was not used
	StagedAt time.Time `json:"staged_at"`
}

// Pending is a committed update on probation.
type Pending struct {
	Version   string    `json:"version"`
	From      string    `json:"from"`
	SHA256    string    `json:"sha256"`
	StartedAt time.Time `json:"started_at"`
	Attempts  int       `json:"attempts"`
	// RollingBack is set (with the reason) before the old binary is put
	// back, so a crash in the middle is finished by the next Boot.
	RollingBack string `json:"rolling_back,omitempty"`
}

// Rejection records a version that was rolled back; Stage refuses it
// unless forced.
type Rejection struct {
	Version string    `json:"version"`
	SHA256  string    `json:"sha256,omitempty"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// Outcome is the result of one update, for the agent's `update` event and
// the command's result.
type Outcome struct {
	Seq     uint64    `json:"seq"`
	Result  string    `json:"result"`  // ResultConfirmed, ResultRolledBack, ResultAborted
	Old     string    `json:"old"`     // version before the update
	New     string    `json:"new"`     // version the update installed
	Running string    `json:"running"` // version at the target path afterwards
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

func loadState(path string) (State, error) {
	var st State
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("firmware: state %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return st, fmt.Errorf("firmware: state %s: %w", path, err)
	}
	if len(data) > maxStateFile {
		return st, fmt.Errorf("firmware: state %s: larger than %d bytes", path, maxStateFile)
	}
	st, err = decodeState(data)
	if err != nil {
		return st, fmt.Errorf("firmware: state %s: %w", path, err)
	}
	return st, nil
}

// decodeState parses a state file strictly: unknown fields, trailing data
// and inconsistent records are errors, not silently dropped.
func decodeState(data []byte) (State, error) {
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return State{}, err
	}
	if dec.More() {
		return State{}, errors.New("trailing data after the JSON object")
	}
	if st.Staged != nil && st.Pending != nil {
		return State{}, errors.New("both staged and pending are set")
	}
	if s := st.Staged; s != nil {
		if err := checkVersion(s.Version); err != nil {
			return State{}, fmt.Errorf("staged: %w", err)
		}
		if err := checkSHA256(s.SHA256); err != nil {
			return State{}, fmt.Errorf("staged: %w", err)
		}
	}
	if p := st.Pending; p != nil {
		if err := checkVersion(p.Version); err != nil {
			return State{}, fmt.Errorf("pending: %w", err)
		}
		if err := checkSHA256(p.SHA256); err != nil {
			return State{}, fmt.Errorf("pending: %w", err)
		}
		if p.Attempts < 0 {
			return State{}, fmt.Errorf("pending: field \"attempts\": %d is negative", p.Attempts)
		}
	}
	return st, nil
}

func (st *State) clone() State {
	c := *st
	if st.Staged != nil {
		s := *st.Staged
		c.Staged = &s
	}
	if st.Pending != nil {
		p := *st.Pending
		c.Pending = &p
	}
	c.Rejected = append([]Rejection(nil), st.Rejected...)
	c.Reports = append([]Outcome(nil), st.Reports...)
	return c
}

func (st *State) rejection(version string) (Rejection, bool) {
	for _, r := range st.Rejected {
		if r.Version == version {
			return r, true
		}
	}
	return Rejection{}, false
}

func (st *State) reject(r Rejection) {
	kept := st.Rejected[:0]
	for _, old := range st.Rejected {
		if old.Version != r.Version {
			kept = append(kept, old)
		}
	}
	st.Rejected = append(kept, r)
	if n := len(st.Rejected); n > maxRejected {
		st.Rejected = append([]Rejection(nil), st.Rejected[n-maxRejected:]...)
	}
}

func (st *State) report(o Outcome) Outcome {
	st.NextSeq++
	o.Seq = st.NextSeq
	st.Reports = append(st.Reports, o)
	if n := len(st.Reports); n > maxReports {
		st.Reports = append([]Outcome(nil), st.Reports[n-maxReports:]...)
	}
	return o
}
