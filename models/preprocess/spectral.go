package preprocess

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strconv"
	"strings"
)

// Vibration features with parameters, declared as name(key=value, ...).
// Frequencies are in Hz and need Spec.Rate. Each declaration gives one
// value per channel; declare a feature several times for several bands or
// defect frequencies.
const (
	// BandEnergy is the mean square of the signal within [lo, hi] Hz: the
	// one-sided power spectrum of the window (mean removed, zero-padded to a
	// power of two, window=hann (default) or rect) summed over the bins whose
	// centre lies in the band, scaled by the window's power so that a sine
	// of amplitude A inside the band gives A²/2.
	//	band_energy(lo=100, hi=500[, window=hann])
	BandEnergy = "band_energy"
	// Envelope is the envelope spectrum amplitude at a defect frequency: the
	// window is band-passed to [lo, hi] Hz (the resonance excited by the
	// impacts) and made analytic in the frequency domain (Hilbert transform);
	// the spectrum of its magnitude, mean removed and Hann-windowed, is
	// scaled so that an envelope component a·cos(2πft) reads a. The value is
	// the largest amplitude within ±tol Hz of freq (the nearest bin always
	// counts), summed over the harmonics freq, 2·freq, … harmonics·freq.
	//	envelope(lo=2000, hi=8000, freq=236.4, tol=2[, harmonics=1])
	Envelope = "envelope"
	// SpectralKurtosis is Antoni's short-time Fourier transform estimator
	// SK(f) = <|S(t,f)|⁴> / <|S(t,f)|²>² − 2, over Hann-windowed segments of
	// nperseg samples (power of two, default 256) with 50% overlap; the
	// value is the largest SK(f) over the bins in [lo, hi] Hz (default: all
	// but DC and Nyquist). About 0 for Gaussian noise, −1 for a steady sine,
	// large where the band holds impulsive transients.
	//	spectral_kurtosis([lo=1000, hi=5000, nperseg=256])
	SpectralKurtosis = "spectral_kurtosis"
)

// MaxSpectralWindow bounds the window of the spectral features (their FFT
// buffers are a few times the next power of two of the window, in complex128).
const MaxSpectralWindow = 1 << 18

// minSpectralWindow is the smallest window with a meaningful spectrum.
const minSpectralWindow = 16

var spectralSyntax = []string{
	"band_energy(lo=,hi=[,window=hann|rect])",
	"envelope(lo=,hi=,freq=,tol=[,harmonics=1])",
	"spectral_kurtosis([lo=,hi=,nperseg=256])",
}

// spectralFeature computes one value from the current channel's spectrum.
type spectralFeature interface {
	value(sp *spectrum) float64
}

// spectrum holds the current channel's window and the transforms the
// declared features share, each computed at most once per channel.
type spectrum struct {
	n, m     int     // window, FFT length (next power of two)
	rate     float64 // samples/s
	x        []float64
	buf      []float64
	hann     []float64 // n points, periodic
	hannSum  float64
	hannSq   float64
	plan     *rfftPlan
	bins     []complex128 // m/2+1 scratch
	power    [2][]float64 // one-sided power per window kind
	hasPower [2]bool
	// Envelope state, allocated only when an envelope feature is declared.
	full             *fftPlan
	raw              []complex128 // unwindowed spectrum
	hasRaw           bool
	analytic         []complex128
	envAmp           []float64
	envK0, envK1     int
	hasEnv           bool
	envelopeDeclared bool
}

const (
	winHann = iota
	winRect
)

func newSpectrum(n int, rate float64) *spectrum {
	m := nextPow2(n)
	sp := &spectrum{n: n, m: m, rate: rate, x: make([]float64, m), buf: make([]float64, m),
		hann: make([]float64, n), plan: newRFFT(m), bins: make([]complex128, m/2+1)}
	for i := range sp.hann {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		sp.hann[i] = w
		sp.hannSum += w
		sp.hannSq += w * w
	}
	return sp
}

func (sp *spectrum) needEnvelope() {
	if sp.envelopeDeclared {
		return
	}
	sp.envelopeDeclared = true
	sp.full = newFFT(sp.m)
	sp.raw = make([]complex128, sp.m/2+1)
	sp.analytic = make([]complex128, sp.m)
	sp.envAmp = make([]float64, sp.m/2+1)
}

