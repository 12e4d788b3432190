package preprocess

import (
	"math"
	"math/bits"
)

// fftPlan is an iterative radix-2 complex FFT of one power-of-two length,
// with its twiddles and bit-reversal table computed once.
type fftPlan struct {
	n   int
	tw  []complex128 // exp(-2πik/n), k < n/2
	rev []int32
}

func newFFT(n int) *fftPlan {
	p := &fftPlan{n: n, tw: make([]complex128, n/2), rev: make([]int32, n)}
	for k := range p.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		p.tw[k] = complex(c, s)
	}
	shift := bits.UintSize - bits.TrailingZeros(uint(n))
	for i := range p.rev {
		if n > 1 {
			p.rev[i] = int32(bits.Reverse(uint(i)) >> shift)
		}
	}
	return p
}

// transform replaces a (length n) by its DFT, or by the unscaled inverse
// DFT (n times the inverse) when inverse is set.
func (p *fftPlan) transform(a []complex128, inverse bool) {
	n := p.n
	for i, r := range p.rev {
		if int(r) > i {
			a[i], a[r] = a[r], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for j := range half {
				w := p.tw[j*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				u, v := a[start+j], a[start+j+half]*w
				a[start+j], a[start+j+half] = u+v, u-v
			}
		}
	}
}

// rfftPlan is the DFT of m real values (m a power of two, >= 2) through
// one complex FFT of m/2 points: even samples as real parts, odd as
// imaginary, then the usual split into the m/2+1 non-negative bins.
type rfftPlan struct {
	m    int
	half *fftPlan
	z    []complex128 // m/2 scratch
	tw   []complex128 // exp(-2πik/m), k <= m/2
}

func newRFFT(m int) *rfftPlan {
	r := &rfftPlan{m: m, half: newFFT(m / 2), z: make([]complex128, m/2), tw: make([]complex128, m/2+1)}
	for k := range r.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(m))
		r.tw[k] = complex(c, s)
	}
	return r
}

// forward writes bins 0..m/2 of the DFT of x (length m) into out (length m/2+1).
func (r *rfftPlan) forward(x []float64, out []complex128) {
	h := r.m / 2
	for i := range h {
		r.z[i] = complex(x[2*i], x[2*i+1])
	}
	r.half.transform(r.z, false)
	for k := 0; k <= h; k++ {
		// even = (Z[k] + conj Z[h-k]) / 2, odd = (Z[k] - conj Z[h-k]) / 2i,
		// written out: complex division would call the runtime.
		zk, zc := r.z[k%h], r.z[(h-k)%h]
		even := complex(0.5*(real(zk)+real(zc)), 0.5*(imag(zk)-imag(zc)))
		odd := complex(0.5*(imag(zk)+imag(zc)), -0.5*(real(zk)-real(zc)))
		out[k] = even + r.tw[k]*odd
	}
}

// nextPow2 is the smallest power of two >= n (n >= 1).
func nextPow2(n int) int {
	m := 1
	for m < n {
		m <<= 1
	}
	return m
}
