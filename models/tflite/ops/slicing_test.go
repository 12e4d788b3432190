package ops_test

import (
	"context"
	"math/rand"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// ssSpec is a STRIDED_SLICE: begin/end/strides and the option masks.
type ssSpec struct {
	begin, end, strides         []int
	bm, em, ellipsis, nam, shrk uint32
	offset                      bool
}

func on(mask uint32, i int) bool { return mask&(1<<uint(i)) != 0 }

// refStridedSlice applies the slice with Python/NumPy semantics: the
// ellipsis stands for as many full axes as the other entries leave, a new
// axis inserts a dimension of 1, a shrunk axis picks one index. ok is false
// for specs the semantics reject.
func refStridedSlice(x []float64, shape []int, sp ssSpec) (y []float64, out []int, ok bool) {
	m := len(sp.begin)
	consuming, ellipses := 0, 0
	for i := 0; i < m; i++ {
		switch {
		case on(sp.ellipsis, i):
			ellipses++
		case on(sp.nam, i):
		default:
			consuming++
		}
	}
	if ellipses > 1 {
		return nil, nil, false
	}
	type sel struct {
		idx  []int
		keep bool
		dim  int // input axis, -1 for a new axis
	}
	var sels []sel
	full := func(d int) sel {
		s := sel{keep: true, dim: d}
		for k := 0; k < shape[d]; k++ {
			s.idx = append(s.idx, k)
		}
		return s
	}
	d := 0
	for i := 0; i < m; i++ {
		switch {
		case on(sp.ellipsis, i):
			n := len(shape) - consuming
			if n < 1 {
				return nil, nil, false
			}
			for k := 0; k < n; k++ {
				sels = append(sels, full(d))
				d++
			}
		case on(sp.nam, i):
			sels = append(sels, sel{idx: []int{0}, keep: true, dim: -1})
		default:
			if d >= len(shape) {
				return nil, nil, false
			}
			n, st := shape[d], sp.strides[i]
			if st == 0 {
				return nil, nil, false
			}
			if on(sp.shrk, i) {
				b := sp.begin[i]
				if b < 0 {
					b += n
				}
				if b < 0 || b >= n {
					return nil, nil, false
				}
				sels = append(sels, sel{idx: []int{b}, dim: d})
				d++
				continue
			}
			clamp := func(v, lo, hi int) int { return min(max(v, lo), hi) }
			var start, stop int
			if st > 0 {
				start, stop = 0, n
			} else {
				start, stop = n-1, -1
			}
			if !on(sp.bm, i) {
				start = sp.begin[i]
				if start < 0 {
					start += n
				}
				if st > 0 {
					start = clamp(start, 0, n)
				} else {
					start = clamp(start, -1, n-1)
				}
			}
			if !on(sp.em, i) {
				stop = sp.end[i]
				if sp.offset {
					stop += start
				}
				if stop < 0 {
					stop += n
				}
				if st > 0 {
					stop = clamp(stop, 0, n)
				} else {
					stop = clamp(stop, -1, n-1)
				}
			}
			s := sel{keep: true, dim: d}
			for k := start; (st > 0 && k < stop) || (st < 0 && k > stop); k += st {
				s.idx = append(s.idx, k)
			}
			sels = append(sels, s)
			d++
		}
	}
	for ; d < len(shape); d++ {
		sels = append(sels, full(d))
	}
	var counts []int
	for _, s := range sels {
		counts = append(counts, len(s.idx))
		if s.keep {
			out = append(out, len(s.idx))
		}
	}
	y = make([]float64, numel(counts))
	src := make([]int, len(shape))
	for k := range y {
		ix := unravel(k, counts)
		for j, s := range sels {
			if s.dim >= 0 {
				src[s.dim] = s.idx[ix[j]]
			}
		}
		y[k] = x[ravel(src, shape)]
	}
	if out == nil {
		out = []int{}
	}
	return y, out, true
}

func buildStridedSlice(dt models.DType, shape []int, sp ssSpec) *build.Builder {
	m := len(sp.begin)
	b := build.New()
	x := b.Input("x", dt, shape, nil)
	bg := b.Const("begin", models.Int32, []int{m}, i32s(sp.begin...), nil)
	en := b.Const("end", models.Int32, []int{m}, i32s(sp.end...), nil)
	st := b.Const("strides", models.Int32, []int{m}, i32s(sp.strides...), nil)
	y := b.Tensor("y", dt, []int{1}, nil)
	b.Op(ops.OpStridedSlice, 1, []int{x, bg, en, st}, []int{y},
		opts(build.OptStridedSlice, int32(sp.bm), int32(sp.em), int32(sp.ellipsis), int32(sp.nam), int32(sp.shrk), sp.offset))
	b.Output(y)
	return b
}

var stridedSliceCases = []struct {
	shape []int
	sp    ssSpec
}{
	{[]int{6}, ssSpec{begin: []int{1}, end: []int{5}, strides: []int{1}}},
	{[]int{6}, ssSpec{begin: []int{-1}, end: []int{0}, strides: []int{-2}}},
	{[]int{6}, ssSpec{begin: []int{0}, end: []int{0}, strides: []int{-1}, bm: 1, em: 1}},
	{[]int{4, 5}, ssSpec{begin: []int{1, 0}, end: []int{3, 5}, strides: []int{1, 2}}},
	{[]int{4, 5}, ssSpec{begin: []int{1, -2}, end: []int{3, 0}, strides: []int{1, 1}, em: 2}},
	{[]int{4, 5}, ssSpec{begin: []int{2, 0}, end: []int{3, 5}, strides: []int{1, 1}, shrk: 1}},
	{[]int{4, 5}, ssSpec{begin: []int{-1, -1}, end: []int{0, 0}, strides: []int{1, 1}, shrk: 3}},
	{[]int{2, 3, 4}, ssSpec{begin: []int{0, 1}, end: []int{0, 3}, strides: []int{1, 1}, ellipsis: 1}},
	{[]int{2, 3, 4}, ssSpec{begin: []int{1, 0}, end: []int{2, 0}, strides: []int{1, 1}, ellipsis: 2, shrk: 1}},
	{[]int{2, 3, 4}, ssSpec{begin: []int{0, 0, 1}, end: []int{0, 0, 3}, strides: []int{1, 1, 1}, nam: 1, bm: 2, em: 2}},
	{[]int{2, 3, 4}, ssSpec{begin: []int{0, 0, 0}, end: []int{0, 0, 0}, strides: []int{1, 1, -1}, ellipsis: 1, nam: 2, bm: 4, em: 4}},
	{[]int{3, 4}, ssSpec{begin: []int{1, 1}, end: []int{2, 2}, strides: []int{1, 1}, offset: true}},
	{[]int{1, 8, 166, 2}, ssSpec{begin: []int{0, 2, 0, 0}, end: []int{1, 8, 166, 2}, strides: []int{1, 1, 1, 1}}},
	{[]int{2, 3, 4, 5, 2}, ssSpec{begin: []int{0, 2, 1, 4, 0}, end: []int{2, 0, 4, 0, 2}, strides: []int{1, -1, 2, -3, 1}}},
	{[]int{3, 0, 2}, ssSpec{begin: []int{0, 0, 0}, end: []int{3, 0, 2}, strides: []int{1, 1, 1}}},
	{[]int{5}, ssSpec{begin: []int{3}, end: []int{1}, strides: []int{1}}},
}

func TestStridedSlice(t *testing.T) {
	for _, dt := range moveTypes {
		for _, tc := range stridedSliceCases {
			x := seq(dt, numel(tc.shape))
			want, shape, ok := refStridedSlice(x, tc.shape, tc.sp)
			if !ok {
				t.Fatalf("reference rejects %+v", tc)
			}
			expectOutput(t, run(t, buildStridedSlice(dt, tc.shape, tc.sp), encode(dt, x)), 0, shape, want)
		}
	}
}

func TestStridedSliceErrors(t *testing.T) {
	for _, tc := range []struct {
		sp   ssSpec
		frag string
	}{
		{ssSpec{begin: []int{0}, end: []int{1}, strides: []int{0}}, "stride 0"},
		{ssSpec{begin: []int{7}, end: []int{8}, strides: []int{1}, shrk: 1}, "out of range"},
	} {
		expectErr(t, loadErr(t, buildStridedSlice(models.Float32, []int{4}, tc.sp)), "STRIDED_SLICE", tc.frag)
	}
	b := build.New()
	x := b.Input("x", models.Float32, []int{4}, nil)
	bg := b.Const("begin", models.Int32, []int{1}, i32s(0), nil)
	en := b.Const("end", models.Int32, []int{2}, i32s(1, 2), nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpStridedSlice, 1, []int{x, bg, en, bg}, []int{y}, build.Options{})
	b.Output(y)
	expectErr(t, loadErr(t, b), "STRIDED_SLICE", "lengths")
}

// TestStridedSliceDynamic feeds begin/end/strides at run time.
func TestStridedSliceDynamic(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Float32, []int{3, 5}, nil)
	bg := b.Input("begin", models.Int32, []int{2}, nil)
	en := b.Input("end", models.Int32, []int{2}, nil)
	st := b.Input("strides", models.Int32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{1}, nil)
	b.Op(ops.OpStridedSlice, 1, []int{x, bg, en, st}, []int{y}, opts(build.OptStridedSlice, int32(0), int32(0), int32(0), int32(0), int32(1)))
	b.Output(y)
	it := load(t, b)
	xv := seq(models.Float32, 15)
	ints := func(v ...int) []byte {
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(x)
		}
		return encode(models.Int32, f)
	}
	for _, sp := range []ssSpec{
		{begin: []int{1, 0}, end: []int{2, 5}, strides: []int{1, 2}, shrk: 1},
		{begin: []int{-1, 4}, end: []int{0, 0}, strides: []int{1, -1}, shrk: 1},
	} {
		setInputs(t, it, encode(models.Float32, xv), ints(sp.begin...), ints(sp.end...), ints(sp.strides...))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		want, shape, _ := refStridedSlice(xv, []int{3, 5}, sp)
		expectOutput(t, it, 0, shape, want)
	}
}

