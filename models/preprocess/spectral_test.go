package preprocess

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"
)

// The references below follow the definitions in spectral.go literally,
// in float64 with a naive O(m²) DFT, sharing no code with the package.

// dft is the naive DFT of x (sign -1) or its unscaled inverse (sign +1).
func dft(x []complex128, sign float64) []complex128 {
	m := len(x)
	cos, sin := make([]float64, m), make([]float64, m)
	for i := range m {
		cos[i] = math.Cos(2 * math.Pi * float64(i) / float64(m))
		sin[i] = sign * math.Sin(2*math.Pi*float64(i)/float64(m))
	}
	out := make([]complex128, m)
	for k := range m {
		var re, im float64
		for n, v := range x {
			j := (k * n) % m
			re += real(v)*cos[j] - imag(v)*sin[j]
			im += real(v)*sin[j] + imag(v)*cos[j]
		}
		out[k] = complex(re, im)
	}
	return out
}

func pow2(n int) int {
	m := 1
	for m < n {
		m *= 2
	}
	return m
}

func hannRef(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 * (1 - math.Cos(2*math.Pi*float64(i)/float64(n)))
	}
	return w
}

func demean(x []float64) []float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - mean
	}
	return out
}

// inBand reports whether bin k of an m-point transform lies in [lo, hi].
func inBand(k, m int, rate, lo, hi float64) bool {
	f := float64(k) * rate / float64(m)
	return f >= lo-1e-9 && f <= hi+1e-9
}

func refBandEnergy(x []float64, rate, lo, hi float64, hann bool) float64 {
	n, m := len(x), pow2(len(x))
	x = demean(x)
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	if hann {
		w = hannRef(n)
	}
	z := make([]complex128, m)
	sq := 0.0
	for i := range n {
		z[i] = complex(x[i]*w[i], 0)
		sq += w[i] * w[i]
	}
	X := dft(z, -1)
	e := 0.0
	for k := 0; k <= m/2; k++ {
		if !inBand(k, m, rate, lo, hi) {
			continue
		}
		p := math.Pow(cmplx.Abs(X[k]), 2) / (float64(m) * sq)
		if k != 0 && k != m/2 {
			p *= 2
		}
		e += p
	}
	return e
}

func refEnvelope(x []float64, rate, lo, hi, freq, tol float64, harmonics int) float64 {
	n, m := len(x), pow2(len(x))
	x = demean(x)
	z := make([]complex128, m)
	for i := range n {
		z[i] = complex(x[i], 0)
	}
	X := dft(z, -1)
	Y := make([]complex128, m)
	for k := 0; k <= m/2; k++ {
		if inBand(k, m, rate, lo, hi) {
			Y[k] = X[k]
			if k != 0 && k != m/2 {
				Y[k] *= 2
			}
		}
	}
	y := dft(Y, 1)
	env := make([]float64, n)
	for i := range n {
		env[i] = cmplx.Abs(y[i]) / float64(m)
	}
	env = demean(env)
	w := hannRef(n)
	sum := 0.0
	e := make([]complex128, m)
	for i := range n {
		e[i] = complex(env[i]*w[i], 0)
		sum += w[i]
	}
	E := dft(e, -1)
	res := rate / float64(m)
	total := 0.0
	for h := 1; h <= harmonics; h++ {
		c := float64(h) * freq
		near := int(math.Round(c / res))
		best := 0.0
		for k := 1; k <= m/2; k++ {
			if k == near || math.Abs(float64(k)*res-c) <= tol+1e-9 {
				a := cmplx.Abs(E[k]) / sum
				if k != m/2 {
					a *= 2
				}
				best = max(best, a)
			}
		}
		total += best
	}
	return total
}

func refSpectralKurtosis(x []float64, rate, lo, hi float64, seg int) float64 {
	x = demean(x)
	w := hannRef(seg)
	s2, s4 := make([]float64, seg/2+1), make([]float64, seg/2+1)
	frames := 0
	for start := 0; start+seg <= len(x); start += seg / 2 {
		z := make([]complex128, seg)
		for i := range seg {
			z[i] = complex(x[start+i]*w[i], 0)
		}
		S := dft(z, -1)
		for k := range s2 {
			p := math.Pow(cmplx.Abs(S[k]), 2)
			s2[k] += p
			s4[k] += p * p
		}
		frames++
	}
	best := math.Inf(-1)
	for k := 1; k < seg/2; k++ {
		if !inBand(k, seg, rate, lo, hi) || s2[k] == 0 {
			continue
		}
		m2, m4 := s2[k]/float64(frames), s4[k]/float64(frames)
		best = max(best, m4/(m2*m2)-2)
	}
	return best
}

