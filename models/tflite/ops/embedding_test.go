package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestEmbeddingLookup(t *testing.T) {
	ids := func(v ...float64) ewtT { return ewtT{dt: models.Int32, shape: []int{len(v)}, vals: v} }
	// Rows [1,2], [3,4], [5,6] gathered by ids 2, 0, 2, for every
	// same-typed table.
	for _, dt := range []models.DType{models.Float32, models.Int32, models.Int64, models.Int8, models.UInt8, models.Int16, models.Bool, models.Float64} {
		vals := []float64{1, 2, 3, 4, 5, 6}
		want := []float64{5, 6, 1, 2, 5, 6}
		if dt == models.Bool {
			vals, want = []float64{1, 0, 0, 1, 1, 1}, []float64{1, 1, 1, 0, 1, 1}
		}
		for _, konst := range []bool{true, false} {
			value := ewtT{dt: dt, shape: []int{3, 2}, vals: vals, konst: konst}
			_, shape, got := ewtRun(t, ops.OpEmbeddingLookup, 1, build.Options{}, []ewtT{ids(2, 0, 2), value}, ewtT{dt: dt, shape: []int{3, 2}})
			ewtCompare(t, fmt.Sprintf("%s const=%v", dt, konst), shape, got, want, 0)
		}
	}
	// A 3-D table keeps its trailing dimensions: [2,2,2] by ids [1] is
	// [1,2,2].
	value := ewtT{dt: models.Float32, shape: []int{2, 2, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}, konst: true}
	_, shape, got := ewtRun(t, ops.OpEmbeddingLookup, 1, build.Options{}, []ewtT{ids(1), value}, ewtT{dt: models.Float32, shape: []int{1, 2, 2}})
	ewtCompare(t, "3-D", shape, got, []float64{5, 6, 7, 8}, 0)
	if fmt.Sprint(shape) != "[1 2 2]" {
		t.Fatalf("3-D: shape %v", shape)
	}
	noAllocsEwt(t, ops.OpEmbeddingLookup, 1, build.Options{}, []ewtT{ids(1, 0), value}, ewtT{dt: models.Float32, shape: []int{2, 2, 2}})
}

func TestEmbeddingLookupHybrid(t *testing.T) {
	ids := ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{1, 0}}
	out := ewtT{dt: models.Float32, shape: []int{2, 2}}
	// int8 codes times the table scale 0.5 (version 3).
	i8 := ewtT{dt: models.Int8, shape: []int{2, 2}, q: ewtQ(0.5, 0), vals: []float64{-2, 4, 6, 8}, konst: true}
	_, shape, got := ewtRun(t, ops.OpEmbeddingLookup, 3, build.Options{}, []ewtT{ids, i8}, out)
	ewtCompare(t, "int8", shape, got, []float64{3, 4, -1, 2}, 0)
	// A uint8 table (version 2) holds int8 codes, as TFLite reads it:
	// byte 255 is -1, times 0.25.
	u8 := ewtT{dt: models.UInt8, shape: []int{2, 2}, q: ewtQ(0.25, 0), vals: []float64{4, 8, 255, 0}, konst: true}
	_, shape, got = ewtRun(t, ops.OpEmbeddingLookup, 2, build.Options{}, []ewtT{ids, u8}, out)
	ewtCompare(t, "uint8", shape, got, []float64{-0.25, 0, 1, 2}, 0)
	// Per-row scales 0.5 and 2 (version 4).
	pr := i8
	pr.q = &models.Quant{Scale: []float32{0.5, 2}, ZeroPoint: []int64{0, 0}, Axis: 0}
	_, shape, got = ewtRun(t, ops.OpEmbeddingLookup, 4, build.Options{}, []ewtT{ids, pr}, out)
	ewtCompare(t, "per-row", shape, got, []float64{12, 16, -1, 2}, 0)
	noAllocsEwt(t, ops.OpEmbeddingLookup, 4, build.Options{}, []ewtT{ids, pr}, out)

	// Packed int4 (version 4): rows [1,-2,3,-8] and [7,0,-1,4], low nibble
	// first, scale 0.5.
	b := build.New()
	idx := b.Input("ids", models.Int32, []int{2}, nil)
	val := b.Const("value", models.Int4, []int{2, 4}, build.Raw{0xE1, 0x83, 0x07, 0x4F}, ewtQ(0.5, 0))
	o := b.Tensor("out", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpEmbeddingLookup, 4, []int{idx, val}, []int{o}, build.Options{})
	b.Output(o)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ewtInvoke(t, it, []ewtT{ids}); err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "int4", []int{2, 4}, decode(models.Float32, it.Output(0)), []float64{3.5, 0, -0.5, 2, 0.5, -1, 1.5, -4}, 0)
}

