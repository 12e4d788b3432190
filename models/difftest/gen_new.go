package difftest

import (
	"sort"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Generators for the gather/scatter, logical, bitwise and small numeric
// ops. Index and count operands are constants within range: TFLite checks
// few of them and out-of-range indices are undefined there.

// constI32 adds an int32 constant.
func (g *gen) constI32(prefix string, shape []int, v []int32) int {
	return g.b.Const(g.name(prefix), models.Int32, shape, v, nil)
}

// scalarLike is a constant scalar of dt holding the code or value v.
func (g *gen) scalarLike(dt models.DType, q *models.Quant, lo, hi float64) int {
	return g.b.Const(g.name("k"), dt, []int{}, g.values(dt, 1, lo, hi), q)
}

func genLogical(op ops.Op, unary bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		a := g.randShape(1, 4, 4)
		x := g.input(models.Bool, a, nil, 0, 1)
		ins, oshape := []int{x}, a
		if !unary {
			b := g.bcastOf(a)
			ins = append(ins, g.input(models.Bool, b, nil, 0, 1))
			oshape = bcastShape(a, b)
		}
		out := g.output(models.Bool, oshape, nil)
		g.b.Op(op, 1, ins, []int{out}, build.Options{})
		g.b.Output(out)
		return nil
	}
}

// genIntBinary is a binary op on plain integers (or floats) with
// broadcasting and inputs in [lo, hi] for the second operand.
func genIntBinary(op ops.Op, lo2, hi2 float64) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := intDType(typ)
		a := g.randShape(1, 4, 4)
		b := g.bcastOf(a)
		lo, hi := intRange(dt)
		x := g.input(dt, a, nil, lo, hi)
		if lo2 == hi2 {
			lo2, hi2 = lo, hi
		}
		y := g.input(dt, b, nil, lo2, hi2)
		out := g.output(dt, bcastShape(a, b), nil)
		g.b.Op(op, 1, []int{x, y}, []int{out}, build.Options{})
		g.b.Output(out)
		return nil
	}
}

// intDType is typ as a plain (unquantised) dtype, including the unsigned
// types the bitwise ops take.
func intDType(typ string) models.DType {
	switch typ {
	case "uint16":
		return models.UInt16
	case "uint32":
		return models.UInt32
	}
	return actDType(typ)
}

// intRange is the full range of a plain integer dtype ([-2, 2] for floats).
func intRange(dt models.DType) (float64, float64) {
	switch dt {
	case models.Float32:
		return -2, 2
	case models.Int32:
		return -(1 << 30) + 1, 1<<30 - 1 // the span must fit IntN on 32-bit
	case models.UInt16:
		return 0, 1<<16 - 1
	case models.UInt32:
		return 0, 1 << 30
	}
	lo, hi := qrange(dt)
	return float64(lo), float64(hi)
}