// FuzzStridedSlice compares the kernel with the reference on random specs:
// whenever the reference accepts a spec the kernel must produce the same
// result; otherwise it may fail, but never panic.
func FuzzStridedSlice(f *testing.F) {
	f.Add(uint64(1), uint8(3))
	f.Add(uint64(42), uint8(2))
	f.Add(uint64(7777), uint8(4))
	f.Fuzz(func(t *testing.T, seed uint64, rank uint8) {
		rng := rand.New(rand.NewSource(int64(seed)))
		r := int(rank%4) + 1
		shape := make([]int, r)
		for i := range shape {
			shape[i] = rng.Intn(5)
		}
		m := 1 + rng.Intn(r+1)
		sp := ssSpec{begin: make([]int, m), end: make([]int, m), strides: make([]int, m)}
		for i := 0; i < m; i++ {
			sp.begin[i] = rng.Intn(13) - 6
			sp.end[i] = rng.Intn(13) - 6
			sp.strides[i] = rng.Intn(7) - 3
		}
		bits := func() uint32 { return uint32(rng.Intn(1 << uint(m))) }
		sp.bm, sp.em, sp.nam, sp.shrk = bits(), bits(), bits(), bits()
		if rng.Intn(3) == 0 {
			sp.ellipsis = 1 << uint(rng.Intn(m))
		}
		// Keep to specs whose meaning TFLite and NumPy share: masks on a
		// new or ellipsis axis are ignored by both but differently spelled.
		sp.nam &^= sp.ellipsis
		sp.shrk &^= sp.nam | sp.ellipsis
		sp.bm &^= sp.shrk
		x := seq(models.Float32, numel(shape))
		want, wantShape, ok := refStridedSlice(x, shape, sp)
		data, err := buildStridedSlice(models.Float32, shape, sp).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		it, err := loadBytes(data)
		if err != nil {
			if ok {
				t.Fatalf("shape %v spec %+v: %v", shape, sp, err)
			}
			return
		}
		defer it.Close()
		copy(it.Input(0), encode(models.Float32, x))
		if err := it.Invoke(context.Background()); err != nil {
			if ok {
				t.Fatalf("shape %v spec %+v: %v", shape, sp, err)
			}
			return
		}
		if ok {
			expectOutput(t, it, 0, wantShape, want)
		}
	})
}

