package demomodel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/train/pca"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sim"
)

// Recipe is everything the generated model depends on. Generate(DefaultRecipe)
// reproduces the committed files byte for byte.
type Recipe struct {
	Seed       uint64   // simulator seed of the training run
	HoldOut    uint64   // simulator seed of the threshold run
	Rate       float64  // samples per second
	Windows    int      // healthy training windows (1 s each)
	Components int      // principal components kept
	Channels   []string // sensor channels used
	Features   []string // per channel
}

// DefaultRecipe is the recipe of the committed demo model.
var DefaultRecipe = Recipe{
	Seed: 20261125, HoldOut: 7, Rate: 3200, Windows: 240, Components: 3,
	Channels: []string{"vib_x", "vib_y", "vib_z", "bearing_temp"},
	Features: []string{preprocess.RMS, preprocess.Peak, preprocess.Kurtosis},
}

// Meta describes the generated model: how to feed it and how to read it.
type Meta struct {
	Name       string     `json:"name"`
	Version    string     `json:"version"`
	Rate       float64    `json:"rate"`
	Window     string     `json:"window"`
	Channels   []string   `json:"channels"`
	Features   []string   `json:"features"`
	Warn       float64    `json:"warn"`
	Alarm      float64    `json:"alarm"`
	Lineage    Lineage    `json:"lineage"`
	Thresholds Thresholds `json:"threshold_basis"`
}

// Lineage records how the model was made.
type Lineage struct {
	Generator  string `json:"generator"`
	Seed       uint64 `json:"seed"`
	HoldOut    uint64 `json:"hold_out_seed"`
	Windows    int    `json:"windows"`
	Components int    `json:"components"`
}

// Thresholds records the healthy score distribution the thresholds came from.
type Thresholds struct {
	HealthyMax float64 `json:"healthy_max"`
	HealthyP99 float64 `json:"healthy_p99"`
}

// Generate fits the model on simulated healthy windows and returns the
// .tflite bytes and the JSON metadata.
func Generate(r Recipe) (model, meta []byte, err error) {
	train, err := healthyFeatures(r, r.Seed)
	if err != nil {
		return nil, nil, err
	}
	fit, err := pca.Fit(train, r.Components)
	if err != nil {
		return nil, nil, fmt.Errorf("demomodel: %w", err)
	}
	model, err = fit.Graph("axle demo pump anomaly model: PCA reconstruction error of window features")
	if err != nil {
		return nil, nil, err
	}
	hold, err := healthyFeatures(r, r.HoldOut)
	if err != nil {
		return nil, nil, err
	}
	scores := make([]float64, len(hold))
	for i, row := range hold {
		scores[i] = fit.Score(row)
	}
	slices.Sort(scores)
	p99 := scores[len(scores)*99/100]
	hmax := scores[len(scores)-1]
	m := Meta{
		Name: "pump-anomaly", Version: "1",
		Rate: r.Rate, Window: "1s", Channels: r.Channels, Features: r.Features,
		// The healthy maximum is the floor; the margins keep one noisy
		// window from alerting and let a developing fault warn first.
		Warn: round3(2 * hmax), Alarm: round3(4 * hmax),
		Lineage:    Lineage{Generator: "models/demomodel", Seed: r.Seed, HoldOut: r.HoldOut, Windows: r.Windows, Components: r.Components},
		Thresholds: Thresholds{HealthyMax: round3(hmax), HealthyP99: round3(p99)},
	}
	meta, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return model, append(meta, '\n'), nil
}

func round3(x float64) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// healthyFeatures simulates r.Windows healthy one-second windows and returns
// their feature vectors, computed exactly as the agent computes them.
func healthyFeatures(r Recipe, seed uint64) ([][]float64, error) {
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Rate, cfg.Realtime = seed, r.Rate, false
	cfg.Start = time.Unix(0, 0)
	m, err := sim.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("demomodel: %w", err)
	}
	defer m.Close()
	names := make([]string, 0, len(m.Channels()))
	for _, c := range m.Channels() {
		names = append(names, c.Name)
	}
	idx, err := preprocess.ChannelIndex(names, r.Channels)
	if err != nil {
		return nil, fmt.Errorf("demomodel: %w", err)
	}
	win := int(r.Rate)
	w, err := preprocess.New(preprocess.Spec{Channels: idx, Window: win, Hop: win, Features: r.Features})
	if err != nil {
		return nil, fmt.Errorf("demomodel: %w", err)
	}
	out := make([][]float64, 0, r.Windows)
	vec := make([]float32, w.Len())
	s := sensors.Sample{Values: make([]float64, len(names))}
	for len(out) < r.Windows {
		if err := m.Read(context.Background(), &s); err != nil {
			return nil, fmt.Errorf("demomodel: simulate: %w", err)
		}
		ready, err := w.Push(s.Time.UnixNano(), s.Values, s.Valid)
		if err != nil {
			return nil, fmt.Errorf("demomodel: %w", err)
		}
		if !ready {
			continue
		}
		if err := w.Compute(vec); err != nil {
			return nil, fmt.Errorf("demomodel: %w", err)
		}
		row := make([]float64, len(vec))
		for i, v := range vec {
			row[i] = float64(v)
		}
		out = append(out, row)
	}
	return out, nil
}
