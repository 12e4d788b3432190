package difftest

import (
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

var (
	convTypes  = []string{"float32", "int8", "uint8", "int16x8", "hybrid"}
	quantTypes = []string{"float32", "int8", "uint8", "int16"}
	numTypes   = []string{"float32", "int8", "uint8", "int16", "int32"}
	floatOnly  = []string{"float32"}
)

// transTol is the float tolerance for transcendental functions, where
// TFLite's optimized kernels use vectorised approximations.
const transTol = 1e-4

func generators() []Gen {
	return append(append(append(opGenerators(), shapeGenerators()...), moreGenerators()...), append(append(append(newGenerators(), newGenerators2()...), rnnGenerators()...), chainGenerators()...)...)
}

// opGenerators are the compute ops.
func opGenerators() []Gen {
	return []Gen{
		{Name: "CONV_2D", Types: convTypes, build: genConv},
		{Name: "DEPTHWISE_CONV_2D", Types: convTypes, build: genDepthwise},
		{Name: "TRANSPOSE_CONV", Types: []string{"float32", "int8", "int16x8"}, build: genTransposeConv},
		{Name: "FULLY_CONNECTED", Types: convTypes, build: genFullyConnected},
		{Name: "BATCH_MATMUL", Types: []string{"float32", "int8", "int16", "int16x8", "hybrid", "float32_adjx_bcast"}, build: genBatchMatMul},
		{Name: "AVERAGE_POOL_2D", Types: quantTypes, build: genPool(ops.OpAveragePool2d)},
		{Name: "MAX_POOL_2D", Types: quantTypes, build: genPool(ops.OpMaxPool2d)},

		{Name: "ADD", Types: append(numTypes, "int64"), build: genBinary(ops.OpAdd, build.OptAdd, binAdd, true)},
		{Name: "SUB", Types: append(numTypes, "int64"), build: genBinary(ops.OpSub, build.OptSub, binAdd, true)},
		{Name: "MUL", Types: append(numTypes, "int64"), build: genBinary(ops.OpMul, build.OptMul, binMul, true)},
		{Name: "DIV", Types: []string{"float32", "int32", "uint8"}, build: genBinary(ops.OpDiv, build.OptDiv, binMul, true)},
		{Name: "MAXIMUM", Types: append(numTypes, "int64"), build: genBinary(ops.OpMaximum, build.OptMaximumMinimum, binSame, false)},
		{Name: "MINIMUM", Types: append(numTypes, "int64"), build: genBinary(ops.OpMinimum, build.OptMaximumMinimum, binSame, false)},
		{Name: "SQUARED_DIFFERENCE", Types: []string{"float32", "int8", "int32"}, build: genBinary(ops.OpSquaredDifference, build.OptSquaredDifference, binMul, false)},
		{Name: "GREATER", Types: numTypes, build: genBinary(ops.OpGreater, build.OptGreater, binCompare, false)},
		{Name: "GREATER_EQUAL", Types: numTypes, build: genBinary(ops.OpGreaterEqual, build.OptGreaterEqual, binCompare, false)},
		{Name: "LESS", Types: numTypes, build: genBinary(ops.OpLess, build.OptLess, binCompare, false)},
		{Name: "LESS_EQUAL", Types: numTypes, build: genBinary(ops.OpLessEqual, build.OptLessEqual, binCompare, false)},
		{Name: "EQUAL", Types: numTypes, build: genBinary(ops.OpEqual, build.OptEqual, binCompare, false)},
		{Name: "NOT_EQUAL", Types: numTypes, build: genBinary(ops.OpNotEqual, build.OptNotEqual, binCompare, false)},

		{Name: "RELU", Types: quantTypes, build: genUnary(unarySpec{op: ops.OpRelu, lo: -2, hi: 2})},
		{Name: "RELU6", Types: quantTypes, build: genUnary(unarySpec{op: ops.OpRelu6, lo: -2, hi: 8})},
		{Name: "RELU_N1_TO_1", Types: []string{"float32", "int8", "uint8"}, build: genUnary(unarySpec{op: ops.OpReluN1To1, lo: -2, hi: 2})},
		{Name: "LEAKY_RELU", Types: quantTypes, build: genUnary(unarySpec{op: ops.OpLeakyRelu, ot: build.OptLeakyRelu, lo: -2, hi: 2,
			fields: func(g *gen) []build.Field { return []build.Field{{Slot: 0, Value: float32(g.uniform(0.01, 0.9))}} }})},
		{Name: "HARD_SWISH", Types: []string{"float32", "int8", "uint8"}, build: genUnary(unarySpec{op: ops.OpHardSwish, lo: -5, hi: 5})},
		{Name: "TANH", Types: quantTypes, Tol: transTol, build: genUnary(unarySpec{op: ops.OpTanh, lo: -4, hi: 4, outQ: tanhOut})},
		{Name: "LOGISTIC", Types: quantTypes, Tol: transTol, build: genUnary(unarySpec{op: ops.OpLogistic, lo: -8, hi: 8, outQ: sigmoidOut})},
		{Name: "ABS", Types: []string{"float32", "int8", "int16", "int32"}, build: genUnary(unarySpec{op: ops.OpAbs, lo: -3, hi: 3})},
		{Name: "NEG", Types: []string{"float32", "int32", "int64"}, build: genUnary(unarySpec{op: ops.OpNeg, lo: -3, hi: 3})},
		{Name: "EXP", Types: []string{"float32", "int8", "int16"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpExp, lo: -4, hi: 4})},
		{Name: "LOG", Types: []string{"float32", "int8", "int16"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpLog, lo: 0.01, hi: 10, positive: true})},
		{Name: "SQRT", Types: []string{"float32", "int8", "int16"}, build: genUnary(unarySpec{op: ops.OpSqrt, lo: 0, hi: 10, positive: true})},
		{Name: "RSQRT", Types: []string{"float32", "int8", "int16"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpRsqrt, lo: 0.01, hi: 10, positive: true})},
		{Name: "SQUARE", Types: floatOnly, build: genUnary(unarySpec{op: ops.OpSquare, lo: -3, hi: 3})},
		{Name: "FLOOR", Types: floatOnly, build: genUnary(unarySpec{op: ops.OpFloor, lo: -5, hi: 5})},
		{Name: "CEIL", Types: floatOnly, build: genUnary(unarySpec{op: ops.OpCeil, lo: -5, hi: 5})},
		{Name: "ROUND", Types: floatOnly, build: genUnary(unarySpec{op: ops.OpRound, lo: -5, hi: 5})},
		{Name: "SIN", Types: floatOnly, Tol: transTol, build: genUnary(unarySpec{op: ops.OpSin, lo: -7, hi: 7})},
		{Name: "COS", Types: floatOnly, Tol: transTol, build: genUnary(unarySpec{op: ops.OpCos, lo: -7, hi: 7})},
		{Name: "ELU", Types: []string{"float32", "int8"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpElu, lo: -4, hi: 4})},
		{Name: "GELU", Types: []string{"float32", "int8", "uint8"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpGelu, ot: build.OptGelu, lo: -4, hi: 4,
			fields: func(g *gen) []build.Field { return []build.Field{{Slot: 0, Value: g.coin()}} }})},
		{Name: "SIGN", Types: []string{"float32", "int32"}, build: genUnary(unarySpec{op: ops.OpSign, lo: -3, hi: 3})},
		{Name: "SOFTMAX", Types: quantTypes, Tol: transTol, build: genSoftmax},
		{Name: "LOG_SOFTMAX", Types: []string{"float32", "int8", "uint8"}, Tol: transTol, build: genUnary(unarySpec{op: ops.OpLogSoftmax, lo: -4, hi: 4, outQ: logSoftmaxOut})},
		{Name: "L2_NORMALIZATION", Types: []string{"float32", "int8", "uint8"}, build: genUnary(unarySpec{op: ops.OpL2Normalization, lo: -3, hi: 3, outQ: l2Out})},
		{Name: "PRELU", Types: []string{"float32", "int8", "uint8"}, build: genPrelu},

		{Name: "MEAN", Types: numTypes, build: genReduce(ops.OpMean, false)},
		{Name: "SUM", Types: numTypes, build: genReduce(ops.OpSum, false)},
		{Name: "REDUCE_MAX", Types: numTypes, build: genReduce(ops.OpReduceMax, true)},
		{Name: "REDUCE_MIN", Types: numTypes, build: genReduce(ops.OpReduceMin, true)},
	}
}