func TestEmbeddingLookupErrors(t *testing.T) {
	op := ops.OpEmbeddingLookup
	val := ewtT{dt: models.Float32, shape: []int{3, 2}, vals: []float64{1, 2, 3, 4, 5, 6}, konst: true}
	out := ewtT{dt: models.Float32, shape: []int{2, 2}}
	err := ewtErr(t, op, 1, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{0, 3}}, val}, out)
	ewtWantErr(t, err, op, "node 0", "element 1 is 3, outside [0, 3)")
	err = ewtErr(t, op, 1, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{0, -1}}, val}, out)
	ewtWantErr(t, err, op, "element 1 is -1")
	err = ewtErr(t, op, 1, build.Options{}, []ewtT{{dt: models.Int64, shape: []int{2}, vals: []float64{0, 1}}, val}, out)
	ewtWantErr(t, err, op, "ids tensor", "1-D int32")
	err = ewtErr(t, op, 1, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{0}}, {dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}}, out)
	ewtWantErr(t, err, op, "at least 2 dimensions")
	i8 := ewtT{dt: models.Int8, shape: []int{2, 2}, q: ewtQ(0.5, 1), vals: []float64{1, 2, 3, 4}, konst: true}
	err = ewtErr(t, op, 3, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{0}}, i8}, out)
	ewtWantErr(t, err, op, "zero point 1")
	i16 := ewtT{dt: models.Int16, shape: []int{2, 2}, q: ewtQ(0.5, 0), vals: []float64{1, 2, 3, 4}, konst: true}
	err = ewtErr(t, op, 3, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{0}}, i16}, out)
	ewtWantErr(t, err, op, "int16", "not supported")
}

func sparseOpt(combiner int8) build.Options { return ewtOpt(build.OptEmbeddingLookupSparse, combiner) }

func TestEmbeddingLookupSparse(t *testing.T) {
	// TFLite's documented example on params [[1,2],[3,4],[5,6],[7,8]]:
	// [0,0] id 1 weight 2, [0,1] id 3 weight 0.5, [1,0] id 0 weight 1,
	// [2,3] id 1 weight 3, dense shape [3,4]. SUM: row 0 = 2*[3,4] +
	// 0.5*[7,8] = [9.5,12], row 1 = [1,2], row 2 = [9,12]. MEAN divides by
	// the weight sums 2.5, 1, 3; SQRTN by sqrt(4.25), 1, 3.
	ins := func(denseConst bool) []ewtT {
		return []ewtT{
			{dt: models.Int32, shape: []int{4}, vals: []float64{1, 3, 0, 1}},
			{dt: models.Int32, shape: []int{4, 2}, vals: []float64{0, 0, 0, 1, 1, 0, 2, 3}},
			{dt: models.Int32, shape: []int{2}, vals: []float64{3, 4}, konst: denseConst},
			{dt: models.Float32, shape: []int{4}, vals: []float64{2, 0.5, 1, 3}},
			{dt: models.Float32, shape: []int{4, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}, konst: true},
		}
	}
	s := 2.0615528128088303 // sqrt(4.25)
	for _, c := range []struct {
		comb int8
		want []float64
	}{
		{0, []float64{9.5, 12, 1, 2, 9, 12}},
		{1, []float64{3.8, 4.8, 1, 2, 3, 4}},
		{2, []float64{9.5 / s, 12 / s, 1, 2, 3, 4}},
	} {
		for _, dc := range []bool{true, false} {
			_, shape, got := ewtRun(t, ops.OpEmbeddingLookupSparse, 1, sparseOpt(c.comb), ins(dc), ewtT{dt: models.Float32, shape: []int{3, 2}})
			if fmt.Sprint(shape) != "[3 2]" {
				t.Fatalf("combiner %d: shape %v", c.comb, shape)
			}
			ewtCompare(t, fmt.Sprintf("combiner %d dense const %v", c.comb, dc), shape, got, c.want, 1e-6)
		}
	}
	noAllocsEwt(t, ops.OpEmbeddingLookupSparse, 1, sparseOpt(1), ins(true), ewtT{dt: models.Float32, shape: []int{3, 2}})

	op := ops.OpEmbeddingLookupSparse
	bad := ins(true)
	bad[0].vals = []float64{1, 4, 0, 1}
	ewtWantErr(t, ewtErr(t, op, 1, sparseOpt(0), bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "node 0", "element 1 is 4, outside [0, 4)")
	bad = ins(true)
	bad[1].vals = []float64{0, 0, 0, 1, 3, 0, 2, 3}
	ewtWantErr(t, ewtErr(t, op, 1, sparseOpt(0), bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "row 2, column 0 is 3, outside [0, 3)")
	bad = ins(true)
	bad[3] = ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1, 1, 1}}
	ewtWantErr(t, ewtErr(t, op, 1, sparseOpt(0), bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "same length")
	ewtWantErr(t, ewtErr(t, op, 1, sparseOpt(5), ins(true), ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "combiner 5")
}
