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

// spectrogramModel is one AudioSpectrogram node on float32 [samples, channels].
func spectrogramModel(t *testing.T, samples, channels int, opts flexbuf.Entries) []byte {
	t.Helper()
	raw, err := flexbuf.Encode(opts)
	if err != nil {
		t.Fatal(err)
	}
	b := build.New()
	in := b.Input("audio", models.Float32, []int{samples, channels}, nil)
	out := b.Tensor("spectrogram", models.Float32, []int{}, nil)
	b.CustomOp("AudioSpectrogram", 1, []int{in}, []int{out}, raw)
	b.Output(out)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// directSpectrogram is the reference: a periodic Hann window and a direct
// DFT of length L (window rounded up to a power of two) in float64.
func directSpectrogram(x []float32, channels, window, stride int, squared bool) (frames, bins int, out []float64) {
	samples := len(x) / channels
	L := 1
	for L < window {
		L *= 2
	}
	bins = L/2 + 1
	if samples >= window {
		frames = 1 + (samples-window)/stride
	}
	for ch := 0; ch < channels; ch++ {
		for f := 0; f < frames; f++ {
			for k := 0; k < bins; k++ {
				var re, im float64
				for j := 0; j < window; j++ {
					w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(j)/float64(window))
					v := float64(x[(f*stride+j)*channels+ch]) * w
					a := 2 * math.Pi * float64(k*j) / float64(L)
					re += v * math.Cos(a)
					im -= v * math.Sin(a)
				}
				p := re*re + im*im
				if !squared {
					p = math.Sqrt(p)
				}
				out = append(out, p)
			}
		}
	}
	return frames, bins, out
}

func TestAudioSpectrogramMatchesDirectDFT(t *testing.T) {
	for _, tc := range []struct {
		samples, channels, window, stride int
		squared                           bool
	}{
		{64, 1, 16, 8, true},
		{100, 2, 24, 10, false}, // window 24 pads to 32
		{50, 1, 7, 3, true},
		{5, 1, 8, 4, false}, // shorter than a window: no frames
	} {
		x := make([]float32, tc.samples*tc.channels)
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*0.37) + 0.25*math.Cos(float64(i)*1.9))
		}
		it, err := tflite.Load(spectrogramModel(t, tc.samples, tc.channels, flexbuf.Entries{
			"window_size": tc.window, "stride": tc.stride, "magnitude_squared": tc.squared}), models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		copy(it.Input(0), bEncode(models.Float32, f32to64(x)))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		frames, bins, want := directSpectrogram(x, tc.channels, tc.window, tc.stride, tc.squared)
		shape := it.Outputs()[0].Shape
		if len(shape) != 3 || shape[0] != tc.channels || shape[1] != frames || shape[2] != bins {
			t.Fatalf("%+v: output shape %v, want [%d %d %d]", tc, shape, tc.channels, frames, bins)
		}
		got := bDecode(models.Float32, it.Output(0))
		for i := range want {
			if d := math.Abs(got[i] - want[i]); d > 1e-5*(1+math.Abs(want[i])) {
				t.Fatalf("%+v: value %d = %g, want %g", tc, i, got[i], want[i])
			}
		}
		if a := testing.AllocsPerRun(5, func() { _ = it.Invoke(context.Background()) }); a != 0 {
			t.Errorf("%+v: %v allocations per Invoke, want 0", tc, a)
		}
		it.Close()
	}
}

func f32to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestAudioSpectrogramErrors(t *testing.T) {
	for _, tc := range []struct {
		opts flexbuf.Entries
		want string
	}{
		{flexbuf.Entries{"stride": 2}, "window_size is missing"},
		{flexbuf.Entries{"window_size": 1, "stride": 2}, "window_size = 1"},
		{flexbuf.Entries{"window_size": 8, "stride": 0}, "stride = 0"},
		{flexbuf.Entries{"window_size": 1 << 30, "stride": 1}, "window_size"},
	} {
		_, err := tflite.Load(spectrogramModel(t, 32, 1, tc.opts), models.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "AudioSpectrogram") {
			t.Errorf("options %v: error %v, want one naming AudioSpectrogram and %q", tc.opts, err, tc.want)
		}
	}
}
