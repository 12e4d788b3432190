package ops_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

func mfccModel(t *testing.T, shape []int, opts flexbuf.Entries) []byte {
	t.Helper()
	raw, err := flexbuf.Encode(opts)
	if err != nil {
		t.Fatal(err)
	}
	b := build.New()
	in := b.Input("spectrogram", models.Float32, shape, nil)
	rate := b.Input("rate", models.Int32, []int{1}, nil)
	out := b.Tensor("mfcc", models.Float32, []int{}, nil)
	b.CustomOp("Mfcc", 1, []int{in, rate}, []int{out}, raw)
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// mfccReference computes one frame in float64 from the textbook
// definition: triangular mel bands (each rising from the previous centre,
// or the lower limit, to its own centre and falling to the next), applied
// to spectral magnitudes, floored log, DCT-II scaled by sqrt(2/bands).
func mfccReference(frame []float32, rate, lower, upper float64, bands, coeffs int) []float64 {
	mel := func(f float64) float64 { return 1127 * math.Log(1+f/700) }
	lo, hi := mel(lower), mel(upper)
	centre := func(k int) float64 { return lo + (hi-lo)*float64(k+1)/float64(bands+1) }
	hz := rate / 2 / float64(len(frame)-1)
	energy := make([]float64, bands)
	for i, p := range frame {
		f := float64(i) * hz
		if f < lower+hz/2 || f > upper {
			continue // outside the bins TFLite feeds to the bands
		}
		m := mel(f)
		for k := 0; k < bands; k++ {
			left := lo
			if k > 0 {
				left = centre(k - 1)
			}
			c, right := centre(k), centre(k+1)
			var w float64
			switch {
			case m > left && m <= c:
				w = (m - left) / (c - left)
			case m > c && m <= right:
				w = (right - m) / (right - c)
			}
			energy[k] += w * math.Sqrt(float64(p))
		}
	}
	out := make([]float64, coeffs)
	for i := range out {
		for j, e := range energy {
			out[i] += math.Log(math.Max(e, 1e-12)) * math.Sqrt(2/float64(bands)) *
				math.Cos(math.Pi*float64(i)*(float64(j)+0.5)/float64(bands))
		}
	}
	return out
}

func TestMfccMatchesReference(t *testing.T) {
	const channels, frames, bins = 2, 3, 33
	opts := flexbuf.Entries{"upper_frequency_limit": 4000, "lower_frequency_limit": 20,
		"filterbank_channel_count": 10, "dct_coefficient_count": 5}
	it, err := tflite.Load(mfccModel(t, []int{channels, frames, bins}, opts), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	spec := make([]float32, channels*frames*bins)
	for i := range spec {
		spec[i] = float32(1+math.Sin(float64(i)*0.7)) * 3
	}
	copy(it.Input(0), bEncode(models.Float32, f32to64(spec)))
	// The second rate reuses the node with a different filterbank.
	for _, rate := range []int32{16000, 9000} {
		copy(it.Input(1), bEncode(models.Int32, []float64{float64(rate)}))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := it.Outputs()[0].Shape; len(s) != 3 || s[0] != channels || s[1] != frames || s[2] != 5 {
			t.Fatalf("output shape %v, want [%d %d 5]", s, channels, frames)
		}
		got := bDecode(models.Float32, it.Output(0))
		for f := 0; f < channels*frames; f++ {
			want := mfccReference(spec[f*bins:(f+1)*bins], float64(rate), 20, 4000, 10, 5)
			for i, w := range want {
				if g := got[f*5+i]; math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
					t.Fatalf("rate %d frame %d coefficient %d = %g, want %g", rate, f, i, g, w)
				}
			}
		}
	}
	if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
		t.Errorf("%v allocations per Invoke, want 0", a)
	}
}

func TestMfccErrors(t *testing.T) {
	good := func() flexbuf.Entries {
		return flexbuf.Entries{"upper_frequency_limit": 4000, "lower_frequency_limit": 20,
			"filterbank_channel_count": 10, "dct_coefficient_count": 5}
	}
	for _, tc := range []struct {
		key  string
		val  any
		want string
	}{
		{"dct_coefficient_count", 11, "dct_coefficient_count 11 is more than filterbank_channel_count 10"},
		{"upper_frequency_limit", 10, "must be above lower_frequency_limit"},
		{"filterbank_channel_count", 0, "filterbank_channel_count = 0"},
		{"dct_coefficient_count", nil, "dct_coefficient_count is missing"},
	} {
		o := good()
		if tc.val == nil {
			delete(o, tc.key)
		} else {
			o[tc.key] = tc.val
		}
		_, err := tflite.Load(mfccModel(t, []int{1, 1, 33}, o), models.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Mfcc") {
			t.Errorf("%s = %v: error %v, want one naming Mfcc and %q", tc.key, tc.val, err, tc.want)
		}
	}
	// A rate whose Nyquist frequency is below the upper limit fails at Invoke.
	it, err := tflite.Load(mfccModel(t, []int{1, 1, 33}, good()), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	copy(it.Input(1), bEncode(models.Int32, []float64{6000}))
	if err := it.Invoke(context.Background()); err == nil || !strings.Contains(err.Error(), "6000 Hz") || !strings.Contains(err.Error(), "Mfcc") {
		t.Errorf("rate 6000: error %v, want one naming Mfcc and the rate", err)
	}
}
