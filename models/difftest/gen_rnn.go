package difftest

import (
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Generators for the recurrent ops: RNN, the sequence RNNs, SVDF, LSTM and
// the sequence LSTMs, float32 or hybrid (int8 weights, float activations;
// type hybrid_asym quantizes the inputs asymmetrically). States are
// variable tensors starting at zero; one Invoke runs one step (or one
// sequence).

// rnnWeights is a constant weight matrix: float32 in [-1, 1], or int8 with
// a per-tensor scale for hybrid types.
func (g *gen) rnnWeights(typ string, shape []int) int {
	if typ == "float32" {
		return g.b.Const(g.name("w"), models.Float32, shape, g.values(models.Float32, elems(shape), -1, 1), nil)
	}
	q := q1(g.logUniform(0.003, 0.02), 0)
	return g.b.Const(g.name("w"), models.Int8, shape, g.values(models.Int8, elems(shape), -127, 127), q)
}

func (g *gen) floatConst(shape []int, lo, hi float64) int {
	return g.b.Const(g.name("c"), models.Float32, shape, g.values(models.Float32, elems(shape), lo, hi), nil)
}

func (g *gen) state(shape []int) int {
	return g.b.Variable(g.name("state"), models.Float32, shape, nil, nil) // no buffer: TFLite refuses variables with one
}

// rnnAct is a random fused activation of a recurrent cell, tanh the most
// likely as in trained models.
func (g *gen) rnnAct() int8 {
	return int8([]ops.Activation{ops.ActNone, ops.ActRelu, ops.ActRelu6, ops.ActTanh, ops.ActTanh}[g.intn(0, 4)])
}

func asym(typ string) bool { return typ == "hybrid_asym" }

// genRNN covers RNN (one step) and UNIDIRECTIONAL_SEQUENCE_RNN.
func genRNN(seq bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		batch, in, units := g.intn(1, 3), g.intn(1, 5), g.intn(1, 5)
		steps, timeMajor := 1, false
		ishape, oshape := []int{batch, in}, []int{batch, units}
		if seq {
			steps, timeMajor = g.intn(1, 4), g.coin()
			ishape, oshape = []int{batch, steps, in}, []int{batch, steps, units}
			if timeMajor {
				ishape, oshape = []int{steps, batch, in}, []int{steps, batch, units}
			}
		}
		x := g.input(models.Float32, ishape, nil, -2, 2)
		w := g.rnnWeights(typ, []int{units, in})
		rw := g.rnnWeights(typ, []int{units, units})
		b := g.floatConst([]int{units}, -0.5, 0.5)
		h := g.state([]int{batch, units})
		out := g.output(models.Float32, oshape, nil)
		if seq {
			g.b.Op(ops.OpUnidirectionalSequenceRnn, version(ops.OpUnidirectionalSequenceRnn, 3), []int{x, w, rw, b, h}, []int{out},
				opts(build.OptSequenceRNN, 0, timeMajor, 1, g.rnnAct(), 2, asym(typ)))
		} else {
			g.b.Op(ops.OpRnn, version(ops.OpRnn, 3), []int{x, w, rw, b, h}, []int{out}, opts(build.OptRNN, 0, g.rnnAct(), 1, asym(typ)))
		}
		g.b.Output(out)
		return nil
	}
}

// genBidiRNN is BIDIRECTIONAL_SEQUENCE_RNN without aux input, merged or
// separate outputs.
func genBidiRNN(g *gen, typ string) error {
	batch, in, fu, bu := g.intn(1, 3), g.intn(1, 4), g.intn(1, 4), g.intn(1, 4)
	steps, timeMajor, merge := g.intn(1, 4), g.coin(), g.coin()
	ishape := []int{batch, steps, in}
	lead := []int{batch, steps}
	if timeMajor {
		ishape, lead = []int{steps, batch, in}, []int{steps, batch}
	}
	x := g.input(models.Float32, ishape, nil, -2, 2)
	ins := []int{x}
	for _, u := range []int{fu, bu} {
		ins = append(ins, g.rnnWeights(typ, []int{u, in}), g.rnnWeights(typ, []int{u, u}), g.floatConst([]int{u}, -0.5, 0.5))
	}
	// Slot order: fw weights, fw recurrent, fw bias, fw hidden, bw
	// weights, bw recurrent, bw bias, bw hidden, then aux input and aux
	// weights (absent).
	fwH, bwH := g.state([]int{batch, fu}), g.state([]int{batch, bu})
	all := []int{ins[0], ins[1], ins[2], ins[3], fwH, ins[4], ins[5], ins[6], bwH, -1, -1, -1}
	var outs []int
	if merge {
		outs = []int{g.output(models.Float32, append(append([]int{}, lead...), fu+bu), nil)}
	} else {
		outs = []int{g.output(models.Float32, append(append([]int{}, lead...), fu), nil), g.output(models.Float32, append(append([]int{}, lead...), bu), nil)}
	}
	g.b.Op(ops.OpBidirectionalSequenceRnn, version(ops.OpBidirectionalSequenceRnn, 3), all, outs,
		opts(build.OptBidirectionalSequenceRNN, 0, timeMajor, 1, g.rnnAct(), 2, merge, 3, asym(typ)))
	g.b.Output(outs...)
	return nil
}

