package preprocess

import (
	"math"
	"testing"
)

// benchWindow measures Compute for one window of n samples on 3 channels.
func benchWindow(b *testing.B, n int, rate float64, feats ...string) {
	w, err := New(Spec{Channels: []int{0, 1, 2}, Window: n, Hop: n, Rate: rate, Features: feats})
	if err != nil {
		b.Fatal(err)
	}
	sample := make([]float64, 3)
	for i := range n {
		for c := range sample {
			sample[c] = math.Sin(float64(i*(c+1))*0.37) + 0.1*math.Cos(float64(i*i%977))
		}
		w.Push(int64(i), sample, true)
	}
	out := make([]float32, w.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := w.Compute(out); err != nil {
			b.Fatal(err)
		}
	}
}

// The demo pump: 1-s windows at 3200 Hz.
func BenchmarkComputeMoments3200(b *testing.B) {
	benchWindow(b, 3200, 3200, RMS, Peak, Kurtosis, CrestFactor)
}

func BenchmarkComputeBandEnergy4x3200(b *testing.B) {
	benchWindow(b, 3200, 3200, "band_energy(lo=10, hi=100)", "band_energy(lo=100, hi=400)",
		"band_energy(lo=400, hi=800)", "band_energy(lo=800, hi=1600)")
}

func BenchmarkComputeEnvelope4x3200(b *testing.B) {
	benchWindow(b, 3200, 3200, "envelope(lo=700, hi=1200, freq=88.4, tol=2, harmonics=3)",
		"envelope(lo=700, hi=1200, freq=133.4, tol=2)", "envelope(lo=700, hi=1200, freq=24.7, tol=1)",
		"envelope(lo=700, hi=1200, freq=10.2, tol=1)")
}

func BenchmarkComputeSpectralKurtosis3200(b *testing.B) {
	benchWindow(b, 3200, 3200, "spectral_kurtosis(lo=500, hi=1500, nperseg=128)")
}

// An IMS-sized window: 20,480 samples at 20.48 kHz, every feature kind.
func BenchmarkComputeAll20480(b *testing.B) {
	benchWindow(b, 20480, 20480, RMS, CrestFactor, "band_energy(lo=3000, hi=5000)",
		"envelope(lo=3000, hi=5000, freq=236.4, tol=3, harmonics=2)", "spectral_kurtosis(lo=3000, hi=5000, nperseg=256)")
}
