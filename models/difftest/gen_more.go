package difftest

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func genMirrorPad(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	mode := int8(g.intn(0, 1)) // REFLECT, SYMMETRIC
	pads := make([]int32, 2*len(shape))
	oshape := append([]int{}, shape...)
	for i, d := range shape {
		lim := d - 1 // REFLECT
		if mode == 1 {
			lim = d
		}
		pads[2*i], pads[2*i+1] = int32(g.intn(0, min(lim, 2))), int32(g.intn(0, min(lim, 2)))
		oshape[i] += int(pads[2*i] + pads[2*i+1])
	}
	p := g.b.Const(g.name("pads"), models.Int32, []int{len(shape), 2}, pads, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpMirrorPad, version(ops.OpMirrorPad, typeVersion(typ, 1, 2, 1, 3)), []int{in, p}, []int{out}, opts(build.OptMirrorPad, 0, mode))
	g.b.Output(out)
	return nil
}

func genSpaceToBatch(g *gen, typ string) error {
	dt := actDType(typ)
	bh, bw := g.intn(1, 3), g.intn(1, 3)
	n, h, w, c := g.intn(1, 2), g.intn(1, 4), g.intn(1, 4), g.intn(1, 3)
	pt, pl := g.intn(0, 2), g.intn(0, 2)
	ph := (h+pt+bh-1)/bh*bh - h - pt
	pw := (w+pl+bw-1)/bw*bw - w - pl
	in, q := g.randInput(dt, []int{n, h, w, c})
	bs := g.b.Const(g.name("block"), models.Int32, []int{2}, []int32{int32(bh), int32(bw)}, nil)
	pd := g.b.Const(g.name("pads"), models.Int32, []int{2, 2}, []int32{int32(pt), int32(ph), int32(pl), int32(pw)}, nil)
	out := g.output(dt, []int{n * bh * bw, (h + pt + ph) / bh, (w + pl + pw) / bw, c}, q)
	g.b.Op(ops.OpSpaceToBatchNd, version(ops.OpSpaceToBatchNd, typeVersion(typ, 1, 2, 1, 4)), []int{in, bs, pd}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genBatchToSpace(g *gen, typ string) error {
	dt := actDType(typ)
	bh, bw := g.intn(1, 3), g.intn(1, 3)
	n, h, w, c := g.intn(1, 2), g.intn(1, 4), g.intn(1, 4), g.intn(1, 3)
	ct, cl := g.intn(0, min(h*bh-1, 1)), g.intn(0, min(w*bw-1, 1))
	in, q := g.randInput(dt, []int{n * bh * bw, h, w, c})
	bs := g.b.Const(g.name("block"), models.Int32, []int{2}, []int32{int32(bh), int32(bw)}, nil)
	cr := g.b.Const(g.name("crops"), models.Int32, []int{2, 2}, []int32{int32(ct), 0, int32(cl), 0}, nil)
	out := g.output(dt, []int{n, h*bh - ct, w*bw - cl, c}, q)
	g.b.Op(ops.OpBatchToSpaceNd, version(ops.OpBatchToSpaceNd, typeVersion(typ, 1, 2, 1, 4)), []int{in, bs, cr}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genCumsum(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 5)
	in, _ := g.randInput(dt, shape)
	axis := g.b.Const(g.name("axis"), models.Int32, []int{}, []int32{int32(g.intn(0, len(shape)-1))}, nil)
	out := g.output(dt, shape, nil)
	g.b.Op(ops.OpCumsum, 1, []int{in, axis}, []int{out}, opts(build.OptCumsum, 0, g.coin(), 1, g.coin()))
	g.b.Output(out)
	return nil
}

func genAddN(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 4)
	var ins []int
	for i := g.intn(2, 4); i > 0; i-- {
		t, _ := g.randInput(dt, shape)
		ins = append(ins, t)
	}
	out := g.output(dt, shape, nil)
	g.b.Op(ops.OpAddN, 1, ins, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genFloorDivMod(op ops.Op, ot build.OptionType) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		a := g.randShape(1, 3, 4)
		b := g.bcastOf(a)
		x, _ := g.randInput(dt, a)
		y, _ := g.randInput(dt, b)
		g.nonZero(len(g.inputs)-1, dt, nil)
		out := g.output(dt, bcastShape(a, b), nil)
		g.b.Op(op, version(op, 2), []int{x, y}, []int{out}, build.Options{Type: ot})
		g.b.Output(out)
		return nil
	}
}

func genSelectV2(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 4)
	cond := g.input(models.Bool, g.bcastOf(shape), nil, 0, 1)
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	x := g.input(dt, shape, q, lo, hi)
	ys := g.bcastOf(shape)
	y := g.input(dt, ys, q, lo, hi)
	out := g.output(dt, bcastShape(shape, ys), q)
	g.b.Op(ops.OpSelectV2, 1, []int{cond, x, y}, []int{out}, build.Options{Type: build.OptSelectV2})
	g.b.Output(out)
	return nil
}

func genPackUnpack(pack bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		shape := g.randShape(1, 3, 4)
		q := g.actQuant(dt)
		lo, hi := valueRange(dt)
		if pack {
			k := g.intn(1, 3)
			axis := g.intn(0, len(shape))
			var ins []int
			for i := 0; i < k; i++ {
				ins = append(ins, g.input(dt, shape, q, lo, hi))
			}
			oshape := append(append(append([]int{}, shape[:axis]...), k), shape[axis:]...)
			out := g.output(dt, oshape, q)
			g.b.Op(ops.OpPack, version(ops.OpPack, typeVersion(typ, 1, 2, 1, 3)), ins, []int{out}, opts(build.OptPack, 0, int32(k), 1, int32(axis)))
			g.b.Output(out)
			return nil
		}
		in := g.input(dt, shape, q, lo, hi)
		axis := g.intn(0, len(shape)-1)
		oshape := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
		var outs []int
		for i := 0; i < shape[axis]; i++ {
			outs = append(outs, g.output(dt, oshape, q))
		}
		g.b.Op(ops.OpUnpack, version(ops.OpUnpack, typeVersion(typ, 1, 2, 1, 3)), []int{in}, outs, opts(build.OptUnpack, 0, int32(shape[axis]), 1, int32(axis)))
		g.b.Output(outs...)
		return nil
	}
}

