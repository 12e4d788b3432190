package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// conv3dOpt is Conv3DOptions: padding, strides d/w/h, activation,
// dilations d/w/h.
func conv3dOpt(pad int8, sd, sw, sh int32, act ops.Activation, dd, dw, dh int32) build.Options {
	return ewtOpt(build.OptConv3D, pad, sd, sw, sh, int8(act), dd, dw, dh)
}

// refConv3D is a direct float64 3-D convolution (VALID padding when pad
// is 1, SAME otherwise, as the schema's enum: SAME 0, VALID 1).
func refConv3D(x []float64, xs [5]int, w []float64, ws [5]int, s, d [3]int, same bool) ([]float64, [5]int) {
	var os [5]int
	os[0], os[4] = xs[0], ws[4]
	var pads [3]int
	for k := 0; k < 3; k++ {
		eff := (ws[k]-1)*d[k] + 1
		if same {
			os[k+1] = (xs[k+1] + s[k] - 1) / s[k]
		} else {
			os[k+1] = (xs[k+1] - eff + s[k]) / s[k]
		}
		pads[k] = max((os[k+1]-1)*s[k]+eff-xs[k+1], 0) / 2
	}
	out := make([]float64, os[0]*os[1]*os[2]*os[3]*os[4])
	i := 0
	for b := 0; b < os[0]; b++ {
		for od := 0; od < os[1]; od++ {
			for oy := 0; oy < os[2]; oy++ {
				for ox := 0; ox < os[3]; ox++ {
					for oc := 0; oc < os[4]; oc++ {
						acc := 0.0
						for fd := 0; fd < ws[0]; fd++ {
							for fy := 0; fy < ws[1]; fy++ {
								for fx := 0; fx < ws[2]; fx++ {
									id, iy, ix := od*s[0]-pads[0]+fd*d[0], oy*s[1]-pads[1]+fy*d[1], ox*s[2]-pads[2]+fx*d[2]
									if id < 0 || iy < 0 || ix < 0 || id >= xs[1] || iy >= xs[2] || ix >= xs[3] {
										continue
									}
									for ic := 0; ic < xs[4]; ic++ {
										acc += x[(((b*xs[1]+id)*xs[2]+iy)*xs[3]+ix)*xs[4]+ic] * w[(((fd*ws[1]+fy)*ws[2]+fx)*ws[3]+ic)*ws[4]+oc]
									}
								}
							}
						}
						out[i] = acc
						i++
					}
				}
			}
		}
	}
	return out, os
}

func TestConv3D(t *testing.T) {
	// Hand-computed: a 2x2 all-ones filter over [[1,2],[3,4]] is 10, plus
	// bias 0.5; with RELU6 it clamps to 6.
	in := ewtT{dt: models.Float32, shape: []int{1, 1, 2, 2, 1}, vals: []float64{1, 2, 3, 4}}
	f := ewtT{dt: models.Float32, shape: []int{1, 2, 2, 1, 1}, vals: []float64{1, 1, 1, 1}, konst: true}
	b := ewtT{dt: models.Float32, shape: []int{1}, vals: []float64{0.5}, konst: true}
	out := ewtT{dt: models.Float32, shape: []int{1, 1, 1, 1, 1}}
	_, shape, got := ewtRun(t, ops.OpConv3d, 1, conv3dOpt(1, 1, 1, 1, ops.ActNone, 1, 1, 1), []ewtT{in, f, b}, out)
	ewtCompare(t, "hand", shape, got, []float64{10.5}, 0)
	_, shape, got = ewtRun(t, ops.OpConv3d, 1, conv3dOpt(1, 1, 1, 1, ops.ActRelu6, 1, 1, 1), []ewtT{in, f}, out)
	ewtCompare(t, "hand relu6", shape, got, []float64{6}, 0)

	for i, c := range []struct {
		xs, ws [5]int
		s, d   [3]int
		same   bool
	}{
		{[5]int{1, 4, 5, 6, 2}, [5]int{2, 3, 2, 2, 3}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, false},
		{[5]int{2, 5, 5, 4, 3}, [5]int{3, 3, 3, 3, 2}, [3]int{2, 1, 2}, [3]int{1, 1, 1}, true},
		{[5]int{1, 6, 6, 6, 1}, [5]int{2, 2, 2, 1, 2}, [3]int{1, 2, 1}, [3]int{2, 1, 2}, false},
	} {
		x := ewtPattern(c.xs[0]*c.xs[1]*c.xs[2]*c.xs[3]*c.xs[4], i, -2, 2, false)
		w := ewtPattern(c.ws[0]*c.ws[1]*c.ws[2]*c.ws[3]*c.ws[4], i+7, -1, 1, false)
		want, os := refConv3D(x, c.xs, w, c.ws, c.s, c.d, c.same)
		pad := int8(1)
		if c.same {
			pad = 0
		}
		opt := conv3dOpt(pad, int32(c.s[0]), int32(c.s[2]), int32(c.s[1]), ops.ActNone, int32(c.d[0]), int32(c.d[2]), int32(c.d[1]))
		ins := []ewtT{{dt: models.Float32, shape: c.xs[:], vals: x}, {dt: models.Float32, shape: c.ws[:], vals: w, konst: true}}
		_, shape, got := ewtRun(t, ops.OpConv3d, 1, opt, ins, ewtT{dt: models.Float32, shape: os[:]})
		if fmt.Sprint(shape) != fmt.Sprint(os[:]) {
			t.Fatalf("case %d: shape %v, want %v", i, shape, os)
		}
		ewtCompare(t, fmt.Sprintf("case %d", i), shape, got, want, 1e-4)
		if i == 0 {
			noAllocsEwt(t, ops.OpConv3d, 1, opt, ins, ewtT{dt: models.Float32, shape: os[:]})
		}
	}
	bad := []ewtT{in, {dt: models.Float32, shape: []int{1, 2, 2, 3, 1}, vals: make([]float64, 12), konst: true}}
	ewtWantErr(t, ewtErr(t, ops.OpConv3d, 1, conv3dOpt(1, 1, 1, 1, 0, 1, 1, 1), bad, out), ops.OpConv3d, "node 0", "3 input channels")
	ewtWantErr(t, ewtErr(t, ops.OpConv3d, 1, conv3dOpt(1, 0, 1, 1, 0, 1, 1, 1), []ewtT{in, f}, out), ops.OpConv3d, "depth stride 0")
}

