package difftest

import (
	"strings"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// randShape is a random shape of rank lo..hi with dims 1..maxDim.
func (g *gen) randShape(lo, hi, maxDim int) []int {
	s := make([]int, g.intn(lo, hi))
	for i := range s {
		s[i] = g.intn(1, maxDim)
	}
	return s
}

// bcastOf is a shape that broadcasts against s: some trailing dims of s,
// some of them set to 1.
func (g *gen) bcastOf(s []int) []int {
	if g.coin() {
		return append([]int{}, s...)
	}
	r := g.intn(0, len(s))
	b := append([]int{}, s[len(s)-r:]...)
	for i := range b {
		if g.coin() {
			b[i] = 1
		}
	}
	return b
}

// bcastShape is the broadcast of a and b.
func bcastShape(a, b []int) []int {
	if len(b) > len(a) {
		a, b = b, a
	}
	out := append([]int{}, a...)
	for i := range b {
		j := len(a) - len(b) + i
		if b[i] > out[j] {
			out[j] = b[i]
		}
	}
	return out
}

// valueRange is the input data range for a typ: codes over the whole range
// for quantised types, [-2, 2] for floats, small integers otherwise.
func valueRange(dt models.DType) (float64, float64) {
	switch dt {
	case models.Float32:
		return -2, 2
	case models.Int32, models.Int64:
		return -100, 100
	}
	lo, hi := qrange(dt)
	return float64(lo), float64(hi)
}

// randInput is an activation input of dt with random quantisation (zero
// point 0 for int16) and data over valueRange.
func (g *gen) randInput(dt models.DType, shape []int) (int, *models.Quant) {
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	return g.input(dt, shape, q, lo, hi), q
}

func scaleOf(q *models.Quant) float64 {
	if q == nil {
		return 1
	}
	return float64(q.Scale[0])
}

// binaryKind says how a binary op's output quantisation relates to its
// inputs'.
type binaryKind int

const (
	binAdd     binaryKind = iota // output scale near the inputs'
	binMul                       // output scale near the product of the inputs'
	binSame                      // inputs and output share one quantisation
	binCompare                   // bool output
)

func genBinary(op ops.Op, ot build.OptionType, kind binaryKind, withAct bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		a := g.randShape(1, 4, 4)
		b := g.bcastOf(a)
		if g.coin() {
			a, b = b, a
		}
		var x, y int
		var qx, qy, qo *models.Quant
		switch kind {
		case binSame:
			qx = g.actQuant(dt)
			lo, hi := valueRange(dt)
			x = g.input(dt, a, qx, lo, hi)
			y = g.input(dt, b, qx, lo, hi)
			qo = qx
		default:
			x, qx = g.randInput(dt, a)
			y, qy = g.randInput(dt, b)
			if op == ops.OpDiv {
				g.nonZero(len(g.inputs)-1, dt, qy)
			}
			if quantized(dt) && kind != binCompare {
				qo = g.actQuant(dt)
				s := max(scaleOf(qx), scaleOf(qy)) * g.logUniform(1, 3)
				if kind == binMul {
					lo, hi := qrange(dt)
					s = scaleOf(qx) * scaleOf(qy) * float64(hi-lo) / 4 * g.logUniform(0.5, 2)
				}
				qo.Scale[0] = float32(s)
			}
		}
		odt := dt
		if kind == binCompare {
			odt, qo = models.Bool, nil
		}
		out := g.output(odt, bcastShape(a, b), qo)
		o := build.Options{Type: ot}
		if withAct {
			o.Fields = []build.Field{{Slot: 0, Value: g.randAct()}}
		}
		g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 3)), []int{x, y}, []int{out}, o)
		g.b.Output(out)
		return nil
	}
}

// nonZero rewrites zeros (real value 0) of input k to 1 so division is
// defined.
func (g *gen) nonZero(k int, dt models.DType, q *models.Quant) {
	d := g.inputs[k].Data
	switch dt {
	case models.Float32:
		v := make([]float32, len(d)/4)
		for i := range v {
			v[i] = f32(d, i)
			if v[i] > -0.05 && v[i] < 0.05 {
				v[i] = 0.5
			}
		}
		g.inputs[k].Data = leBytes(v)
	case models.UInt8:
		if q == nil {
			break
		}
		zp := byte(q.ZeroPoint[0])
		for i := range d {
			if d[i] == zp {
				d[i] = zp + 1
			}
		}
	default: // integers: raw zero codes become 1
		size := dt.Size()
		for i := 0; i+size <= len(d); i += size {
			zero := true
			for _, c := range d[i : i+size] {
				zero = zero && c == 0
			}
			if zero {
				d[i] = 1
			}
		}
	}
}

// unarySpec describes a unary op's generator.
type unarySpec struct {
	op       ops.Op
	ot       build.OptionType
	fields   func(g *gen) []build.Field
	lo, hi   float64 // float input range
	positive bool    // quantised inputs must be positive reals
	// outQ is the fixed output quantisation TFLite demands (nil: random).
	outQ func(dt models.DType) *models.Quant
	same bool // output shares the input's quantisation
}