func genSVDF(g *gen, typ string) error {
	batch, in, units, rank, mem := g.intn(1, 3), g.intn(1, 5), g.intn(1, 4), g.intn(1, 2), g.intn(1, 4)
	filters := units * rank
	x := g.input(models.Float32, []int{batch, in}, nil, -2, 2)
	wf := g.rnnWeights(typ, []int{filters, in})
	wt := g.rnnWeights(typ, []int{filters, mem})
	b := -1
	if g.coin() {
		b = g.floatConst([]int{units}, -0.5, 0.5)
	}
	st := g.state([]int{batch, mem * filters})
	out := g.output(models.Float32, []int{batch, units}, nil)
	g.b.Op(ops.OpSvdf, version(ops.OpSvdf, 4), []int{x, wf, wt, b, st}, []int{out},
		opts(build.OptSVDF, 0, int32(rank), 1, g.rnnAct(), 2, asym(typ)))
	g.b.Output(out)
	return nil
}

// genLSTM covers LSTM (one step) and UNIDIRECTIONAL_SEQUENCE_LSTM with the
// full kernel: optional CIFG (no input gate), peepholes, projection and
// layer normalisation, cell and projection clipping.
func genLSTM(seq bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		batch, nin, ncell := g.intn(1, 3), g.intn(1, 4), g.intn(1, 4)
		cifg, peep, proj, ln := g.coin(), g.coin(), g.coin(), g.coin()
		nout := ncell
		if proj {
			nout = g.intn(1, 4)
		}
		steps, timeMajor := 1, false
		ishape, oshape := []int{batch, nin}, []int{batch, nout}
		if seq {
			steps, timeMajor = g.intn(1, 3), g.coin()
			ishape, oshape = []int{batch, steps, nin}, []int{batch, steps, nout}
			if timeMajor {
				ishape, oshape = []int{steps, batch, nin}, []int{steps, batch, nout}
			}
		}
		x := g.input(models.Float32, ishape, nil, -2, 2)
		opt := func(on bool, f func() int) int {
			if on {
				return f()
			}
			return -1
		}
		w := func(r, c int) func() int { return func() int { return g.rnnWeights(typ, []int{r, c}) } }
		vec := func() int { return g.floatConst([]int{ncell}, -0.5, 0.5) }
		peepVec := func() int { return g.rnnWeights(typ, []int{ncell}) } // 8-bit in hybrid models
		ins := []int{x,
			opt(!cifg, w(ncell, nin)), w(ncell, nin)(), w(ncell, nin)(), w(ncell, nin)(),
			opt(!cifg, w(ncell, nout)), w(ncell, nout)(), w(ncell, nout)(), w(ncell, nout)(),
			opt(peep && !cifg, peepVec), opt(peep, peepVec), opt(peep, peepVec),
			opt(!cifg, vec), vec(), vec(), vec(),
			opt(proj, w(nout, ncell)), opt(proj && g.coin(), func() int { return g.floatConst([]int{nout}, -0.5, 0.5) }),
			g.state([]int{batch, nout}), g.state([]int{batch, ncell}),
		}
		if ln {
			ins = append(ins, opt(!cifg, vec), vec(), vec(), vec())
		}
		out := g.output(models.Float32, oshape, nil)
		cellClip, projClip := float32(0), float32(0)
		if g.coin() {
			cellClip = float32(g.uniform(0.5, 3))
		}
		if proj && g.coin() {
			projClip = float32(g.uniform(0.5, 3))
		}
		act := int8([]ops.Activation{ops.ActTanh, ops.ActTanh, ops.ActRelu, ops.ActRelu6}[g.intn(0, 3)])
		if seq {
			g.b.Op(ops.OpUnidirectionalSequenceLstm, version(ops.OpUnidirectionalSequenceLstm, 3), ins, []int{out},
				opts(build.OptUnidirectionalSequenceLSTM, 0, act, 1, cellClip, 2, projClip, 3, timeMajor, 4, asym(typ)))
		} else {
			g.b.Op(ops.OpLstm, version(ops.OpLstm, 4), ins, []int{out},
				opts(build.OptLSTM, 0, act, 1, cellClip, 2, projClip, 4, asym(typ)))
		}
		g.b.Output(out)
		return nil
	}
}