// features runs x (one channel) through a Windower with the given
// declarations and returns the values of the last full window. extra
// samples are pushed first, so that the ring has wrapped.
func features(t testing.TB, rate float64, x []float64, extra int, decls ...string) []float64 {
	t.Helper()
	w, err := New(Spec{Channels: []int{0}, Window: len(x), Hop: 1, Features: decls, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		if _, err := w.Push(int64(i), []float64{-x[i%len(x)]}, true); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range x {
		if _, err := w.Push(int64(extra+i), []float64{v}, true); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]float32, w.Len())
	if err := w.Compute(out); err != nil {
		t.Fatal(err)
	}
	res := make([]float64, len(out))
	for i, v := range out {
		res[i] = float64(v)
	}
	return res
}

func closeTo(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Max(math.Abs(want), 1e-6) {
		t.Errorf("%s = %.6g, want %.6g (within %g%%)", what, got, want, rel*100)
	}
}

func sine(n int, rate, freq, amp, phase float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/rate+phase)
	}
	return x
}

func TestBandEnergyOfSines(t *testing.T) {
	const rate = 1024.0
	// 3 sines; 1000 samples pads to 1024 so bins are 1 Hz and off the tones.
	x := sine(1000, rate, 50.3, 2, 0.1)
	for i, v := range sine(1000, rate, 200, 0.5, 1) {
		x[i] += v + 7 // a DC offset must not count
	}
	for i, v := range sine(1000, rate, 400.7, 1, 2) {
		x[i] += v
	}
	decls := []string{
		"band_energy(lo=30, hi=70)", "band_energy(lo=180,hi=220)", "band_energy(lo=380, hi=420)",
		"band_energy(lo=30, hi=70, window=rect)", "band_energy(lo=0, hi=512)",
	}
	got := features(t, rate, x, 321, decls...)
	// Against the physics: a sine of amplitude A has mean square A²/2.
	for i, amp := range []float64{2, 0.5, 1} {
		closeTo(t, decls[i]+" (physics)", got[i], amp*amp/2, 0.02)
	}
	closeTo(t, "total", got[4], 2+0.125+0.5, 0.01)
	// Against the float64 reference, to float32 precision.
	for i, d := range decls {
		_, a, _ := parseDecl(d)
		lo, _ := a.num("lo", 0, true)
		hi, _ := a.num("hi", 0, true)
		want := refBandEnergy(x, rate, lo, hi, a.kv["window"] != "rect")
		closeTo(t, d, got[i], want, 1e-5)
	}
}

// amCarrier is (1 + m·cos(2π fd t)) · cos(2π fc t) plus a little noise:
// the envelope holds fd with amplitude m.
func amCarrier(n int, rate, fc, fd, m float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		ts := float64(i) / rate
		x[i] = (1+m*math.Cos(2*math.Pi*fd*ts))*math.Cos(2*math.Pi*fc*ts) + 0.01*r.NormFloat64()
	}
	return x
}

func TestEnvelopeOfAmplitudeModulation(t *testing.T) {
	const rate = 8192.0
	x := amCarrier(2048, rate, 2000, 100, 0.4, 1) // bins every 4 Hz: fd on a bin
	decls := []string{
		"envelope(lo=1500, hi=2500, freq=100, tol=4)",
		"envelope(lo=1500, hi=2500, freq=101.5, tol=0)", // nearest bin still counts
		"envelope(lo=1500, hi=2500, freq=137, tol=4)",   // no defect there
		"envelope(lo=3000, hi=4000, freq=100, tol=4)",   // band without the carrier
	}
	got := features(t, rate, x, 77, decls...)
	closeTo(t, "envelope at fd (physics)", got[0], 0.4, 0.03)
	closeTo(t, "envelope near fd", got[1], got[0], 1e-6)
	if got[2] > 0.02 || got[3] > 0.02 {
		t.Errorf("envelope away from the defect = %g, outside the carrier band = %g; want both < 0.02", got[2], got[3])
	}
	for i, d := range decls {
		_, a, _ := parseDecl(d)
		lo, _ := a.num("lo", 0, true)
		hi, _ := a.num("hi", 0, true)
		f, _ := a.num("freq", 0, true)
		tol, _ := a.num("tol", 0, true)
		closeTo(t, d, got[i], refEnvelope(x, rate, lo, hi, f, tol, 1), 1e-4)
	}
}