func genAtan2(g *gen, typ string) error {
	a := g.randShape(1, 4, 4) // TFLite's ATAN2 does not broadcast
	x := g.input(models.Float32, a, nil, -3, 3)
	y := g.input(models.Float32, a, nil, -3, 3)
	out := g.output(models.Float32, a, nil)
	g.b.Op(ops.OpAtan2, 1, []int{x, y}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genReverseV2(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	ax := g.constI32("axis", []int{1}, []int32{int32(g.intn(0, len(shape)-1))})
	out := g.output(dt, shape, q)
	g.b.Op(ops.OpReverseV2, version(ops.OpReverseV2, typeVersion(typ, 1, 2, 2, 3)), []int{in, ax}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genGatherNd(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	k := g.intn(1, len(shape))
	ishape := append(g.randShape(0, 2, 3), k)
	idx := make([]int32, elems(ishape))
	for i := range idx {
		idx[i] = int32(g.intn(0, shape[i%k]-1))
	}
	ix := g.constI32("idx", ishape, idx)
	oshape := append(append([]int{}, ishape[:len(ishape)-1]...), shape[k:]...)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpGatherNd, version(ops.OpGatherNd, typeVersion(typ, 1, 2, 2, 3)), []int{in, ix}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genScatterNd(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 4)
	k := g.intn(1, len(shape))
	ishape := append(g.randShape(1, 2, 3), k)
	idx := make([]int32, elems(ishape))
	for i := range idx {
		idx[i] = int32(g.intn(0, shape[i%k]-1))
	}
	ix := g.constI32("idx", ishape, idx)
	ushape := append(append([]int{}, ishape[:len(ishape)-1]...), shape[k:]...)
	lo, hi := valueRange(dt)
	up := g.input(dt, ushape, nil, lo, hi)
	sh := make([]int32, len(shape))
	for i, d := range shape {
		sh[i] = int32(d)
	}
	shp := g.constI32("shape", []int{len(shape)}, sh)
	out := g.output(dt, shape, nil)
	g.b.Op(ops.OpScatterNd, 1, []int{ix, up, shp}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genOneHot(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(0, 3, 4)
	depth := g.intn(1, 5)
	lo, hi := -1.0, float64(depth) // -1 and depth are off the table: all off
	ids := g.input(models.Int32, shape, nil, lo, hi)
	dp := g.constI32("depth", []int{}, []int32{int32(depth)})
	vlo, vhi := valueRange(dt)
	on := g.scalarLike(dt, nil, vlo, vhi)
	off := g.scalarLike(dt, nil, vlo, vhi)
	axis := g.intn(-1, len(shape))
	ax := axis
	if ax < 0 {
		ax = len(shape)
	}
	oshape := append(append(append([]int{}, shape[:ax]...), depth), shape[ax:]...)
	out := g.output(dt, oshape, nil)
	g.b.Op(ops.OpOneHot, 1, []int{ids, dp, on, off}, []int{out}, opts(build.OptOneHot, 0, int32(axis)))
	g.b.Output(out)
	return nil
}

func genTopK(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 6)
	in, q := g.randInput(dt, shape)
	last := shape[len(shape)-1]
	k := g.intn(1, last)
	kk := g.constI32("k", []int{}, []int32{int32(k)})
	oshape := append(append([]int{}, shape[:len(shape)-1]...), k)
	vals := g.output(dt, oshape, q)
	idx := g.output(models.Int32, oshape, nil)
	g.b.Op(ops.OpTopkV2, version(ops.OpTopkV2, typeVersion(typ, 1, 2, 2, 3)), []int{in, kk}, []int{vals, idx}, build.Options{})
	g.b.Output(vals, idx)
	return nil
}

func genPadV2(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	pads := make([]int32, 2*len(shape))
	oshape := append([]int{}, shape...)
	for i := range shape {
		pads[2*i], pads[2*i+1] = int32(g.intn(0, 2)), int32(g.intn(0, 2))
		oshape[i] += int(pads[2*i] + pads[2*i+1])
	}
	p := g.constI32("pads", []int{len(shape), 2}, pads)
	lo, hi := valueRange(dt)
	cv := g.scalarLike(dt, q, lo, hi)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpPadv2, version(ops.OpPadv2, typeVersion(typ, 1, 2, 1, 4)), []int{in, p, cv}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genSplitV(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 5)
	axis := g.intn(0, len(shape)-1)
	in, q := g.randInput(dt, shape)
	// Random cut points; one size may be -1 (the rest).
	var sizes []int32
	for left := shape[axis]; left > 0; {
		s := g.intn(1, left)
		sizes = append(sizes, int32(s))
		left -= s
	}
	if g.coin() {
		sizes[g.intn(0, len(sizes)-1)] = -1
	}
	sz := g.constI32("sizes", []int{len(sizes)}, sizes)
	ax := g.constI32("axis", []int{}, []int32{int32(axis - len(shape)*g.intn(0, 1))})
	var outs []int
	rest := shape[axis]
	for _, s := range sizes {
		if s > 0 {
			rest -= int(s)
		}
	}
	for _, s := range sizes {
		os := append([]int{}, shape...)
		os[axis] = int(s)
		if s < 0 {
			os[axis] = rest
		}
		outs = append(outs, g.output(dt, os, q))
	}
	g.b.Op(ops.OpSplitV, version(ops.OpSplitV, typeVersion(typ, 1, 2, 1, 3)), []int{in, sz, ax}, outs, opts(build.OptSplitV, 0, int32(len(sizes))))
	g.b.Output(outs...)
	return nil
}

// genSelect is SELECT (v1): the condition has the inputs' shape, or is a
// vector over their first dimension.
func genSelect(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	cs := shape
	if g.coin() {
		cs = shape[:1]
	}
	cond := g.input(models.Bool, cs, nil, 0, 1)
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	x := g.input(dt, shape, q, lo, hi)
	y := g.input(dt, shape, q, lo, hi)
	out := g.output(dt, shape, q)
	g.b.Op(ops.OpSelect, version(ops.OpSelect, typeVersion(typ, 1, 2, 1, 3)), []int{cond, x, y}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genDynamicUpdateSlice(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	ushape := make([]int, len(shape))
	start := make([]int32, len(shape))
	for i, d := range shape {
		ushape[i] = g.intn(1, d)
		// Starts past the end are clamped by both runtimes.
		start[i] = int32(g.intn(-1, d))
	}
	lo, hi := valueRange(dt)
	up := g.input(dt, ushape, q, lo, hi)
	st := g.input(models.Int32, []int{len(shape)}, nil, 0, 0)
	copy(g.inputs[len(g.inputs)-1].Data, leBytes(start))
	out := g.output(dt, shape, q)
	g.b.Op(ops.OpDynamicUpdateSlice, 1, []int{in, up, st}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genReverseSequence(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(2, 4, 4)
	in, q := g.randInput(dt, shape)
	bd := g.intn(0, len(shape)-1)
	sd := g.intn(0, len(shape)-2)
	if sd >= bd {
		sd++
	}
	lens := make([]int32, shape[bd])
	for i := range lens {
		lens[i] = int32(g.intn(0, shape[sd]))
	}
	sl := g.constI32("lens", []int{len(lens)}, lens)
	out := g.output(dt, shape, q)
	g.b.Op(ops.OpReverseSequence, 1, []int{in, sl}, []int{out}, opts(build.OptReverseSequence, 0, int32(sd), 1, int32(bd)))
	g.b.Output(out)
	return nil
}

func genMatrixDiag(set bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		batch := g.randShape(0, 2, 3)
		r, c := g.intn(1, 4), g.intn(1, 4)
		if !set {
			c = r
		}
		q := g.actQuant(dt)
		lo, hi := valueRange(dt)
		dshape := append(append([]int{}, batch...), min(r, c))
		oshape := append(append([]int{}, batch...), r, c)
		var ins []int
		if set {
			ins = append(ins, g.input(dt, oshape, q, lo, hi))
		}
		ins = append(ins, g.input(dt, dshape, q, lo, hi))
		out := g.output(dt, oshape, q)
		op, ot := ops.OpMatrixDiag, build.OptMatrixDiag
		if set {
			op, ot = ops.OpMatrixSetDiag, build.OptMatrixSetDiag
		}
		g.b.Op(op, 1, ins, []int{out}, build.Options{Type: ot})
		g.b.Output(out)
		return nil
	}
}

func genBucketize(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 5)
	lo, hi := -3.0, 3.0
	if dt != models.Float32 {
		lo, hi = -10, 10
	}
	in := g.input(dt, shape, nil, lo, hi)
	b := make([]float32, g.intn(0, 6))
	for i := range b {
		b[i] = float32(g.uniform(lo, hi))
		if dt != models.Float32 {
			b[i] = float32(g.intn(int(lo), int(hi)))
		}
	}
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	out := g.output(models.Int32, shape, nil)
	g.b.Op(ops.OpBucketize, 1, []int{in}, []int{out}, opts(build.OptBucketize, 0, b))
	g.b.Output(out)
	return nil
}

// genSegment covers SEGMENT_SUM (sorted ids, segment count from the
// largest id) and the UNSORTED_SEGMENT_* ops (ids in any order, some
// segments empty, count given).
func genSegment(op ops.Op, ot build.OptionType) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		shape := g.randShape(1, 3, 4)
		lo, hi := valueRange(dt)
		if op == ops.OpUnsortedSegmentProd && dt == models.Int32 {
			lo, hi = -4, 4
		}
		in := g.input(dt, shape, nil, lo, hi)
		nseg := g.intn(1, 4)
		ids := make([]int32, shape[0])
		for i := range ids {
			ids[i] = int32(g.intn(0, nseg-1))
		}
		ins := []int{in}
		if op == ops.OpSegmentSum {
			// Sorted, from 0, in steps of 0 or 1, as TFLite requires.
			ids[0] = 0
			for i := 1; i < len(ids); i++ {
				ids[i] = ids[i-1] + int32(g.intn(0, 1))
			}
			nseg = int(ids[len(ids)-1]) + 1
			ins = append(ins, g.constI32("ids", []int{len(ids)}, ids))
		} else {
			ins = append(ins, g.constI32("ids", []int{len(ids)}, ids), g.constI32("n", []int{1}, []int32{int32(nseg)}))
		}
		oshape := append([]int{nseg}, shape[1:]...)
		out := g.output(dt, oshape, nil)
		g.b.Op(op, 1, ins, []int{out}, build.Options{Type: ot})
		g.b.Output(out)
		return nil
	}
}

func genL2Pool(g *gen, typ string) error {
	n, h, w, c := g.intn(1, 2), g.intn(1, 7), g.intn(1, 7), g.intn(1, 4)
	wd := g.randWindow(h, w, 3, false)
	in, _ := g.actInput(typ, []int{n, h, w, c})
	out := g.output(models.Float32, []int{n, wd.oh, wd.ow, c}, nil)
	g.b.Op(ops.OpL2Pool2d, 1, []int{in}, []int{out},
		opts(build.OptPool2D, 0, wd.pad, 1, int32(wd.sw), 2, int32(wd.sh), 3, int32(wd.kw), 4, int32(wd.kh), 5, g.randAct()))
	g.b.Output(out)
	return nil
}

func genLRN(g *gen, typ string) error {
	shape := []int{g.intn(1, 2), g.intn(1, 3), g.intn(1, 3), g.intn(1, 8)}
	in, _ := g.actInput(typ, shape)
	out := g.output(models.Float32, shape, nil)
	g.b.Op(ops.OpLocalResponseNormalization, 1, []int{in}, []int{out},
		opts(build.OptLocalResponseNormalization, 0, int32(g.intn(0, 3)), 1, float32(g.uniform(0.5, 2)),
			2, float32(g.uniform(0.01, 1)), 3, float32(g.uniform(0.25, 1))))
	g.b.Output(out)
	return nil
}

func genFakeQuant(g *gen, typ string) error {
	shape := g.randShape(1, 4, 5)
	in := g.input(models.Float32, shape, nil, -4, 4)
	lo, hi := float32(g.uniform(-3, 0)), float32(g.uniform(0.1, 3))
	out := g.output(models.Float32, shape, nil)
	g.b.Op(ops.OpFakeQuant, version(ops.OpFakeQuant, 2), []int{in}, []int{out},
		opts(build.OptFakeQuant, 0, lo, 1, hi, 2, int32(g.intn(2, 16))))
	g.b.Output(out)
	return nil
}

// genRandom covers RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL with fixed
// non-zero seeds (zero seeds draw from the clock).
func genRandom(op ops.Op) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		shape := g.randShape(1, 3, 6)
		sh := make([]int32, len(shape))
		for i, d := range shape {
			sh[i] = int32(d)
		}
		s := g.constI32("shape", []int{len(sh)}, sh)
		out := g.output(models.Float32, shape, nil)
		g.b.Op(op, 1, []int{s}, []int{out}, opts(build.OptRandom, 0, int64(g.intn(1, 1<<30)), 1, int64(g.intn(1, 1<<30))))
		g.b.Output(out)
		return nil
	}
}

func genMultinomial(g *gen, typ string) error {
	dt := models.Int64
	if typ == "int32" {
		dt = models.Int32
	}
	b, c := g.intn(1, 3), g.intn(1, 5)
	lg := g.input(models.Float32, []int{b, c}, nil, -3, 3)
	ns := g.intn(1, 8)
	n := g.constI32("n", []int{}, []int32{int32(ns)})
	out := g.output(dt, []int{b, ns}, nil)
	g.b.Op(ops.OpMultinomial, 1, []int{lg, n}, []int{out}, opts(build.OptRandom, 0, int64(g.intn(1, 1<<30)), 1, int64(g.intn(1, 1<<30))))
	g.b.Output(out)
	return nil
}

func newGenerators() []Gen {
	moveTypes := []string{"float32", "int8", "uint8", "int16", "int32"}
	return []Gen{
		{Name: "REDUCE_PROD", Types: []string{"float32", "int8", "int16", "int32", "int64", "int8_size1", "int16_size1"}, build: genReduce(ops.OpReduceProd, false)},
		{Name: "REDUCE_ANY", Types: []string{"bool"}, build: genReduce(ops.OpReduceAny, false)},
		{Name: "REDUCE_ALL", Types: []string{"bool"}, build: genReduce(ops.OpReduceAll, false)},
		{Name: "LOGICAL_AND", Types: []string{"bool"}, build: genLogical(ops.OpLogicalAnd, false)},
		{Name: "LOGICAL_OR", Types: []string{"bool"}, build: genLogical(ops.OpLogicalOr, false)},
		{Name: "LOGICAL_NOT", Types: []string{"bool"}, build: genLogical(ops.OpLogicalNot, true)},
		{Name: "BITWISE_XOR", Types: []string{"int8", "uint8", "int16", "uint16", "int32", "uint32"}, build: genIntBinary(ops.OpBitwiseXor, 0, 0)},
		{Name: "RIGHT_SHIFT", Types: []string{"int8", "uint8", "int16", "uint16", "int32", "uint32"}, build: genIntBinary(ops.OpRightShift, 0, 7)},
		{Name: "ATAN2", Types: floatOnly, Tol: transTol, build: genAtan2},
		{Name: "RELU_0_TO_1", Types: []string{"float32", "int8", "uint8"}, build: genUnary(unarySpec{op: ops.OpRelu0To1, lo: -1, hi: 2})},
		{Name: "REVERSE_V2", Types: append(moveTypes, "int64", "bool"), build: genReverseV2},
		{Name: "GATHER_ND", Types: append(moveTypes, "int64"), build: genGatherNd},
		{Name: "SCATTER_ND", Types: []string{"float32", "int8", "uint8", "int32", "int64"}, build: genScatterNd},
		{Name: "ONE_HOT", Types: []string{"float32", "int8", "uint8", "int32", "int64", "bool"}, build: genOneHot},
		{Name: "TOPK_V2", Types: moveTypes, build: genTopK},
		{Name: "PADV2", Types: moveTypes, build: genPadV2},
		{Name: "SPLIT_V", Types: moveTypes, build: genSplitV},
		{Name: "SELECT", Types: moveTypes, build: genSelect},
		{Name: "DYNAMIC_UPDATE_SLICE", Types: []string{"float32", "int8", "int16", "int32", "int64", "bool"}, build: genDynamicUpdateSlice},
		{Name: "REVERSE_SEQUENCE", Types: []string{"float32", "uint8", "int16", "int32", "int64"}, build: genReverseSequence},
		{Name: "MATRIX_DIAG", Types: []string{"float32", "int8", "uint8", "int32", "int64"}, build: genMatrixDiag(false)},
		{Name: "MATRIX_SET_DIAG", Types: []string{"float32", "int8", "uint8", "int32", "int64"}, build: genMatrixDiag(true)},
		{Name: "BUCKETIZE", Types: []string{"float32", "int32", "int64"}, build: genBucketize},
		{Name: "SEGMENT_SUM", Types: []string{"float32", "int32"}, build: genSegment(ops.OpSegmentSum, build.OptSegmentSum)},
		{Name: "UNSORTED_SEGMENT_SUM", Types: []string{"float32", "int32"}, build: genSegment(ops.OpUnsortedSegmentSum, build.OptUnsortedSegmentSum)},
		{Name: "UNSORTED_SEGMENT_PROD", Types: []string{"float32", "int32"}, build: genSegment(ops.OpUnsortedSegmentProd, build.OptUnsortedSegmentProd)},
		{Name: "UNSORTED_SEGMENT_MAX", Types: []string{"float32", "int32"}, build: genSegment(ops.OpUnsortedSegmentMax, build.OptUnsortedSegmentMax)},
		{Name: "UNSORTED_SEGMENT_MIN", Types: []string{"float32", "int32"}, build: genSegment(ops.OpUnsortedSegmentMin, build.OptUnsortedSegmentMin)},
		{Name: "L2_POOL_2D", Types: floatOnly, build: genL2Pool},
		{Name: "LOCAL_RESPONSE_NORMALIZATION", Types: floatOnly, Tol: transTol, build: genLRN},
		{Name: "FAKE_QUANT", Types: floatOnly, build: genFakeQuant},
		{Name: "RANDOM_UNIFORM", Types: floatOnly, build: genRandom(ops.OpRandomUniform)},
		{Name: "RANDOM_STANDARD_NORMAL", Types: floatOnly, Tol: transTol, build: genRandom(ops.OpRandomStandardNormal)},
		{Name: "MULTINOMIAL", Types: []string{"int64", "int32"}, build: genMultinomial},
	}
}
