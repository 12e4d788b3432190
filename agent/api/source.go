package api

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// Source is what the API needs from the agent. Its methods are called from
// concurrent requests and must be safe for concurrent use.
type Source interface {
	// Ready reports whether the agent can do its job (sensors read, models
	// loaded, outbox open); reason says what is missing when it cannot.
	Ready() (ok bool, reason string)
	// Status is the document the agent retains on its status topic.
	Status() fleet.Status
	// Models lists the configured models.
	Models() []ModelInfo
	// Predict runs model on each instance (one flat input vector each) and
	// returns one output vector per instance. An error wrapping
	// ErrUnknownModel becomes 404, one wrapping ErrBadInput 400. It must
	// return soon after ctx ends: the API answers 504 at the deadline on its
	// own, but the call keeps its concurrency slot and Serve waits for it.
	Predict(ctx context.Context, model string, instances [][]float32) ([][]float32, error)
	// Series is each model's scores since the given time, oldest first, with
	// its current thresholds, alert state, drift and latency.
	Series(since time.Time) []Series
	// WriteMetrics writes the agent's metrics in the Prometheus text format.
	WriteMetrics(w io.Writer) error
}

// Errors a Source wraps to choose the HTTP status of a failed Predict.
var (
	ErrUnknownModel = errors.New("unknown model")
	ErrBadInput     = errors.New("bad input")
)

// ModelInfo describes one model in GET /v1/models.
type ModelInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	State   string `json:"state"`           // fleet.ModelActive or fleet.ModelFailed
	Inputs  int    `json:"inputs"`          // values per instance
	Outputs int    `json:"outputs"`         // values per prediction
	Error   string `json:"error,omitempty"` // why the model is not active
	// Warn and Alarm are the alert thresholds of the model's score; 0: none.
	Warn  float64 `json:"warn,omitempty"`
	Alarm float64 `json:"alarm,omitempty"`
}

// Series is one model's recent scores for the live page.
type Series struct {
	Model   string  `json:"model"`
	Version string  `json:"version"`
	Warn    float64 `json:"warn,omitempty"`
	Alarm   float64 `json:"alarm,omitempty"`
	Alert   string  `json:"alert"` // fleet.AlertOK, AlertWarn or AlertAlarm
	// Drift is the score drift against the baseline (PSI); DriftActive is
	// the detector's state.
	Drift       float64 `json:"drift"`
	DriftActive bool    `json:"drift_active"`
	// LatencyP50 and LatencyP99 are the end-to-end latencies in seconds.
	LatencyP50 float64 `json:"latency_p50_seconds"`
	LatencyP99 float64 `json:"latency_p99_seconds"`
	Points     []Point `json:"points"`
}

// Point is one score at the end time of its window.
type Point struct {
	T     time.Time `json:"t"`
	Score float64   `json:"score"`
}

// FeedbackSource is a Source that takes ground-truth labels: POST
// /v1/feedback. Without it the endpoint answers 404.
type FeedbackSource interface {
	// Feedback applies args, the JSON args of the feedback command, and
	// returns the command's result. An error wrapping ErrBadInput becomes
	// 400, ErrUnknownModel 404.
	Feedback(ctx context.Context, args []byte) (map[string]any, error)
}

// CaptureSource is a Source with an evidence capture store: GET
// /v1/captures and /v1/captures/{id}. Without it both answer 404.
type CaptureSource interface {
	// Captures lists the captures matching f, oldest first. An error
	// wrapping ErrBadInput becomes 400, ErrNotFound 404 (captures off).
	Captures(f CaptureFilter) ([]CaptureInfo, error)
	// OpenCapture opens capture id's file, checked against its checksum;
	// the caller closes it. An error wrapping ErrNotFound becomes 404.
	OpenCapture(id string) (CaptureFile, error)
}

// ErrNotFound is wrapped by a CaptureSource for a capture it does not hold.
var ErrNotFound = errors.New("not found")

// CaptureFilter selects captures; zero fields match everything. A capture
// matches the time range when its window overlaps [From, To].
type CaptureFilter struct {
	Trigger  string
	Model    string
	From, To time.Time
}

// CaptureInfo is one capture's metadata in GET /v1/captures.
type CaptureInfo struct {
	ID           string    `json:"id"`
	Trigger      string    `json:"trigger"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Sensor       string    `json:"sensor,omitempty"`
	Model        string    `json:"model,omitempty"`
	ModelVersion string    `json:"model_version,omitempty"`
	Score        *float64  `json:"score,omitempty"` // nil: no score
	Labels       []string  `json:"labels,omitempty"`
	Channels     []string  `json:"channels,omitempty"`
	SampleRate   float64   `json:"sample_rate,omitempty"`
	Samples      int       `json:"samples"`
	Features     int       `json:"features"`
	Size         int64     `json:"size"` // file bytes
}

// CaptureFile is an open capture file.
type CaptureFile interface {
	io.ReaderAt
	io.Closer
	Size() int64
}
