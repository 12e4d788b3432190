package ops

import (
	"github.com/axle-edge/axle/models"
)

// REDUCE_WINDOW (TFLite's builtin, not the StableHLO one): every output
// element folds a window of the input, starting from init_value:
//
//	out[i] = fold(init, in[i*stride + k*dilation] for k in window)
//
// with window_shape, window_strides and window_dilations constant int64
// vectors and no padding; a dimension smaller than its dilated window gives
// 0 outputs. The fold (ReduceWindowOptions.reduce_function) is ADD, MUL,
// MINIMUM, MAXIMUM, ALL or ANY, on bool, int8, int16, int32, int64, uint8,
// float32 and float64; integers wrap, ALL and ANY give 0 or 1, MAXIMUM keeps
// the accumulator on ties and NaN (a >= b ? a : b), as TFLite.

func addReduceWindow(r *Resolver) {
	r.Builtin[OpReduceWindow] = &Kernel{MaxVersion: 1, Prepare: reduceWindowPrepare, Eval: reduceWindowEval}
}

const (
	rwAdd = iota + 1
	rwMul
	rwMin
	rwMax
	rwAll
	rwAny
)

type reduceWindowState struct {
	fn                     int
	shape, window          []int // output shape, window shape
	wStride, oStride       []int // input offsets: per window step, per output step
	outCoord, winCoord     []int
	rank, outSize, winSize int
}

func reduceWindowPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 5 || len(n.Outputs) != 1 {
		return n.Errorf("takes 5 inputs (input, init_value, window_shape, window_strides, window_dilations) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, init, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || init == nil || out == nil {
		return n.Errorf("input, init_value and output tensors are required")
	}
	switch in.Type {
	case models.Bool, models.Int8, models.Int16, models.Int32, models.Int64, models.UInt8, models.Float32, models.Float64:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	if init.Type != in.Type || out.Type != in.Type || init.NumElements() != 1 {
		return n.Errorf("init_value tensor %q (%s %v) and output tensor %q (%s) must be a scalar and a tensor of the input type %s", init.Name, init.Type, init.Shape, out.Name, out.Type, in.Type)
	}
	rank := in.Dims()
	if rank < 1 || rank > 6 {
		return n.Errorf("input tensor %q must have rank 1 to 6, got %v", in.Name, in.Shape)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	fn := int(n.Opts.(*ReduceWindowOptions).ReduceFunction)
	if fn < rwAdd || fn > rwAny {
		return n.Errorf("reduce_function %d is not ADD, MUL, MINIMUM, MAXIMUM, ALL or ANY", fn)
	}
	var vecs [3][]int64
	for i, what := range []string{"window_shape", "window_strides", "window_dilations"} {
		t := c.Input(n, 2+i)
		if t == nil || !t.Const || t.Type != models.Int64 || t.NumElements() != rank {
			return n.Errorf("%s must be a constant int64 vector of %d elements", what, rank)
		}
		if err := checkData(n, what, t, rank); err != nil {
			return err
		}
		vecs[i] = t.I64()[:rank]
		for j, v := range vecs[i] {
			if v < 1 || v > 1<<31-1 {
				return n.Errorf("%s element %d is %d, must be in [1, 2^31)", what, j, v)
			}
		}
	}
	st := &reduceWindowState{fn: fn, rank: rank}
	if err := allocAll(c, slot(&st.shape, rank), slot(&st.window, rank), slot(&st.wStride, rank), slot(&st.oStride, rank), slot(&st.outCoord, rank), slot(&st.winCoord, rank)); err != nil {
		return n.Errorf("%v", err)
	}
	stride := 1
	for d := rank - 1; d >= 0; d-- {
		w, s, dil := vecs[0][d], vecs[1][d], vecs[2][d]
		eff := (w-1)*dil + 1
		if int64(in.Shape[d]) >= eff {
			st.shape[d] = int((int64(in.Shape[d])-eff)/s + 1)
		}
		st.window[d] = int(w)
		st.wStride[d] = stride * int(dil)
		st.oStride[d] = stride * int(s)
		stride *= in.Shape[d]
	}
	var ok bool
	if st.outSize, ok = mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if st.winSize, ok = mulChecked(st.window...); !ok {
		return n.Errorf("window %v is too large", st.window)
	}
	n.State = st
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func reduceWindowEval(c Context, n *Node) error {
	st, ok := n.State.(*reduceWindowState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, init, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, in, init, out); err != nil {
		return err
	}
	switch in.Type {
	case models.Bool, models.Int8:
		rwRun(st, in.I8(), init.I8()[0], out.I8())
	case models.UInt8:
		rwRun(st, in.U8(), init.U8()[0], out.U8())
	case models.Int16:
		rwRun(st, in.I16(), init.I16()[0], out.I16())
	case models.Int32:
		rwRun(st, in.I32(), init.I32()[0], out.I32())
	case models.Int64:
		rwRun(st, in.I64(), init.I64()[0], out.I64())
	case models.Float32:
		rwRun(st, in.F32(), init.F32()[0], out.F32())
	case models.Float64:
		rwRun(st, in.F64(), init.F64()[0], out.F64())
	}
	return nil
}

func rwRun[T int8 | uint8 | int16 | int32 | int64 | float32 | float64](st *reduceWindowState, x []T, init T, o []T) {
	var f func(a, b T) T
	switch st.fn {
	case rwAdd:
		f = func(a, b T) T { return a + b }
	case rwMul:
		f = func(a, b T) T { return a * b }
	case rwMin:
		f = func(a, b T) T {
			if a <= b {
				return a
			}
			return b
		}
	case rwMax:
		f = func(a, b T) T {
			if a >= b {
				return a
			}
			return b
		}
	case rwAll:
		f = func(a, b T) T {
			if a != 0 && b != 0 {
				return 1
			}
			return 0
		}
	default: // rwAny
		f = func(a, b T) T {
			if a != 0 || b != 0 {
				return 1
			}
			return 0
		}
	}
	clear(st.outCoord)
	base := 0
	for i := 0; i < st.outSize; i++ {
		acc := init
		clear(st.winCoord)
		off := base
		for k := 0; k < st.winSize; k++ {
			acc = f(acc, x[off])
			off = rwStep(st.winCoord, st.window, st.wStride, off)
		}
		o[i] = acc
		base = rwStep(st.outCoord, st.shape, st.oStride, base)
	}
}

// rwStep advances an odometer over shape and moves off by the strides.
func rwStep(coord, shape, stride []int, off int) int {
	for d := len(coord) - 1; d >= 0; d-- {
		coord[d]++
		off += stride[d]
		if coord[d] < shape[d] {
			return off
		}
		off -= stride[d] * shape[d]
		coord[d] = 0
	}
	return off
}
