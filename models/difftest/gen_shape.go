package difftest

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func genConcat(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	axis := g.intn(0, len(shape)-1)
	k := g.intn(2, 3)
	var ins []int
	oshape := append([]int{}, shape...)
	oshape[axis] = 0
	// TFLite's int8 kernel refuses differing scales and its int16 kernel
	// copies codes without rescaling (docs/difftest.md), so both share one
	// quantisation unless the type asks for rescaling.
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	for i := 0; i < k; i++ {
		s := append([]int{}, shape...)
		s[axis] = g.intn(1, 3)
		oshape[axis] += s[axis]
		iq := q
		if typ == "uint8" || typ == "int16_rescale" {
			iq = g.actQuant(dt)
		}
		ins = append(ins, g.input(dt, s, iq, lo, hi))
	}
	ax := int32(axis)
	if g.coin() {
		ax -= int32(len(shape))
	}
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpConcatenation, version(ops.OpConcatenation, typeVersion(typ, 1, 2, 1, 3)), ins, []int{out},
		opts(build.OptConcatenation, 0, ax))
	g.b.Output(out)
	return nil
}

func genPad(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	pads := make([]int32, 2*len(shape))
	oshape := append([]int{}, shape...)
	for i := range shape {
		pads[2*i], pads[2*i+1] = int32(g.intn(0, 2)), int32(g.intn(0, 2))
		oshape[i] += int(pads[2*i] + pads[2*i+1])
	}
	p := g.b.Const(g.name("pads"), models.Int32, []int{len(shape), 2}, pads, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpPad, version(ops.OpPad, typeVersion(typ, 1, 2, 1, 4)), []int{in, p}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genResize(op ops.Op) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		n, h, w, c := g.intn(1, 2), g.intn(1, 5), g.intn(1, 5), g.intn(1, 3)
		in, q := g.randInput(dt, []int{n, h, w, c})
		oh, ow := g.intn(1, 9), g.intn(1, 9)
		size := g.b.Const(g.name("size"), models.Int32, []int{2}, []int32{int32(oh), int32(ow)}, nil)
		out := g.output(dt, []int{n, oh, ow, c}, q)
		align, half := false, false
		switch g.intn(0, 2) {
		case 1:
			align = true
		case 2:
			half = true
		}
		o := opts(build.OptResizeBilinear, 2, align, 3, half)
		if op == ops.OpResizeNearestNeighbor {
			o = opts(build.OptResizeNearestNeighbor, 0, align, 1, half)
		}
		g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 4)), []int{in, size}, []int{out}, o)
		g.b.Output(out)
		return nil
	}
}

func genTranspose(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(2, 5, 4)
	in, q := g.randInput(dt, shape)
	perm := g.r.Perm(len(shape))
	p32 := make([]int32, len(perm))
	oshape := make([]int, len(perm))
	for i, p := range perm {
		p32[i], oshape[i] = int32(p), shape[p]
	}
	p := g.b.Const(g.name("perm"), models.Int32, []int{len(perm)}, p32, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpTranspose, version(ops.OpTranspose, typeVersion(typ, 1, 2, 1, 6)), []int{in, p}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

// genQuantize covers float→int (types int8, uint8, int16) and requantising
// int→int (types named <from>_<to>).
func genQuantize(g *gen, typ string) error {
	from, to := models.Float32, actDType(typ)
	switch typ {
	case "int8_int8":
		from, to = models.Int8, models.Int8
	case "uint8_int8":
		from, to = models.UInt8, models.Int8
	case "int8_uint8":
		from, to = models.Int8, models.UInt8
	case "int16_int16":
		from, to = models.Int16, models.Int16
	case "int16_int8":
		from, to = models.Int16, models.Int8
	}
	shape := g.randShape(1, 4, 5)
	in, _ := g.randInput(from, shape)
	out := g.output(to, shape, g.actQuant(to))
	g.b.Op(ops.OpQuantize, version(ops.OpQuantize, 2), []int{in}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genDequantize(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 5)
	in, _ := g.randInput(dt, shape)
	out := g.output(models.Float32, shape, nil)
	g.b.Op(ops.OpDequantize, version(ops.OpDequantize, typeVersion(typ, 1, 2, 1, 4)), []int{in}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genArg(op ops.Op, ot build.OptionType) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		shape := g.randShape(1, 4, 5)
		in, _ := g.randInput(dt, shape)
		axis := g.intn(0, len(shape)-1)
		ax := g.b.Const(g.name("axis"), models.Int32, []int{1}, []int32{int32(axis)}, nil)
		oshape := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
		out := g.output(models.Int32, oshape, nil)
		g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 2)), []int{in, ax}, []int{out}, opts(ot, 0, int8(2)))
		g.b.Output(out)
		return nil
	}
}

