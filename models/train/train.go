package train

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/train/pca"
)

// Defaults of Config's zero fields.
const (
	DefaultComponents = 3
	DefaultFAR        = 0.001
	DefaultHoldOut    = 4
	DefaultBins       = 10
	DefaultRaise      = 2
	DefaultClear      = 3
	// MinHoldOut is the fewest hold-out windows thresholds are picked from.
	MinHoldOut = 20
	// ModelMember is the bundle member name of the fitted model.
	ModelMember = "model.tflite"
)

// Config says what to fit and what to write into the manifest. Zero
// numeric fields take the defaults above.
type Config struct {
	Name, Version, Description string
	// Input is the preprocessing the rows were computed with; it goes into
	// the manifest unchanged (Normalize must be nil: the graph normalises).
	Input      bundle.Input
	Components int
	// FAR is the target false-alarm rate per window: the alarm threshold is
	// the 1-FAR quantile of the hold-out scores. WarnFAR (default
	// min(10·FAR, 0.5)) sets the warn threshold the same way.
	FAR, WarnFAR float64
	// HoldOut: every HoldOut-th healthy row is kept out of the fit and used
	// for thresholds, baselines and test vectors.
	HoldOut int
	Bins    int // baseline histogram bins, at most monitor.MaxBins
	// Raise and Clear are the alert hysteresis written to the manifest.
	Raise, Clear int
	// Lineage: Parent, DatasetSHA256, CodeCommit and TrainingRun are
	// copied; Metrics is filled by Fit.
	Lineage bundle.Lineage
	Created time.Time // zero: now
}

// Result is a fitted model and its manifest, ready for Pack.
type Result struct {
	Manifest *bundle.Manifest
	Model    []byte
	// Extras are the test vector inputs, named as the manifest says.
	Extras []bundle.File
	// HoldOutScores are the built model's scores of the hold-out rows.
	HoldOutScores []float64
	PCA           *pca.Model
}

// Fit fits the baseline anomaly model on healthy feature rows (as Features
// computes them for cfg.Input) and derives thresholds, baselines, test
// vectors and the manifest. The manifest is validated by Pack.
func Fit(ctx context.Context, cfg Config, healthy [][]float64) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	names, err := featureNames(cfg.Input)
	if err != nil {
		return nil, err
	}
	var fitRows, hold [][]float64
	for i, r := range healthy {
		if len(r) != len(names) {
			return nil, fmt.Errorf("train: healthy row %d has %d values, input %v × %v gives %d",
				i, len(r), cfg.Input.Channels, cfg.Input.Features, len(names))
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("train: healthy row %d, feature %s: %v is not finite", i, names[j], v)
			}
		}
		if i%cfg.HoldOut == cfg.HoldOut-1 {
			hold = append(hold, r)
		} else {
			fitRows = append(fitRows, r)
		}
	}
	if len(hold) < MinHoldOut {
		return nil, fmt.Errorf("train: %d healthy windows give %d hold-out windows (every %dth), need at least %d",
			len(healthy), len(hold), cfg.HoldOut, MinHoldOut)
	}
	p, err := pca.Fit(fitRows, cfg.Components)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	desc := cfg.Description
	if desc == "" {
		desc = "axle baseline anomaly model: PCA reconstruction error of window features"
	}
	model, err := p.Graph(desc)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	scores, err := Score(ctx, model, hold)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	alarm, warn := Threshold(sorted, cfg.FAR), Threshold(sorted, cfg.WarnFAR)
	if !(alarm > 0) || math.IsInf(alarm, 0) {
		return nil, fmt.Errorf("train: alarm threshold %g from the hold-out scores is not a positive finite number", alarm)
	}

	base := &bundle.Baseline{}
	if base.Score, err = distribution("", scores, cfg.Bins); err != nil {
		return nil, fmt.Errorf("train: baseline of the score: %w", err)
	}
	col := make([]float64, len(hold))
	for j, name := range names {
		for i, r := range hold {
			col[i] = r[j]
		}
		d, err := distribution(name, col, cfg.Bins)
		if err != nil {
			// A constant feature (a stuck temperature) has no histogram;
			// drift on it is meaningless, so it is left out.
			continue
		}
		base.Features = append(base.Features, *d)
	}

	vectors, extras, err := testVectors(ctx, model, hold, scores)
	if err != nil {
		return nil, err
	}
	ops, arena, err := runtimeOf(model)
	if err != nil {
		return nil, err
	}
	lin := cfg.Lineage
	lin.Metrics = map[string]float64{
		"healthy_windows":    float64(len(healthy)),
		"fit_windows":        float64(len(fitRows)),
		"holdout_windows":    float64(len(hold)),
		"components":         float64(cfg.Components),
		"target_far":         cfg.FAR,
		"holdout_alarm_rate": rateAtOrAbove(scores, alarm),
		"holdout_warn_rate":  rateAtOrAbove(scores, warn),
		"holdout_score_p50":  Quantile(sorted, 0.5),
		"holdout_score_max":  sorted[len(sorted)-1],
	}
	created := cfg.Created
	if created.IsZero() {
		created = time.Now().UTC().Truncate(time.Second)
	}
	m := &bundle.Manifest{
		V: bundle.ManifestVersion, Name: cfg.Name, Version: cfg.Version, Created: created,
		Description: desc,
		Runtime:     bundle.Runtime{Ops: ops, ArenaBytes: arena, Preference: "tflite"},
		Input:       cfg.Input,
		Output: bundle.Output{Kind: bundle.OutputScore, Thresholds: &bundle.Thresholds{
			Warn: warn, Alarm: alarm, Raise: cfg.Raise, Clear: cfg.Clear}},
		TestVectors: vectors,
		Baseline:    base,
		Lineage:     lin,
	}
	return &Result{Manifest: m, Model: model, Extras: extras, HoldOutScores: scores, PCA: p}, nil
}

