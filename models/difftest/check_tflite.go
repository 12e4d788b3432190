//go:build tflite

package difftest

import (
	"context"
	"errors"
	"fmt"
)

// Outcome is the result of running one case through both runtimes.
type Outcome int

const (
	Agree    Outcome = iota // outputs agree within the case's tolerance
	Refused                 // TFLite refused the model: not a valid case
	Disagree                // outputs differ, or only the pure-Go side refused or failed
)

func (o Outcome) String() string {
	return [...]string{"agree", "refused", "disagree"}[o]
}

// Check runs c through TFLite and the pure-Go interpreter. It returns
// TFLite's outputs (nil when refused) and, for Disagree, what differed.
func Check(ctx context.Context, c *Case) (Outcome, []Tensor, error) {
	out, want, _, err := check(ctx, c)
	return out, want, err
}

// check is Check that also returns the pure-Go outputs.
func check(ctx context.Context, c *Case) (Outcome, []Tensor, []Tensor, error) {
	want, err := RunTFLite(c)
	if errors.Is(err, ErrRefused) {
		return Refused, nil, nil, err
	}
	if err != nil {
		return Disagree, nil, nil, err
	}
	got, err := RunGo(ctx, c)
	if err != nil {
		return Disagree, want, nil, fmt.Errorf("pure-Go failed where TFLite ran: %w", err)
	}
	if err := Compare(got, want, c.Tol); err != nil {
		return Disagree, want, got, err
	}
	return Agree, want, got, nil
}
