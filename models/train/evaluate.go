package train

import (
	"fmt"
	"math"
	"slices"
)

// Metrics are a score model's quality on labelled windows. Positive means
// anomalous (not healthy); a window is predicted positive when its score is
// at or above Threshold, as the agent raises an alarm.
type Metrics struct {
	Threshold      float64
	TP, FP, TN, FN int
	// Precision is 0 when nothing is predicted positive, Recall 0 when
	// nothing is positive, F1 0 when both are 0 (no division by zero).
	Precision, Recall, F1 float64
	// AUC is the ROC AUC: the probability that a random positive window
	// scores above a random negative one, ties counting one half.
	AUC float64
}

// Evaluate computes Metrics for scores with labels positive (same length,
// both classes present, scores not NaN).
func Evaluate(scores []float64, positive []bool, threshold float64) (Metrics, error) {
	auc, err := ROCAUC(scores, positive)
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{Threshold: threshold, AUC: auc}
	for i, s := range scores {
		switch hit := s >= threshold; {
		case hit && positive[i]:
			m.TP++
		case hit:
			m.FP++
		case positive[i]:
			m.FN++
		default:
			m.TN++
		}
	}
	if m.TP+m.FP > 0 {
		m.Precision = float64(m.TP) / float64(m.TP+m.FP)
	}
	if m.TP+m.FN > 0 {
		m.Recall = float64(m.TP) / float64(m.TP+m.FN)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m, nil
}

// ROCAUC is the area under the ROC curve by ranks (the Mann-Whitney U
// statistic over n⁺·n⁻), with tied scores given their average rank.
func ROCAUC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("train: evaluate: %d scores for %d labels", len(scores), len(positive))
	}
	var pos, neg int
	for i, s := range scores {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("train: evaluate: score %d is NaN", i)
		}
		if positive[i] {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("train: evaluate: %d positive and %d negative windows, need both", pos, neg)
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmpFloat(scores[a], scores[b]) })
	var rankSum float64 // sum of the 1-based ranks of the positives
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1..j
		for _, k := range order[i:j] {
			if positive[k] {
				rankSum += avg
			}
		}
		i = j
	}
	u := rankSum - float64(pos)*float64(pos+1)/2
	return u / (float64(pos) * float64(neg)), nil
}