// load copies channel c of the ring (oldest sample at head) with its mean
// removed, and forgets the previous channel's transforms.
func (sp *spectrum) load(ring []float64, c, stride, head int, mean float64) {
	for i := range sp.n {
		sp.x[i] = ring[((head+i)%sp.n)*stride+c] - mean
	}
	sp.hasPower = [2]bool{}
	sp.hasRaw, sp.hasEnv = false, false
}

// powerSpectrum returns the one-sided power per bin, Σ = mean square.
func (sp *spectrum) powerSpectrum(kind int) []float64 {
	p := sp.power[kind] // allocated by newSpectral
	if sp.hasPower[kind] {
		return p
	}
	sq := float64(sp.n)
	if kind == winHann {
		sq = sp.hannSq
		for i, w := range sp.hann {
			sp.buf[i] = sp.x[i] * w
		}
	} else {
		copy(sp.buf, sp.x[:sp.n])
	}
	clear(sp.buf[sp.n:])
	sp.plan.forward(sp.buf, sp.bins)
	scale := 1 / (float64(sp.m) * sq)
	for k, b := range sp.bins {
		v := (real(b)*real(b) + imag(b)*imag(b)) * scale
		if k != 0 && k != sp.m/2 {
			v *= 2
		}
		p[k] = v
	}
	sp.hasPower[kind] = true
	return p
}

// envelopeSpectrum returns the amplitude spectrum of the envelope of the
// window band-passed to bins k0..k1.
func (sp *spectrum) envelopeSpectrum(k0, k1 int) []float64 {
	if sp.hasEnv && sp.envK0 == k0 && sp.envK1 == k1 {
		return sp.envAmp
	}
	if !sp.hasRaw {
		copy(sp.buf, sp.x[:sp.n])
		clear(sp.buf[sp.n:])
		sp.plan.forward(sp.buf, sp.raw)
		sp.hasRaw = true
	}
	m := sp.m
	clear(sp.analytic)
	for k := k0; k <= k1; k++ {
		if k == 0 || k == m/2 {
			sp.analytic[k] = sp.raw[k]
		} else {
			sp.analytic[k] = 2 * sp.raw[k]
		}
	}
	sp.full.transform(sp.analytic, true)
	mean := 0.0
	for i := range sp.n {
		e := cmplx.Abs(sp.analytic[i]) / float64(m)
		sp.buf[i] = e
		mean += e
	}
	mean /= float64(sp.n)
	for i, w := range sp.hann {
		sp.buf[i] = (sp.buf[i] - mean) * w
	}
	clear(sp.buf[sp.n:])
	sp.plan.forward(sp.buf, sp.bins)
	for k, b := range sp.bins {
		a := cmplx.Abs(b) / sp.hannSum
		if k != 0 && k != m/2 {
			a *= 2
		}
		sp.envAmp[k] = a
	}
	sp.envK0, sp.envK1, sp.hasEnv = k0, k1, true
	return sp.envAmp
}

type bandEnergy struct {
	kind   int
	k0, k1 int
}

func (b *bandEnergy) value(sp *spectrum) float64 {
	s := 0.0
	for _, v := range sp.powerSpectrum(b.kind)[b.k0 : b.k1+1] {
		s += v
	}
	return s
}

type envelope struct {
	k0, k1  int
	targets [][2]int // bin range around each harmonic
}

func (e *envelope) value(sp *spectrum) float64 {
	amp := sp.envelopeSpectrum(e.k0, e.k1)
	s := 0.0
	for _, t := range e.targets {
		s += slices.Max(amp[t[0] : t[1]+1])
	}
	return s
}

type spectralKurtosis struct {
	seg, hop int
	k0, k1   int
	plan     *rfftPlan
	win      []float64
	frame    []float64
	bins     []complex128
	s2, s4   []float64
}