func TestEnvelopeHarmonics(t *testing.T) {
	const rate = 4096.0
	n := 1000 // not a power of two: padded to 1024, 4 Hz bins
	x := make([]float64, n)
	for i := range x {
		ts := float64(i) / rate
		env := 1 + 0.3*math.Cos(2*math.Pi*48*ts) + 0.1*math.Cos(2*math.Pi*96*ts)
		x[i] = env * math.Sin(2*math.Pi*1200*ts)
	}
	decl := "envelope(lo=900, hi=1500, freq=48, tol=3, harmonics=2)"
	got := features(t, rate, x, 10, decl, "envelope(lo=900, hi=1500, freq=48, tol=3)")
	closeTo(t, "2 harmonics (physics)", got[0], 0.4, 0.05)
	closeTo(t, "1 harmonic (physics)", got[1], 0.3, 0.05)
	closeTo(t, decl, got[0], refEnvelope(x, rate, 900, 1500, 48, 3, 2), 1e-4)
}

// bearingSignal is Gaussian noise plus, when fault > 0, an outer-race
// defect: impacts at bpfo Hz each ringing a resonance at fres Hz.
func bearingSignal(n int, rate, bpfo, fres, fault float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.2 * r.NormFloat64()
	}
	if fault > 0 {
		for t0 := 0.0; t0 < float64(n)/rate; t0 += 1 / bpfo {
			start := int(math.Ceil(t0 * rate))
			for i := start; i < n && i < start+int(rate/50); i++ {
				d := float64(i)/rate - t0
				x[i] += fault * math.Exp(-d*800) * math.Sin(2*math.Pi*fres*d)
			}
		}
	}
	return x
}

func TestImpulsiveFaultRaisesEnvelopeAndSpectralKurtosis(t *testing.T) {
	const rate, bpfo = 8192.0, 31.0
	decls := []string{
		"envelope(lo=2500, hi=3500, freq=31, tol=3, harmonics=3)",
		"spectral_kurtosis(lo=2500, hi=3500, nperseg=32)",
		"spectral_kurtosis(nperseg=128)",
		CrestFactor, Kurtosis,
	}
	healthy := bearingSignal(4096, rate, bpfo, 3000, 0, 3)
	faulty := bearingSignal(4096, rate, bpfo, 3000, 1.5, 3)
	h := features(t, rate, healthy, 0, decls...)
	f := features(t, rate, faulty, 0, decls...)
	t.Logf("healthy %v\nfaulty  %v", h, f)
	if f[0] < 5*h[0] {
		t.Errorf("envelope at BPFO: faulty %g is not 5× healthy %g", f[0], h[0])
	}
	if h[1] > 1 || f[1] < 3 {
		t.Errorf("spectral kurtosis in the resonance band: healthy %g (want < 1), faulty %g (want > 3)", h[1], f[1])
	}
	if f[3] <= h[3] {
		t.Errorf("crest factor: faulty %g not above healthy %g", f[3], h[3])
	}
	for i, x := range [][]float64{healthy, faulty} {
		got := []float64{h[1], f[1]}[i]
		closeTo(t, decls[1], got, refSpectralKurtosis(x, rate, 2500, 3500, 32), 1e-4)
		got = []float64{h[2], f[2]}[i]
		closeTo(t, decls[2], got, refSpectralKurtosis(x, rate, 0, rate/2, 128), 1e-4)
	}
}

