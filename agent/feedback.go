package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/api"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
	bolt "go.etcd.io/bbolt"
)

// Ground truth: a feedback command labels past windows of a model as
// positive (the condition the model alarms on was there) or negative. The
// agent remembers its recent windows (seq, end time, version, whether the
// score reached the alarm threshold); labelled ones go to feedback.db in
// the state directory, one bucket per model, and the confusion matrix per
// model version over the labelled windows of the last feedbackHorizon is
// published in the metrics and the command's result.
const (
	feedbackMemory  = 8192                // windows remembered per model for labelling
	feedbackHorizon = 30 * 24 * time.Hour // labelled windows older than this leave the matrix
	maxFeedbackSeqs = 10000               // seqs in one command
)

// scoredWindow is a committed window as feedback needs it.
type scoredWindow struct {
	seq       uint64
	end       int64 // unix ns
	version   string
	predicted bool // the score reached the alarm threshold
}

// windowMemory is a ring of a model's recent windows, oldest overwritten.
type windowMemory struct {
	mu   sync.Mutex
	ring []scoredWindow
	next int
}

func (m *windowMemory) add(w scoredWindow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ring) < feedbackMemory {
		m.ring = append(m.ring, w)
		return
	}
	m.ring[m.next] = w
	m.next = (m.next + 1) % feedbackMemory
}

// match returns the remembered windows that fn selects and the oldest
// remembered end time (0: none remembered).
func (m *windowMemory) match(fn func(scoredWindow) bool) (out []scoredWindow, oldest int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, w := range m.ring {
		if i == 0 || w.end < oldest {
			oldest = w.end
		}
		if fn(w) {
			out = append(out, w)
		}
	}
	return out, oldest
}

// confusion is a confusion matrix at the alarm threshold.
type confusion struct{ TP, FP, TN, FN uint64 }

func (c confusion) scores() (precision, recall, f1 float64) {
	if c.TP+c.FP > 0 {
		precision = float64(c.TP) / float64(c.TP+c.FP)
	}
	if c.TP+c.FN > 0 {
		recall = float64(c.TP) / float64(c.TP+c.FN)
	}
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return
}

// labelRecord is the value of a labelled window in feedback.db.
type labelRecord struct {
	Seq       uint64 `json:"seq"`
	Version   string `json:"version"`
	Predicted bool   `json:"predicted"`
	Positive  bool   `json:"positive"`
}

// labelStore is feedback.db and the confusion matrices computed from it.
type labelStore struct {
	db  *bolt.DB
	now func() time.Time

	mu       sync.Mutex
	matrices map[string]map[string]confusion // model -> version -> matrix
	unknown  map[string]*atomic.Uint64       // model -> labels for windows no longer remembered
}

func openLabelStore(dir string, models []string, now func() time.Time) (*labelStore, error) {
	path := filepath.Join(dir, "feedback.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("agent: open %s: %w", path, err)
	}
	s := &labelStore{db: db, now: now, matrices: map[string]map[string]confusion{}, unknown: map[string]*atomic.Uint64{}}
	for _, m := range models {
		s.unknown[m] = new(atomic.Uint64)
		if err := s.recount(m); err != nil {
			db.Close()
			return nil, fmt.Errorf("agent: %s: %w", path, err)
		}
	}
	return s, nil
}

func (s *labelStore) close() error { return s.db.Close() }

func labelKey(end int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(end))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// label stores the labels of wins for model, drops labelled windows older
// than the horizon, and recounts the model's matrices.
func (s *labelStore) label(model string, wins []scoredWindow, positive bool) error {
	cutoff := s.now().Add(-feedbackHorizon).UnixNano()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(model))
		if err != nil {
			return err
		}
		for _, w := range wins {
			v, err := json.Marshal(labelRecord{Seq: w.seq, Version: w.version, Predicted: w.predicted, Positive: positive})
			if err != nil {
				return err
			}
			if err := b.Put(labelKey(w.end, w.seq), v); err != nil {
				return err
			}
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < cutoff; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("feedback.db: %w", err)
	}
	return s.recount(model)
}