func (s *spectralKurtosis) value(sp *spectrum) float64 {
	clear(s.s2)
	clear(s.s4)
	frames := 0
	for start := 0; start+s.seg <= sp.n; start += s.hop {
		for i, w := range s.win {
			s.frame[i] = sp.x[start+i] * w
		}
		s.plan.forward(s.frame, s.bins)
		for k := s.k0; k <= s.k1; k++ {
			b := s.bins[k]
			p := real(b)*real(b) + imag(b)*imag(b)
			s.s2[k] += p
			s.s4[k] += p * p
		}
		frames++
	}
	best := math.Inf(-1)
	for k := s.k0; k <= s.k1; k++ {
		if s.s2[k] == 0 {
			continue
		}
		best = max(best, float64(frames)*s.s4[k]/(s.s2[k]*s.s2[k])-2)
	}
	if math.IsInf(best, -1) {
		return 0 // silent band
	}
	return best
}

// args are the parsed key=value parameters of one feature declaration.
type args struct {
	decl string
	kv   map[string]string
}

func (a *args) errorf(key, format string, v ...any) error {
	return fmt.Errorf("preprocess: feature %q: key %q: %s", a.decl, key, fmt.Sprintf(format, v...))
}

// num returns the finite number under key, or def when absent and not required.
func (a *args) num(key string, def float64, required bool) (float64, error) {
	s, ok := a.kv[key]
	if !ok {
		if required {
			return 0, a.errorf(key, "is required")
		}
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, a.errorf(key, "%q is not a finite number", s)
	}
	return v, nil
}

// only rejects keys other than known.
func (a *args) only(known ...string) error {
	var bad []string
	for k := range a.kv {
		if !slices.Contains(known, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return a.errorf(bad[0], "is not a parameter of this feature (known: %s)", strings.Join(known, ", "))
	}
	return nil
}

// parseDecl splits "name(k=v, ...)" into the name and its parameters.
func parseDecl(decl string) (string, *args, error) {
	a := &args{decl: decl, kv: map[string]string{}}
	s := strings.TrimSpace(decl)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return s, a, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, fmt.Errorf("preprocess: feature %q: parameters must end with ')'", decl)
	}
	name, body := strings.TrimSpace(s[:open]), strings.TrimSpace(s[open+1:len(s)-1])
	if body == "" {
		return name, a, nil
	}
	for _, part := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "":
			return "", nil, fmt.Errorf("preprocess: feature %q: parameter %q is not key=value", decl, strings.TrimSpace(part))
		case a.kv[k] != "":
			return "", nil, a.errorf(k, "is given twice")
		case v == "":
			return "", nil, a.errorf(k, "has no value")
		}
		a.kv[k] = v
	}
	return name, a, nil
}