func rnnGenerators() []Gen {
	types := []string{"float32", "hybrid", "hybrid_asym"}
	return []Gen{
		{Name: "RNN", Types: types, Tol: transTol, build: genRNN(false)},
		{Name: "UNIDIRECTIONAL_SEQUENCE_RNN", Types: types, Tol: transTol, build: genRNN(true)},
		{Name: "BIDIRECTIONAL_SEQUENCE_RNN", Types: []string{"float32", "hybrid_asym"}, Tol: transTol, build: genBidiRNN},
		{Name: "SVDF", Types: types, Tol: transTol, build: genSVDF},
		{Name: "LSTM", Types: types, Tol: transTol, build: genLSTM(false)},
		{Name: "UNIDIRECTIONAL_SEQUENCE_LSTM", Types: types, Tol: transTol, build: genLSTM(true)},
		{Name: "BIDIRECTIONAL_SEQUENCE_LSTM", Types: types, Tol: transTol, build: genBidiLSTM},
	}
}

// genBidiLSTM is BIDIRECTIONAL_SEQUENCE_LSTM without aux input: optional
// CIFG and peepholes per direction, optional projection, merged or
// separate outputs.
func genBidiLSTM(g *gen, typ string) error {
	batch, nin, steps := g.intn(1, 2), g.intn(1, 3), g.intn(1, 3)
	timeMajor, merge := g.coin(), g.coin()
	if merge && !timeMajor {
		// TFLite strides batch-major merged states by the merged width and
		// runs past them beyond one batch; axle refuses that layout.
		batch = 1
	}
	ishape, lead := []int{batch, steps, nin}, []int{batch, steps}
	if timeMajor {
		ishape, lead = []int{steps, batch, nin}, []int{steps, batch}
	}
	x := g.input(models.Float32, ishape, nil, -2, 2)
	ins := []int{x}
	var states []int
	var nouts []int
	// Both directions share the cell and output sizes, as TFLite checks.
	ncell, proj := g.intn(1, 3), g.coin()
	nout := ncell
	if proj {
		nout = g.intn(1, 3)
	}
	for dir := 0; dir < 2; dir++ {
		cifg, peep := g.coin(), g.coin()
		opt := func(on bool, f func() int) int {
			if on {
				return f()
			}
			return -1
		}
		w := func(r, c int) func() int { return func() int { return g.rnnWeights(typ, []int{r, c}) } }
		vec := func() int { return g.floatConst([]int{ncell}, -0.5, 0.5) }
		peepVec := func() int { return g.rnnWeights(typ, []int{ncell}) }
		ins = append(ins,
			opt(!cifg, w(ncell, nin)), w(ncell, nin)(), w(ncell, nin)(), w(ncell, nin)(),
			opt(!cifg, w(ncell, nout)), w(ncell, nout)(), w(ncell, nout)(), w(ncell, nout)(),
			opt(peep && !cifg, peepVec), opt(peep, peepVec), opt(peep, peepVec),
			opt(!cifg, vec), vec(), vec(), vec(),
			opt(proj, w(nout, ncell)), opt(proj && g.coin(), func() int { return g.floatConst([]int{nout}, -0.5, 0.5) }))
		states = append(states, g.state([]int{batch, nout}), g.state([]int{batch, ncell}))
		nouts = append(nouts, nout)
	}
	ins = append(ins, states...)
	ins = append(ins, -1, -1, -1, -1, -1, -1, -1, -1, -1) // aux input and aux weights
	var outs []int
	if merge {
		outs = []int{g.output(models.Float32, append(append([]int{}, lead...), nouts[0]+nouts[1]), nil)}
	} else {
		outs = []int{g.output(models.Float32, append(append([]int{}, lead...), nouts[0]), nil), g.output(models.Float32, append(append([]int{}, lead...), nouts[1]), nil)}
	}
	cellClip := float32(0)
	if g.coin() {
		cellClip = float32(g.uniform(0.5, 3))
	}
	g.b.Op(ops.OpBidirectionalSequenceLstm, version(ops.OpBidirectionalSequenceLstm, 3), ins, outs,
		opts(build.OptBidirectionalSequenceLSTM, 0, int8(ops.ActTanh), 1, cellClip, 3, merge, 4, timeMajor, 5, asym(typ)))
	g.b.Output(outs...)
	return nil
}
