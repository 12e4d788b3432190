package train

import (
	"bytes"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/tflite"
)

// packed packs res and opens the bytes again as the agent would.
func packed(t *testing.T, res *Result) *bundle.Bundle {
	t.Helper()
	var buf bytes.Buffer
	if err := res.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r *Result) modelInput(t *testing.T) models.TensorInfo {
	t.Helper()
	m, err := tflite.Load(r.Model, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	return m.Inputs()[0]
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}