// shapeGenerators are data-movement ops.
func shapeGenerators() []Gen {
	moveTypes := []string{"float32", "int8", "uint8", "int16", "int32"}
	return []Gen{
		{Name: "CONCATENATION", Types: append(moveTypes, "int64", "int16_rescale"), build: genConcat},
		{Name: "PAD", Types: moveTypes, build: genPad},
		{Name: "RESIZE_BILINEAR", Types: quantTypes, build: genResize(ops.OpResizeBilinear)},
		{Name: "RESIZE_NEAREST_NEIGHBOR", Types: moveTypes, build: genResize(ops.OpResizeNearestNeighbor)},
		{Name: "TRANSPOSE", Types: moveTypes, build: genTranspose},
		{Name: "QUANTIZE", Types: []string{"int8", "uint8", "int16", "int8_int8", "uint8_int8", "int8_uint8", "int16_int16", "int16_int8"}, build: genQuantize},
		{Name: "DEQUANTIZE", Types: []string{"int8", "uint8", "int16"}, build: genDequantize},
		{Name: "ARG_MAX", Types: moveTypes, build: genArg(ops.OpArgMax, build.OptArgMax)},
		{Name: "ARG_MIN", Types: moveTypes, build: genArg(ops.OpArgMin, build.OptArgMin)},
		{Name: "GATHER", Types: moveTypes, build: genGather},
		{Name: "SLICE", Types: moveTypes, build: genSlice},
		{Name: "STRIDED_SLICE", Types: moveTypes, build: genStridedSlice},
		{Name: "TILE", Types: moveTypes, build: genTile},
		{Name: "SPACE_TO_DEPTH", Types: []string{"float32", "int8", "uint8", "int32"}, build: genDepthSpace(ops.OpSpaceToDepth)},
		{Name: "DEPTH_TO_SPACE", Types: []string{"float32", "int8", "uint8", "int32"}, build: genDepthSpace(ops.OpDepthToSpace)},
	}
}
