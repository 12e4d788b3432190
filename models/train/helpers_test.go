package train

import (
	"bytes"
	"context"
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

// selfTest copies raw input tensor bytes into the model and returns its
// score, as the agent checks a bundle's test vectors.
func selfTest(t *testing.T, model, input []byte) float64 {
	t.Helper()
	m, err := tflite.Load(model, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(input) != len(m.Input(0)) {
		t.Fatalf("test vector has %d bytes, the model input %d", len(input), len(m.Input(0)))
	}
	copy(m.Input(0), input)
	if err := m.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	return float64(models.Float32s(m.Output(0))[0])
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}
