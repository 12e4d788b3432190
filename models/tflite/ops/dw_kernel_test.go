package ops

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// dwRowCase is one interior row: taps of a fh x fw filter with dilation
// over an input of width w and c channels, npix pixels stride sw apart.
type dwRowCase struct{ c, fh, fw, dh, dw, sw, w, npix int }

var dwRowCases = []dwRowCase{
	{1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 3, 1, 1, 1, 5, 3}, {8, 3, 3, 1, 1, 2, 9, 4},
	{15, 3, 3, 1, 1, 1, 6, 4}, {16, 3, 3, 1, 1, 1, 6, 4}, {17, 3, 3, 1, 1, 2, 11, 5},
	{24, 5, 5, 1, 1, 1, 8, 4}, {31, 3, 3, 2, 2, 1, 9, 5}, {32, 3, 3, 1, 1, 1, 7, 5},
	{33, 3, 3, 1, 1, 2, 9, 4}, {40, 1, 3, 1, 3, 1, 10, 4}, {48, 3, 3, 1, 1, 2, 13, 6},
	{64, 10, 4, 1, 1, 1, 6, 3}, {72, 3, 3, 1, 1, 1, 5, 3}, {100, 2, 2, 1, 1, 1, 4, 3},
}

// taps returns the input and filter offsets of the taps; with drop, a
// random subset as at a border (possibly none).
func (k dwRowCase) taps(r *rand.Rand, drop bool) (taps, ftaps []int) {
	for ky := 0; ky < k.fh; ky++ {
		for kx := 0; kx < k.fw; kx++ {
			if drop && r.IntN(2) == 0 {
				continue
			}
			taps = append(taps, (ky*k.dh*k.w+kx*k.dw)*k.c)
			ftaps = append(ftaps, (ky*k.fw+kx)*k.c)
		}
	}
	return taps, ftaps
}

// inLen is the input the row reads: the rows of the window and the
// columns up to the last pixel's window.
func (k dwRowCase) inLen() int {
	return ((k.fh-1)*k.dh*k.w + (k.npix-1)*k.sw + (k.fw-1)*k.dw + 1) * k.c
}

// TestDwRowI8 holds the fused int8 row kernel on every path to the
// unfused arithmetic (sum of f*(x-zp) then requantize32), bit for bit:
// channel tails, all taps and border subsets of them, extreme zero points,
// multipliers and shifts, the int8 extremes in input and filter, and
// clamps.
func TestDwRowI8(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, k := range dwRowCases {
		for j, inZP := range []int32{-128, 0, 5, 127} {
			x := make([]int8, k.inLen())
			for i := range x {
				x[i] = int8(r.IntN(256) - 128)
			}
			taps, ftaps := k.taps(r, j%2 == 1)
			f := make([]int8, k.fh*k.fw*k.c)
			for i := range f {
				f[i] = int8(r.IntN(256) - 128)
			}
			x[0], f[0] = -128, -128
			bias, mult := make([]int32, k.c), make([]int32, k.c)
			shift := make([]int, k.c)
			for ch := range bias {
				bias[ch] = r.Int32N(1<<20) - 1<<19
				mult[ch] = 1<<30 + r.Int32N(1<<30)
				shift[ch] = r.IntN(24) - 20
				switch ch % 7 {
				case 1:
					mult[ch] = math.MaxInt32
				case 2:
					mult[ch], shift[ch] = 1<<30, -31
				case 3:
					shift[ch] = 6
				case 4:
					bias[ch] = math.MinInt32
				}
			}
			outZP, lo, hi := int32(r.IntN(256)-128), int32(-128), int32(127)
			if inZP == 5 {
				lo, hi = -20, 90
			}
			want := make([]int8, k.npix*k.c)
			acc := make([]int32, k.c)
			for p := 0; p < k.npix; p++ {
				clear(acc)
				for t, off := range taps {
					o := p*k.sw*k.c + off
					for ch := range acc {
						acc[ch] += int32(f[ftaps[t]+ch]) * (int32(x[o+ch]) - inZP)
					}
				}
				requantize32On(pathGo, want[p*k.c:(p+1)*k.c], acc, bias, mult, shift, outZP, lo, hi)
			}
			for _, path := range gemmPaths() {
				got := make([]int8, len(want)+5)
				dwRowI8On(path, got[:len(want)], x, taps, ftaps, f, bias, mult, shift, -inZP, k.npix, k.sw*k.c, outZP, lo, hi)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("path %v %+v inZP=%d: pixel %d channel %d = %d, want %d", path, k, inZP, i/k.c, i%k.c, got[i], want[i])
					}
				}
				for i, v := range got[len(want):] {
					if v != 0 {
						t.Fatalf("path %v %+v: wrote %d past the row at %d", path, k, v, i)
					}
				}
			}
		}
	}
}

