package ops

import "github.com/axle-edge/axle/models"

// Hybrid LSTM (float activations and state, 8-bit weights), following
// TFLite's LstmStepHybrid. Per step, the input rows and the output state
// rows are quantized to int8 (per row; symmetric, or asymmetric with
// asymmetric_quantize_inputs, the weights' row sums then correcting for the
// zero point), unless the whole batch is zero, in which case that product is
// skipped. Each gate starts as its bias (zero with layer norm), adds the
// dequantized input and recurrent products, the peephole term with the
// dequantized cell-to-gate weights, then layer norm and its activation. The
// cell update is the float one; the hidden vector o ⊙ act(c) is quantized
// again for the projection. Weights have one per-tensor scale each, as
// TFLite reads them; diagonal recurrent weights are not supported here.

type lstmHybrid struct {
	asym     bool
	sumsDone bool

	gates [numGates][]float32 // nBatch*nCell each
	hid   []float32           // nBatch*nCell

	qIn, qH, qHid   []int8    // quantized input, output state, hidden rows
	inSF, hSF, pSF  []float32 // per row
	inZP, hZP, pZP  []int32
	wSum, rSum      [numGates][]int32
	projSum         []int32
	wScale, rScale  [numGates]float32
	peepScale       [numGates]float32
	projScale       float32
	w, r, peep      [numGates][]int8 // bound for one Eval
	bias, ln        [numGates][]float32
	proj            []int8
	projBias, hs, c []float32
}

func lstmHybridPrepare(c Context, n *Node, s *lstmShape) (*lstmHybrid, error) {
	for g := 0; g < numGates; g++ {
		if s.diag[g] {
			return nil, n.Errorf("hybrid LSTM with diagonal recurrent weights is not supported")
		}
	}
	h := &lstmHybrid{}
	switch o := n.Opts.(type) {
	case *LSTMOptions:
		h.asym = o.AsymmetricQuantizeInputs
	case *UnidirectionalSequenceLSTMOptions:
		h.asym = o.AsymmetricQuantizeInputs
	}
	scale := func(slot int, dst *float32) error {
		t := c.Input(n, slot)
		if t == nil {
			return nil
		}
		if t.Type != models.Int8 && t.Type != models.UInt8 {
			return n.Errorf("input %d (%q) is %s; a hybrid LSTM needs int8 or uint8 weights", slot, t.Name, t.Type)
		}
		if t.Quant == nil || len(t.Quant.Scale) != 1 {
			return n.Errorf("input %d (%q) needs exactly one quantization scale for a hybrid LSTM", slot, t.Name)
		}
		v, _, err := tensorScale(n, "weights", t)
		*dst = float32(v)
		return err
	}
	for g := 0; g < numGates; g++ {
		if err := scale(lstmInputWeights+g, &h.wScale[g]); err != nil {
			return nil, err
		}
		if err := scale(lstmRecWeights+g, &h.rScale[g]); err != nil {
			return nil, err
		}
		if g != gateCell {
			if err := scale(peepholeSlot(g), &h.peepScale[g]); err != nil {
				return nil, err
			}
		}
	}
	if err := scale(lstmProjWeights, &h.projScale); err != nil {
		return nil, err
	}
	floats := []int{lstmIn, lstmProjBias, lstmOutputState, lstmCellState}
	for g := 0; g < numGates; g++ {
		floats = append(floats, lstmBias+g, lstmLayerNorm+g)
	}
	for _, slot := range floats {
		if t := c.Input(n, slot); t != nil && t.Type != models.Float32 {
			return nil, n.Errorf("input %d (%q) is %s; a hybrid LSTM needs float32 input, biases, layer norm and state", slot, t.Name, t.Type)
		}
	}
	if out := c.Output(n, 0); out.Type != models.Float32 {
		return nil, n.Errorf("output is %s, want float32", out.Type)
	}
	nb, nc := s.nBatch, s.nCell
	rows, ok := mulChecked(nb, nc)
	if !ok {
		return nil, n.Errorf("%d batches of %d cells are too many", nb, nc)
	}
	needs := []need{slot(&h.hid, rows), slot(&h.qIn, nb*s.nInput), slot(&h.qH, nb*s.nOutput), slot(&h.qHid, rows),
		slot(&h.inSF, nb), slot(&h.hSF, nb), slot(&h.pSF, nb), slot(&h.inZP, nb), slot(&h.hZP, nb), slot(&h.pZP, nb),
		slot(&h.projSum, s.nOutput)}
	for g := 0; g < numGates; g++ {
		needs = append(needs, slot(&h.gates[g], rows), slot(&h.wSum[g], nc), slot(&h.rSum[g], nc))
	}
	if err := allocAll(c, needs...); err != nil {
		return nil, n.Errorf("scratch: %v", err)
	}
	return h, nil
}

