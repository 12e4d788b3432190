package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// referenceAUC counts, over every (positive, negative) pair, a win as 1 and
// a tie as 1/2: the definition of ROC AUC, in O(n²).
func referenceAUC(scores []float64, positive []bool) float64 {
	var wins float64
	var pairs int
	for i := range scores {
		for j := range scores {
			if !positive[i] || positive[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				wins++
			case scores[i] == scores[j]:
				wins += 0.5
			}
		}
	}
	return wins / float64(pairs)
}

func TestEvaluateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 2 + rng.IntN(200)
		scores := make([]float64, n)
		positive := make([]bool, n)
		for i := range scores {
			positive[i] = rng.IntN(3) == 0
			mu := 0.0
			if positive[i] {
				mu = 1
			}
			// Rounding makes many ties, within and across the classes.
			scores[i] = math.Round((mu+rng.NormFloat64())*4) / 4
		}
		positive[0], positive[1] = true, false
		threshold := math.Round(rng.NormFloat64()*4) / 4
		m, err := Evaluate(scores, positive, threshold)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceAUC(scores, positive); math.Abs(m.AUC-want) > 1e-12 {
			t.Fatalf("trial %d: AUC %v, reference %v", trial, m.AUC, want)
		}
		var tp, fp, fn int
		for i, s := range scores {
			if s >= threshold && positive[i] {
				tp++
			} else if s >= threshold {
				fp++
			} else if positive[i] {
				fn++
			}
		}
		if m.TP != tp || m.FP != fp || m.FN != fn || m.TP+m.FP+m.TN+m.FN != n {
			t.Fatalf("trial %d: confusion %+v, want tp %d fp %d fn %d of %d", trial, m, tp, fp, fn, n)
		}
		var p, r, f1 float64
		if tp+fp > 0 {
			p = float64(tp) / float64(tp+fp)
		}
		r = float64(tp) / float64(tp+fn)
		if p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		if math.Abs(m.Precision-p) > 1e-12 || math.Abs(m.Recall-r) > 1e-12 || math.Abs(m.F1-f1) > 1e-12 {
			t.Fatalf("trial %d: precision %v recall %v F1 %v, want %v %v %v", trial, m.Precision, m.Recall, m.F1, p, r, f1)
		}
	}
}

func TestEvaluateKnownValues(t *testing.T) {
	// Positives 3, 2; negatives 2, 1: pairs (3,2)=1 (3,1)=1 (2,2)=½ (2,1)=1.
	m, err := Evaluate([]float64{3, 2, 2, 1}, []bool{true, true, false, false}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.AUC != 3.5/4 || m.TP != 2 || m.FP != 1 || m.TN != 1 || m.FN != 0 || m.Recall != 1 || m.Precision != 2.0/3 {
		t.Fatalf("got %+v", m)
	}
}

func TestEvaluateRejectsBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		scores   []float64
		positive []bool
	}{
		"length":    {[]float64{1, 2}, []bool{true}},
		"one class": {[]float64{1, 2}, []bool{true, true}},
		"NaN":       {[]float64{1, math.NaN()}, []bool{true, false}},
		"empty":     {nil, nil},
	} {
		if _, err := Evaluate(tc.scores, tc.positive, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestThresholdOnExponentialScores checks both branches of Threshold on
// samples of Exp(1), whose 1-far quantile is ln(1/far).
func TestThresholdOnExponentialScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sample := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.ExpFloat64()
		}
		slices.Sort(s)
		return s
	}
	// Empirical: 2000 scores, 20 expected beyond the 0.01 level.
	s := sample(2000)
	if got := Threshold(s, 0.01); got != Quantile(s, 0.99) || math.Abs(got-math.Log(100)) > 0.5 {
		t.Errorf("Threshold(2000 scores, 0.01) = %g, want the empirical quantile near %g", got, math.Log(100))
	}
	// Extrapolated: 100 scores cannot show the 0.001 level; over many
	// draws the tail fit must centre on it.
	const trials = 300
	var sum float64
	for range trials {
		sum += Threshold(sample(100), 0.001)
	}
	if mean, want := sum/trials, math.Log(1000); math.Abs(mean-want) > 0.05*want {
		t.Errorf("mean Threshold(100 scores, 0.001) = %g, want %g ± 5%%", mean, want)
	}
}