// newSpectral builds the spectral feature declared by decl, allocating its
// buffers in sp (created on first use).
func newSpectral(decl string, w *Windower) (spectralFeature, bool, error) {
	name, a, err := parseDecl(decl)
	if err != nil {
		return nil, true, err
	}
	if name != BandEnergy && name != Envelope && name != SpectralKurtosis {
		return nil, false, nil
	}
	rate, n := w.spec.Rate, w.spec.Window
	switch {
	case !(rate > 0) || math.IsInf(rate, 0):
		return nil, true, fmt.Errorf("preprocess: feature %q needs the sample rate (Spec.Rate), got %g", decl, rate)
	case n < minSpectralWindow || n > MaxSpectralWindow:
		return nil, true, fmt.Errorf("preprocess: feature %q needs a window of %d to %d samples, have %d", decl, minSpectralWindow, MaxSpectralWindow, n)
	}
	if w.sp == nil {
		w.sp = newSpectrum(n, rate)
	}
	sp := w.sp
	nyq := rate / 2
	// band reads lo and hi (Hz) and returns the bins of a length-m
	// transform whose centres lie in [lo, hi], within [kmin, kmax].
	band := func(m, kmin, kmax int, defLo, defHi float64, required bool) (int, int, error) {
		lo, err := a.num("lo", defLo, required)
		if err != nil {
			return 0, 0, err
		}
		hi, err := a.num("hi", defHi, required)
		if err != nil {
			return 0, 0, err
		}
		switch {
		case lo < 0:
			return 0, 0, a.errorf("lo", "%g Hz is negative", lo)
		case hi <= lo:
			return 0, 0, a.errorf("hi", "%g Hz is not above lo (%g Hz)", hi, lo)
		case hi > nyq:
			return 0, 0, a.errorf("hi", "%g Hz is above the Nyquist frequency %g Hz (rate %g)", hi, nyq, rate)
		}
		res := rate / float64(m)
		k0 := max(kmin, int(math.Ceil(lo/res-1e-9)))
		k1 := min(kmax, int(math.Floor(hi/res+1e-9)))
		if k0 > k1 {
			return 0, 0, a.errorf("lo", "the band %g..%g Hz holds no spectrum bin (bins every %.4g Hz)", lo, hi, res)
		}
		return k0, k1, nil
	}
	switch name {
	case BandEnergy:
		if err := a.only("lo", "hi", "window"); err != nil {
			return nil, true, err
		}
		f := &bandEnergy{}
		switch a.kv["window"] {
		case "", "hann":
			f.kind = winHann
		case "rect":
			f.kind = winRect
		default:
			return nil, true, a.errorf("window", "%q is not hann or rect", a.kv["window"])
		}
		if f.k0, f.k1, err = band(sp.m, 0, sp.m/2, 0, 0, true); err != nil {
			return nil, true, err
		}
		if sp.power[f.kind] == nil {
			sp.power[f.kind] = make([]float64, sp.m/2+1)
		}
		return f, true, nil
	case Envelope:
		if err := a.only("lo", "hi", "freq", "tol", "harmonics"); err != nil {
			return nil, true, err
		}
		f := &envelope{}
		if f.k0, f.k1, err = band(sp.m, 0, sp.m/2, 0, 0, true); err != nil {
			return nil, true, err
		}
		freq, err := a.num("freq", 0, true)
		if err != nil {
			return nil, true, err
		}
		tol, err := a.num("tol", 0, true)
		if err != nil {
			return nil, true, err
		}
		h, err := a.num("harmonics", 1, false)
		if err != nil {
			return nil, true, err
		}
		switch {
		case !(freq > 0):
			return nil, true, a.errorf("freq", "%g Hz must be positive", freq)
		case tol < 0:
			return nil, true, a.errorf("tol", "%g Hz is negative", tol)
		case freq+tol >= nyq:
			return nil, true, a.errorf("freq", "%g Hz + tol reaches the Nyquist frequency %g Hz", freq, nyq)
		case h < 1 || h > 64 || h != math.Trunc(h):
			return nil, true, a.errorf("harmonics", "%g is not a whole number from 1 to 64", h)
		case h*freq+tol >= nyq:
			return nil, true, a.errorf("harmonics", "%g × %g Hz + tol reaches the Nyquist frequency %g Hz", h, freq, nyq)
		}
		res := rate / float64(sp.m)
		for i := 1; i <= int(h); i++ {
			c := float64(i) * freq
			near := max(1, min(sp.m/2, int(math.Round(c/res))))
			lo := min(near, int(math.Ceil((c-tol)/res-1e-9)))
			hi := max(near, int(math.Floor((c+tol)/res+1e-9)))
			f.targets = append(f.targets, [2]int{max(lo, 1), min(hi, sp.m/2)})
		}
		sp.needEnvelope()
		return f, true, nil
	default: // SpectralKurtosis
		if err := a.only("lo", "hi", "nperseg"); err != nil {
			return nil, true, err
		}
		seg, err := a.num("nperseg", 256, false)
		if err != nil {
			return nil, true, err
		}
		if seg < 8 || seg > float64(n)/2 || seg != math.Trunc(seg) || nextPow2(int(seg)) != int(seg) {
			return nil, true, a.errorf("nperseg", "%g is not a power of two from 8 to half the window (%d samples)", seg, n)
		}
		L := int(seg)
		f := &spectralKurtosis{seg: L, hop: L / 2, plan: newRFFT(L), win: make([]float64, L), frame: make([]float64, L),
			bins: make([]complex128, L/2+1), s2: make([]float64, L/2+1), s4: make([]float64, L/2+1)}
		for i := range f.win {
			f.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(L))
		}
		if f.k0, f.k1, err = band(L, 1, L/2-1, 0, nyq, false); err != nil {
			return nil, true, err
		}
		return f, true, nil
	}
}

// CheckFeature reports whether decl is a valid feature for windows of
// window samples at rate samples/s, with the error New would give, so that
// a configuration can be checked before any sensor runs.
func CheckFeature(decl string, rate float64, window int) error {
	window = min(max(window, 1), MaxWindow)
	_, err := New(Spec{Channels: []int{0}, Window: window, Hop: window, Features: []string{decl}, Rate: rate})
	return err
}
