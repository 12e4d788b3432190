package demomodel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/tflite/ops"
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
	n := len(train[0])
	mean, std := columnStats(train)
	z := make([][]float64, len(train))
	for i, row := range train {
		z[i] = make([]float64, n)
		for j := range row {
			z[i][j] = (row[j] - mean[j]) / std[j]
		}
	}
	basis := principalComponents(covariance(z), r.Components)

	model, err = buildGraph(mean, std, basis)
	if err != nil {
		return nil, nil, err
	}
	hold, err := healthyFeatures(r, r.HoldOut)
	if err != nil {
		return nil, nil, err
	}
	scores := make([]float64, len(hold))
	for i, row := range hold {
		scores[i] = Score(row, mean, std, basis)
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

func columnStats(rows [][]float64) (mean, std []float64) {
	n := len(rows[0])
	mean, std = make([]float64, n), make([]float64, n)
	for _, r := range rows {
		for j, v := range r {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(rows))
	}
	for _, r := range rows {
		for j, v := range r {
			d := v - mean[j]
			std[j] += d * d
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(len(rows)-1))
		if std[j] < 1e-9 {
			std[j] = 1 // a constant feature carries no information; keep it finite
		}
	}
	return mean, std
}

func covariance(z [][]float64) [][]float64 {
	n := len(z[0])
	c := make([][]float64, n)
	for i := range c {
		c[i] = make([]float64, n)
	}
	for _, r := range z {
		for i := range n {
			for j := range n {
				c[i][j] += r[i] * r[j]
			}
		}
	}
	for i := range c {
		for j := range c[i] {
			c[i][j] /= float64(len(z) - 1)
		}
	}
	return c
}

// principalComponents returns the k eigenvectors of the symmetric matrix a
// with the largest eigenvalues (cyclic Jacobi rotations), each with its
// largest-magnitude element made positive so the result is canonical.
func principalComponents(a [][]float64, k int) [][]float64 {
	n := len(a)
	m := make([][]float64, n)
	v := make([][]float64, n)
	for i := range n {
		m[i] = slices.Clone(a[i])
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := range n {
			for j := i + 1; j < n; j++ {
				off += m[i][j] * m[i][j]
			}
		}
		if off < 1e-22 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				if math.Abs(m[p][q]) < 1e-300 {
					continue
				}
				theta := (m[q][q] - m[p][p]) / (2 * m[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for r := range n {
					mrp, mrq := m[r][p], m[r][q]
					m[r][p], m[r][q] = c*mrp-s*mrq, s*mrp+c*mrq
				}
				for r := range n {
					mpr, mqr := m[p][r], m[q][r]
					m[p][r], m[q][r] = c*mpr-s*mqr, s*mpr+c*mqr
				}
				for r := range n {
					vrp, vrq := v[r][p], v[r][q]
					v[r][p], v[r][q] = c*vrp-s*vrq, s*vrp+c*vrq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case m[x][x] > m[y][y]:
			return -1
		case m[x][x] < m[y][y]:
			return 1
		}
		return 0
	})
	basis := make([][]float64, k)
	for c := range k {
		col := order[c]
		vec := make([]float64, n)
		big := 0
		for r := range n {
			vec[r] = v[r][col]
			if math.Abs(vec[r]) > math.Abs(vec[big]) {
				big = r
			}
		}
		if vec[big] < 0 {
			for r := range vec {
				vec[r] = -vec[r]
			}
		}
		basis[c] = vec
	}
	return basis
}

// Score is the model's computation in float64: the mean squared residual
// of the normalised features after projecting onto the principal subspace.
func Score(x, mean, std []float64, basis [][]float64) float64 {
	n := len(x)
	z := make([]float64, n)
	for i := range x {
		z[i] = (x[i] - mean[i]) / std[i]
	}
	rec := make([]float64, n)
	for _, b := range basis {
		h := 0.0
		for i := range z {
			h += b[i] * z[i]
		}
		for i := range rec {
			rec[i] += b[i] * h
		}
	}
	s := 0.0
	for i := range z {
		d := z[i] - rec[i]
		s += d * d
	}
	return s / float64(n)
}

// buildGraph writes the float32 TFLite graph:
//
//	features ─SUB mean─MUL 1/std─► z ─FC enc─► h ─FC dec─► r
//	z ─SUB r─► e ─MUL e─► e² ─MEAN axis 1─► anomaly_score
func buildGraph(mean, std []float64, basis [][]float64) ([]byte, error) {
	n, k := len(mean), len(basis)
	f32 := func(x []float64) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = float32(v)
		}
		return out
	}
	inv := make([]float64, n)
	for i, s := range std {
		inv[i] = 1 / s
	}
	enc := make([]float32, 0, k*n) // [k, n]
	for _, b := range basis {
		enc = append(enc, f32(b)...)
	}
	dec := make([]float32, 0, n*k) // [n, k]
	for i := range n {
		for c := range k {
			dec = append(dec, float32(basis[c][i]))
		}
	}
	b := build.New()
	b.SetDescription("axle demo pump anomaly model: PCA reconstruction error of window features")
	g := b.Subgraph
	in := g.Input("features", models.Float32, []int{1, n}, nil)
	cMean := g.Const("feature_mean", models.Float32, []int{n}, f32(mean), nil)
	cInv := g.Const("feature_inv_std", models.Float32, []int{n}, f32(inv), nil)
	wEnc := g.Const("encoder", models.Float32, []int{k, n}, enc, nil)
	wDec := g.Const("decoder", models.Float32, []int{n, k}, dec, nil)
	axes := g.Const("mean_axes", models.Int32, []int{1}, []int32{1}, nil)
	centred := g.Tensor("centred", models.Float32, []int{1, n}, nil)
	z := g.Tensor("normalised", models.Float32, []int{1, n}, nil)
	h := g.Tensor("code", models.Float32, []int{1, k}, nil)
	r := g.Tensor("reconstruction", models.Float32, []int{1, n}, nil)
	e := g.Tensor("residual", models.Float32, []int{1, n}, nil)
	e2 := g.Tensor("residual_sq", models.Float32, []int{1, n}, nil)
	score := g.Tensor("anomaly_score", models.Float32, []int{1}, nil)
	g.Op(ops.OpSub, 1, []int{in, cMean}, []int{centred}, build.Options{Type: build.OptSub})
	g.Op(ops.OpMul, 1, []int{centred, cInv}, []int{z}, build.Options{Type: build.OptMul})
	g.Op(ops.OpFullyConnected, 1, []int{z, wEnc, -1}, []int{h}, build.Options{Type: build.OptFullyConnected})
	g.Op(ops.OpFullyConnected, 1, []int{h, wDec, -1}, []int{r}, build.Options{Type: build.OptFullyConnected})
	g.Op(ops.OpSub, 1, []int{z, r}, []int{e}, build.Options{Type: build.OptSub})
	g.Op(ops.OpMul, 1, []int{e, e}, []int{e2}, build.Options{Type: build.OptMul})
	g.Op(ops.OpMean, 1, []int{e2, axes}, []int{score}, build.Options{Type: build.OptReducer})
	g.Output(score)
	return b.Bytes()
}