// recount computes model's matrices from feedback.db.
func (s *labelStore) recount(model string) error {
	cutoff := s.now().Add(-feedbackHorizon).UnixNano()
	m := map[string]confusion{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(model))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 16 || int64(binary.BigEndian.Uint64(k)) < cutoff {
				return nil
			}
			var r labelRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("model %q: label at key %x: %w", model, k, err)
			}
			c := m[r.Version]
			switch {
			case r.Predicted && r.Positive:
				c.TP++
			case r.Predicted:
				c.FP++
			case r.Positive:
				c.FN++
			default:
				c.TN++
			}
			m[r.Version] = c
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.matrices[model] = m
	s.mu.Unlock()
	return nil
}

// matrices returns model's matrices by version, versions sorted.
func (s *labelStore) matricesOf(model string) ([]string, map[string]confusion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.matrices[model]
	vs := make([]string, 0, len(m))
	for v := range m {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs, m
}

// feedbackArgs are the args of a feedback command.
type feedbackArgs struct {
	Model string     `json:"model"`
	Label string     `json:"label"` // "positive" or "negative"
	Seq   []uint64   `json:"seq"`
	From  *time.Time `json:"from"`
	To    *time.Time `json:"to"`
}

// handleFeedback labels the windows a feedback command names.
func (a *Agent) handleFeedback(cmd fleet.Command) fleet.Result {
	reject := func(err error) fleet.Result {
		return fleet.Result{ID: cmd.ID, Status: fleet.ResultRejected, Error: err.Error()}
	}
	var args feedbackArgs
	if err := decodeArgs(cmd.Args, &args); err != nil {
		return reject(err)
	}
	res, err := a.feedback(args)
	if err != nil {
		if errors.Is(err, errFeedbackStore) {
			return fleet.Result{ID: cmd.ID, Status: fleet.ResultFailed, Error: err.Error()}
		}
		return reject(err)
	}
	return fleet.Result{ID: cmd.ID, Status: fleet.ResultDone, Result: res}
}

var errFeedbackStore = errors.New("storing labels failed")

// Feedback implements api.FeedbackSource: POST /v1/feedback takes the
// feedback command's args and answers its result.
func (a *Agent) Feedback(_ context.Context, args []byte) (map[string]any, error) {
	var fa feedbackArgs
	if err := decodeArgs(args, &fa); err != nil {
		return nil, fmt.Errorf("agent: feedback: %w: %w", api.ErrBadInput, err)
	}
	res, err := a.feedback(fa)
	switch {
	case errors.Is(err, errFeedbackStore):
		return nil, fmt.Errorf("agent: feedback: %w", err)
	case err != nil:
		return nil, fmt.Errorf("agent: feedback: %w: %w", api.ErrBadInput, err)
	}
	return res, nil
}

// feedback validates args, labels the remembered windows they name and
// returns the counts and the model's quality per version.
func (a *Agent) feedback(args feedbackArgs) (map[string]any, error) {
	r, err := a.runnerNamed(args.Model)
	if err != nil {
		return nil, err
	}
	var positive bool
	switch args.Label {
	case "positive":
		positive = true
	case "negative":
	default:
		return nil, fmt.Errorf("args field \"label\": %q is not \"positive\" or \"negative\"", args.Label)
	}
	byRange := args.From != nil || args.To != nil
	switch {
	case len(args.Seq) > 0 && byRange:
		return nil, errors.New("args: give seq or from/to, not both")
	case len(args.Seq) > maxFeedbackSeqs:
		return nil, fmt.Errorf("args field \"seq\": %d seqs, at most %d per command", len(args.Seq), maxFeedbackSeqs)
	case !byRange && len(args.Seq) == 0:
		return nil, errors.New("args: give seq (window sequence numbers) or from and to (window end times)")
	case byRange && (args.From == nil || args.To == nil):
		return nil, errors.New("args: from and to go together")
	case byRange && args.To.Before(*args.From):
		return nil, fmt.Errorf("args field \"to\": %s is before from %s", args.To.Format(time.RFC3339Nano), args.From.Format(time.RFC3339Nano))
	}
	var wins []scoredWindow
	var unknown uint64
	if byRange {
		from, to := args.From.UnixNano(), args.To.UnixNano()
		var oldest int64
		wins, oldest = r.obs.memory.match(func(w scoredWindow) bool { return w.end >= from && w.end <= to })
		if oldest == 0 || from < oldest {
			unknown = 1 // the range reaches back before the remembered windows
		}
	} else {
		want := map[uint64]bool{}
		for _, s := range args.Seq {
			want[s] = true
		}
		wins, _ = r.obs.memory.match(func(w scoredWindow) bool { return want[w.seq] })
		unknown = uint64(len(want) - len(wins))
	}
	a.observe.labels.unknown[r.cfg.Name].Add(unknown)
	if len(wins) > 0 {
		if err := a.observe.labels.label(r.cfg.Name, wins, positive); err != nil {
			return nil, fmt.Errorf("%w: %w", errFeedbackStore, err)
		}
	}
	versions, m := a.observe.labels.matricesOf(r.cfg.Name)
	q := map[string]any{}
	for _, v := range versions {
		c := m[v]
		p, rc, f1 := c.scores()
		q[v] = map[string]any{"tp": c.TP, "fp": c.FP, "tn": c.TN, "fn": c.FN, "precision": p, "recall": rc, "f1": f1}
	}
	a.log.Info("feedback", "model", r.cfg.Name, "label", args.Label, "labelled", len(wins), "unknown", unknown)
	return map[string]any{"labelled": len(wins), "unknown": unknown, "versions": q}, nil
}

// alarmed reports whether score reaches the alarm threshold (the warn
// threshold when there is no alarm one): the model's positive call.
func alarmed(th config.Thresholds, score float64) bool {
	if th.Alarm > 0 {
		return score >= th.Alarm
	}
	return th.Warn > 0 && score >= th.Warn
}

// writeFeedbackMetrics writes each model version's confusion matrix at the
// alarm threshold over the labelled windows, its precision, recall and F1,
// and the labels that named windows no longer remembered.
func (a *Agent) writeFeedbackMetrics(b *strings.Builder) {
	ls := a.observe.labels
	if ls == nil {
		return
	}
	type row struct {
		model, sensor, version string
		c                      confusion
	}
	var rows []row
	for _, r := range a.runners() {
		versions, m := ls.matricesOf(r.cfg.Name)
		for _, v := range versions {
			rows = append(rows, row{r.cfg.Name, r.cfg.Sensor, v, m[v]})
		}
	}
	const cm = "axle_model_feedback_windows"
	fmt.Fprintf(b, "# HELP %s Labelled windows of the last %s by outcome at the alarm threshold (tp, fp, tn, fn).\n# TYPE %s gauge\n", cm, feedbackHorizon, cm)
	for _, rw := range rows {
		for _, o := range []struct {
			name string
			n    uint64
		}{{"tp", rw.c.TP}, {"fp", rw.c.FP}, {"tn", rw.c.TN}, {"fn", rw.c.FN}} {
			fmt.Fprintf(b, "%s%s %d\n", cm, monitor.Labels("model", rw.model, "version", rw.version, "sensor", rw.sensor, "outcome", o.name), o.n)
		}
	}
	for i, q := range []struct{ name, help string }{
		{"axle_model_precision", "Precision at the alarm threshold over the labelled windows."},
		{"axle_model_recall", "Recall at the alarm threshold over the labelled windows."},
		{"axle_model_f1", "F1 score at the alarm threshold over the labelled windows."},
	} {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", q.name, q.help, q.name)
		for _, rw := range rows {
			p, r, f := rw.c.scores()
			fmt.Fprintf(b, "%s%s %s\n", q.name, monitor.Labels("model", rw.model, "version", rw.version, "sensor", rw.sensor),
				strconv.FormatFloat([]float64{p, r, f}[i], 'g', -1, 64))
		}
	}
	const unk = "axle_model_feedback_unknown_total"
	fmt.Fprintf(b, "# HELP %s Labels for windows the agent no longer remembered.\n# TYPE %s counter\n", unk, unk)
	for _, r := range a.runners() {
		if n, ok := ls.unknown[r.cfg.Name]; ok {
			fmt.Fprintf(b, "%s%s %d\n", unk, monitor.Labels("model", r.cfg.Name, "sensor", r.cfg.Sensor), n.Load())
		}
	}
}
