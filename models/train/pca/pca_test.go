package pca

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitFindsThePlane fits rows that lie on a 2-D plane in 5-D (plus tiny
// noise): points on the plane score near zero, points off it high, and the
// .tflite graph builds.
func TestFitFindsThePlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	u := []float64{1, 2, 0, -1, 0.5}
	v := []float64{0, 1, 1, 1, -2}
	point := func(a, b, off float64) []float64 {
		x := make([]float64, 5)
		for i := range x {
			x[i] = 10 + a*u[i] + b*v[i] + 1e-3*rng.NormFloat64()
		}
		x[2] += off
		return x
	}
	var rows [][]float64
	for range 200 {
		rows = append(rows, point(rng.NormFloat64(), rng.NormFloat64(), 0))
	}
	m, err := Fit(rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Score(point(0.5, -1, 0)); s > 1e-3 {
		t.Errorf("a point on the plane scores %g", s)
	}
	if s := m.Score(point(0.5, -1, 3)); s < 0.1 {
		t.Errorf("a point off the plane scores %g", s)
	}
	for _, b := range m.Basis {
		var n float64
		for _, x := range b {
			n += x * x
		}
		if math.Abs(n-1) > 1e-9 {
			t.Errorf("basis vector norm² %g", n)
		}
	}
	if _, err := m.Graph("test"); err != nil {
		t.Fatal(err)
	}
}

func TestFitRejectsBadRows(t *testing.T) {
	for name, tc := range map[string]struct {
		rows [][]float64
		k    int
	}{
		"one row":    {[][]float64{{1, 2}}, 1},
		"empty rows": {[][]float64{{}, {}}, 1},
		"ragged":     {[][]float64{{1, 2}, {1}}, 1},
		"too many k": {[][]float64{{1, 2}, {2, 3}}, 3},
		"zero k":     {[][]float64{{1, 2}, {2, 3}}, 0},
		"Inf":        {[][]float64{{1, 2}, {2, math.Inf(1)}}, 1},
	} {
		if _, err := Fit(tc.rows, tc.k); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
