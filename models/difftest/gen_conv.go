package difftest

import (
	"math"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Schema enums the generators write.
const (
	padSame  = int8(0)
	padValid = int8(1)
)

// window is a random 2-D sliding window over an h×w input.
type window struct {
	kh, kw, sh, sw, dh, dw int
	pad                    int8
	oh, ow                 int
}

// randWindow draws kernel, stride, dilation (when dil) and padding for an
// h×w input, falling back to SAME when VALID would leave no output.
func (g *gen) randWindow(h, w, maxK int, dil bool) window {
	wd := window{kh: g.intn(1, maxK), kw: g.intn(1, maxK), sh: g.intn(1, 2), sw: g.intn(1, 2), dh: 1, dw: 1, pad: padSame}
	if dil && g.intn(0, 2) == 0 {
		wd.dh, wd.dw = g.intn(1, 2), g.intn(1, 2)
	}
	if g.coin() {
		wd.pad = padValid
	}
	ekh, ekw := (wd.kh-1)*wd.dh+1, (wd.kw-1)*wd.dw+1
	if wd.pad == padValid && (ekh > h || ekw > w) {
		wd.pad = padSame
	}
	if wd.pad == padSame {
		wd.oh, wd.ow = (h+wd.sh-1)/wd.sh, (w+wd.sw-1)/wd.sw
	} else {
		wd.oh, wd.ow = (h-ekh)/wd.sh+1, (w-ekw)/wd.sw+1
	}
	return wd
}

// randAct is a random fused activation.
func (g *gen) randAct() int8 {
	return int8([]ops.Activation{ops.ActNone, ops.ActNone, ops.ActRelu, ops.ActRelu6, ops.ActReluN1To1}[g.intn(0, 4)])
}

// weights is a constant filter for an op of type typ: float values in
// [-1, 1]; int8 symmetric, per-channel along axis (when perChannel) or per
// tensor; uint8 per tensor with a zero point near the middle. It returns
// the tensor and the weight scales (one per channel, or one).
func (g *gen) weights(typ string, shape []int, axis int, perChannel bool) (int, []float64) {
	n := elems(shape)
	name := g.name("w")
	switch typ {
	case "float32":
		return g.b.Const(name, models.Float32, shape, g.values(models.Float32, n, -1, 1), nil), nil
	case "uint8":
		s := g.logUniform(0.002, 0.05)
		q := q1(s, int64(g.intn(100, 156)))
		return g.b.Const(name, models.UInt8, shape, g.values(models.UInt8, n, 0, 255), q), []float64{s}
	}
	// int8 and int16x8 and hybrid: int8 symmetric weights.
	ch := 1
	if perChannel {
		ch = shape[axis]
	}
	q := &models.Quant{Axis: axis}
	var sc []float64
	for c := 0; c < ch; c++ {
		s := g.logUniform(0.002, 0.05)
		sc = append(sc, s)
		q.Scale = append(q.Scale, float32(s))
		q.ZeroPoint = append(q.ZeroPoint, 0)
	}
	if !perChannel {
		q.Axis = 0
	}
	return g.b.Const(name, models.Int8, shape, g.values(models.Int8, n, -127, 127), q), sc
}

// bias is the constant bias of an op of type typ with weight scales ws:
// float32, int32 (int8/uint8), int64 (int16x8); quantised bias scale is
// input scale × weight scale as TFLite requires.
func (g *gen) bias(typ string, n int, inScale float64, ws []float64) int {
	name := g.name("b")
	switch typ {
	case "float32", "hybrid":
		return g.b.Const(name, models.Float32, []int{n}, g.values(models.Float32, n, -1, 1), nil)
	}
	q := &models.Quant{}
	for _, s := range ws {
		q.Scale = append(q.Scale, float32(inScale*s))
		q.ZeroPoint = append(q.ZeroPoint, 0)
	}
	if typ == "int16x8" {
		return g.b.Const(name, models.Int64, []int{n}, g.values(models.Int64, n, -1<<20, 1<<20), q)
	}
	return g.b.Const(name, models.Int32, []int{n}, g.values(models.Int32, n, -3000, 3000), q)
}

// accQuant is an output quantisation that spreads a dot product of k terms
// over most of the output range: scale ≈ in×w×|codes_in|×|codes_w|×√k /
// |codes_out| × a random factor.
func (g *gen) accQuant(typ string, inScale float64, ws []float64, k int) *models.Quant {
	dt := actDType(typ)
	if !quantized(dt) {
		return nil
	}
	mean := 0.0
	for _, s := range ws {
		mean += s
	}
	mean /= float64(len(ws))
	inCodes, wCodes, outCodes := 128.0, 128.0, 128.0
	switch typ {
	case "uint8":
		wCodes = 128
	case "int16x8":
		inCodes, outCodes = 32768, 32768
	}
	s := inScale * mean * inCodes * wCodes * math.Sqrt(float64(k)) / outCodes / 3 * g.logUniform(0.5, 2)
	q := g.actQuant(dt)
	q.Scale[0] = float32(s)
	return q
}

func typeVersion(typ string, float, i8, u8, i16 int) int {
	switch typ {
	case "int8":
		return i8
	case "uint8":
		return u8
	case "int16x8", "int16":
		return i16
	}
	return float
}

func genConv(g *gen, typ string) error {
	n, h, w := g.intn(1, 2), g.intn(1, 8), g.intn(1, 8)
	cin, cout := g.intn(1, 6), g.intn(1, 6)
	wd := g.randWindow(h, w, 3, true)
	inTyp := typ
	if typ == "hybrid" {
		inTyp = "float32"
	}
	in, iq := g.actInput(inTyp, []int{n, h, w, cin})
	filt, ws := g.weights(typ, []int{cout, wd.kh, wd.kw, cin}, 0, g.coin() || typ == "int16x8")
	inScale := 0.0
	if iq != nil {
		inScale = float64(iq.Scale[0])
	}
	bias := -1
	if g.intn(0, 4) > 0 {
		bias = g.bias(typ, cout, inScale, ws)
	}
	oq := g.accQuant(typ, inScale, ws, wd.kh*wd.kw*cin)
	out := g.output(actDType(inTyp), []int{n, wd.oh, wd.ow, cout}, oq)
	g.b.Op(ops.OpConv2d, version(ops.OpConv2d, typeVersion(typ, 2, 3, 2, 4)), []int{in, filt, bias}, []int{out},
		opts(build.OptConv2D, 0, wd.pad, 1, int32(wd.sw), 2, int32(wd.sh), 3, g.randAct(), 4, int32(wd.dw), 5, int32(wd.dh)))
	g.b.Output(out)
	return nil
}

func genDepthwise(g *gen, typ string) error {
	n, h, w := g.intn(1, 2), g.intn(1, 8), g.intn(1, 8)
	cin, mult := g.intn(1, 5), g.intn(1, 3)
	cout := cin * mult
	wd := g.randWindow(h, w, 3, true)
	inTyp := typ
	if typ == "hybrid" {
		inTyp = "float32"
	}
	in, iq := g.actInput(inTyp, []int{n, h, w, cin})
	filt, ws := g.weights(typ, []int{1, wd.kh, wd.kw, cout}, 3, g.coin() || typ == "int16x8")
	inScale := 0.0
	if iq != nil {
		inScale = float64(iq.Scale[0])
	}
	bias := -1
	if g.intn(0, 4) > 0 {
		bias = g.bias(typ, cout, inScale, ws)
	}
	oq := g.accQuant(typ, inScale, ws, wd.kh*wd.kw)
	out := g.output(actDType(inTyp), []int{n, wd.oh, wd.ow, cout}, oq)
	g.b.Op(ops.OpDepthwiseConv2d, version(ops.OpDepthwiseConv2d, typeVersion(typ, 2, 3, 2, 5)), []int{in, filt, bias}, []int{out},
		opts(build.OptDepthwiseConv2D, 0, wd.pad, 1, int32(wd.sw), 2, int32(wd.sh), 3, int32(mult), 4, g.randAct(), 5, int32(wd.dw), 6, int32(wd.dh)))
	g.b.Output(out)
	return nil
}

func genTransposeConv(g *gen, typ string) error {
	n, h, w := g.intn(1, 2), g.intn(1, 5), g.intn(1, 5)
	cin, cout := g.intn(1, 4), g.intn(1, 4)
	kh, kw, sh, sw := g.intn(1, 3), g.intn(1, 3), g.intn(1, 2), g.intn(1, 2)
	pad := padSame
	oh, ow := h*sh, w*sw
	if g.coin() {
		pad = padValid
		oh, ow = (h-1)*sh+kh, (w-1)*sw+kw
	}
	shape := g.b.Const(g.name("shape"), models.Int32, []int{4}, []int32{int32(n), int32(oh), int32(ow), int32(cout)}, nil)
	filt, ws := g.weights(typ, []int{cout, kh, kw, cin}, 0, g.coin() || typ == "int16x8")
	in, iq := g.actInput(typ, []int{n, h, w, cin})
	inScale := 0.0
	if iq != nil {
		inScale = float64(iq.Scale[0])
	}
	bias := -1
	if g.coin() {
		bias = g.bias(typ, cout, inScale, ws)
	}
	oq := g.accQuant(typ, inScale, ws, kh*kw*cin/(sh*sw)+1)
	out := g.output(actDType(typ), []int{n, oh, ow, cout}, oq)
	inputs := []int{shape, filt, in}
	if bias >= 0 {
		inputs = append(inputs, bias)
	}
	g.b.Op(ops.OpTransposeConv, version(ops.OpTransposeConv, typeVersion(typ, 1, 3, 2, 3)), inputs, []int{out},
		opts(build.OptTransposeConv, 0, pad, 1, int32(sw), 2, int32(sh)))
	g.b.Output(out)
	return nil
}

func genFullyConnected(g *gen, typ string) error {
	batch, k, units := g.intn(1, 3), g.intn(1, 24), g.intn(1, 8)
	inShape := []int{batch, k}
	keep := false
	if g.intn(0, 3) == 0 {
		inShape = []int{g.intn(1, 2), batch, k}
		keep = g.coin()
	}
	inTyp := typ
	if typ == "hybrid" {
		inTyp = "float32"
	}
	in, iq := g.actInput(inTyp, inShape)
	filt, ws := g.weights(typ, []int{units, k}, 0, typ == "int8" && g.coin())
	inScale := 0.0
	if iq != nil {
		inScale = float64(iq.Scale[0])
	}
	bias := -1
	if g.intn(0, 4) > 0 {
		bias = g.bias(typ, units, inScale, ws)
	}
	oq := g.accQuant(typ, inScale, ws, k)
	outShape := []int{elems(inShape) / k, units}
	if keep {
		outShape = append(append([]int{}, inShape[:len(inShape)-1]...), units)
	}
	out := g.output(actDType(inTyp), outShape, oq)
	o := opts(build.OptFullyConnected, 0, g.randAct(), 2, keep)
	if typ == "hybrid" && g.coin() {
		o.Fields = append(o.Fields, build.Field{Slot: 3, Value: true})
	}
	g.b.Op(ops.OpFullyConnected, version(ops.OpFullyConnected, typeVersion(typ, 1, 4, 1, 7)), []int{in, filt, bias}, []int{out}, o)
	g.b.Output(out)
	return nil
}

func genBatchMatMul(g *gen, typ string) error {
	b, m, k, nn := g.intn(1, 3), g.intn(1, 5), g.intn(1, 12), g.intn(1, 5)
	adjX, adjY := g.coin(), g.coin()
	rb := b
	if g.coin() {
		rb = 1
	}
	// TFLite 2.14 leaves every output batch after the first zero when
	// adj_x meets a broadcast rhs (docs/difftest.md); only the
	// float32_adjx_bcast type makes that combination.
	if typ == "float32_adjx_bcast" {
		adjX, rb, b = true, 1, g.intn(2, 3)
	} else if adjX {
		rb = b
	}
	lShape := []int{b, m, k}
	if adjX {
		lShape = []int{b, k, m}
	}
	rShape := []int{rb, k, nn}
	if adjY {
		rShape = []int{rb, nn, k}
	}
	lTyp, rdt := typ, actDType(typ)
	switch typ {
	case "float32_adjx_bcast":
		lTyp = "float32"
	case "int16x8":
		rdt = models.Int8
	case "hybrid":
		lTyp, rdt = "float32", models.Int8
	}
	lhs, lq := g.actInput(lTyp, lShape)
	var rq *models.Quant
	switch rdt {
	case models.Int8:
		rq = q1(g.logUniform(0.002, 0.05), 0)
		if typ == "int8" {
			rq.ZeroPoint[0] = int64(g.intn(-20, 20))
		}
	case models.Int16:
		rq = q1(g.logUniform(2e-5, 5e-4), 0)
	}
	var rhs int
	if g.coin() || typ == "hybrid" {
		lo, hi := qrange(rdt)
		if rdt == models.Float32 {
			lo, hi = -1, 1
		}
		rhs = g.b.Const(g.name("rhs"), rdt, rShape, g.values(rdt, elems(rShape), float64(lo), float64(hi)), rq)
	} else {
		lo, hi := qrange(rdt)
		if rdt == models.Float32 {
			lo, hi = -1, 1
		}
		rhs = g.input(rdt, rShape, rq, float64(lo), float64(hi))
	}
	var oq *models.Quant
	if lq != nil {
		ws := []float64{float64(rq.Scale[0])}
		codes := typ
		if typ == "int16" {
			codes = "int16x8"
		}
		oq = g.accQuant(codes, float64(lq.Scale[0]), ws, k)
		if typ == "int16" {
			oq.Scale[0] *= 256
		}
	}
	out := g.output(actDType(lTyp), []int{b, m, nn}, oq)
	g.b.Op(ops.OpBatchMatmul, version(ops.OpBatchMatmul, typeVersion(typ, 1, 2, 1, 3)), []int{lhs, rhs}, []int{out},
		opts(build.OptBatchMatMul, 0, adjX, 1, adjY))
	g.b.Output(out)
	return nil
}

func genPool(op ops.Op) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		n, h, w, c := g.intn(1, 2), g.intn(1, 9), g.intn(1, 9), g.intn(1, 5)
		wd := g.randWindow(h, w, 3, false)
		wd.sh, wd.sw = g.intn(1, 3), g.intn(1, 3)
		// recompute the output for the new strides
		if wd.pad == padSame {
			wd.oh, wd.ow = (h+wd.sh-1)/wd.sh, (w+wd.sw-1)/wd.sw
		} else {
			wd.oh, wd.ow = (h-wd.kh)/wd.sh+1, (w-wd.kw)/wd.sw+1
		}
		in, q := g.actInput(typ, []int{n, h, w, c})
		out := g.output(actDType(typ), []int{n, wd.oh, wd.ow, c}, q)
		g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 3)), []int{in}, []int{out},
			opts(build.OptPool2D, 0, wd.pad, 1, int32(wd.sw), 2, int32(wd.sh), 3, int32(wd.kw), 4, int32(wd.kh), 5, g.randAct()))
		g.b.Output(out)
		return nil
	}
}
