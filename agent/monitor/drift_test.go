package monitor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refBin assigns a bin by a linear scan: the first edge the value does not
// exceed.
func refBin(edges []float64, v float64) int {
	for i, e := range edges {
		if v <= e {
			return i
		}
	}
	return len(edges)
}

// refPSI and refKS compute the statistics from raw values the long way.
func refPSI(b Baseline, values []float64) float64 {
	var n float64
	counts := make([]float64, b.Bins())
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		counts[refBin(b.Edges, v)]++
		n++
	}
	var psi float64
	for i := range counts {
		q := counts[i] / n
		p := b.Probs[i]
		if q < PSIEpsilon {
			q = PSIEpsilon
		}
		if p < PSIEpsilon {
			p = PSIEpsilon
		}
		psi += (q - p) * math.Log(q/p)
	}
	return psi
}

func refKS(b Baseline, values []float64) float64 {
	var finite []float64
	for _, v := range values {
		if !math.IsNaN(v) {
			finite = append(finite, v)
		}
	}
	var ks, cp float64
	for i := range b.Probs {
		cp += b.Probs[i]
		var below float64 // observed share up to the bin's upper edge
		for _, v := range finite {
			if i == len(b.Edges) || v <= b.Edges[i] {
				below++
			}
		}
		ks = math.Max(ks, math.Abs(below/float64(len(finite))-cp))
	}
	return ks
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

var quartiles = Baseline{Edges: []float64{-1, 0, 1}, Probs: []float64{0.25, 0.25, 0.25, 0.25}}

func TestBaselineValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Baseline
		want string // substring of the error; "" = valid
	}{
		{"ok", quartiles, ""},
		{"one bin", Baseline{Probs: []float64{1}}, `"probs": 1 bins`},
		{"edge count", Baseline{Edges: []float64{0, 1}, Probs: []float64{0.5, 0.5}}, `"edges": 2 edges for 2 bins`},
		{"edges not increasing", Baseline{Edges: []float64{0, 0}, Probs: []float64{0.3, 0.3, 0.4}}, `"edges[1]": 0 not above`},
		{"edge NaN", Baseline{Edges: []float64{math.NaN()}, Probs: []float64{0.5, 0.5}}, `"edges[0]": NaN`},
		{"edge Inf", Baseline{Edges: []float64{math.Inf(1)}, Probs: []float64{0.5, 0.5}}, `"edges[0]": +Inf`},
		{"negative prob", Baseline{Edges: []float64{0}, Probs: []float64{-0.1, 1.1}}, `"probs[0]"`},
		{"NaN prob", Baseline{Edges: []float64{0}, Probs: []float64{math.NaN(), 1}}, `"probs[0]"`},
		{"sum", Baseline{Edges: []float64{0}, Probs: []float64{0.5, 0.4}}, `"probs": sum 0.9`},
		{"too many bins", Baseline{Edges: make([]float64, MaxBins), Probs: make([]float64, MaxBins+1)}, `at most 1024`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBin(t *testing.T) {
	for _, v := range []float64{math.Inf(-1), -5, -1, -0.5, 0, 0.5, 1, 1.0000001, math.Inf(1)} {
		if got, want := quartiles.Bin(v), refBin(quartiles.Edges, v); got != want {
			t.Errorf("Bin(%v) = %d, want %d", v, got, want)
		}
	}
}

func TestPSIAndKSAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		values func() []float64
	}{
		{"same distribution", func() []float64 {
			v := make([]float64, 4000)
			for i := range v {
				v[i] = r.NormFloat64()
			}
			return v
		}},
		{"shifted", func() []float64 {
			v := make([]float64, 4000)
			for i := range v {
				v[i] = r.NormFloat64() + 1.5
			}
			return v
		}},
		{"all in one bin", func() []float64 { return []float64{0.5, 0.5, 0.7, 0.9} }},
		{"with NaN and Inf", func() []float64 { return []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.NaN()} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := tc.values()
			s, err := NewSliding(quartiles, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				s.Add(v)
			}
			psi, ok := s.PSI()
			if !ok || !near(psi, refPSI(quartiles, vals)) {
				t.Errorf("PSI = %v (ok %v), reference %v", psi, ok, refPSI(quartiles, vals))
			}
			ks, ok := s.KS()
			if !ok || !near(ks, refKS(quartiles, vals)) {
				t.Errorf("KS = %v (ok %v), reference %v", ks, ok, refKS(quartiles, vals))
			}
		})
	}
}