func TestSpectralKurtosisOfSineAndNoise(t *testing.T) {
	const rate = 1024.0
	x := sine(2048, rate, 128, 1, 0) // on a bin of 64-point segments
	got := features(t, rate, x, 0, "spectral_kurtosis(lo=120, hi=136, nperseg=64)")
	closeTo(t, "SK of a steady sine (physics)", got[0], -1, 0.01)
	r := rand.New(rand.NewPCG(9, 9))
	noise := make([]float64, 16384)
	for i := range noise {
		noise[i] = r.NormFloat64()
	}
	// The mean of SK over bins is near 0 for Gaussian noise; check one
	// mid-band bin range is within the estimator's spread.
	got = features(t, rate, noise, 0, "spectral_kurtosis(lo=200, hi=216, nperseg=64)")
	if math.Abs(got[0]) > 0.6 {
		t.Errorf("SK of Gaussian noise = %g, want near 0", got[0])
	}
	closeTo(t, "SK noise", got[0], refSpectralKurtosis(noise, rate, 200, 216, 64), 1e-4)
}

func TestSpectralDeclarationErrors(t *testing.T) {
	for _, c := range []struct {
		decl, rate, want string
	}{
		{"band_energy(lo=10)", "", `key "hi": is required`},
		{"band_energy(lo=10, hi=5)", "", `key "hi": 5 Hz is not above lo`},
		{"band_energy(lo=10, hi=900)", "", `key "hi": 900 Hz is above the Nyquist`},
		{"band_energy(lo=-1, hi=9)", "", `key "lo": -1 Hz is negative`},
		{"band_energy(lo=x, hi=9)", "", `key "lo": "x" is not a finite number`},
		{"band_energy(lo=NaN, hi=9)", "", `key "lo": "NaN" is not a finite number`},
		{"band_energy(lo=10, hi=20, win=hann)", "", `key "win": is not a parameter of this feature (known: lo, hi, window)`},
		{"band_energy(lo=10, hi=20, window=flat)", "", `key "window": "flat" is not hann or rect`},
		{"band_energy(lo=10.1, hi=10.2)", "", `key "lo": the band 10.1..10.2 Hz holds no spectrum bin`},
		{"band_energy(lo=10, lo=20)", "", `key "lo": is given twice`},
		{"band_energy(lo=10, hi=)", "", `key "hi": has no value`},
		{"band_energy(lo=10 hi=20)", "", `is not a finite number`},
		{"band_energy(lo=10, 20)", "", `parameter "20" is not key=value`},
		{"band_energy(lo=10, hi=20", "", `parameters must end with ')'`},
		{"band_energy(lo=10, hi=20)", "0", `needs the sample rate`},
		{"envelope(lo=100, hi=300, tol=1)", "", `key "freq": is required`},
		{"envelope(lo=100, hi=300, freq=50)", "", `key "tol": is required`},
		{"envelope(lo=100, hi=300, freq=0, tol=1)", "", `key "freq": 0 Hz must be positive`},
		{"envelope(lo=100, hi=300, freq=50, tol=-1)", "", `key "tol": -1 Hz is negative`},
		{"envelope(lo=100, hi=300, freq=499, tol=1)", "", `key "freq": 499 Hz + tol reaches the Nyquist`},
		{"envelope(lo=100, hi=300, freq=50, tol=1, harmonics=1.5)", "", `key "harmonics": 1.5 is not a whole number`},
		{"envelope(lo=100, hi=300, freq=50, tol=1, harmonics=20)", "", `key "harmonics": 20 × 50 Hz + tol reaches the Nyquist`},
		{"spectral_kurtosis(nperseg=100)", "", `key "nperseg": 100 is not a power of two`},
		{"spectral_kurtosis(nperseg=1024)", "", `key "nperseg": 1024 is not a power of two from 8 to half the window (1000 samples)`},
		{"spectral_kurtosis(bands=3)", "", `key "bands": is not a parameter`},
		{"fft(n=3)", "", `unknown feature "fft(n=3)"`},
	} {
		rate := 1000.0
		if c.rate != "" {
			rate = 0
		}
		_, err := New(Spec{Channels: []int{0}, Window: 1000, Hop: 1000, Features: []string{c.decl}, Rate: rate})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "preprocess: ") {
			t.Errorf("%s: error %v, want one containing %q", c.decl, err, c.want)
		}
	}
	if _, err := New(Spec{Channels: []int{0}, Window: 8, Hop: 8, Features: []string{SpectralKurtosis}, Rate: 100}); err == nil ||
		!strings.Contains(err.Error(), "needs a window of 16") {
		t.Errorf("8-sample window: error %v, want a window size error", err)
	}
}

