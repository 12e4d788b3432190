// Package preprocess turns a stream of sensor samples into model inputs:
// sliding windows over chosen channels, per-channel features (or the raw
// window), normalisation, and quantisation into the model's input tensor.
//
//	samples ─► ring of Window samples ─► every Hop samples:
//	           features per channel [c0.f0 c0.f1 … c1.f0 …]  or raw [Window × channels]
//	           ─► (x-mean)/std ─► float32 / int8 / uint8 input tensor
//
// A window that would contain an invalid sample is discarded: bad data never
// reaches a model. Nothing here allocates after New.
//
// Besides moments, a channel can have spectral features for vibration
// (band_energy, envelope, spectral_kurtosis; see spectral.go), computed
// from a zero-padded real FFT of the window whose buffers New allocates.
package preprocess

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/axle-edge/axle/models"
)

// Features computed per channel over a window.
const (
	Mean        = "mean"         // arithmetic mean
	Std         = "std"          // standard deviation
	RMS         = "rms"          // root mean square
	Peak        = "peak"         // largest |x - mean|
	P2P         = "p2p"          // max - min
	Crest       = "crest"        // peak / std
	CrestFactor = "crest_factor" // max |x| / RMS, the conventional crest factor
	Kurtosis    = "kurtosis"     // fourth standardised moment (3 for Gaussian noise)
	Skewness    = "skewness"     // third standardised moment
	Min         = "min"
	Max         = "max"
)

// Names lists the supported features without parameters; the spectral
// ones with parameters are BandEnergy, Envelope and SpectralKurtosis.
var Names = []string{Mean, Std, RMS, Peak, P2P, Crest, CrestFactor, Kurtosis, Skewness, Min, Max}

// Spec describes one model's input.
type Spec struct {
	Channels []int    // indices of the channels used, in the sensor's sample
	Window   int      // samples per window
	Hop      int      // samples between windows (<= Window)
	Features []string // per channel; empty: the raw window is the input
	Rate     float64  // samples/s; needed by the spectral features
	// Mean and Std normalise each element of the output vector when set.
	Mean, Std []float64
}

// MaxWindow bounds the samples in one window (memory: Window × channels × 8 bytes).
const MaxWindow = 1 << 20

// Windower keeps the latest Window samples and says when a window is due.
type Windower struct {
	spec   Spec
	ring   []float64 // Window × len(Channels), sample-major
	times  []int64
	head   int // next write position (sample index)
	filled int // valid samples in the ring
	since  int // samples since the last window
	feats  []feature
	st     stats     // scratch; a field so that it does not escape per call
	sp     *spectrum // FFT buffers, when a spectral feature is declared
	// Discarded counts windows dropped because of invalid samples.
	Discarded uint64
}

// New validates spec and allocates the window.
func New(spec Spec) (*Windower, error) {
	switch {
	case len(spec.Channels) == 0:
		return nil, errors.New("preprocess: no channels")
	case spec.Window < 1 || spec.Window > MaxWindow:
		return nil, fmt.Errorf("preprocess: window of %d samples is not between 1 and %d", spec.Window, MaxWindow)
	case spec.Hop < 1 || spec.Hop > spec.Window:
		return nil, fmt.Errorf("preprocess: hop of %d samples is not between 1 and the window (%d)", spec.Hop, spec.Window)
	case int64(spec.Window)*int64(len(spec.Channels)) > MaxWindow:
		return nil, fmt.Errorf("preprocess: window of %d samples × %d channels is too large", spec.Window, len(spec.Channels))
	}
	for _, c := range spec.Channels {
		if c < 0 {
			return nil, fmt.Errorf("preprocess: channel index %d is negative", c)
		}
	}
	w := &Windower{spec: spec}
	for _, f := range spec.Features {
		if fn, ok := featureFuncs[f]; ok {
			w.feats = append(w.feats, feature{stat: fn})
			continue
		}
		sf, ok, err := newSpectral(f, w)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("preprocess: unknown feature %q (known: %s, %s)", f, strings.Join(Names, ", "), strings.Join(spectralSyntax, ", "))
		}
		w.feats = append(w.feats, feature{spectral: sf})
	}
	if n := w.Len(); (spec.Mean != nil || spec.Std != nil) && (len(spec.Mean) != n || len(spec.Std) != n) {
		return nil, fmt.Errorf("preprocess: normalisation has %d means and %d stds for %d inputs", len(spec.Mean), len(spec.Std), n)
	}
	for i, s := range spec.Std {
		if !(s > 0) {
			return nil, fmt.Errorf("preprocess: std[%d] = %g must be positive", i, s)
		}
	}
	w.ring = make([]float64, spec.Window*len(spec.Channels))
	w.times = make([]int64, spec.Window)
	return w, nil
}