func lstmHybridEval(c Context, n *Node, s *lstmState) error {
	h := s.hy
	i8 := func(slot int) []int8 {
		if t := c.Input(n, slot); t != nil {
			// TFLite reads 8-bit hybrid weights as int8 whatever their type.
			return view[int8](t.Data)
		}
		return nil
	}
	f32 := func(slot int) []float32 {
		if t := c.Input(n, slot); t != nil {
			return t.F32()
		}
		return nil
	}
	for g := 0; g < numGates; g++ {
		h.w[g], h.r[g], h.bias[g] = i8(lstmInputWeights+g), i8(lstmRecWeights+g), f32(lstmBias+g)
		h.peep[g], h.ln[g] = nil, nil
		if g != gateCell {
			h.peep[g] = i8(peepholeSlot(g))
		}
		if s.layerNorm {
			h.ln[g] = f32(lstmLayerNorm + g)
		}
	}
	h.proj, h.projBias = i8(lstmProjWeights), f32(lstmProjBias)
	h.hs, h.c = f32(lstmOutputState), f32(lstmCellState)
	if h.asym && !h.sumsDone {
		// Once, on the first run, as TFLite's compute_row_sums.
		for g := 0; g < numGates; g++ {
			if h.w[g] != nil {
				rowSums(h.wSum[g], h.w[g], s.nCell, s.nInput)
				rowSums(h.rSum[g], h.r[g], s.nCell, s.nOutput)
			}
		}
		if h.proj != nil {
			rowSums(h.projSum, h.proj, s.nOutput, s.nCell)
		}
		h.sumsDone = true
	}
	x, out := c.Input(n, lstmIn).F32(), c.Output(n, 0).F32()
	err := lstmSteps(&s.lstmShape, func(in, o, b, rows int) error {
		h.step(s, x[in:in+rows*s.nInput], out[o:o+rows*s.nOutput],
			h.hs[b*s.nOutput:(b+rows)*s.nOutput], h.c[b*s.nCell:(b+rows)*s.nCell], rows)
		return nil
	})
	h.w, h.r, h.peep, h.bias, h.ln = [numGates][]int8{}, [numGates][]int8{}, [numGates][]int8{}, [numGates][]float32{}, [numGates][]float32{}
	h.proj, h.projBias, h.hs, h.c = nil, nil, nil, nil
	return err
}

// quantizeRows quantizes rows rows of v (cols each) into q, one scale and
// zero point per row (BatchQuantizeFloats).
func quantizeRows(v []float32, q []int8, sf []float32, zp []int32, rows, cols int, asym bool) {
	for b := 0; b < rows; b++ {
		vb, qb := v[b*cols:(b+1)*cols], q[b*cols:(b+1)*cols]
		if asym {
			sf[b], zp[b] = asymmetricQuantize(vb, qb)
		} else {
			sf[b], zp[b] = symmetricQuantize(vb, qb), 0
		}
	}
}

// hybridMatAcc adds the dequantized products of the int8 matrix w ([units,
// cols]) with rows quantized rows of q to dst ([rows, units]), as TFLite's
// hybrid MatrixBatchVectorMultiplyAccumulate with a matrix scale: the row
// scale times the matrix scale, the zero point corrected with the row sums
// when asym.
func hybridMatAcc(dst []float32, w []int8, wScale float32, q []int8, sf []float32, zp []int32, sums []int32, rows, units, cols int, asym bool) {
	for b := 0; b < rows; b++ {
		scale := sf[b] * wScale
		qb, db := q[b*cols:(b+1)*cols], dst[b*units:(b+1)*units]
		for o := range db {
			var dot int32
			for i, wv := range w[o*cols : (o+1)*cols] {
				dot += int32(wv) * int32(qb[i])
			}
			if asym {
				dot -= sums[o] * zp[b]
			}
			db[o] += float32(dot) * scale
		}
	}
}