func TestConv3DTranspose(t *testing.T) {
	// Hand-computed: one input value 2 spread by a 2x2 filter [1,2,3,4]
	// is [2,4,6,8]; bias 1 adds one.
	shape := ewtT{dt: models.Int32, shape: []int{5}, vals: []float64{1, 1, 2, 2, 1}, konst: true}
	f := ewtT{dt: models.Float32, shape: []int{1, 2, 2, 1, 1}, vals: []float64{1, 2, 3, 4}, konst: true}
	in := ewtT{dt: models.Float32, shape: []int{1, 1, 1, 1, 1}, vals: []float64{2}}
	b := ewtT{dt: models.Float32, shape: []int{1}, vals: []float64{1}, konst: true}
	out := ewtT{dt: models.Float32, shape: []int{1, 1, 2, 2, 1}}
	opt := conv3dOpt(1, 1, 1, 1, ops.ActNone, 1, 1, 1)
	_, s, got := ewtRun(t, ops.OpConv3dTranspose, 1, opt, []ewtT{shape, f, in}, out)
	ewtCompare(t, "hand", s, got, []float64{2, 4, 6, 8}, 0)
	_, s, got = ewtRun(t, ops.OpConv3dTranspose, 1, opt, []ewtT{shape, f, in, b}, out)
	ewtCompare(t, "hand bias", s, got, []float64{3, 5, 7, 9}, 0)

	// Adjointness against CONV_3D: <conv(x), y> == <x, convT(y)> for the
	// same filter, strides and padding (SAME, stride 2).
	xs, ws := [5]int{1, 4, 4, 4, 2}, [5]int{3, 3, 3, 2, 3}
	x := ewtPattern(4*4*4*2, 1, -1, 1, false)
	w := ewtPattern(3*3*3*2*3, 2, -1, 1, false)
	cx, os := refConv3D(x, xs, w, ws, [3]int{2, 2, 2}, [3]int{1, 1, 1}, true)
	y := ewtPattern(len(cx), 3, -1, 1, false)
	// CONV_3D_TRANSPOSE's filter is [fd,fh,fw,its output channels,its
	// input channels]: the forward filter [3,3,3,2,3] as it is.
	ins := []ewtT{
		{dt: models.Int32, shape: []int{5}, vals: []float64{1, 4, 4, 4, 2}, konst: true},
		{dt: models.Float32, shape: []int{3, 3, 3, 2, 3}, vals: w, konst: true},
		{dt: models.Float32, shape: os[:], vals: y},
	}
	_, s, ty := ewtRun(t, ops.OpConv3dTranspose, 1, conv3dOpt(0, 2, 2, 2, ops.ActNone, 1, 1, 1), ins, ewtT{dt: models.Float32, shape: xs[:]})
	if fmt.Sprint(s) != fmt.Sprint(xs[:]) {
		t.Fatalf("transpose shape %v", s)
	}
	lhs, rhs := 0.0, 0.0
	for i := range cx {
		lhs += cx[i] * y[i]
	}
	for i := range x {
		rhs += x[i] * ty[i]
	}
	if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
		t.Fatalf("<conv(x),y> = %v, <x,convT(y)> = %v", lhs, rhs)
	}
	noAllocsEwt(t, ops.OpConv3dTranspose, 1, conv3dOpt(0, 2, 2, 2, ops.ActNone, 1, 1, 1), ins, ewtT{dt: models.Float32, shape: xs[:]})

	bad := ewtT{dt: models.Int32, shape: []int{5}, vals: []float64{1, 3, 2, 2, 1}, konst: true}
	ewtWantErr(t, ewtErr(t, ops.OpConv3dTranspose, 1, opt, []ewtT{bad, f, in}, ewtT{dt: models.Float32, shape: []int{1, 3, 2, 2, 1}}), ops.OpConv3dTranspose, "node 0", "convolved back")
}
