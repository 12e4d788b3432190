package ops_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// fourPixelGeoms are convolutions wide and deep enough for the four-pixel
// kernels of CONV_2D: output widths with and without a remainder of four,
// 1x1 filters whose four pixels are read in place (stride 1 and 2) or
// copied at a padded border, 3x3 windows copied a filter row at a time,
// dilation, groups of 16+ channels, channel counts that leave 1-3 blocks
// after the blocks of four, more channels than one pass (quadChunk), and
// patches too long for copies (maxCopy4) whose last two or three inside
// pixels of a row go in a group overlapping the one before, and pointwise
// maps narrower than four that go four pixels at a time across rows; float
// windows crossing the top and bottom borders (rows skipped), up to a
// window with no row inside the image; and int8 filter rows of 9 depths
// (3x3x3 first layers, stride 1 and 2) padded to 12, read in place with
// the next input bytes, copied where those would run past the input.
var fourPixelGeoms = []cgeom{
	{n: 1, h: 4, w: 11, cin: 24, cout: 36, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 5, w: 17, cin: 20, cout: 20, fh: 1, fw: 1, sh: 2, sw: 2, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 6, w: 10, cin: 19, cout: 24, fh: 1, fw: 1, sh: 3, sw: 3, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 7, w: 13, cin: 3, cout: 28, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 9, w: 12, cin: 16, cout: 17, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 8, w: 14, cin: 8, cout: 16, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 2, pad: 0, groups: 1},
	{n: 1, h: 6, w: 9, cin: 32, cout: 40, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 2},
	{n: 1, h: 5, w: 8, cin: 5, cout: 12, fh: 2, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 5, w: 9, cin: 8, cout: 70, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 3, w: 8, cin: 12, cout: 132, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 4, w: 12, cin: 32, cout: 20, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 4, w: 13, cin: 32, cout: 8, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 3, w: 3, cin: 16, cout: 24, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 5, w: 2, cin: 8, cout: 70, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 1, w: 6, cin: 4, cout: 6, fh: 2, fw: 1, sh: 1, sw: 1, dh: 3, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 2, w: 9, cin: 32, cout: 12, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 11, w: 21, cin: 3, cout: 8, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0, groups: 1},
}

func TestConv2DFourPixelsFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	acts := []ops.Activation{ops.ActNone, ops.ActRelu, ops.ActRelu6, ops.ActReluN1To1}
	for i, g := range fourPixelGeoms {
		act := acts[i%len(acts)]
		threads := 1 + i%2
		name := fmt.Sprintf("%v_act%d_t%d", g, act, threads)
		t.Run(name, func(t *testing.T) {
			fc := g.cin / g.groups
			x, w := bRandF(r, g.n*g.h*g.w*g.cin, 2), bRandF(r, g.cout*g.fh*g.fw*fc, 1)
			bias := bRandF(r, g.cout, 1)
			oh, ow, _, _ := g.out()
			shape := []int{g.n, oh, ow, g.cout}
			want := refConv(x, w, g)
			for j := range want {
				want[j] = bActF(act, want[j]+bias[j%g.cout])
			}
			o := &bOp{op: ops.OpConv2d, version: 1, opts: convOpts(g, act), threads: threads,
				ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x),
					bConst(models.Float32, []int{g.cout, g.fh, g.fw, fc}, nil, w),
					bConst(models.Float32, []int{g.cout}, nil, bias)},
				out: &bT{dt: models.Float32, shape: shape}}
			got := o.mustRun(t, shape)
			bClose(t, name, got, want, 1e-4, 1e-4)
		})
	}
}

// TestConv2DFourPixelsInt8 holds the int8 four-pixel path to the integer
// reference bit for bit, with extreme input zero points (the padding
// value) and per-channel scales.
func TestConv2DFourPixelsInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	zps := []float64{-128, 127, 0, -5}
	for i, g := range fourPixelGeoms {
		c := convQCase{name: "int8_" + g.String(), dt: models.Int8, biasDT: models.Int32, g: g, sx: 0.05, so: 0.5,
			zx: zps[i%len(zps)], zo: float64(i*9 - 20), perChannel: true, act: ops.Activation(i % 4)}
		t.Run(c.name, func(t *testing.T) { runConvQ(t, r, c) })
	}
}

// borderGeoms are SAME convolutions whose four-pixel int8 windows cross
// the top or bottom border, read in place with the zero-point sums of the
// filter rows outside added: filters up to 5 rows (two rows out at each
// border), strides, dilation, an even filter height whose extra padding
// row is at the bottom only, groups (parts of one tap), 3-channel first
// layers whose rows are padded from 9 to 12 depths, more channels than one
// pass (quadChunk), batches, and dilated rows that all miss a 2-row image.
var borderGeoms = []cgeom{
	{n: 2, h: 5, w: 12, cin: 16, cout: 20, fh: 5, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 7, w: 14, cin: 8, cout: 24, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 9, w: 16, cin: 8, cout: 12, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 2, pad: 0, groups: 1},
	{n: 2, h: 6, w: 13, cin: 32, cout: 40, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 2},
	{n: 1, h: 6, w: 15, cin: 3, cout: 16, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 8, w: 18, cin: 3, cout: 8, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 4, w: 10, cin: 4, cout: 70, fh: 4, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 3, w: 12, cin: 8, cout: 132, fh: 5, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 4, w: 9, cin: 16, cout: 8, fh: 2, fw: 2, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 2, w: 10, cin: 3, cout: 12, fh: 2, fw: 3, sh: 1, sw: 1, dh: 3, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 1, w: 11, cin: 12, cout: 16, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 10, w: 12, cin: 24, cout: 28, fh: 5, fw: 3, sh: 3, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
}

// TestConv2DFourPixelsInt8Border holds int8 windows crossing the top or
// bottom border to the integer reference bit for bit, with extreme and
// ordinary input zero points, constant filters and filters given at
// Invoke, one and two threads.
func TestConv2DFourPixelsInt8Border(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for i, g := range borderGeoms {
		for j, zx := range []float64{-128, 127, float64((i*37%100 + 20) * (1 - 2*(i%2)))} {
			c := convQCase{name: fmt.Sprintf("%v_zx%v", g, zx), dt: models.Int8, biasDT: models.Int32, g: g,
				sx: 0.05, so: 0.5, zx: zx, zo: float64(i*11 - 40), perChannel: true, act: ops.Activation((i + j) % 4),
				varFilter: j == 2, threads: 1 + (i+j)%2}
			t.Run(c.name, func(t *testing.T) { runConvQ(t, r, c) })
		}
	}
}