func genSplit(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 3)
	axis := g.intn(0, len(shape)-1)
	k := g.intn(1, 3)
	shape[axis] *= k
	in, q := g.randInput(dt, shape)
	ax := g.b.Const(g.name("axis"), models.Int32, []int{}, []int32{int32(axis)}, nil)
	oshape := append([]int{}, shape...)
	oshape[axis] /= k
	var outs []int
	for i := 0; i < k; i++ {
		outs = append(outs, g.output(dt, oshape, q))
	}
	g.b.Op(ops.OpSplit, version(ops.OpSplit, typeVersion(typ, 1, 2, 1, 4)), []int{ax, in}, outs, opts(build.OptSplit, 0, int32(k)))
	g.b.Output(outs...)
	return nil
}

func genCast(g *gen, typ string) error {
	from, to := models.Float32, models.Int32
	switch typ {
	case "int32_float32":
		from, to = models.Int32, models.Float32
	case "int8_int32":
		from, to = models.Int8, models.Int32
	case "uint8_float32":
		from, to = models.UInt8, models.Float32
	case "bool_float32":
		from, to = models.Bool, models.Float32
	}
	shape := g.randShape(1, 3, 4)
	lo, hi := valueRange(from)
	if from == models.Float32 {
		lo, hi = -100, 100
	}
	in := g.input(from, shape, nil, lo, hi)
	out := g.output(to, shape, nil)
	g.b.Op(ops.OpCast, 1, []int{in}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genPow(g *gen, typ string) error {
	dt := actDType(typ)
	a := g.randShape(1, 3, 4)
	b := g.bcastOf(a)
	lo, hi := 0.1, 3.0
	if dt == models.Int32 {
		lo, hi = -4, 4
	}
	x := g.input(dt, a, nil, lo, hi)
	if dt == models.Int32 {
		lo = 0
	}
	y := g.input(dt, b, nil, lo, hi)
	out := g.output(dt, bcastShape(a, b), nil)
	g.b.Op(ops.OpPow, 1, []int{x, y}, []int{out}, build.Options{Type: build.OptPow})
	g.b.Output(out)
	return nil
}

func moreGenerators() []Gen {
	moveTypes := []string{"float32", "int8", "uint8", "int16", "int32"}
	return []Gen{
		{Name: "MIRROR_PAD", Types: moveTypes, build: genMirrorPad},
		{Name: "SPACE_TO_BATCH_ND", Types: moveTypes, build: genSpaceToBatch},
		{Name: "BATCH_TO_SPACE_ND", Types: moveTypes, build: genBatchToSpace},
		{Name: "CUMSUM", Types: []string{"float32", "int32", "int64"}, build: genCumsum},
		{Name: "ADD_N", Types: []string{"float32", "int32"}, build: genAddN},
		{Name: "FLOOR_DIV", Types: []string{"float32", "int32", "int16", "int8"}, build: genFloorDivMod(ops.OpFloorDiv, build.OptFloorDiv)},
		{Name: "FLOOR_MOD", Types: []string{"float32", "int32", "int64", "int16", "int8"}, build: genFloorDivMod(ops.OpFloorMod, build.OptFloorMod)},
		{Name: "SELECT_V2", Types: moveTypes, build: genSelectV2},
		{Name: "PACK", Types: moveTypes, build: genPackUnpack(true)},
		{Name: "UNPACK", Types: moveTypes, build: genPackUnpack(false)},
		{Name: "SPLIT", Types: moveTypes, build: genSplit},
		{Name: "CAST", Types: []string{"float32_int32", "int32_float32", "int8_int32", "uint8_float32", "bool_float32"}, build: genCast},
		{Name: "POW", Types: []string{"float32", "int32"}, Tol: transTol, build: genPow},
	}
}