func genUnary(u unarySpec) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		shape := g.randShape(1, 4, 5)
		q := g.actQuant(dt)
		lo, hi := u.lo, u.hi
		if dt != models.Float32 {
			lo, hi = valueRange(dt)
			if u.positive && q != nil {
				lo = float64(q.ZeroPoint[0]) + 1
			}
		}
		in := g.input(dt, shape, q, lo, hi)
		oq := g.actQuant(dt)
		switch {
		case u.same:
			oq = q
		case u.outQ != nil && oq != nil:
			oq = u.outQ(dt)
		}
		out := g.output(dt, shape, oq)
		o := build.Options{}
		if u.ot != build.OptNone || u.fields != nil {
			o.Type = u.ot
			if u.fields != nil {
				o.Fields = u.fields(g)
			}
		}
		g.b.Op(u.op, version(u.op, typeVersion(typ, 1, 2, 1, 3)), []int{in}, []int{out}, o)
		g.b.Output(out)
		return nil
	}
}

// Fixed output quantisations of TFLite's integer kernels.
func tanhOut(dt models.DType) *models.Quant {
	switch dt {
	case models.Int8:
		return q1(1.0/128, 0)
	case models.UInt8:
		return q1(1.0/128, 128)
	}
	return q1(1.0/32768, 0)
}

func sigmoidOut(dt models.DType) *models.Quant {
	switch dt {
	case models.Int8:
		return q1(1.0/256, -128)
	case models.UInt8:
		return q1(1.0/256, 0)
	}
	return q1(1.0/32768, 0)
}

func logSoftmaxOut(dt models.DType) *models.Quant {
	if dt == models.UInt8 {
		return q1(16.0/256, 255)
	}
	return q1(16.0/256, 127)
}

func l2Out(dt models.DType) *models.Quant {
	if dt == models.UInt8 {
		return q1(1.0/128, 128)
	}
	return q1(1.0/128, 0)
}

func genSoftmax(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(2, 4, 6)
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	in := g.input(dt, shape, q, lo, hi)
	var oq *models.Quant
	if quantized(dt) {
		oq = sigmoidOut(dt)
	}
	out := g.output(dt, shape, oq)
	g.b.Op(ops.OpSoftmax, version(ops.OpSoftmax, typeVersion(typ, 1, 2, 1, 3)), []int{in}, []int{out},
		opts(build.OptSoftmax, 0, float32(g.uniform(0.3, 2))))
	g.b.Output(out)
	return nil
}

func genPrelu(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(2, 4, 5)
	in, q := g.randInput(dt, shape)
	ashape := []int{shape[len(shape)-1]}
	if g.coin() {
		ashape = g.bcastOf(shape)
	}
	var aq *models.Quant
	lo, hi := -0.5, 0.5
	if quantized(dt) {
		aq = g.actQuant(dt)
		lo, hi = valueRange(dt)
	}
	alpha := g.b.Const(g.name("alpha"), dt, ashape, g.values(dt, elems(ashape), lo, hi), aq)
	oq := q
	if q != nil {
		oq = g.actQuant(dt)
	}
	out := g.output(dt, bcastShape(shape, ashape), oq)
	g.b.Op(ops.OpPrelu, 1, []int{in, alpha}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

// prodAxes sizes the reduced dimensions of a quantized REDUCE_PROD: type
// *_size1 makes them all 1, where TFLite's quantized product misbehaves
// (docs/difftest.md); other types get at least one of size 2 or more.
func prodAxes(typ string, shape []int, axes []int32) {
	if !quantized(actDType(typ)) {
		return
	}
	if strings.HasSuffix(typ, "_size1") {
		for _, a := range axes {
			shape[a] = 1
		}
		return
	}
	for _, a := range axes {
		if shape[a] > 1 {
			return
		}
	}
	shape[axes[0]] = 2
}

func genReduce(op ops.Op, sameQuant bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		dt := actDType(typ)
		shape := g.randShape(1, 4, 5)
		var axes []int32
		pick := func() {
			for len(axes) == 0 {
				for i := range shape {
					if g.coin() {
						axes = append(axes, int32(i))
					}
				}
			}
		}
		if op == ops.OpReduceProd {
			pick()
			prodAxes(typ, shape, axes)
		}
		in, q := g.randInput(dt, shape)
		pick()
		keep := g.coin()
		var oshape []int
		count := 1
		for i, d := range shape {
			red := false
			for _, a := range axes {
				red = red || int(a) == i
			}
			switch {
			case red && keep:
				oshape = append(oshape, 1)
				count *= d
			case red:
				count *= d
			default:
				oshape = append(oshape, d)
			}
		}
		for i := range axes {
			if g.coin() {
				axes[i] -= int32(len(shape))
			}
		}
		ax := g.b.Const(g.name("axes"), models.Int32, []int{len(axes)}, axes, nil)
		oq := q
		if q != nil && !sameQuant {
			oq = g.actQuant(dt)
			if op == ops.OpSum {
				oq.Scale[0] = float32(scaleOf(q) * float64(count) * g.logUniform(0.3, 1))
			}
		}
		out := g.output(dt, oshape, oq)
		g.b.Op(op, version(op, typeVersion(typ, 1, 2, 1, 3)), []int{in, ax}, []int{out}, opts(build.OptReducer, 0, keep))
		g.b.Output(out)
		return nil
	}
}