// Pack writes r as an unsigned bundle (see bundle.Pack), validating the
// manifest.
func (r *Result) Pack(w io.Writer) error {
	if _, err := bundle.Pack(w, r.Manifest, bundle.File{Name: ModelMember, Data: r.Model}, r.Extras...); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

func (c *Config) defaults() error {
	if c.Components == 0 {
		c.Components = DefaultComponents
	}
	if c.FAR == 0 {
		c.FAR = DefaultFAR
	}
	if c.WarnFAR == 0 {
		c.WarnFAR = min(10*c.FAR, 0.5)
	}
	if c.HoldOut == 0 {
		c.HoldOut = DefaultHoldOut
	}
	if c.Bins == 0 {
		c.Bins = DefaultBins
	}
	if c.Raise == 0 {
		c.Raise = DefaultRaise
	}
	if c.Clear == 0 {
		c.Clear = DefaultClear
	}
	switch {
	case !(c.FAR > 0 && c.FAR < 1):
		return fmt.Errorf("train: far %g: want a rate in (0, 1)", c.FAR)
	case !(c.WarnFAR >= c.FAR && c.WarnFAR < 1):
		return fmt.Errorf("train: warn far %g: want a rate in [far %g, 1)", c.WarnFAR, c.FAR)
	case c.HoldOut < 2:
		return fmt.Errorf("train: hold-out every %d rows: want at least 2", c.HoldOut)
	case c.Bins < 2 || c.Bins > monitor.MaxBins:
		return fmt.Errorf("train: %d baseline bins: want 2..%d", c.Bins, monitor.MaxBins)
	case c.Components < 1:
		return fmt.Errorf("train: %d components: want at least 1", c.Components)
	case c.Raise < 1 || c.Clear < 1:
		return fmt.Errorf("train: raise %d, clear %d: want at least 1 window each", c.Raise, c.Clear)
	case c.Input.Normalize != nil:
		return errors.New("train: input.normalize must be empty: the fitted graph normalises its features itself")
	}
	return nil
}

// featureNames returns "<channel>.<feature>" in the order of the feature
// vector (channel-major, as preprocess computes it).
func featureNames(in bundle.Input) ([]string, error) {
	if len(in.Channels) == 0 || len(in.Features) == 0 {
		return nil, fmt.Errorf("train: input: need channels and features, have %d channels and %d features",
			len(in.Channels), len(in.Features))
	}
	names := make([]string, 0, len(in.Channels)*len(in.Features))
	for _, c := range in.Channels {
		for _, f := range in.Features {
			names = append(names, c+"."+f)
		}
	}
	return names, nil
}

// MinTail is the fewest hold-out scores at or beyond a threshold for
// Threshold to take it from the data alone.
const MinTail = 10

// Threshold is the score that healthy windows reach or exceed with
// probability far, from sorted hold-out scores. With at least MinTail
// scores expected beyond it, it is the empirical 1-far quantile. Rarer
// levels cannot be read off the data (the largest of 60 scores is exceeded
// about once in 61 windows, not once in 1000), so the tail is extrapolated:
// an exponential fitted to the excesses of the top fifth of the scores
// (peaks over threshold with shape 0, which suits squared residuals).
func Threshold(sorted []float64, far float64) float64 {
	n := len(sorted)
	if far*float64(n) >= MinTail || n < 2 {
		return Quantile(sorted, 1-far)
	}
	k := max(n/5, min(5, n-1))
	u := sorted[n-k-1]
	var beta float64
	for _, s := range sorted[n-k:] {
		beta += s - u
	}
	beta /= float64(k)
	return u + beta*math.Log(float64(k)/(float64(n)*far))
}

// Quantile is the empirical p quantile of sorted values (the smallest value
// with at least p of the values at or below it). Below a resolution of one
// window (p > 1-1/n) it returns the largest value.
func Quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func rateAtOrAbove(scores []float64, t float64) float64 {
	n := 0
	for _, s := range scores {
		if s >= t {
			n++
		}
	}
	return float64(n) / float64(len(scores))
}

// distribution is the manifest form of monitor.BaselineFromSamples: the
// cut points plus outer edges at the sample extremes, with counts.
func distribution(name string, values []float64, bins int) (*bundle.Distribution, error) {
	b, err := monitor.BaselineFromSamples(values, bins)
	if err != nil {
		return nil, err
	}
	lo, hi := slices.Min(values), slices.Max(values)
	if lo >= b.Edges[0] {
		lo = math.Nextafter(b.Edges[0], math.Inf(-1))
	}
	if hi <= b.Edges[len(b.Edges)-1] {
		hi = math.Nextafter(b.Edges[len(b.Edges)-1], math.Inf(1))
	}
	edges := append(append([]float64{lo}, b.Edges...), hi)
	counts := make([]int64, b.Bins())
	for _, v := range values {
		counts[b.Bin(v)]++
	}
	return &bundle.Distribution{Name: name, Histogram: &bundle.Histogram{Edges: edges, Counts: counts}}, nil
}

// testVectors picks the hold-out rows with the lowest, median and highest
// score as self-tests; the expected output is what the pure-Go runtime
// computes, the tolerance covers a runtime with other float32 rounding.
func testVectors(ctx context.Context, model []byte, hold [][]float64, scores []float64) ([]bundle.TestVector, []bundle.File, error) {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(scores[a], scores[b]) })
	picks := []int{order[0], order[len(order)/2], order[len(order)-1]}
	var vecs []bundle.TestVector
	var files []bundle.File
	for k, i := range picks {
		name := fmt.Sprintf("test_vector_%d.bin", k)
		data := make([]byte, 4*len(hold[i]))
		for j, v := range hold[i] {
			binary.LittleEndian.PutUint32(data[4*j:], math.Float32bits(float32(v)))
		}
		out, err := Score(ctx, model, hold[i:i+1])
		if err != nil {
			return nil, nil, err
		}
		vecs = append(vecs, bundle.TestVector{Input: name, Expected: out,
			Tolerance: 1e-4 * math.Max(1, math.Abs(out[0]))})
		files = append(files, bundle.File{Name: name, Data: data})
	}
	return vecs, files, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func runtimeOf(model []byte) ([]string, int64, error) {
	it, err := tflite.Load(model, models.Options{})
	if err != nil {
		return nil, 0, fmt.Errorf("train: load the built model: %w", err)
	}
	defer it.Close()
	var ops []string
	for _, o := range it.Ops() {
		if !slices.Contains(ops, o.Name) {
			ops = append(ops, o.Name)
		}
	}
	slices.Sort(ops)
	return ops, it.ArenaBytes(), nil
}

// Score runs a score model (one float32 input of len(row) values, score in
// element 0 of output 0) with the pure-Go runtime on each row.
func Score(ctx context.Context, model []byte, rows [][]float64) ([]float64, error) {
	m, err := tflite.Load(model, models.Options{})
	if err != nil {
		return nil, fmt.Errorf("train: load model: %w", err)
	}
	defer m.Close()
	info := m.Inputs()[0]
	out := make([]float64, 0, len(rows))
	vec := []float32(nil)
	for i, r := range rows {
		vec = vec[:0]
		for _, v := range r {
			vec = append(vec, float32(v))
		}
		if err := preprocess.Fill(m.Input(0), vec, info); err != nil {
			return nil, fmt.Errorf("train: row %d: %w", i, err)
		}
		if err := m.Invoke(ctx); err != nil {
			return nil, fmt.Errorf("train: row %d: invoke: %w", i, err)
		}
		o, err := preprocess.Read(nil, m.Output(0), m.Outputs()[0])
		if err != nil {
			return nil, fmt.Errorf("train: row %d: read output: %w", i, err)
		}
		if len(o) == 0 {
			return nil, fmt.Errorf("train: row %d: the model's output 0 is empty", i)
		}
		out = append(out, o[0])
	}
	return out, nil
}
