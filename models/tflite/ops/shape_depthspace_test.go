package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestSpaceToDepthAndBack(t *testing.T) {
	// A 4x4 image, two channels (value v and v+100), block 2: each output
	// pixel holds its 2x2 block in order (0,0), (0,1), (1,0), (1,1).
	var img []float64
	for v := 1; v <= 16; v++ {
		img = append(img, float64(v), float64(v+100))
	}
	block := func(vs ...int) []float64 {
		var out []float64
		for _, v := range vs {
			out = append(out, float64(v), float64(v+100))
		}
		return out
	}
	var want []float64
	for _, b := range [][]int{{1, 2, 5, 6}, {3, 4, 7, 8}, {9, 10, 13, 14}, {11, 12, 15, 16}} {
		want = append(want, block(b...)...)
	}
	opt := func(t build.OptionType) build.Options { return ewtOpt(t, int32(2)) }
	for _, c := range []struct {
		dt models.DType
		q  *models.Quant
	}{{models.Float32, nil}, {models.Int32, nil}, {models.Int64, nil}, {models.UInt8, ewtQ(0.5, 3)}, {models.Int8, ewtQ(0.5, -3)}} {
		vals := img
		if c.dt == models.Int8 {
			vals = make([]float64, len(img))
			for i, v := range img {
				vals[i] = v - 100 // keep codes in int8 range
			}
		}
		exp := want
		if c.dt == models.Int8 {
			exp = make([]float64, len(want))
			for i, v := range want {
				exp[i] = v - 100
			}
		}
		in := ewtT{dt: c.dt, shape: []int{1, 4, 4, 2}, q: c.q, vals: vals}
		_, shape, got := ewtRun(t, ops.OpSpaceToDepth, 2, opt(build.OptSpaceToDepth), []ewtT{in}, ewtT{dt: c.dt, shape: []int{1, 2, 2, 8}, q: c.q})
		ewtCompare(t, "SPACE_TO_DEPTH/"+c.dt.String(), shape, got, exp, 0)
		back := ewtT{dt: c.dt, shape: []int{1, 2, 2, 8}, q: c.q, vals: got}
		_, shape, got = ewtRun(t, ops.OpDepthToSpace, 2, opt(build.OptDepthToSpace), []ewtT{back}, ewtT{dt: c.dt, shape: []int{1, 4, 4, 2}, q: c.q})
		ewtCompare(t, "DEPTH_TO_SPACE/"+c.dt.String(), shape, got, vals, 0)
	}
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	out := ewtT{dt: models.Float32, shape: []int{1}}
	err := ewtErr(t, ops.OpSpaceToDepth, 1, ewtOpt(build.OptSpaceToDepth, int32(2)), []ewtT{f(1, 3, 4, 1)}, out)
	ewtWantErr(t, err, ops.OpSpaceToDepth, "multiples of block_size 2")
	err = ewtErr(t, ops.OpDepthToSpace, 1, ewtOpt(build.OptDepthToSpace, int32(2)), []ewtT{f(1, 2, 2, 6)}, out)
	ewtWantErr(t, err, ops.OpDepthToSpace, "multiple of block_size² 4")
	err = ewtErr(t, ops.OpDepthToSpace, 1, build.Options{}, []ewtT{f(1, 2, 2, 4)}, out)
	ewtWantErr(t, err, ops.OpDepthToSpace, "block_size is 0")
	err = ewtErr(t, ops.OpSpaceToDepth, 1, ewtOpt(build.OptSpaceToDepth, int32(2)), []ewtT{f(4, 4, 2)}, out)
	ewtWantErr(t, err, ops.OpSpaceToDepth, "want 4 dimensions")
}