func TestSpectralComputeDoesNotAllocate(t *testing.T) {
	w, err := New(Spec{Channels: []int{0, 1}, Window: 1000, Hop: 1000, Rate: 4000, Features: []string{
		RMS, CrestFactor, "band_energy(lo=10, hi=400)", "band_energy(lo=10, hi=400, window=rect)",
		"envelope(lo=500, hi=1500, freq=30, tol=2)", "envelope(lo=500, hi=1500, freq=70, tol=2, harmonics=3)",
		"spectral_kurtosis(nperseg=64)",
	}})
	if err != nil {
		t.Fatal(err)
	}
	sample := []float64{1, 2}
	out := make([]float32, w.Len())
	allocs := testing.AllocsPerRun(5, func() {
		for i := range 1000 {
			sample[0], sample[1] = math.Sin(float64(i)), math.Cos(float64(i*i))
			w.Push(int64(i), sample, true)
		}
		if err := w.Compute(out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per window, want 0", allocs)
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("feature %d = %g", i, v)
		}
	}
}

func TestFFTAgainstNaiveDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, m := range []int{2, 4, 8, 64, 512} {
		x := make([]float64, m)
		z := make([]complex128, m)
		for i := range x {
			x[i] = r.NormFloat64()
			z[i] = complex(x[i], r.NormFloat64())
		}
		want := dft(z, -1)
		got := append([]complex128(nil), z...)
		newFFT(m).transform(got, false)
		for k := range got {
			if cmplx.Abs(got[k]-want[k]) > 1e-9*float64(m) {
				t.Fatalf("fft %d bin %d = %v, want %v", m, k, got[k], want[k])
			}
		}
		for i := range z {
			z[i] = complex(x[i], 0)
		}
		want = dft(z, -1)
		out := make([]complex128, m/2+1)
		newRFFT(m).forward(x, out)
		for k := range out {
			if cmplx.Abs(out[k]-want[k]) > 1e-9*float64(m) {
				t.Fatalf("rfft %d bin %d = %v, want %v", m, k, out[k], want[k])
			}
		}
	}
}

func FuzzFeatureDeclaration(f *testing.F) {
	for _, s := range []string{
		"band_energy(lo=10, hi=200)", "envelope(lo=100,hi=400,freq=33.3,tol=1,harmonics=4)",
		"spectral_kurtosis", "spectral_kurtosis(nperseg=16, lo=0, hi=500)", "band_energy(", "rms", "envelope(=)",
		"band_energy(lo=1e308, hi=1e309)", "spectral_kurtosis(nperseg=-8)", "envelope(lo=0,hi=500,freq=1e-300,tol=1e300)",
	} {
		f.Add(s, uint16(256))
	}
	f.Fuzz(func(t *testing.T, decl string, window uint16) {
		n := int(window)%2000 + 1
		w, err := New(Spec{Channels: []int{0}, Window: n, Hop: n, Rate: 1000, Features: []string{decl}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "preprocess: ") {
				t.Fatalf("error without the component prefix: %v", err)
			}
			return
		}
		for i := range n {
			w.Push(int64(i), []float64{math.Sin(float64(i)) + float64(i%7)}, true)
		}
		out := make([]float32, w.Len())
		if err := w.Compute(out); err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(float64(out[0])) {
			t.Fatalf("%q gives NaN", decl)
		}
	})
}

func TestSpectralFeaturesPerChannel(t *testing.T) {
	const rate = 2048.0
	a, b := sine(2048, rate, 100, 1, 0), sine(2048, rate, 300, 3, 0)
	w, err := New(Spec{Channels: []int{2, 0}, Window: 2048, Hop: 2048, Rate: rate,
		Features: []string{"band_energy(lo=90, hi=110)", RMS, "band_energy(lo=290, hi=310)"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		w.Push(int64(i), []float64{b[i], 99, a[i]}, true)
	}
	out := make([]float32, w.Len())
	if err := w.Compute(out); err != nil {
		t.Fatal(err)
	}
	// Channel 2 (the 100 Hz sine) first, then channel 0 (300 Hz).
	want := []float64{0.5, math.Sqrt(0.5), 0, 0, 3 / math.Sqrt(2), 4.5}
	for i, v := range out {
		if math.Abs(float64(v)-want[i]) > 1e-4 {
			t.Fatalf("features = %v, want %v", out, want)
		}
	}
}