func TestPSIFigures(t *testing.T) {
	// Everything in one of four 25 % bins: three empty bins at the epsilon
	// floor and one at share 1.
	psi, ok, err := PSI(quartiles.Probs, []uint64{0, 0, 10, 0})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := 3*(PSIEpsilon-0.25)*math.Log(PSIEpsilon/0.25) + (1-0.25)*math.Log(1/0.25)
	if !near(psi, want) || math.IsInf(psi, 0) {
		t.Errorf("PSI = %v, want %v", psi, want)
	}
	ks, _, _ := KS(quartiles.Probs, []uint64{0, 0, 10, 0})
	if !near(ks, 0.5) { // cumulative 0 vs 0.5 after the second bin
		t.Errorf("KS = %v, want 0.5", ks)
	}
	if psi, ok, err := PSI(quartiles.Probs, []uint64{1, 1, 1, 1}); err != nil || !ok || psi != 0 {
		t.Errorf("identical distribution: PSI %v ok %v err %v, want 0", psi, ok, err)
	}
	if _, ok, err := PSI(quartiles.Probs, make([]uint64, 4)); ok || err != nil {
		t.Errorf("no observations: ok %v err %v, want not ok and no error", ok, err)
	}
	if _, ok, err := KS(quartiles.Probs, make([]uint64, 4)); ok || err != nil {
		t.Errorf("KS no observations: ok %v err %v", ok, err)
	}
	if _, _, err := PSI(quartiles.Probs, make([]uint64, 3)); err == nil || !strings.Contains(err.Error(), "3 counts for 4") {
		t.Errorf("length mismatch: %v", err)
	}
	if _, _, err := KS(quartiles.Probs, make([]uint64, 5)); err == nil {
		t.Error("KS length mismatch accepted")
	}
}

func TestSlidingHorizon(t *testing.T) {
	const intervals = 3
	s, err := NewSliding(quartiles, intervals)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.PSI(); ok {
		t.Fatal("empty horizon reports a PSI")
	}
	r := rand.New(rand.NewPCG(3, 4))
	var history [][]float64 // values per interval, the last is current
	for step := range 10 {
		var cur []float64
		for range 50 + step*7 {
			v := r.NormFloat64() * float64(1+step%3)
			if r.IntN(20) == 0 {
				v = math.NaN()
			}
			s.Add(v)
			cur = append(cur, v)
		}
		history = append(history, cur)
		// Reference: the last `intervals` intervals' values, binned by scan.
		var window []float64
		for _, iv := range history[max(0, len(history)-intervals):] {
			window = append(window, iv...)
		}
		want := make([]uint64, quartiles.Bins())
		var nan uint64
		for _, v := range window {
			if math.IsNaN(v) {
				nan++
				continue
			}
			want[refBin(quartiles.Edges, v)]++
		}
		for i, c := range s.Counts() {
			if c != want[i] {
				t.Fatalf("step %d: counts %v, want %v", step, s.Counts(), want)
			}
		}
		if s.NaN() != nan {
			t.Fatalf("step %d: NaN %d, want %d", step, s.NaN(), nan)
		}
		if psi, _ := s.PSI(); !near(psi, refPSI(quartiles, window)) {
			t.Fatalf("step %d: PSI %v, want %v", step, psi, refPSI(quartiles, window))
		}
		s.Rotate()
	}
	// Rotating through the whole horizon with no input empties it.
	for range intervals {
		s.Rotate()
	}
	if s.Count() != 0 || s.NaN() != 0 {
		t.Errorf("after a full horizon without input: count %d NaN %d", s.Count(), s.NaN())
	}
}

