// Package pca is the fit of the project's baseline anomaly model, shared by
// the demo model (models/demomodel) and retraining (models/train):
//
//	healthy feature rows ─► mean, std ─► z ─► covariance ─► top-k eigenvectors
//	score(x) = mean((z - B'Bz)²)    the reconstruction error of z = (x-mean)/std
//
// Anything the healthy machine never did lies off the principal subspace and
// scores high. Graph writes the same computation as a float32 .tflite graph.
package pca

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Model is a fitted PCA: per-feature mean and standard deviation and the
// principal components (each of len(Mean) values) of the normalised rows.
type Model struct {
	Mean, Std []float64
	Basis     [][]float64
}

// Fit fits components principal components to rows (one feature vector per
// row, all of the same length). Rows must be finite; at least two are needed.
func Fit(rows [][]float64, components int) (*Model, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("pca: %d rows, need at least 2", len(rows))
	}
	n := len(rows[0])
	if n == 0 {
		return nil, errors.New("pca: rows have no features")
	}
	if components < 1 || components > n {
		return nil, fmt.Errorf("pca: %d components for %d features, want 1..%d", components, n, n)
	}
	for i, r := range rows {
		if len(r) != n {
			return nil, fmt.Errorf("pca: row %d has %d features, row 0 has %d", i, len(r), n)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("pca: row %d feature %d: %v is not finite", i, j, v)
			}
		}
	}
	mean, std := columnStats(rows)
	z := make([][]float64, len(rows))
	for i, row := range rows {
		z[i] = make([]float64, n)
		for j := range row {
			z[i][j] = (row[j] - mean[j]) / std[j]
		}
	}
	return &Model{Mean: mean, Std: std, Basis: principalComponents(covariance(z), components)}, nil
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
func (p *Model) Score(x []float64) float64 {
	n := len(x)
	z := make([]float64, n)
	for i := range x {
		z[i] = (x[i] - p.Mean[i]) / p.Std[i]
	}
	rec := make([]float64, n)
	for _, b := range p.Basis {
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

// Graph writes the float32 TFLite graph with the given description; its one
// input is "features" [1, n] float32, its one output "anomaly_score" [1]:
//
//	features ─SUB mean─MUL 1/std─► z ─FC enc─► h ─FC dec─► r
//	z ─SUB r─► e ─MUL e─► e² ─MEAN axis 1─► anomaly_score
func (p *Model) Graph(description string) ([]byte, error) {
	mean, std, basis := p.Mean, p.Std, p.Basis
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
	b.SetDescription(description)
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
	b2, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("pca: build graph: %w", err)
	}
	return b2, nil
}
