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