func TestSlidingOnlyNaN(t *testing.T) {
	s, err := NewSliding(quartiles, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(math.NaN())
	s.Add(math.NaN())
	if s.Count() != 0 || s.NaN() != 2 {
		t.Fatalf("count %d NaN %d, want 0 and 2", s.Count(), s.NaN())
	}
	if _, ok := s.KS(); ok {
		t.Error("KS ok with only NaN observed")
	}
}

func TestNewSlidingErrors(t *testing.T) {
	if _, err := NewSliding(Baseline{}, 3); err == nil || !strings.Contains(err.Error(), `"probs"`) {
		t.Errorf("invalid baseline: %v", err)
	}
	if _, err := NewSliding(quartiles, 0); err == nil || !strings.Contains(err.Error(), "0 intervals") {
		t.Errorf("zero intervals: %v", err)
	}
}

func TestBaselineFromSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := make([]float64, 10000)
	for i := range vals {
		vals[i] = r.Float64()
	}
	b, err := BaselineFromSamples(vals, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Bins() != 10 {
		t.Fatalf("%d bins, want 10", b.Bins())
	}
	for i, p := range b.Probs {
		if math.Abs(p-0.1) > 1e-3 {
			t.Errorf("bin %d probability %v, want 0.1", i, p)
		}
	}
	// The baseline's own samples have no drift.
	s, _ := NewSliding(b, 1)
	for _, v := range vals {
		s.Add(v)
	}
	if psi, _ := s.PSI(); psi != 0 {
		t.Errorf("PSI of the training samples = %v, want 0", psi)
	}

	// Heavy ties: quantiles merge, and every bin keeps some mass.
	tied := []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, math.NaN()}
	b, err = BaselineFromSamples(tied, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, p := range b.Probs {
		if p == 0 {
			t.Errorf("tied samples: bin %d empty in %+v", i, b)
		}
	}
	if b.Probs[0] != 0.8 {
		t.Errorf("tied samples: first bin %v, want 0.8 (8 of 10 non-NaN)", b.Probs[0])
	}
	// All at the maximum but one.
	b, err = BaselineFromSamples([]float64{0, 5, 5, 5, 5}, 4)
	if err != nil || len(b.Edges) != 1 || b.Edges[0] != 0 {
		t.Errorf("one low value: %+v, %v; want a single edge at 0", b, err)
	}

	for _, tc := range []struct {
		vals []float64
		bins int
		want string
	}{
		{[]float64{1, 2}, 1, "1 bins"},
		{nil, 4, "two distinct"},
		{[]float64{3, 3, math.NaN()}, 4, "two distinct"},
		{[]float64{math.Inf(-1), 7, 7}, 2, "finite"},
	} {
		if _, err := BaselineFromSamples(tc.vals, tc.bins); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("BaselineFromSamples(%v, %d): %v, want an error containing %q", tc.vals, tc.bins, err, tc.want)
		}
	}
}

func TestDriftDetectorHysteresis(t *testing.T) {
	d, err := NewDriftDetector(0.25, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		v    float64
		want Transition
	}{
		{0.05, NoChange},
		{0.249, NoChange},
		{0.25, Raised}, // raise is inclusive
		{0.3, NoChange},
		{0.15, NoChange}, // between clear and raise: stays raised
		{0.26, NoChange},
		{math.NaN(), NoChange},
		{0.1, NoChange}, // clear is exclusive
		{0.0999, Cleared},
		{0.2, NoChange},
		{0.5, Raised},
	}
	for i, s := range steps {
		if got := d.Update(s.v); got != s.want {
			t.Fatalf("step %d Update(%v) = %v, want %v", i, s.v, got, s.want)
		}
	}
	if !d.Active() || d.Last() != 0.5 {
		t.Errorf("active %v last %v", d.Active(), d.Last())
	}
	for _, c := range []struct{ raise, clear float64 }{{0, 0}, {0.2, 0.3}, {math.NaN(), 0}, {0.2, -1}, {math.Inf(1), 0}} {
		if _, err := NewDriftDetector(c.raise, c.clear); err == nil {
			t.Errorf("NewDriftDetector(%v, %v) accepted", c.raise, c.clear)
		}
	}
}

func BenchmarkSlidingAdd(b *testing.B) {
	base, err := BaselineFromSamples([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 20)
	if err != nil {
		b.Fatal(err)
	}
	s, _ := NewSliding(base, 60)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(float64(i % 23))
	}
}

// FuzzBaseline feeds arbitrary edges, probabilities and values: Validate
// must either refuse the baseline or accept one whose statistics stay
// finite and in range.
func FuzzBaseline(f *testing.F) {
	f.Add(-1.0, 1.0, 0.3, 0.3, 0.5, math.NaN())
	f.Add(0.0, 0.0, 0.5, 0.5, 0.0, 1.0)
	f.Add(math.Inf(-1), 3.0, 0.0, 1.0, math.Inf(1), -2.0)
	f.Fuzz(func(t *testing.T, e0, e1, p0, p1, v0, v1 float64) {
		b := Baseline{Edges: []float64{e0, e1}, Probs: []float64{p0, p1, 1 - p0 - p1}}
		if b.Validate() != nil {
			return
		}
		s, err := NewSliding(b, 2)
		if err != nil {
			t.Fatalf("validated baseline refused: %v", err)
		}
		s.Add(v0)
		s.Rotate()
		s.Add(v1)
		if psi, ok := s.PSI(); ok && (math.IsNaN(psi) || math.IsInf(psi, 0) || psi < 0) {
			t.Fatalf("PSI %v for %+v", psi, b)
		}
		if ks, ok := s.KS(); ok && (math.IsNaN(ks) || ks < 0 || ks > 1+1e-9) {
			t.Fatalf("KS %v for %+v", ks, b)
		}
	})
}