// Len is the number of values in the model input.
func (w *Windower) Len() int {
	if len(w.feats) == 0 {
		return w.spec.Window * len(w.spec.Channels)
	}
	return len(w.feats) * len(w.spec.Channels)
}

// Push adds one sample (all of the sensor's channels, taken at t in Unix ns)
// and reports whether a full window is ready. An invalid sample empties the
// window, so no window containing it is ever produced.
func (w *Windower) Push(t int64, values []float64, valid bool) (bool, error) {
	if !valid {
		if w.filled > 0 {
			w.Discarded++
		}
		w.filled, w.since = 0, 0
		return false, nil
	}
	nc := len(w.spec.Channels)
	base := w.head * nc
	for i, c := range w.spec.Channels {
		if c >= len(values) {
			return false, fmt.Errorf("preprocess: sample has %d channels, channel index %d is missing", len(values), c)
		}
		w.ring[base+i] = values[c]
	}
	w.times[w.head] = t
	w.head = (w.head + 1) % w.spec.Window
	if w.filled < w.spec.Window {
		w.filled++
	}
	w.since++
	if w.filled == w.spec.Window && w.since >= w.spec.Hop {
		w.since = 0
		return true, nil
	}
	return false, nil
}

// Span is the time of the oldest and newest sample of the current window.
func (w *Windower) Span() (start, end int64) {
	oldest := w.head % w.spec.Window
	if w.filled < w.spec.Window {
		oldest = 0
	}
	newest := (w.head - 1 + w.spec.Window) % w.spec.Window
	return w.times[oldest], w.times[newest]
}

// Compute writes the model input for the current window into dst, which
// must have Len() elements.
func (w *Windower) Compute(dst []float32) error {
	if len(dst) != w.Len() {
		return fmt.Errorf("preprocess: input has %d values, want %d", len(dst), w.Len())
	}
	nc, n := len(w.spec.Channels), w.spec.Window
	if len(w.feats) == 0 {
		// Raw window, oldest sample first.
		for i := range n {
			s := (w.head + i) % n
			for c := range nc {
				dst[i*nc+c] = float32(w.ring[s*nc+c])
			}
		}
	} else {
		st := &w.st
		for c := range nc {
			st.compute(w.ring, c, nc)
			if w.sp != nil {
				w.sp.load(w.ring, c, nc, w.head, st.mean)
			}
			for i, f := range w.feats {
				var v float64
				if f.stat != nil {
					v = f.stat(st)
				} else {
					v = f.spectral.value(w.sp)
				}
				dst[c*len(w.feats)+i] = float32(v)
			}
		}
	}
	if w.spec.Mean != nil {
		for i := range dst {
			dst[i] = float32((float64(dst[i]) - w.spec.Mean[i]) / w.spec.Std[i])
		}
	}
	return nil
}

// feature is one declared feature: a function of the moments, or a
// spectral feature of the channel's window.
type feature struct {
	stat     func(s *stats) float64
	spectral spectralFeature
}

// stats are the moments of one channel over a window.
type stats struct {
	n, mean, m2, m3, m4, min, max, sumsq float64
}

func (s *stats) compute(ring []float64, c, stride int) {
	n := len(ring) / stride
	sum, sumsq := 0.0, 0.0
	s.min, s.max = math.Inf(1), math.Inf(-1)
	for i := c; i < len(ring); i += stride {
		x := ring[i]
		sum += x
		sumsq += x * x
		s.min = min(s.min, x)
		s.max = max(s.max, x)
	}
	s.n, s.mean, s.sumsq = float64(n), sum/float64(n), sumsq
	var m2, m3, m4 float64
	for i := c; i < len(ring); i += stride {
		d := ring[i] - s.mean
		d2 := d * d
		m2 += d2
		m3 += d2 * d
		m4 += d2 * d2
	}
	s.m2, s.m3, s.m4 = m2/s.n, m3/s.n, m4/s.n
}