func TestSlice(t *testing.T) {
	cases := []struct {
		shape, begin, size []int
	}{
		{[]int{5}, []int{1}, []int{3}},
		{[]int{5}, []int{2}, []int{-1}},
		{[]int{3, 4}, []int{1, 1}, []int{2, 2}},
		{[]int{3, 4}, []int{0, 3}, []int{-1, 1}},
		{[]int{2, 3, 4, 5}, []int{1, 0, 2, 1}, []int{1, 3, 2, -1}},
		{[]int{2, 3}, []int{2, 0}, []int{0, 3}},
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			x := seq(dt, numel(tc.shape))
			out := make([]int, len(tc.shape))
			for i := range out {
				out[i] = tc.size[i]
				if out[i] == -1 {
					out[i] = tc.shape[i] - tc.begin[i]
				}
			}
			want := make([]float64, numel(out))
			for k := range want {
				ix := unravel(k, out)
				for i := range ix {
					ix[i] += tc.begin[i]
				}
				want[k] = x[ravel(ix, tc.shape)]
			}
			b := unary(dt, tc.shape, []int{1}, ops.OpSlice, 1, build.Options{},
				constI32("begin", []int{len(tc.begin)}, tc.begin...), constI32("size", []int{len(tc.size)}, tc.size...))
			expectOutput(t, run(t, b, encode(dt, x)), 0, out, want)
		}
	}
	for _, tc := range []struct {
		begin, size []int
		frag        string
	}{
		{[]int{-1, 0}, []int{1, 1}, "begin -1"},
		{[]int{1, 0}, []int{3, 1}, "does not fit"},
		{[]int{0, 0}, []int{1, -2}, "does not fit"},
	} {
		b := unary(models.Float32, []int{3, 4}, []int{1}, ops.OpSlice, 1, build.Options{},
			constI32("begin", []int{2}, tc.begin...), constI32("size", []int{2}, tc.size...))
		expectErr(t, loadErr(t, b), "SLICE", tc.frag)
	}
	// int64 begin/size given at run time.
	b := build.New()
	x := b.Input("x", models.Int8, []int{4, 3}, nil)
	bg := b.Input("begin", models.Int64, []int{2}, nil)
	sz := b.Input("size", models.Int64, []int{2}, nil)
	y := b.Tensor("y", models.Int8, []int{1}, nil)
	b.Op(ops.OpSlice, 1, []int{x, bg, sz}, []int{y}, build.Options{})
	b.Output(y)
	xv := seq(models.Int8, 12)
	it := run(t, b, encode(models.Int8, xv), encode(models.Int64, []float64{1, 1}), encode(models.Int64, []float64{2, -1}))
	expectOutput(t, it, 0, []int{2, 2}, []float64{xv[4], xv[5], xv[7], xv[8]})
	setInputs(t, it, encode(models.Int8, xv), encode(models.Int64, []float64{3, 0}), encode(models.Int64, []float64{2, 1}))
	if err := it.Invoke(context.Background()); err == nil || !strings.Contains(err.Error(), "SLICE") {
		t.Fatalf("out-of-range slice at run time: %v", err)
	}
}