// step advances rows batch rows by one time step.
func (h *lstmHybrid) step(s *lstmState, x, out, hs, cell []float32, rows int) {
	nc, ni, no := s.nCell, s.nInput, s.nOutput
	x, hs, cell = x[:rows*ni], hs[:rows*no], cell[:rows*nc]
	inZero, hZero := isZeroF32(x), isZeroF32(hs)
	if !inZero {
		quantizeRows(x, h.qIn, h.inSF, h.inZP, rows, ni, h.asym)
	}
	if !hZero {
		quantizeRows(hs, h.qH, h.hSF, h.hZP, rows, no, h.asym)
	}
	for _, g := range [...]int{gateInput, gateForget, gateCell} {
		if g == gateInput && s.cifg {
			continue
		}
		h.gate(s, g, inZero, hZero, cell, rows)
	}
	ig, fg, cg := h.gates[gateInput][:rows*nc], h.gates[gateForget][:rows*nc], h.gates[gateCell][:rows*nc]
	for i := range cell {
		in := float32(0)
		if s.cifg {
			in = 1 - fg[i]
		} else {
			in = ig[i]
		}
		v := fg[i]*cell[i] + in*cg[i]
		if s.cellClip > 0 {
			v = min(max(v, -s.cellClip), s.cellClip)
		}
		cell[i] = v
	}
	h.gate(s, gateOutput, inZero, hZero, cell, rows)
	og := h.gates[gateOutput][:rows*nc]
	hid := h.hid[:rows*nc]
	for i := range hid {
		hid[i] = og[i] * floatActivation(s.act, cell[i])
	}
	if h.proj != nil {
		for b := 0; b < rows; b++ {
			if h.projBias != nil {
				copy(hs[b*no:(b+1)*no], h.projBias)
			} else {
				clear(hs[b*no : (b+1)*no])
			}
		}
		if !isZeroF32(hid) {
			quantizeRows(hid, h.qHid, h.pSF, h.pZP, rows, nc, h.asym)
			hybridMatAcc(hs, h.proj, h.projScale, h.qHid, h.pSF, h.pZP, h.projSum, rows, no, nc, h.asym)
		}
		if s.projClip > 0 {
			for i, v := range hs {
				hs[i] = min(max(v, -s.projClip), s.projClip)
			}
		}
	} else {
		copy(hs, hid)
	}
	copy(out, hs)
}

// gate computes gate g for rows batch rows (CalculateLstmGateHybrid).
func (h *lstmHybrid) gate(s *lstmState, g int, inZero, hZero bool, cell []float32, rows int) {
	nc, ni, no := s.nCell, s.nInput, s.nOutput
	dst := h.gates[g][:rows*nc]
	for b := 0; b < rows; b++ {
		if h.ln[g] != nil {
			clear(dst[b*nc : (b+1)*nc])
		} else {
			copy(dst[b*nc:(b+1)*nc], h.bias[g])
		}
	}
	if !inZero {
		hybridMatAcc(dst, h.w[g], h.wScale[g], h.qIn, h.inSF, h.inZP, h.wSum[g], rows, nc, ni, h.asym)
	}
	if !hZero {
		hybridMatAcc(dst, h.r[g], h.rScale[g], h.qH, h.hSF, h.hZP, h.rSum[g], rows, nc, no, h.asym)
	}
	if p := h.peep[g]; p != nil {
		ps := h.peepScale[g]
		for b := 0; b < rows; b++ {
			for k := range nc {
				dst[b*nc+k] += ps * float32(p[k]) * cell[b*nc+k]
			}
		}
	}
	for b := 0; b < rows; b++ {
		row := dst[b*nc : (b+1)*nc]
		if ln := h.ln[g]; ln != nil {
			meanStddevNormalize(row)
			for k := range row {
				row[k] = row[k]*ln[k] + h.bias[g][k]
			}
		}
		for k := range row {
			if g == gateCell {
				row[k] = floatActivation(s.act, row[k])
			} else {
				row[k] = sigmoid32(row[k])
			}
		}
	}
}
