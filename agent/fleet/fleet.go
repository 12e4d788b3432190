// Package fleet is axle's wire protocol, version 1: topic names and the JSON
// payloads a device publishes (status, scores, events, metrics, results) and
// receives (commands). Every payload carries "v":1. Consumers deduplicate
// scores and events on (device, seq).
//
//	axle/<dev>/status          up   QoS1 retained  Status (LWT: state "offline")
//	axle/<dev>/scores/<model>  up   QoS1           Score
//	axle/<dev>/events          up   QoS1           Event
//	axle/<dev>/metrics         up   QoS0/1         Metrics
//	axle/<dev>/cmd             down QoS1           Command (also axle/group/<g>/cmd, axle/all/cmd)
//	axle/<dev>/result          up   QoS1           Result
package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Version is the protocol version carried in every payload as "v".
const Version = 1

// DefaultPrefix is the topic prefix when none is configured.
const DefaultPrefix = "axle"

// Topics builds the topic names of one device.
type Topics struct {
	Prefix string
	Device string
}

func (t Topics) base() string { return t.Prefix + "/" + t.Device }

func (t Topics) Status() string  { return t.base() + "/status" }
func (t Topics) Events() string  { return t.base() + "/events" }
func (t Topics) Metrics() string { return t.base() + "/metrics" }
func (t Topics) Command() string { return t.base() + "/cmd" }
func (t Topics) Result() string  { return t.base() + "/result" }

// Scores is the topic for the scores of one model.
func (t Topics) Scores(model string) string { return t.base() + "/scores/" + model }

// GroupCommand is the command topic of a device group.
func (t Topics) GroupCommand(group string) string { return t.Prefix + "/group/" + group + "/cmd" }

// AllCommand is the command topic every device listens on.
func (t Topics) AllCommand() string { return t.Prefix + "/all/cmd" }

// ValidID reports whether s can be used as a device id, group or model name
// inside a topic: non-empty, at most 128 bytes, letters, digits, '-', '_', '.'.
func ValidID(s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("fleet: id %q must be 1 to 128 characters", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return fmt.Errorf("fleet: id %q has character %q; use letters, digits, '-', '_' or '.'", s, r)
		}
	}
	return nil
}

// Device states reported in Status.
const (
	StateOnline   = "online"
	StateOffline  = "offline"
	StateDraining = "draining"
)

// Status is the retained device status.
type Status struct {
	V      int    `json:"v"`
	Device string `json:"device"`
	State  string `json:"state"`
	// Reason says why the device is offline: "stopped: <cause>" after a
	// clean stop, ReasonLost when the broker published the will.
	Reason    string        `json:"reason,omitempty"`
	Agent     string        `json:"agent,omitempty"` // agent version
	StartedAt time.Time     `json:"started_at,omitzero"`
	Models    []ModelStatus `json:"models,omitempty"`
	Sensors   []string      `json:"sensors,omitempty"`
	// Storage is the outbox's write error while results cannot be stored
	// (disk full, I/O error); absent when storage is healthy.
	Storage string    `json:"storage,omitempty"`
	TS      time.Time `json:"ts"`
	// Groups are the device's groups (config, config.set); Backlog the
	// outbox records waiting to be delivered.
	Groups  []string `json:"groups,omitempty"`
	Backlog *int64   `json:"backlog,omitempty"`
}

// ReasonLost is the Status.Reason of the will: the agent went away without
// a clean stop.
const ReasonLost = "lost: no clean stop (crash, power loss or network failure)"

// Model states in ModelStatus.
const (
	ModelActive = "active" // loaded and scoring
	ModelFailed = "failed" // could not be loaded; Error says why
)

// ModelStatus is one configured model in Status.
type ModelStatus struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Previous string `json:"previous,omitempty"` // the version a rollback returns to
	Runtime  string `json:"runtime"`
	Delegate string `json:"delegate,omitempty"`
	State    string `json:"state,omitempty"`
	// Error is why the model is not scoring (State failed), or why the
	// version named in Previous was rolled back (State rolled_back).
	Error string `json:"error,omitempty"`
	// Gate is the probation gate that rolled Previous back, if one did.
	Gate string `json:"gate,omitempty"`
	// Deployment is a deployment of this model in progress.
	Deployment *DeploymentStatus `json:"deployment,omitempty"`
	// Shadow is a candidate version scoring beside this one in shadow mode.
	Shadow *ShadowStatus `json:"shadow,omitempty"`
}

// Alert states of a score.
const (
	AlertOK    = "ok"
	AlertWarn  = "warn"
	AlertAlarm = "alarm"
)

