package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/preprocess"
)

// ManifestVersion is the only manifest schema this package reads and writes.
const ManifestVersion = 1

// Reserved member names.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.json.minisig"
)

// Manifest describes a bundle: what the model is, what it needs, how its
// input is made and its output read, how to test it and where it came from.
// Field names in JSON are the lower-case snake_case tags below.
type Manifest struct {
	V           int       `json:"v"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Created     time.Time `json:"created"`
	Description string    `json:"description,omitempty"`
	// Model is the member holding the .tflite file.
	Model string `json:"model"`
	// Members lists every member except manifest.json and its signature.
	Members     []Member     `json:"members"`
	Runtime     Runtime      `json:"runtime"`
	Input       Input        `json:"input"`
	Output      Output       `json:"output"`
	TestVectors []TestVector `json:"test_vectors,omitempty"`
	Baseline    *Baseline    `json:"baseline,omitempty"`
	SLO         *SLO         `json:"slo,omitempty"`
	Lineage     Lineage      `json:"lineage"`
}

// Member is one file of the bundle with its size and SHA-256 (lower-case hex).
type Member struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Runtime is what the model needs to run.
type Runtime struct {
	Ops        []string `json:"ops"`                  // builtin operator names, e.g. FULLY_CONNECTED
	ArenaBytes int64    `json:"arena_bytes"`          // tensor arena the pure-Go runtime plans
	Preference string   `json:"preference,omitempty"` // legacy: "tflite" (pure Go) or "tflitecgo"; Name supersedes it
	// Name is the runtime the model asks for: go, tflite (the C library)
	// or auto; Delegate the delegate: none, xnnpack, edgetpu, gpu,
	// external:PATH[;k=v...] or auto. The agent config may override both.
	Name     string `json:"name,omitempty"`
	Delegate string `json:"delegate,omitempty"`
}

// Choice is the runtime and delegate the manifest asks for; empty fields
// leave the choice to the config or the default. The legacy preference
// "tflitecgo" means runtime tflite and "tflite" the pure-Go runtime.
func (r *Runtime) Choice() models.Choice {
	c := models.Choice{Runtime: r.Name, Delegate: r.Delegate}
	if c.Runtime == "" {
		switch r.Preference {
		case "tflitecgo":
			c.Runtime = models.RuntimeTFLite
		case "tflite":
			c.Runtime = models.RuntimeGo
		}
	}
	return c
}

// Input is the preprocessing that turns the sensor stream into the model's
// input; it maps one to one onto an agent config model entry (window, hop,
// channels, features, normalize), so the config only binds a bundle to a
// sensor.
type Input struct {
	Channels  []string   `json:"channels"`
	Window    Duration   `json:"window"`
	Hop       Duration   `json:"hop"`
	Features  []string   `json:"features,omitempty"` // per channel; empty: the raw window is the input
	Normalize *Normalize `json:"normalize,omitempty"`
}

// Normalize maps element i of the feature vector x to (x-mean[i])/std[i].
type Normalize struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// Output kinds.
const (
	OutputScore  = "score"  // one anomaly score: element 0 of the output tensor
	OutputLabels = "labels" // classification: the label of the largest element
)

// Output says how to read the model's result.
type Output struct {
	Kind       string      `json:"kind"`
	Index      int         `json:"index"` // output tensor index
	Labels     []string    `json:"labels,omitempty"`
	Thresholds *Thresholds `json:"thresholds,omitempty"`
}

// Thresholds turn a score into an alert state with hysteresis (see
// agent/scoring): raised after Raise windows at or above a level, cleared
// after Clear windows below it. A zero level is unused.
type Thresholds struct {
	Warn  float64 `json:"warn"`
	Alarm float64 `json:"alarm"`
	Raise int     `json:"raise"`
	Clear int     `json:"clear"`
}

// TestVector is one self-test: the raw input tensor bytes in member Input
// must give Expected (output tensor Output, as float64) within Tolerance
// (absolute, per element).
type TestVector struct {
	Input     string    `json:"input"`
	Output    int       `json:"output"`
	Expected  []float64 `json:"expected"`
	Tolerance float64   `json:"tolerance"`
}

// Baseline is what the model's inputs and score looked like on validation
// data, for drift and quality gates.
type Baseline struct {
	Score    *Distribution  `json:"score,omitempty"`
	Features []Distribution `json:"features,omitempty"`
}

// Distribution is a fixed-bin histogram, quantiles, or both.
type Distribution struct {
	Name      string     `json:"name,omitempty"` // for features: "<channel>.<feature>"
	Histogram *Histogram `json:"histogram,omitempty"`
	Quantiles *Quantiles `json:"quantiles,omitempty"`
}

// Histogram has len(Edges)-1 bins; bin i counts Edges[i] <= x < Edges[i+1].
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int64   `json:"counts"`
}

// Quantiles: Values[i] is the P[i] quantile.
type Quantiles struct {
	P      []float64 `json:"p"`
	Values []float64 `json:"values"`
}

// SLO is the service level the model promises on its target.
type SLO struct {
	LatencyP99 Duration `json:"latency_p99"`
}

// Lineage says where the model came from.
type Lineage struct {
	Parent        string             `json:"parent,omitempty"` // previous version
	TrainingRun   string             `json:"training_run,omitempty"`
	DatasetSHA256 string             `json:"dataset_sha256,omitempty"`
	CodeCommit    string             `json:"code_commit,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("1s", "250ms").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want e.g. \"1s\" or \"250ms\"", b)
	}
	*d = Duration(v)
	return nil
}

