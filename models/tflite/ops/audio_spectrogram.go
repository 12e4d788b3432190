package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

// AudioSpectrogram: the custom operator TFLite's builtin resolver
// registers for tf.raw_ops.AudioSpectrogram.
//
// The input is float32 audio [samples, channels]; the output is float32
// [channels, frames, bins] with frames = 1 + (samples - window_size) /
// stride (0 when the input is shorter than a window) and bins = L/2 + 1,
// where L is window_size rounded up to a power of two. Each frame is the
// periodic Hann window 0.5 - 0.5*cos(2*pi*i/window_size) applied to
// window_size samples, zero-padded to L and transformed with a real FFT in
// double precision, as TFLite's kernel does; a bin holds re²+im² when
// magnitude_squared is set and its float32 square root otherwise.

// audioMaxWindow bounds window_size so the FFT length stays a power of two
// that fits in an int on 32-bit targets.
const audioMaxWindow = 1 << 24

type spectrogramState struct {
	window, stride, fftLen int
	magnitudeSquared       bool
	frames, bins           int

	hann     []float64 // window_size
	cos, sin []float64 // fftLen/2 twiddles
	rev      []int32   // bit-reversal permutation of fftLen
	re, im   []float64 // fftLen working area
}

func addAudio(r *Resolver) {
	r.Custom["AudioSpectrogram"] = &Kernel{MaxVersion: 1, Prepare: spectrogramPrepare, Eval: spectrogramEval}
	r.Custom["Mfcc"] = &Kernel{MaxVersion: 1, Prepare: mfccPrepare, Eval: mfccEval}
}

// audioOptions opens the FlexBuffers map of a custom operator's options.
func audioOptions(n *Node) (flexbuf.Map, error) {
	if len(n.CustomOptions) == 0 {
		return flexbuf.Map{}, n.Errorf("custom_options are missing")
	}
	root, err := flexbuf.Root(n.CustomOptions)
	if err != nil {
		return flexbuf.Map{}, n.Errorf("custom_options: %v", err)
	}
	m, err := root.Map()
	if err != nil {
		return flexbuf.Map{}, n.Errorf("custom_options: %v", err)
	}
	return m, nil
}

// audioInt reads an integer option in [lo, hi]; def is used when the key
// is absent and required is false.
func audioInt(n *Node, m flexbuf.Map, key string, required bool, def, lo, hi int64) (int64, error) {
	v, ok, err := m.Get(key)
	if err != nil {
		return 0, n.Errorf("option %s: %v", key, err)
	}
	if !ok || v.IsNull() {
		if required {
			return 0, n.Errorf("option %s is missing", key)
		}
		return def, nil
	}
	i, err := v.Int()
	if err != nil {
		return 0, n.Errorf("option %s: %v", key, err)
	}
	if i < lo || i > hi {
		return 0, n.Errorf("option %s = %d is outside [%d, %d]", key, i, lo, hi)
	}
	return i, nil
}

// audioFloat reads a finite float option, def when absent.
func audioFloat(n *Node, m flexbuf.Map, key string, def float64) (float64, error) {
	v, ok, err := m.Get(key)
	if err != nil {
		return 0, n.Errorf("option %s: %v", key, err)
	}
	if !ok || v.IsNull() {
		return def, nil
	}
	f, err := v.Float()
	if err != nil {
		return 0, n.Errorf("option %s: %v", key, err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, n.Errorf("option %s = %g is not finite", key, f)
	}
	return f, nil
}

func spectrogramPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	m, err := audioOptions(n)
	if err != nil {
		return err
	}
	window, err := audioInt(n, m, "window_size", true, 0, 2, audioMaxWindow)
	if err != nil {
		return err
	}
	stride, err := audioInt(n, m, "stride", true, 0, 1, math.MaxInt32)
	if err != nil {
		return err
	}
	var magSq bool
	if v, ok, err := m.Get("magnitude_squared"); err != nil {
		return n.Errorf("option magnitude_squared: %v", err)
	} else if ok && !v.IsNull() {
		if magSq, err = v.Bool(); err != nil {
			return n.Errorf("option magnitude_squared: %v", err)
		}
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output are required")
	}
	if in.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("input %q (%s) and output %q (%s) must be float32", in.Name, in.Type, out.Name, out.Type)
	}
	if in.Dims() != 2 {
		return n.Errorf("input %q shape %v must be [samples, channels]", in.Name, in.Shape)
	}
	samples, channels := in.Shape[0], in.Shape[1]
	fftLen := 1
	for fftLen < int(window) {
		fftLen <<= 1
	}
	st := &spectrogramState{window: int(window), stride: int(stride), fftLen: fftLen,
		magnitudeSquared: magSq, bins: fftLen/2 + 1}
	if int64(samples) >= window {
		st.frames = 1 + int((int64(samples)-window)/stride)
	}
	if _, ok := mulChecked(channels, st.frames, st.bins, 4); !ok {
		return n.Errorf("output [%d, %d, %d] of input %q is too large", channels, st.frames, st.bins, in.Name)
	}
	if err := c.Resize(out, []int{channels, st.frames, st.bins}); err != nil {
		return n.Errorf("output %q: %v", out.Name, err)
	}
	half := fftLen / 2
	if err := allocAll(c, slot(&st.hann, st.window), slot(&st.cos, half), slot(&st.sin, half),
		slot(&st.rev, fftLen), slot(&st.re, fftLen), slot(&st.im, fftLen)); err != nil {
		return n.Errorf("%v", err)
	}
	for i := range st.hann {
		st.hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(window))
	}
	for k := 0; k < half; k++ {
		a := -2 * math.Pi * float64(k) / float64(fftLen)
		st.cos[k], st.sin[k] = math.Cos(a), math.Sin(a)
	}
	bits := 0
	for 1<<bits < fftLen {
		bits++
	}
	for i := range st.rev {
		r := 0
		for b := 0; b < bits; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		st.rev[i] = int32(r)
	}
	n.State = st
	return nil
}

// fft transforms st.re/st.im in place (iterative radix-2, decimation in
// time; the inputs are already in bit-reversed order).
func (st *spectrogramState) fft() {
	n := st.fftLen
	re, im := st.re, st.im
	for size := 2; size <= n; size <<= 1 {
		h, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < h; k++ {
				wr, wi := st.cos[k*step], st.sin[k*step]
				a, b := start+k, start+k+h
				tr := re[b]*wr - im[b]*wi
				ti := re[b]*wi + im[b]*wr
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
			}
		}
	}
}

// power writes the squared magnitudes of the frame of channel ch starting
// at sample first into dst (bins values).
func (st *spectrogramState) power(src []float32, channels, ch, first int, dst []float32) {
	for i := range st.re {
		st.re[i], st.im[i] = 0, 0
	}
	for j := 0; j < st.window; j++ {
		r := st.rev[j]
		st.re[r] = float64(src[(first+j)*channels+ch]) * st.hann[j]
	}
	st.fft()
	for k := range dst {
		p := st.re[k]*st.re[k] + st.im[k]*st.im[k]
		if st.magnitudeSquared {
			dst[k] = float32(p)
		} else {
			dst[k] = float32(math.Sqrt(float64(float32(p))))
		}
	}
}

func spectrogramEval(c Context, n *Node) error {
	st, ok := n.State.(*spectrogramState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	src, dst := in.F32(), out.F32()
	channels := in.Shape[1]
	for ch := 0; ch < channels; ch++ {
		for f := 0; f < st.frames; f++ {
			o := (ch*st.frames + f) * st.bins
			st.power(src, channels, ch, f*st.stride, dst[o:o+st.bins])
		}
	}
	return nil
}