var featureFuncs = map[string]func(s *stats) float64{
	Mean: func(s *stats) float64 { return s.mean },
	Std:  func(s *stats) float64 { return math.Sqrt(s.m2) },
	RMS:  func(s *stats) float64 { return math.Sqrt(s.sumsq / s.n) },
	Peak: func(s *stats) float64 { return max(s.max-s.mean, s.mean-s.min) },
	P2P:  func(s *stats) float64 { return s.max - s.min },
	Min:  func(s *stats) float64 { return s.min },
	Max:  func(s *stats) float64 { return s.max },
	CrestFactor: func(s *stats) float64 {
		if s.sumsq == 0 {
			return 0
		}
		return max(-s.min, s.max) / math.Sqrt(s.sumsq/s.n)
	},
	Crest: func(s *stats) float64 {
		if s.m2 == 0 {
			return 0
		}
		return max(s.max-s.mean, s.mean-s.min) / math.Sqrt(s.m2)
	},
	Kurtosis: func(s *stats) float64 {
		if s.m2 == 0 {
			return 0
		}
		return s.m4 / (s.m2 * s.m2)
	},
	Skewness: func(s *stats) float64 {
		if s.m2 == 0 {
			return 0
		}
		return s.m3 / math.Pow(s.m2, 1.5)
	},
}

// ErrInputMismatch is returned when a model input cannot take the window.
var ErrInputMismatch = errors.New("preprocess: model input does not match the window")

// Fill writes values into a model input tensor of the given description,
// quantising for int8/uint8 inputs (saturating) and copying for float32.
func Fill(dst []byte, values []float32, info models.TensorInfo) error {
	if info.Elements() != len(values) {
		return fmt.Errorf("%w: input %q has %d elements (shape %v), the window gives %d", ErrInputMismatch, info.Name, info.Elements(), info.Shape, len(values))
	}
	if len(dst) != info.Bytes {
		return fmt.Errorf("%w: input %q has %d bytes, want %d", ErrInputMismatch, info.Name, len(dst), info.Bytes)
	}
	switch info.DType {
	case models.Float32:
		copy(models.Float32s(dst), values)
	case models.Int8, models.UInt8:
		if info.Quant == nil || len(info.Quant.Scale) != 1 || info.Quant.Scale[0] <= 0 {
			return fmt.Errorf("%w: %s input %q needs one positive quantization scale", ErrInputMismatch, info.DType, info.Name)
		}
		scale, zp := float64(info.Quant.Scale[0]), float64(info.Quant.ZeroPoint[0])
		lo, hi := -128.0, 127.0
		if info.DType == models.UInt8 {
			lo, hi = 0, 255
		}
		for i, v := range values {
			q := math.Round(float64(v)/scale) + zp
			q = min(max(q, lo), hi)
			if info.DType == models.Int8 {
				dst[i] = byte(int8(q))
			} else {
				dst[i] = byte(q)
			}
		}
	default:
		return fmt.Errorf("%w: input %q has type %s; only float32, int8 and uint8 inputs are supported", ErrInputMismatch, info.Name, info.DType)
	}
	return nil
}

// Read returns output element values as float64, dequantising int8/uint8
// outputs, appended to dst[:0].
func Read(dst []float64, src []byte, info models.TensorInfo) ([]float64, error) {
	dst = dst[:0]
	switch info.DType {
	case models.Float32:
		for _, v := range models.Float32s(src) {
			dst = append(dst, float64(v))
		}
	case models.Int8, models.UInt8:
		scale, zp := 1.0, 0.0
		if info.Quant != nil && len(info.Quant.Scale) > 0 {
			scale, zp = float64(info.Quant.Scale[0]), float64(info.Quant.ZeroPoint[0])
		}
		for _, b := range src {
			q := float64(b)
			if info.DType == models.Int8 {
				q = float64(int8(b))
			}
			dst = append(dst, scale*(q-zp))
		}
	default:
		return dst, fmt.Errorf("preprocess: output %q has type %s; only float32, int8 and uint8 outputs are read", info.Name, info.DType)
	}
	return dst, nil
}

// ChannelIndex maps channel names to their indices in names.
func ChannelIndex(names []string, want []string) ([]int, error) {
	idx := make([]int, len(want))
	for i, w := range want {
		j := slices.Index(names, w)
		if j < 0 {
			return nil, fmt.Errorf("preprocess: channel %q does not exist (have %s)", w, strings.Join(names, ", "))
		}
		idx[i] = j
	}
	return idx, nil
}