func genGather(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 4)
	in, q := g.randInput(dt, shape)
	axis := g.intn(0, len(shape)-1)
	ishape := g.randShape(1, 2, 3)
	idx := make([]int32, elems(ishape))
	for i := range idx {
		idx[i] = int32(g.intn(0, shape[axis]-1))
	}
	ix := g.b.Const(g.name("idx"), models.Int32, ishape, idx, nil)
	oshape := append(append(append([]int{}, shape[:axis]...), ishape...), shape[axis+1:]...)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpGather, version(ops.OpGather, typeVersion(typ, 1, 2, 1, 2)), []int{in, ix}, []int{out}, opts(build.OptGather, 0, int32(axis)))
	g.b.Output(out)
	return nil
}

func genSlice(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 5)
	in, q := g.randInput(dt, shape)
	begin, size := make([]int32, len(shape)), make([]int32, len(shape))
	oshape := make([]int, len(shape))
	for i, d := range shape {
		begin[i] = int32(g.intn(0, d-1))
		oshape[i] = g.intn(1, d-int(begin[i]))
		size[i] = int32(oshape[i])
		if g.intn(0, 3) == 0 {
			size[i] = -1
			oshape[i] = d - int(begin[i])
		}
	}
	b := g.b.Const(g.name("begin"), models.Int32, []int{len(shape)}, begin, nil)
	s := g.b.Const(g.name("size"), models.Int32, []int{len(shape)}, size, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpSlice, version(ops.OpSlice, typeVersion(typ, 1, 2, 1, 4)), []int{in, b, s}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genStridedSlice(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 6)
	in, q := g.randInput(dt, shape)
	n := len(shape)
	begin, end, strides := make([]int32, n), make([]int32, n), make([]int32, n)
	oshape := make([]int, n)
	for i, d := range shape {
		st := g.intn(1, 3)
		if g.intn(0, 3) == 0 {
			st = -st
		}
		b := g.intn(0, d-1)
		var e, cnt int
		if st > 0 {
			e = g.intn(b+1, d)
			cnt = (e - b + st - 1) / st
		} else {
			e = g.intn(-1, b-1)
			cnt = (b - e - st - 1) / -st
		}
		begin[i], strides[i], oshape[i] = int32(b), int32(st), cnt
		end[i] = int32(e)
		if e == -1 {
			// -1 would mean "last"; slice to the start with end_mask below.
			end[i] = int32(-d - 1)
		}
	}
	bt := g.b.Const(g.name("begin"), models.Int32, []int{n}, begin, nil)
	et := g.b.Const(g.name("end"), models.Int32, []int{n}, end, nil)
	stt := g.b.Const(g.name("strides"), models.Int32, []int{n}, strides, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpStridedSlice, version(ops.OpStridedSlice, typeVersion(typ, 1, 2, 1, 4)), []int{in, bt, et, stt}, []int{out},
		opts(build.OptStridedSlice))
	g.b.Output(out)
	return nil
}

func genTile(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 4, 3)
	in, q := g.randInput(dt, shape)
	mult := make([]int32, len(shape))
	oshape := make([]int, len(shape))
	for i, d := range shape {
		mult[i] = int32(g.intn(1, 3))
		oshape[i] = d * int(mult[i])
	}
	m := g.b.Const(g.name("mult"), models.Int32, []int{len(shape)}, mult, nil)
	out := g.output(dt, oshape, q)
	g.b.Op(ops.OpTile, version(ops.OpTile, 1), []int{in, m}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genDepthSpace(op ops.Op) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		bs := g.intn(2, 3)
		n, h, w, c := g.intn(1, 2), g.intn(1, 3), g.intn(1, 3), g.intn(1, 3)
		in, out := 0, 0
		if op == ops.OpSpaceToDepth {
			var q *models.Quant
			in, q = g.randInput(dt, []int{n, h * bs, w * bs, c})
			out = g.output(dt, []int{n, h, w, c * bs * bs}, q)
			g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 2)), []int{in}, []int{out}, opts(build.OptSpaceToDepth, 0, int32(bs)))
		} else {
			var q *models.Quant
			in, q = g.randInput(dt, []int{n, h, w, c * bs * bs})
			out = g.output(dt, []int{n, h * bs, w * bs, c}, q)
			g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 2)), []int{in}, []int{out}, opts(build.OptDepthToSpace, 0, int32(bs)))
		}
		g.b.Output(out)
		return nil
	}
}