// MaxManifestBytes is the default limit on manifest.json.
const MaxManifestBytes = 1 << 20

// DecodeManifest decodes and validates manifest bytes strictly: unknown or
// repeated fields, trailing data and invalid values are errors naming the
// field path, e.g. `bundle: manifest: field "input.features[1]": ...`.
func DecodeManifest(b []byte) (*Manifest, error) {
	m, err := DecodeDraft(b)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeDraft decodes manifest bytes as strictly as DecodeManifest but does
// not validate the values: tools use it to read a manifest that Pack will
// complete (members, model) and validate.
func DecodeDraft(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("bundle: manifest: %d bytes, limit %d", len(b), MaxManifestBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := checkFields(d, reflect.TypeFor[Manifest](), "", 0); err != nil {
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("bundle: manifest: trailing data after the JSON object")
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("bundle: manifest: field %q: want %s, have JSON %s", te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	return &m, nil
}

var textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

// maxDepth bounds nesting: json.Decoder.Token has no limit of its own and
// the walk below recurses.
const maxDepth = 32

// checkFields walks one JSON value against type t and rejects object keys
// that t does not have, and keys given twice, naming the path.
func checkFields(d *json.Decoder, t reflect.Type, path string, depth int) error {
	if depth > maxDepth {
		return fieldErr(path, "nested deeper than %d", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return fieldErr(path, "malformed JSON: %v", err)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		t = nil // a leaf whatever its Go kind; json.Unmarshal checks its text
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; d.More(); i++ {
			if err := checkAny(d, elem, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]bool{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return fieldErr(path, "malformed JSON: %v", err)
			}
			key, _ := kt.(string)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if seen[key] {
				return fieldErr(p, "given twice")
			}
			seen[key] = true
			var ft reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Map:
				ft = t.Elem()
			case t.Kind() == reflect.Struct:
				f, ok := structField(t, key)
				if !ok {
					return fieldErr(p, "unknown field")
				}
				ft = f
			}
			if err := checkAny(d, ft, p, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := d.Token(); err != nil { // closing delimiter
		return fieldErr(path, "malformed JSON: %v", err)
	}
	return nil
}

// checkAny is checkFields for a value whose type may be unknown (nil): its
// members are only checked for well-formedness and duplicates.
func checkAny(d *json.Decoder, t reflect.Type, path string, depth int) error {
	if t == nil {
		t = reflect.TypeFor[any]()
	}
	return checkFields(d, t, path, depth)
}

func structField(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == key && f.IsExported() {
			return f.Type, true
		}
	}
	return nil, false
}

func fieldErr(path, format string, args ...any) error {
	if path == "" {
		return fmt.Errorf(format, args...)
	}
	return fmt.Errorf("field %q: %s", path, fmt.Sprintf(format, args...))
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
	memberRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$`)
	opRE      = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)
	channelRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
	hexRE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	commitRE  = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// Bounds on repeated fields: a manifest is metadata, not data.
const (
	maxMembers     = 64
	maxListLen     = 4096
	maxTextLen     = 4096
	maxVectorElems = 1 << 16
)

// Validate checks every field of m; the error names the first bad field.
func (m *Manifest) Validate() error {
	e := func(field, format string, args ...any) error {
		return fmt.Errorf("bundle: manifest: field %q: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case m.V != ManifestVersion:
		return e("v", "is %d, want %d", m.V, ManifestVersion)
	case !nameRE.MatchString(m.Name):
		return e("name", "%q: want 1-64 of a-z 0-9 . _ - starting with a letter or digit", m.Name)
	case !versionRE.MatchString(m.Version):
		return e("version", "%q: want 1-64 of A-Z a-z 0-9 . + _ - starting with a letter or digit", m.Version)
	case m.Created.IsZero():
		return e("created", "missing")
	case len(m.Description) > maxTextLen:
		return e("description", "%d bytes, limit %d", len(m.Description), maxTextLen)
	case len(m.Members) == 0:
		return e("members", "empty: the model at least must be listed")
	case len(m.Members) > maxMembers:
		return e("members", "%d members, limit %d", len(m.Members), maxMembers)
	}
	names := map[string]bool{}
	for i, mb := range m.Members {
		f := fmt.Sprintf("members[%d]", i)
		switch {
		case !memberRE.MatchString(mb.Name):
			return e(f+".name", "%q: want a plain file name (1-100 of A-Z a-z 0-9 . _ -, no directories)", mb.Name)
		case mb.Name == ManifestName || mb.Name == SignatureName:
			return e(f+".name", "%q is reserved", mb.Name)
		case names[mb.Name]:
			return e(f+".name", "%q listed twice", mb.Name)
		case mb.Size < 0:
			return e(f+".size", "negative (%d)", mb.Size)
		case !hexRE.MatchString(mb.SHA256):
			return e(f+".sha256", "%q: want 64 lower-case hex digits", mb.SHA256)
		}
		names[mb.Name] = true
	}
	if !names[m.Model] {
		return e("model", "%q is not in members", m.Model)
	}
	if err := m.Runtime.validate(e); err != nil {
		return err
	}
	if err := m.Input.validate(e); err != nil {
		return err
	}
	if err := m.Output.validate(e); err != nil {
		return err
	}
	if len(m.TestVectors) > maxListLen {
		return e("test_vectors", "%d vectors, limit %d", len(m.TestVectors), maxListLen)
	}
	for i, tv := range m.TestVectors {
		f := fmt.Sprintf("test_vectors[%d]", i)
		switch {
		case !names[tv.Input] || tv.Input == m.Model:
			return e(f+".input", "%q is not a listed member (other than the model)", tv.Input)
		case tv.Output < 0:
			return e(f+".output", "negative (%d)", tv.Output)
		case len(tv.Expected) == 0 || len(tv.Expected) > maxVectorElems:
			return e(f+".expected", "%d values, want 1 to %d", len(tv.Expected), maxVectorElems)
		case !finite(tv.Expected...):
			return e(f+".expected", "NaN or infinite value")
		case !finite(tv.Tolerance) || tv.Tolerance < 0:
			return e(f+".tolerance", "%g: want a finite value >= 0", tv.Tolerance)
		}
	}
	if b := m.Baseline; b != nil {
		if b.Score != nil {
			if err := b.Score.validate(e, "baseline.score"); err != nil {
				return err
			}
		}
		if len(b.Features) > maxListLen {
			return e("baseline.features", "%d distributions, limit %d", len(b.Features), maxListLen)
		}
		for i := range b.Features {
			if err := b.Features[i].validate(e, fmt.Sprintf("baseline.features[%d]", i)); err != nil {
				return err
			}
		}
	}
	if m.SLO != nil && m.SLO.LatencyP99 <= 0 {
		return e("slo.latency_p99", "%s: want a positive duration", time.Duration(m.SLO.LatencyP99))
	}
	return m.Lineage.validate(e)
}

type errf func(field, format string, args ...any) error

func (r *Runtime) validate(e errf) error {
	if len(r.Ops) > maxListLen {
		return e("runtime.ops", "%d ops, limit %d", len(r.Ops), maxListLen)
	}
	for i, op := range r.Ops {
		if !opRE.MatchString(op) {
			return e(fmt.Sprintf("runtime.ops[%d]", i), "%q: want an upper-case builtin operator name", op)
		}
	}
	switch {
	case r.ArenaBytes < 0:
		return e("runtime.arena_bytes", "negative (%d)", r.ArenaBytes)
	case r.Preference != "" && r.Preference != "tflite" && r.Preference != "tflitecgo":
		return e("runtime.preference", "%q: want \"tflite\" or \"tflitecgo\"", r.Preference)
	}
	c := r.Choice()
	if c.Runtime != "" {
		if _, err := models.ParseChoice(c.Runtime, ""); err != nil {
			return e("runtime.name", "%v", err)
		}
	}
	if c.Delegate != "" {
		rt := c.Runtime
		if rt == "" {
			rt = models.RuntimeAuto
		}
		if _, err := models.ParseChoice(rt, c.Delegate); err != nil {
			return e("runtime.delegate", "%v", err)
		}
	}
	return nil
}

func (in *Input) validate(e errf) error {
	switch {
	case len(in.Channels) == 0:
		return e("input.channels", "empty")
	case len(in.Channels) > maxListLen:
		return e("input.channels", "%d channels, limit %d", len(in.Channels), maxListLen)
	case in.Window <= 0:
		return e("input.window", "%s: want a positive duration", time.Duration(in.Window))
	case in.Hop <= 0 || in.Hop > in.Window:
		return e("input.hop", "%s: want a positive duration no longer than the window (%s)", time.Duration(in.Hop), time.Duration(in.Window))
	case len(in.Features) > len(preprocess.Names):
		return e("input.features", "%d features, there are only %d", len(in.Features), len(preprocess.Names))
	}
	for i, c := range in.Channels {
		if !channelRE.MatchString(c) {
			return e(fmt.Sprintf("input.channels[%d]", i), "%q: want 1-64 of A-Z a-z 0-9 . _ -", c)
		}
		if slices.Index(in.Channels, c) != i {
			return e(fmt.Sprintf("input.channels[%d]", i), "%q given twice", c)
		}
	}
	for i, f := range in.Features {
		if !slices.Contains(preprocess.Names, f) {
			return e(fmt.Sprintf("input.features[%d]", i), "%q is not a feature (have %s)", f, strings.Join(preprocess.Names, ", "))
		}
		if slices.Index(in.Features, f) != i {
			return e(fmt.Sprintf("input.features[%d]", i), "%q given twice", f)
		}
	}
	n := in.Normalize
	if n == nil {
		return nil
	}
	switch {
	case len(n.Mean) != len(n.Std):
		return e("input.normalize", "%d means but %d stds", len(n.Mean), len(n.Std))
	case len(in.Features) > 0 && len(n.Mean) != len(in.Channels)*len(in.Features):
		return e("input.normalize.mean", "%d values, want channels × features = %d", len(n.Mean), len(in.Channels)*len(in.Features))
	case len(n.Mean) == 0 || len(n.Mean) > maxVectorElems:
		return e("input.normalize.mean", "%d values, want 1 to %d", len(n.Mean), maxVectorElems)
	case !finite(n.Mean...):
		return e("input.normalize.mean", "NaN or infinite value")
	}
	for i, s := range n.Std {
		if !finite(s) || s <= 0 {
			return e(fmt.Sprintf("input.normalize.std[%d]", i), "%g: want a finite value > 0", s)
		}
	}
	return nil
}

func (o *Output) validate(e errf) error {
	switch {
	case o.Kind != OutputScore && o.Kind != OutputLabels:
		return e("output.kind", "%q: want %q or %q", o.Kind, OutputScore, OutputLabels)
	case o.Index < 0:
		return e("output.index", "negative (%d)", o.Index)
	case o.Kind == OutputLabels && len(o.Labels) == 0:
		return e("output.labels", "empty, but kind is %q", OutputLabels)
	case o.Kind == OutputScore && len(o.Labels) > 0:
		return e("output.labels", "given, but kind is %q", OutputScore)
	case len(o.Labels) > maxListLen:
		return e("output.labels", "%d labels, limit %d", len(o.Labels), maxListLen)
	case o.Kind == OutputLabels && o.Thresholds != nil:
		return e("output.thresholds", "thresholds apply to kind %q only", OutputScore)
	}
	for i, l := range o.Labels {
		if l == "" || len(l) > 128 {
			return e(fmt.Sprintf("output.labels[%d]", i), "%d bytes, want 1 to 128", len(l))
		}
	}
	th := o.Thresholds
	if th == nil {
		return nil
	}
	switch {
	case !finite(th.Warn) || th.Warn < 0:
		return e("output.thresholds.warn", "%g: want a finite value >= 0 (0: unused)", th.Warn)
	case !finite(th.Alarm) || th.Alarm < 0:
		return e("output.thresholds.alarm", "%g: want a finite value >= 0 (0: unused)", th.Alarm)
	case th.Warn == 0 && th.Alarm == 0:
		return e("output.thresholds", "neither warn nor alarm is set")
	case th.Warn > 0 && th.Alarm > 0 && th.Warn > th.Alarm:
		return e("output.thresholds.warn", "%g is above the alarm threshold %g", th.Warn, th.Alarm)
	case th.Raise < 1:
		return e("output.thresholds.raise", "%d: want at least 1 window", th.Raise)
	case th.Clear < 1:
		return e("output.thresholds.clear", "%d: want at least 1 window", th.Clear)
	}
	return nil
}

func (d *Distribution) validate(e errf, f string) error {
	if d.Histogram == nil && d.Quantiles == nil {
		return e(f, "neither histogram nor quantiles given")
	}
	if len(d.Name) > 128 {
		return e(f+".name", "%d bytes, limit 128", len(d.Name))
	}
	if h := d.Histogram; h != nil {
		switch {
		case len(h.Edges) < 2 || len(h.Edges) > maxListLen:
			return e(f+".histogram.edges", "%d edges, want 2 to %d", len(h.Edges), maxListLen)
		case len(h.Counts) != len(h.Edges)-1:
			return e(f+".histogram.counts", "%d counts for %d edges, want %d", len(h.Counts), len(h.Edges), len(h.Edges)-1)
		case !finite(h.Edges...):
			return e(f+".histogram.edges", "NaN or infinite value")
		}
		for i := 1; i < len(h.Edges); i++ {
			if h.Edges[i] <= h.Edges[i-1] {
				return e(fmt.Sprintf("%s.histogram.edges[%d]", f, i), "%g is not above the previous edge %g", h.Edges[i], h.Edges[i-1])
			}
		}
		for i, c := range h.Counts {
			if c < 0 {
				return e(fmt.Sprintf("%s.histogram.counts[%d]", f, i), "negative (%d)", c)
			}
		}
	}
	if q := d.Quantiles; q != nil {
		switch {
		case len(q.P) == 0 || len(q.P) > maxListLen:
			return e(f+".quantiles.p", "%d values, want 1 to %d", len(q.P), maxListLen)
		case len(q.Values) != len(q.P):
			return e(f+".quantiles.values", "%d values for %d probabilities", len(q.Values), len(q.P))
		case !finite(q.Values...):
			return e(f+".quantiles.values", "NaN or infinite value")
		}
		for i, p := range q.P {
			if !(p >= 0 && p <= 1) || (i > 0 && p <= q.P[i-1]) {
				return e(fmt.Sprintf("%s.quantiles.p[%d]", f, i), "%g: want increasing probabilities in [0, 1]", p)
			}
			if i > 0 && q.Values[i] < q.Values[i-1] {
				return e(fmt.Sprintf("%s.quantiles.values[%d]", f, i), "%g is below the previous quantile %g", q.Values[i], q.Values[i-1])
			}
		}
	}
	return nil
}

func (l *Lineage) validate(e errf) error {
	switch {
	case l.Parent != "" && !versionRE.MatchString(l.Parent):
		return e("lineage.parent", "%q is not a version", l.Parent)
	case len(l.TrainingRun) > 256:
		return e("lineage.training_run", "%d bytes, limit 256", len(l.TrainingRun))
	case l.DatasetSHA256 != "" && !hexRE.MatchString(l.DatasetSHA256):
		return e("lineage.dataset_sha256", "%q: want 64 lower-case hex digits", l.DatasetSHA256)
	case l.CodeCommit != "" && !commitRE.MatchString(l.CodeCommit):
		return e("lineage.code_commit", "%q: want 7-64 lower-case hex digits", l.CodeCommit)
	case len(l.Metrics) > maxListLen:
		return e("lineage.metrics", "%d metrics, limit %d", len(l.Metrics), maxListLen)
	}
	for k, v := range l.Metrics {
		if k == "" || len(k) > 128 {
			return e("lineage.metrics", "metric name of %d bytes, want 1 to 128", len(k))
		}
		if !finite(v) {
			return e("lineage.metrics."+k, "NaN or infinite value")
		}
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Encode returns the manifest as indented JSON with a final newline, the
// form Pack writes. It validates m first.
func (m *Manifest) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle: manifest: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// Member returns the manifest's entry for name.
func (m *Manifest) Member(name string) (Member, bool) {
	i := slices.IndexFunc(m.Members, func(mb Member) bool { return mb.Name == name })
	if i < 0 {
		return Member{}, false
	}
	return m.Members[i], true
}
