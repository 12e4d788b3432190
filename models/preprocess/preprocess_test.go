package preprocess

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestFeaturesAgainstDirectFormulas(t *testing.T) {
	w, err := New(Spec{Channels: []int{1}, Window: 4, Hop: 4, Features: Names})
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{1, 2, 3, 10}
	var ready bool
	for i, x := range xs {
		ready, err = w.Push(int64(i), []float64{99, x}, true)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !ready {
		t.Fatal("window of 4 not ready after 4 samples")
	}
	out := make([]float32, w.Len())
	if err := w.Compute(out); err != nil {
		t.Fatal(err)
	}
	mean := 4.0
	var m2, m3, m4, ss float64
	for _, x := range xs {
		d := x - mean
		m2 += d * d / 4
		m3 += d * d * d / 4
		m4 += d * d * d * d / 4
		ss += x * x
	}
	want := map[string]float64{
		Mean: mean, Std: math.Sqrt(m2), RMS: math.Sqrt(ss / 4), Peak: 6, P2P: 9,
		Crest: 6 / math.Sqrt(m2), CrestFactor: 10 / math.Sqrt(ss/4), Kurtosis: m4 / (m2 * m2), Skewness: m3 / math.Pow(m2, 1.5), Min: 1, Max: 10,
	}
	for i, name := range Names {
		if !near(float64(out[i]), want[name], 1e-5*math.Max(1, math.Abs(want[name]))) {
			t.Errorf("%s = %g, want %g", name, out[i], want[name])
		}
	}
	if s, e := w.Span(); s != 0 || e != 3 {
		t.Errorf("span = %d..%d, want 0..3", s, e)
	}
}

func TestHopAndInvalidSamples(t *testing.T) {
	w, err := New(Spec{Channels: []int{0}, Window: 4, Hop: 2})
	if err != nil {
		t.Fatal(err)
	}
	var readyAt []int
	for i := range 10 {
		valid := i != 5
		ready, err := w.Push(int64(i), []float64{float64(i)}, valid)
		if err != nil {
			t.Fatal(err)
		}
		if ready {
			readyAt = append(readyAt, i)
		}
	}
	// Windows end at 3 and (after the invalid sample 5 empties it) at 9.
	if len(readyAt) != 2 || readyAt[0] != 3 || readyAt[1] != 9 {
		t.Fatalf("windows ready at %v, want [3 9]", readyAt)
	}
	if w.Discarded != 1 {
		t.Errorf("discarded = %d, want 1", w.Discarded)
	}
	raw := make([]float32, 4)
	if err := w.Compute(raw); err != nil {
		t.Fatal(err)
	}
	for i, v := range raw {
		if v != float32(6+i) {
			t.Fatalf("raw window = %v, want 6..9 oldest first", raw)
		}
	}
}

func TestNormalizeFillRead(t *testing.T) {
	w, err := New(Spec{Channels: []int{0}, Window: 2, Hop: 2, Features: []string{Mean, Max}, Mean: []float64{1, 1}, Std: []float64{2, 4}})
	if err != nil {
		t.Fatal(err)
	}
	w.Push(0, []float64{3}, true)
	w.Push(1, []float64{5}, true)
	v := make([]float32, 2)
	if err := w.Compute(v); err != nil {
		t.Fatal(err)
	}
	if v[0] != 1.5 || v[1] != 1 {
		t.Fatalf("normalised = %v, want [1.5 1]", v)
	}
	info := models.TensorInfo{Name: "in", DType: models.Int8, Shape: []int{1, 2}, Bytes: 2, Quant: &models.Quant{Scale: []float32{0.01}, ZeroPoint: []int64{-3}}}
	buf := make([]byte, 2)
	if err := Fill(buf, v, info); err != nil {
		t.Fatal(err)
	}
	if int8(buf[0]) != 127 || int8(buf[1]) != 97 {
		t.Fatalf("quantised = %d %d, want 127 (saturated) 97", int8(buf[0]), int8(buf[1]))
	}
	got, err := Read(nil, buf, info)
	if err != nil || !near(got[1], 1.0, 1e-6) {
		t.Fatalf("dequantised = %v, %v", got, err)
	}
	if err := Fill(buf, []float32{1, 2, 3}, info); err == nil {
		t.Fatal("Fill accepted 3 values for a 2-element input")
	}
}

func TestSpecErrors(t *testing.T) {
	for _, s := range []Spec{
		{Window: 4, Hop: 1},
		{Channels: []int{0}, Window: 0, Hop: 1},
		{Channels: []int{0}, Window: 4, Hop: 5},
		{Channels: []int{0}, Window: 4, Hop: 4, Features: []string{"fft"}},
		{Channels: []int{0}, Window: 4, Hop: 4, Features: []string{Mean}, Mean: []float64{0}, Std: []float64{0}},
	} {
		if _, err := New(s); err == nil {
			t.Errorf("New(%+v) accepted an invalid spec", s)
		}
	}
	w, _ := New(Spec{Channels: []int{3}, Window: 2, Hop: 1})
	if _, err := w.Push(0, []float64{1}, true); err == nil {
		t.Error("Push accepted a sample without channel 3")
	}
}

func TestPushComputeDoesNotAllocate(t *testing.T) {
	w, _ := New(Spec{Channels: []int{0, 1, 2}, Window: 1000, Hop: 1000, Features: []string{RMS, Kurtosis, Peak}})
	sample := []float64{1, 2, 3}
	out := make([]float32, w.Len())
	allocs := testing.AllocsPerRun(10, func() {
		for i := range 1000 {
			w.Push(int64(i), sample, true)
		}
		w.Compute(out)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per window, want 0", allocs)
	}
}
