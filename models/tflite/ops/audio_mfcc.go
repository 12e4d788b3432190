package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Mfcc: the custom operator TFLite's builtin resolver registers for
// tf.raw_ops.Mfcc.
//
// Inputs are a float32 spectrogram [channels, frames, bins] (squared
// magnitudes, as AudioSpectrogram makes them) and the int32 sample rate
// (one element, read at every Eval); the output is float32 [channels,
// frames, dct_coefficient_count]. Per frame, the square roots of the bins
// from lower_frequency_limit to upper_frequency_limit are summed into
// filterbank_channel_count triangular mel bands (mel = 1127 ln(1 + f/700),
// centres evenly spaced in mel), each band is floored at 1e-12 and its
// natural log taken, and a DCT-II scaled by sqrt(2/bands) gives the
// coefficients, all in double precision as TFLite's kernel computes them.
// TFLite reads the frequency limits as integers (a fractional option is
// truncated), and so does this kernel.

const mfccFloor = 1e-12

type mfccState struct {
	lower, upper  float64
	bands, coeffs int
	bins          int
	rate          int32     // the rate the filterbank was made for; 0 before
	start, end    int       // first and last bin that feeds a band
	center        []float64 // bands+1 mel centres
	bandOf        []int32   // bins: band on the right of each bin (-1 below the first)
	weight        []float64 // bins
	cosines       []float64 // coeffs x bands
	work          []float64 // bands
}

func mfccPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	m, err := audioOptions(n)
	if err != nil {
		return err
	}
	var v [4]int64
	for i, key := range []string{"upper_frequency_limit", "lower_frequency_limit", "filterbank_channel_count", "dct_coefficient_count"} {
		lo := int64(1)
		if i == 1 {
			lo = 0
		}
		if v[i], err = audioInt(n, m, key, true, 0, lo, 1<<30); err != nil {
			return err
		}
	}
	st := &mfccState{upper: float64(v[0]), lower: float64(v[1]), bands: int(v[2]), coeffs: int(v[3])}
	if st.upper <= st.lower {
		return n.Errorf("upper_frequency_limit %g must be above lower_frequency_limit %g", st.upper, st.lower)
	}
	if st.coeffs > st.bands {
		return n.Errorf("dct_coefficient_count %d is more than filterbank_channel_count %d", st.coeffs, st.bands)
	}
	spec, rate, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if spec == nil || rate == nil || out == nil {
		return n.Errorf("spectrogram, sample rate and output are required")
	}
	if spec.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("spectrogram %q (%s) and output %q (%s) must be float32", spec.Name, spec.Type, out.Name, out.Type)
	}
	if rate.Type != models.Int32 || rate.NumElements() != 1 {
		return n.Errorf("sample rate %q must be one int32, got %s %v", rate.Name, rate.Type, rate.Shape)
	}
	if spec.Dims() != 3 {
		return n.Errorf("spectrogram %q shape %v must be [channels, frames, bins]", spec.Name, spec.Shape)
	}
	st.bins = spec.Shape[2]
	if st.bins < 2 {
		return n.Errorf("spectrogram %q has %d bins, the filterbank needs at least 2", spec.Name, st.bins)
	}
	if _, ok := mulChecked(spec.Shape[0], spec.Shape[1], st.coeffs, 4); !ok {
		return n.Errorf("output [%d, %d, %d] is too large", spec.Shape[0], spec.Shape[1], st.coeffs)
	}
	if _, ok := mulChecked(st.coeffs, st.bands, 8); !ok {
		return n.Errorf("DCT table %d x %d is too large", st.coeffs, st.bands)
	}
	if err := c.Resize(out, []int{spec.Shape[0], spec.Shape[1], st.coeffs}); err != nil {
		return n.Errorf("output %q: %v", out.Name, err)
	}
	if err := allocAll(c, slot(&st.center, st.bands+1), slot(&st.bandOf, st.bins), slot(&st.weight, st.bins),
		slot(&st.cosines, st.coeffs*st.bands), slot(&st.work, st.bands)); err != nil {
		return n.Errorf("%v", err)
	}
	norm := math.Sqrt(2 / float64(st.bands))
	arg := math.Pi / float64(st.bands)
	for i := 0; i < st.coeffs; i++ {
		for j := 0; j < st.bands; j++ {
			st.cosines[i*st.bands+j] = norm * math.Cos(float64(i)*arg*(float64(j)+0.5))
		}
	}
	n.State = st
	return nil
}

func mel(f float64) float64 { return 1127 * math.Log1p(f/700) }

// filterbank makes the band mapping for rate; it fails when the upper
// limit lies above the highest bin, where TFLite's filterbank yields no
// output.
func (st *mfccState) filterbank(n *Node, rate int32) error {
	if rate <= 0 {
		return n.Errorf("sample rate %d must be positive", rate)
	}
	hzPerBin := 0.5 * float64(rate) / float64(st.bins-1)
	end := st.upper / hzPerBin
	if end >= float64(st.bins) {
		return n.Errorf("upper_frequency_limit %g is above the %d bins of a %d Hz spectrogram", st.upper, st.bins, rate)
	}
	st.start, st.end = int(1.5+st.lower/hzPerBin), int(end)
	lo := mel(st.lower)
	spacing := (mel(st.upper) - lo) / float64(st.bands+1)
	for i := range st.center {
		st.center[i] = lo + spacing*float64(i+1)
	}
	band := 0
	for i := range st.bandOf {
		st.bandOf[i], st.weight[i] = -2, 0
		if i < st.start || i > st.end {
			continue
		}
		f := mel(float64(i) * hzPerBin)
		for band < st.bands && st.center[band] < f {
			band++
		}
		b := band - 1
		st.bandOf[i] = int32(b)
		if b >= 0 {
			st.weight[i] = (st.center[b+1] - f) / (st.center[b+1] - st.center[b])
		} else {
			st.weight[i] = (st.center[0] - f) / (st.center[0] - lo)
		}
	}
	st.rate = rate
	return nil
}

func mfccEval(c Context, n *Node) error {
	st, ok := n.State.(*mfccState)
	if !ok {
		return n.Errorf("not prepared")
	}
	spec, out := c.Input(n, 0), c.Output(n, 0)
	if rate := c.Input(n, 1).I32()[0]; rate != st.rate {
		if err := st.filterbank(n, rate); err != nil {
			return err
		}
	}
	src, dst := spec.F32(), out.F32()
	frames := spec.Shape[0] * spec.Shape[1]
	for f := 0; f < frames; f++ {
		row := src[f*st.bins : (f+1)*st.bins]
		for i := range st.work {
			st.work[i] = 0
		}
		for i := st.start; i <= st.end; i++ {
			s := math.Sqrt(float64(row[i]))
			w := s * st.weight[i]
			b := int(st.bandOf[i])
			if b >= 0 {
				st.work[b] += w
			}
			if b+1 < st.bands {
				st.work[b+1] += s - w
			}
		}
		for i, v := range st.work {
			st.work[i] = math.Log(max(v, mfccFloor))
		}
		o := dst[f*st.coeffs : (f+1)*st.coeffs]
		for i := range o {
			var sum float64
			for j, v := range st.work {
				sum += v * st.cosines[i*st.bands+j]
			}
			o[i] = float32(sum)
		}
	}
	return nil
}
