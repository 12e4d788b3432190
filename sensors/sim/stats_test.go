package sim

import (
	"math"
	"math/cmplx"
)

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func rms(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// kurtosis is the fourth standardized moment: 3 for Gaussian noise, far more
// for a signal made of impacts.
func kurtosis(x []float64) float64 {
	m := mean(x)
	var m2, m4 float64
	for _, v := range x {
		d := (v - m) * (v - m)
		m2 += d
		m4 += d * d
	}
	n := float64(len(x))
	return (m4 / n) / ((m2 / n) * (m2 / n))
}

// tone is the amplitude of the component of x at freq Hz (a single DFT bin,
// Hann-windowed so that neighbouring tones leak little).
func tone(x []float64, rate, freq float64) float64 {
	var acc complex128
	n := float64(len(x))
	for i, v := range x {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
		acc += complex(v*w, 0) * cmplx.Exp(complex(0, -2*math.Pi*freq*float64(i)/rate))
	}
	return 4 * cmplx.Abs(acc) / n
}

// bandPower sums squared tone amplitudes from lo to hi Hz in 10 Hz steps.
func bandPower(x []float64, rate, lo, hi float64) float64 {
	p := 0.0
	for f := lo; f <= hi; f += 10 {
		a := tone(x, rate, f)
		p += a * a
	}
	return p
}

// envelope is |x| after removing its mean: the demodulated impact train.
func envelope(x []float64) []float64 {
	m := mean(x)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Abs(v - m)
	}
	return out
}