// TestDwRowF32 is TestDwRowI8 for float32, against float64 sums, with
// clamps and a NaN input that must come out NaN.
func TestDwRowF32(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, k := range dwRowCases {
		for j, clamp := range [][2]float32{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, 6}, {-1, 1}} {
			x := make([]float32, k.inLen())
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			taps, ftaps := k.taps(r, j == 1)
			f := make([]float32, k.fh*k.fw*k.c)
			for i := range f {
				f[i] = float32(r.NormFloat64())
			}
			bias := make([]float32, k.c)
			for i := range bias {
				bias[i] = float32(r.NormFloat64())
			}
			nanPix := k.npix - 1 // the last pixel's window holds x[len-1]
			x[len(x)-1] = float32(math.NaN())
			for _, path := range gemmPaths() {
				got := make([]float32, k.npix*k.c+3)
				dwRowF32On(path, got[:k.npix*k.c], x, taps, ftaps, f, bias, k.npix, k.sw*k.c, clamp[0], clamp[1])
				for p := 0; p < k.npix; p++ {
					for ch := 0; ch < k.c; ch++ {
						s, mag := float64(bias[ch]), math.Abs(float64(bias[ch]))
						for t, off := range taps {
							v := float64(f[ftaps[t]+ch]) * float64(x[p*k.sw*k.c+off+ch])
							s, mag = s+v, mag+math.Abs(v)
						}
						g := float64(got[p*k.c+ch])
						if math.IsNaN(s) {
							if p == nanPix && !math.IsNaN(g) {
								t.Fatalf("path %v %+v: pixel %d channel %d = %v, want NaN", path, k, p, ch, g)
							}
							continue
						}
						want := math.Min(math.Max(s, float64(clamp[0])), float64(clamp[1]))
						if math.Abs(g-want) > 1e-6*mag {
							t.Fatalf("path %v %+v: pixel %d channel %d = %v, want %v", path, k, p, ch, g, want)
						}
					}
				}
				for i, v := range got[k.npix*k.c:] {
					if v != 0 {
						t.Fatalf("path %v %+v: wrote %v past the row at %d", path, k, v, i)
					}
				}
			}
		}
	}
}

// BenchmarkDwRow times one interior row of a 3x3 depthwise layer (48
// pixels, stride 1) on every path, for the MobileNet channel counts.
func BenchmarkDwRow(b *testing.B) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, c := range []int{8, 32, 64, 128} {
		k := dwRowCase{c: c, fh: 3, fw: 3, dh: 1, dw: 1, sw: 1, w: 50, npix: 48}
		taps, ftaps := k.taps(r, false)
		x8, f8 := make([]int8, k.inLen()), make([]int8, 9*c)
		xf, ff := make([]float32, k.inLen()), make([]float32, 9*c)
		for i := range x8 {
			x8[i], xf[i] = int8(r.IntN(256)-128), float32(r.NormFloat64())
		}
		for i := range f8 {
			f8[i], ff[i] = int8(r.IntN(256)-128), float32(r.NormFloat64())
		}
		bias, mult, shift, biasF := make([]int32, c), make([]int32, c), make([]int, c), make([]float32, c)
		for i := range mult {
			mult[i], shift[i] = 1<<30+r.Int32N(1<<30), -8
		}
		o8, of := make([]int8, 48*c), make([]float32, 48*c)
		for _, p := range gemmPaths() {
			b.Run("i8/"+p.String()+"/c"+strconv.Itoa(c), func(b *testing.B) {
				for range b.N {
					dwRowI8On(p, o8, x8, taps, ftaps, f8, bias, mult, shift, 3, 48, c, -5, -128, 127)
				}
			})
			b.Run("f32/"+p.String()+"/c"+strconv.Itoa(c), func(b *testing.B) {
				for range b.N {
					dwRowF32On(p, of, xf, taps, ftaps, ff, biasF, 48, c, 0, 6)
				}
			})
		}
	}
}