// Score is one model output for one window.
type Score struct {
	V       int       `json:"v"`
	Seq     uint64    `json:"seq,omitempty"` // stamped at publish time
	TS      time.Time `json:"ts"`
	Model   string    `json:"model"`
	Version string    `json:"version"`
	// Window is the time span of the input window.
	Window  Window    `json:"window"`
	Score   *float64  `json:"score,omitempty"`
	Label   string    `json:"label,omitempty"`
	Outputs []float64 `json:"outputs,omitempty"`
	Alert   string    `json:"alert"`
	// Historical is true when the record is replayed from the backlog after
	// an outage rather than sent live.
	Historical bool `json:"historical,omitempty"`
}

// Window is the span of sensor time a score covers.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Event kinds.
const (
	EventAlert       = "alert"
	EventAlertClear  = "alert_clear"
	EventSensorFault = "sensor_fault"
	EventSensorOK    = "sensor_ok"
	EventDrop        = "drop"
	EventDeployment  = "deployment"
	EventUpdate      = "update"
	EventOutbox      = "outbox"
	EventStorage     = "storage"
	// EventModel: a model failed to load, or loaded after a failure.
	EventModel = "model"
)

// Event is something an operator should see once.
type Event struct {
	V          int            `json:"v"`
	Seq        uint64         `json:"seq,omitempty"` // stamped at publish time
	TS         time.Time      `json:"ts"`
	Kind       string         `json:"kind"`
	Severity   string         `json:"severity"` // info, warning, critical
	Source     string         `json:"source,omitempty"`
	Message    string         `json:"message"`
	Data       map[string]any `json:"data,omitempty"`
	Historical bool           `json:"historical,omitempty"`
}

// Metrics is a periodic snapshot of self-metrics: counters and gauges by name.
type Metrics struct {
	V      int                `json:"v"`
	TS     time.Time          `json:"ts"`
	Values map[string]float64 `json:"values"`
}

// Command verbs.
const (
	VerbModelDeploy   = "model.deploy"
	VerbModelRollback = "model.rollback"
	VerbConfigSet     = "config.set"
	VerbSampling      = "sampling"
	VerbCapture       = "capture"
	VerbAgentUpdate   = "agent.update"
	VerbPing          = "ping"
	// VerbSimFault injects a fault into a simulated sensor (demos, tests of
	// the fleet's alerting).
	VerbSimFault = "sim.fault"
)

// Command is an instruction from the fleet.
type Command struct {
	V         int             `json:"v"`
	ID        string          `json:"id"`
	Verb      string          `json:"verb"`
	Args      json.RawMessage `json:"args,omitempty"`
	IssuedAt  time.Time       `json:"issued_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	Signature string          `json:"signature,omitempty"`
	// KeyID is the id of the trusted key whose signature the agent
	// verified; set by the agent, never decoded from the wire.
	KeyID string `json:"-"`
}

// Result statuses.
const (
	ResultAccepted = "accepted"
	ResultDone     = "done"
	ResultFailed   = "failed"
	ResultRejected = "rejected"
)

// Result answers a Command; every command gets exactly one final result
// (done, failed or rejected).
type Result struct {
	V      int            `json:"v"`
	Seq    uint64         `json:"seq,omitempty"` // stamped at publish time
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Error  string         `json:"error,omitempty"`
	Result map[string]any `json:"result,omitempty"`
	KeyID  string         `json:"key_id,omitempty"` // the key id a signed command carried
	TS     time.Time      `json:"ts"`
}

// MaxCommandBytes bounds a command payload before it is decoded.
const MaxCommandBytes = 64 << 10

// ErrExpired is returned for a command past its expiry.
var ErrExpired = errors.New("fleet: command expired")

// DecodeCommand parses a command strictly: unknown fields, a wrong version, a
// missing id or verb, or an oversized payload are errors naming the field.
func DecodeCommand(b []byte) (Command, error) {
	var c Command
	if len(b) > MaxCommandBytes {
		return c, fmt.Errorf("fleet: command is %d bytes, limit %d", len(b), MaxCommandBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Command{}, fmt.Errorf("fleet: decode command: %w", err)
	}
	if d.More() {
		return Command{}, errors.New("fleet: decode command: trailing data after the JSON object")
	}
	switch {
	case c.V != Version:
		return Command{}, fmt.Errorf("fleet: command field \"v\" is %d, want %d", c.V, Version)
	case c.ID == "":
		return Command{}, errors.New("fleet: command field \"id\" is missing")
	case len(c.ID) > 128:
		return Command{}, errors.New("fleet: command field \"id\" is longer than 128 bytes")
	case c.Verb == "":
		return Command{}, errors.New("fleet: command field \"verb\" is missing")
	case c.ExpiresAt.IsZero():
		return Command{}, errors.New("fleet: command field \"expires_at\" is missing")
	}
	return c, nil
}

// CheckExpiry returns ErrExpired when c has expired at now.
func (c Command) CheckExpiry(now time.Time) error {
	if !now.Before(c.ExpiresAt) {
		return fmt.Errorf("%w: %s expired at %s", ErrExpired, c.ID, c.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
