package difftest

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// chainTypes are the types the multi-op chains come in.
var chainTypes = []string{"float32", "int8"}

func chainGenerators() []Gen {
	return []Gen{
		{Name: "chain_conv_pool_fc_softmax", Types: chainTypes, Tol: transTol, build: genChainConvPoolFC},
		{Name: "chain_dw_add_mean_fc_logistic", Types: chainTypes, Tol: transTol, build: genChainDwAddMeanFC},
	}
}

// conv adds a CONV_2D (SAME, stride s, fused act) after x and returns its
// output and quantisation.
func (g *gen) conv(typ string, x int, xq *models.Quant, shape []int, cout, k, s int, act ops.Activation) (int, *models.Quant, []int) {
	filt, ws := g.weights(typ, []int{cout, k, k, shape[3]}, 0, typ != "uint8")
	bias := g.bias(typ, cout, scaleOf(xq), ws)
	oshape := []int{shape[0], (shape[1] + s - 1) / s, (shape[2] + s - 1) / s, cout}
	oq := g.accQuant(typ, scaleOf(xq), ws, k*k*shape[3])
	out := g.output(actDType(typ), oshape, oq)
	g.b.Op(ops.OpConv2d, version(ops.OpConv2d, typeVersion(typ, 1, 3, 1, 4)), []int{x, filt, bias}, []int{out},
		opts(build.OptConv2D, 0, padSame, 1, int32(s), 2, int32(s), 3, int8(act)))
	return out, oq, oshape
}

// fc adds a FULLY_CONNECTED from a [batch, k] tensor x to units.
func (g *gen) fc(typ string, x int, xq *models.Quant, batch, k, units int) (int, *models.Quant) {
	filt, ws := g.weights(typ, []int{units, k}, 0, false)
	bias := g.bias(typ, units, scaleOf(xq), ws)
	oq := g.accQuant(typ, scaleOf(xq), ws, k)
	out := g.output(actDType(typ), []int{batch, units}, oq)
	g.b.Op(ops.OpFullyConnected, version(ops.OpFullyConnected, typeVersion(typ, 1, 4, 1, 7)), []int{x, filt, bias}, []int{out},
		opts(build.OptFullyConnected))
	return out, oq
}

func genChainConvPoolFC(g *gen, typ string) error {
	dt := actDType(typ)
	shape := []int{1, g.intn(4, 8), g.intn(4, 8), g.intn(1, 3)}
	x, xq := g.actInput(typ, shape)
	c, cq, cs := g.conv(typ, x, xq, shape, g.intn(2, 6), 3, g.intn(1, 2), ops.ActRelu)
	ph, pw := cs[1]/2, cs[2]/2
	p := g.output(dt, []int{1, ph, pw, cs[3]}, cq)
	g.b.Op(ops.OpMaxPool2d, version(ops.OpMaxPool2d, typeVersion(typ, 1, 2, 1, 3)), []int{c}, []int{p},
		opts(build.OptPool2D, 0, padValid, 1, int32(2), 2, int32(2), 3, int32(2), 4, int32(2)))
	k := ph * pw * cs[3]
	ns := g.b.Const(g.name("shape"), models.Int32, []int{2}, []int32{1, int32(k)}, nil)
	r := g.output(dt, []int{1, k}, cq)
	g.b.Op(ops.OpReshape, 1, []int{p, ns}, []int{r}, opts(build.OptReshape, 0, []int32{1, int32(k)}))
	units := g.intn(2, 6)
	f, _ := g.fc(typ, r, cq, 1, k, units)
	var sq *models.Quant
	if quantized(dt) {
		sq = sigmoidOut(dt)
	}
	out := g.output(dt, []int{1, units}, sq)
	g.b.Op(ops.OpSoftmax, version(ops.OpSoftmax, typeVersion(typ, 1, 2, 1, 3)), []int{f}, []int{out}, opts(build.OptSoftmax, 0, float32(1)))
	g.b.Output(out)
	return nil
}

func genChainDwAddMeanFC(g *gen, typ string) error {
	dt := actDType(typ)
	shape := []int{1, g.intn(3, 7), g.intn(3, 7), g.intn(2, 4)}
	x, xq := g.actInput(typ, shape)
	c := shape[3]
	filt, ws := g.weights(typ, []int{1, 3, 3, c}, 3, true)
	bias := g.bias(typ, c, scaleOf(xq), ws)
	dq := g.accQuant(typ, scaleOf(xq), ws, 9)
	d := g.output(dt, shape, dq)
	g.b.Op(ops.OpDepthwiseConv2d, version(ops.OpDepthwiseConv2d, typeVersion(typ, 1, 3, 1, 5)), []int{x, filt, bias}, []int{d},
		opts(build.OptDepthwiseConv2D, 0, padSame, 1, int32(1), 2, int32(1), 3, int32(1), 4, int8(ops.ActRelu6)))
	var aq *models.Quant
	if quantized(dt) {
		aq = g.actQuant(dt)
		aq.Scale[0] = float32(max(scaleOf(xq), scaleOf(dq)) * 1.5)
	}
	a := g.output(dt, shape, aq)
	g.b.Op(ops.OpAdd, version(ops.OpAdd, typeVersion(typ, 1, 2, 1, 3)), []int{d, x}, []int{a}, opts(build.OptAdd))
	axes := g.b.Const(g.name("axes"), models.Int32, []int{2}, []int32{1, 2}, nil)
	m := g.output(dt, []int{1, c}, aq)
	g.b.Op(ops.OpMean, version(ops.OpMean, typeVersion(typ, 1, 2, 1, 3)), []int{a, axes}, []int{m}, opts(build.OptReducer, 0, false))
	units := g.intn(1, 4)
	f, _ := g.fc(typ, m, aq, 1, c, units)
	var lq *models.Quant
	if quantized(dt) {
		lq = sigmoidOut(dt)
	}
	out := g.output(dt, []int{1, units}, lq)
	g.b.Op(ops.OpLogistic, version(ops.OpLogistic, typeVersion(typ, 1, 2, 1, 3)), []int{f}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}
