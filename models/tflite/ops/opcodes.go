// Code generated from the BuiltinOperator enum of the TFLite schema (schema v3). DO NOT EDIT.

package ops

// Builtin operator codes of the TFLite schema.
const (
	OpAdd                          Op = 0
	OpAveragePool2d                Op = 1
	OpConcatenation                Op = 2
	OpConv2d                       Op = 3
	OpDepthwiseConv2d              Op = 4
	OpDepthToSpace                 Op = 5
	OpDequantize                   Op = 6
	OpEmbeddingLookup              Op = 7
	OpFloor                        Op = 8
	OpFullyConnected               Op = 9
	OpHashtableLookup              Op = 10
	OpL2Normalization              Op = 11
	OpL2Pool2d                     Op = 12
	OpLocalResponseNormalization   Op = 13
	OpLogistic                     Op = 14
	OpLshProjection                Op = 15
	OpLstm                         Op = 16
	OpMaxPool2d                    Op = 17
	OpMul                          Op = 18
	OpRelu                         Op = 19
	OpReluN1To1                    Op = 20
	OpRelu6                        Op = 21
	OpReshape                      Op = 22
	OpResizeBilinear               Op = 23
	OpRnn                          Op = 24
	OpSoftmax                      Op = 25
	OpSpaceToDepth                 Op = 26
	OpSvdf                         Op = 27
	OpTanh                         Op = 28
	OpConcatEmbeddings             Op = 29
	OpSkipGram                     Op = 30
	OpCall                         Op = 31
	OpCustom                       Op = 32
	OpEmbeddingLookupSparse        Op = 33
	OpPad                          Op = 34
	OpUnidirectionalSequenceRnn    Op = 35
	OpGather                       Op = 36
	OpBatchToSpaceNd               Op = 37
	OpSpaceToBatchNd               Op = 38
	OpTranspose                    Op = 39
	OpMean                         Op = 40
	OpSub                          Op = 41
	OpDiv                          Op = 42
	OpSqueeze                      Op = 43
	OpUnidirectionalSequenceLstm   Op = 44
	OpStridedSlice                 Op = 45
	OpBidirectionalSequenceRnn     Op = 46
	OpExp                          Op = 47
	OpTopkV2                       Op = 48
	OpSplit                        Op = 49
	OpLogSoftmax                   Op = 50
	OpDelegate                     Op = 51
	OpBidirectionalSequenceLstm    Op = 52
	OpCast                         Op = 53
	OpPrelu                        Op = 54
	OpMaximum                      Op = 55
	OpArgMax                       Op = 56
	OpMinimum                      Op = 57
	OpLess                         Op = 58
	OpNeg                          Op = 59
	OpPadv2                        Op = 60
	OpGreater                      Op = 61
	OpGreaterEqual                 Op = 62
	OpLessEqual                    Op = 63
	OpSelect                       Op = 64
	OpSlice                        Op = 65
	OpSin                          Op = 66
	OpTransposeConv                Op = 67
	OpSparseToDense                Op = 68
	OpTile                         Op = 69
	OpExpandDims                   Op = 70
	OpEqual                        Op = 71
	OpNotEqual                     Op = 72
	OpLog                          Op = 73
	OpSum                          Op = 74
	OpSqrt                         Op = 75
	OpRsqrt                        Op = 76
	OpShape                        Op = 77
	OpPow                          Op = 78
	OpArgMin                       Op = 79
	OpFakeQuant                    Op = 80
	OpReduceProd                   Op = 81
	OpReduceMax                    Op = 82
	OpPack                         Op = 83
	OpLogicalOr                    Op = 84
	OpOneHot                       Op = 85
	OpLogicalAnd                   Op = 86
	OpLogicalNot                   Op = 87
	OpUnpack                       Op = 88
	OpReduceMin                    Op = 89
	OpFloorDiv                     Op = 90
	OpReduceAny                    Op = 91
	OpSquare                       Op = 92
	OpZerosLike                    Op = 93
	OpFill                         Op = 94
	OpFloorMod                     Op = 95
	OpRange                        Op = 96
	OpResizeNearestNeighbor        Op = 97
	OpLeakyRelu                    Op = 98
	OpSquaredDifference            Op = 99
	OpMirrorPad                    Op = 100
	OpAbs                          Op = 101
	OpSplitV                       Op = 102
	OpUnique                       Op = 103
	OpCeil                         Op = 104
	OpReverseV2                    Op = 105
	OpAddN                         Op = 106
	OpGatherNd                     Op = 107
	OpCos                          Op = 108
	OpWhere                        Op = 109
	OpRank                         Op = 110
	OpElu                          Op = 111
	OpReverseSequence              Op = 112
	OpMatrixDiag                   Op = 113
	OpQuantize                     Op = 114
	OpMatrixSetDiag                Op = 115
	OpRound                        Op = 116
	OpHardSwish                    Op = 117
	OpIf                           Op = 118
	OpWhile                        Op = 119
	OpNonMaxSuppressionV4          Op = 120
	OpNonMaxSuppressionV5          Op = 121
	OpScatterNd                    Op = 122
	OpSelectV2                     Op = 123
	OpDensify                      Op = 124
	OpSegmentSum                   Op = 125
	OpBatchMatmul                  Op = 126
	OpPlaceholderForGreaterOpCodes Op = 127
	OpCumsum                       Op = 128
	OpCallOnce                     Op = 129
	OpBroadcastTo                  Op = 130
	OpRfft2d                       Op = 131
	OpConv3d                       Op = 132
	OpImag                         Op = 133
	OpReal                         Op = 134
	OpComplexAbs                   Op = 135
	OpHashtable                    Op = 136
	OpHashtableFind                Op = 137
	OpHashtableImport              Op = 138
	OpHashtableSize                Op = 139
	OpReduceAll                    Op = 140
	OpConv3dTranspose              Op = 141
	OpVarHandle                    Op = 142
	OpReadVariable                 Op = 143
	OpAssignVariable               Op = 144
	OpBroadcastArgs                Op = 145
	OpRandomStandardNormal         Op = 146
	OpBucketize                    Op = 147
	OpRandomUniform                Op = 148
	OpMultinomial                  Op = 149
	OpGelu                         Op = 150
	OpDynamicUpdateSlice           Op = 151
	OpRelu0To1                     Op = 152
	OpUnsortedSegmentProd          Op = 153
	OpUnsortedSegmentMax           Op = 154
	OpUnsortedSegmentSum           Op = 155
	OpAtan2                        Op = 156
	OpUnsortedSegmentMin           Op = 157
	OpSign                         Op = 158
	OpBitcast                      Op = 159
	OpBitwiseXor                   Op = 160
	OpRightShift                   Op = 161
	OpStablehloLogistic            Op = 162
	OpStablehloAdd                 Op = 163
	OpStablehloDivide              Op = 164
	OpStablehloMultiply            Op = 165
	OpStablehloMaximum             Op = 166
	OpStablehloReshape             Op = 167
	OpStablehloClamp               Op = 168
	OpStablehloConcatenate         Op = 169
	OpStablehloBroadcastInDim      Op = 170
	OpStablehloConvolution         Op = 171
	OpStablehloSlice               Op = 172
	OpStablehloCustomCall          Op = 173
	OpStablehloReduce              Op = 174
	OpStablehloAbs                 Op = 175
	OpStablehloAnd                 Op = 176
	OpStablehloCosine              Op = 177
	OpStablehloExponential         Op = 178
	OpStablehloFloor               Op = 179
	OpStablehloLog                 Op = 180
	OpStablehloMinimum             Op = 181
	OpStablehloNegate              Op = 182
	OpStablehloOr                  Op = 183
	OpStablehloPower               Op = 184
	OpStablehloRemainder           Op = 185
	OpStablehloRsqrt               Op = 186
	OpStablehloSelect              Op = 187
	OpStablehloSubtract            Op = 188
	OpStablehloTanh                Op = 189
	OpStablehloScatter             Op = 190
	OpStablehloCompare             Op = 191
	OpStablehloConvert             Op = 192
	OpStablehloDynamicSlice        Op = 193
	OpStablehloDynamicUpdateSlice  Op = 194
	OpStablehloPad                 Op = 195
	OpStablehloIota                Op = 196
	OpStablehloDotGeneral          Op = 197
	OpStablehloReduceWindow        Op = 198
	OpStablehloSort                Op = 199
	OpStablehloWhile               Op = 200
	OpStablehloGather              Op = 201
	OpStablehloTranspose           Op = 202
	OpDilate                       Op = 203
	OpStablehloRngBitGenerator     Op = 204
	OpReduceWindow                 Op = 205
	OpStablehloComposite           Op = 206
	OpStablehloShiftLeft           Op = 207
	OpStablehloCbrt                Op = 208
	OpStablehloCase                Op = 209
)

var opNames = map[Op]string{
	OpAdd:                          "ADD",
	OpAveragePool2d:                "AVERAGE_POOL_2D",
	OpConcatenation:                "CONCATENATION",
	OpConv2d:                       "CONV_2D",
	OpDepthwiseConv2d:              "DEPTHWISE_CONV_2D",
	OpDepthToSpace:                 "DEPTH_TO_SPACE",
	OpDequantize:                   "DEQUANTIZE",
	OpEmbeddingLookup:              "EMBEDDING_LOOKUP",
	OpFloor:                        "FLOOR",
	OpFullyConnected:               "FULLY_CONNECTED",
	OpHashtableLookup:              "HASHTABLE_LOOKUP",
	OpL2Normalization:              "L2_NORMALIZATION",
	OpL2Pool2d:                     "L2_POOL_2D",
	OpLocalResponseNormalization:   "LOCAL_RESPONSE_NORMALIZATION",
	OpLogistic:                     "LOGISTIC",
	OpLshProjection:                "LSH_PROJECTION",
	OpLstm:                         "LSTM",
	OpMaxPool2d:                    "MAX_POOL_2D",
	OpMul:                          "MUL",
	OpRelu:                         "RELU",
	OpReluN1To1:                    "RELU_N1_TO_1",
	OpRelu6:                        "RELU6",
	OpReshape:                      "RESHAPE",
	OpResizeBilinear:               "RESIZE_BILINEAR",
	OpRnn:                          "RNN",
	OpSoftmax:                      "SOFTMAX",
	OpSpaceToDepth:                 "SPACE_TO_DEPTH",
	OpSvdf:                         "SVDF",
	OpTanh:                         "TANH",
	OpConcatEmbeddings:             "CONCAT_EMBEDDINGS",
	OpSkipGram:                     "SKIP_GRAM",
	OpCall:                         "CALL",
	OpCustom:                       "CUSTOM",
	OpEmbeddingLookupSparse:        "EMBEDDING_LOOKUP_SPARSE",
	OpPad:                          "PAD",
	OpUnidirectionalSequenceRnn:    "UNIDIRECTIONAL_SEQUENCE_RNN",
	OpGather:                       "GATHER",
	OpBatchToSpaceNd:               "BATCH_TO_SPACE_ND",
	OpSpaceToBatchNd:               "SPACE_TO_BATCH_ND",
	OpTranspose:                    "TRANSPOSE",
	OpMean:                         "MEAN",
	OpSub:                          "SUB",
	OpDiv:                          "DIV",
	OpSqueeze:                      "SQUEEZE",
	OpUnidirectionalSequenceLstm:   "UNIDIRECTIONAL_SEQUENCE_LSTM",
	OpStridedSlice:                 "STRIDED_SLICE",
	OpBidirectionalSequenceRnn:     "BIDIRECTIONAL_SEQUENCE_RNN",
	OpExp:                          "EXP",
	OpTopkV2:                       "TOPK_V2",
	OpSplit:                        "SPLIT",
	OpLogSoftmax:                   "LOG_SOFTMAX",
	OpDelegate:                     "DELEGATE",
	OpBidirectionalSequenceLstm:    "BIDIRECTIONAL_SEQUENCE_LSTM",
	OpCast:                         "CAST",
	OpPrelu:                        "PRELU",
	OpMaximum:                      "MAXIMUM",
	OpArgMax:                       "ARG_MAX",
	OpMinimum:                      "MINIMUM",
	OpLess:                         "LESS",
	OpNeg:                          "NEG",
	OpPadv2:                        "PADV2",
	OpGreater:                      "GREATER",
	OpGreaterEqual:                 "GREATER_EQUAL",
	OpLessEqual:                    "LESS_EQUAL",
	OpSelect:                       "SELECT",
	OpSlice:                        "SLICE",
	OpSin:                          "SIN",
	OpTransposeConv:                "TRANSPOSE_CONV",
	OpSparseToDense:                "SPARSE_TO_DENSE",
	OpTile:                         "TILE",
	OpExpandDims:                   "EXPAND_DIMS",
	OpEqual:                        "EQUAL",
	OpNotEqual:                     "NOT_EQUAL",
	OpLog:                          "LOG",
	OpSum:                          "SUM",
	OpSqrt:                         "SQRT",
	OpRsqrt:                        "RSQRT",
	OpShape:                        "SHAPE",
	OpPow:                          "POW",
	OpArgMin:                       "ARG_MIN",
	OpFakeQuant:                    "FAKE_QUANT",
	OpReduceProd:                   "REDUCE_PROD",
	OpReduceMax:                    "REDUCE_MAX",
	OpPack:                         "PACK",
	OpLogicalOr:                    "LOGICAL_OR",
	OpOneHot:                       "ONE_HOT",
	OpLogicalAnd:                   "LOGICAL_AND",
	OpLogicalNot:                   "LOGICAL_NOT",
	OpUnpack:                       "UNPACK",
	OpReduceMin:                    "REDUCE_MIN",
	OpFloorDiv:                     "FLOOR_DIV",
	OpReduceAny:                    "REDUCE_ANY",
	OpSquare:                       "SQUARE",
	OpZerosLike:                    "ZEROS_LIKE",
	OpFill:                         "FILL",
	OpFloorMod:                     "FLOOR_MOD",
	OpRange:                        "RANGE",
	OpResizeNearestNeighbor:        "RESIZE_NEAREST_NEIGHBOR",
	OpLeakyRelu:                    "LEAKY_RELU",
	OpSquaredDifference:            "SQUARED_DIFFERENCE",
	OpMirrorPad:                    "MIRROR_PAD",
	OpAbs:                          "ABS",
	OpSplitV:                       "SPLIT_V",
	OpUnique:                       "UNIQUE",
	OpCeil:                         "CEIL",
	OpReverseV2:                    "REVERSE_V2",
	OpAddN:                         "ADD_N",
	OpGatherNd:                     "GATHER_ND",
	OpCos:                          "COS",
	OpWhere:                        "WHERE",
	OpRank:                         "RANK",
	OpElu:                          "ELU",
	OpReverseSequence:              "REVERSE_SEQUENCE",
	OpMatrixDiag:                   "MATRIX_DIAG",
	OpQuantize:                     "QUANTIZE",
	OpMatrixSetDiag:                "MATRIX_SET_DIAG",
	OpRound:                        "ROUND",
	OpHardSwish:                    "HARD_SWISH",
	OpIf:                           "IF",
	OpWhile:                        "WHILE",
	OpNonMaxSuppressionV4:          "NON_MAX_SUPPRESSION_V4",
	OpNonMaxSuppressionV5:          "NON_MAX_SUPPRESSION_V5",
	OpScatterNd:                    "SCATTER_ND",
	OpSelectV2:                     "SELECT_V2",
	OpDensify:                      "DENSIFY",
	OpSegmentSum:                   "SEGMENT_SUM",
	OpBatchMatmul:                  "BATCH_MATMUL",
	OpPlaceholderForGreaterOpCodes: "PLACEHOLDER_FOR_GREATER_OP_CODES",
	OpCumsum:                       "CUMSUM",
	OpCallOnce:                     "CALL_ONCE",
	OpBroadcastTo:                  "BROADCAST_TO",
	OpRfft2d:                       "RFFT2D",
	OpConv3d:                       "CONV_3D",
	OpImag:                         "IMAG",
	OpReal:                         "REAL",
	OpComplexAbs:                   "COMPLEX_ABS",
	OpHashtable:                    "HASHTABLE",
	OpHashtableFind:                "HASHTABLE_FIND",
	OpHashtableImport:              "HASHTABLE_IMPORT",
	OpHashtableSize:                "HASHTABLE_SIZE",
	OpReduceAll:                    "REDUCE_ALL",
	OpConv3dTranspose:              "CONV_3D_TRANSPOSE",
	OpVarHandle:                    "VAR_HANDLE",
	OpReadVariable:                 "READ_VARIABLE",
	OpAssignVariable:               "ASSIGN_VARIABLE",
	OpBroadcastArgs:                "BROADCAST_ARGS",
	OpRandomStandardNormal:         "RANDOM_STANDARD_NORMAL",
	OpBucketize:                    "BUCKETIZE",
	OpRandomUniform:                "RANDOM_UNIFORM",
	OpMultinomial:                  "MULTINOMIAL",
	OpGelu:                         "GELU",
	OpDynamicUpdateSlice:           "DYNAMIC_UPDATE_SLICE",
	OpRelu0To1:                     "RELU_0_TO_1",
	OpUnsortedSegmentProd:          "UNSORTED_SEGMENT_PROD",
	OpUnsortedSegmentMax:           "UNSORTED_SEGMENT_MAX",
	OpUnsortedSegmentSum:           "UNSORTED_SEGMENT_SUM",
	OpAtan2:                        "ATAN2",
	OpUnsortedSegmentMin:           "UNSORTED_SEGMENT_MIN",
	OpSign:                         "SIGN",
	OpBitcast:                      "BITCAST",
	OpBitwiseXor:                   "BITWISE_XOR",
	OpRightShift:                   "RIGHT_SHIFT",
	OpStablehloLogistic:            "STABLEHLO_LOGISTIC",
	OpStablehloAdd:                 "STABLEHLO_ADD",
	OpStablehloDivide:              "STABLEHLO_DIVIDE",
	OpStablehloMultiply:            "STABLEHLO_MULTIPLY",
	OpStablehloMaximum:             "STABLEHLO_MAXIMUM",
	OpStablehloReshape:             "STABLEHLO_RESHAPE",
	OpStablehloClamp:               "STABLEHLO_CLAMP",
	OpStablehloConcatenate:         "STABLEHLO_CONCATENATE",
	OpStablehloBroadcastInDim:      "STABLEHLO_BROADCAST_IN_DIM",
	OpStablehloConvolution:         "STABLEHLO_CONVOLUTION",
	OpStablehloSlice:               "STABLEHLO_SLICE",
	OpStablehloCustomCall:          "STABLEHLO_CUSTOM_CALL",
	OpStablehloReduce:              "STABLEHLO_REDUCE",
	OpStablehloAbs:                 "STABLEHLO_ABS",
	OpStablehloAnd:                 "STABLEHLO_AND",
	OpStablehloCosine:              "STABLEHLO_COSINE",
	OpStablehloExponential:         "STABLEHLO_EXPONENTIAL",
	OpStablehloFloor:               "STABLEHLO_FLOOR",
	OpStablehloLog:                 "STABLEHLO_LOG",
	OpStablehloMinimum:             "STABLEHLO_MINIMUM",
	OpStablehloNegate:              "STABLEHLO_NEGATE",
	OpStablehloOr:                  "STABLEHLO_OR",
	OpStablehloPower:               "STABLEHLO_POWER",
	OpStablehloRemainder:           "STABLEHLO_REMAINDER",
	OpStablehloRsqrt:               "STABLEHLO_RSQRT",
	OpStablehloSelect:              "STABLEHLO_SELECT",
	OpStablehloSubtract:            "STABLEHLO_SUBTRACT",
	OpStablehloTanh:                "STABLEHLO_TANH",
	OpStablehloScatter:             "STABLEHLO_SCATTER",
	OpStablehloCompare:             "STABLEHLO_COMPARE",
	OpStablehloConvert:             "STABLEHLO_CONVERT",
	OpStablehloDynamicSlice:        "STABLEHLO_DYNAMIC_SLICE",
	OpStablehloDynamicUpdateSlice:  "STABLEHLO_DYNAMIC_UPDATE_SLICE",
	OpStablehloPad:                 "STABLEHLO_PAD",
	OpStablehloIota:                "STABLEHLO_IOTA",
	OpStablehloDotGeneral:          "STABLEHLO_DOT_GENERAL",
	OpStablehloReduceWindow:        "STABLEHLO_REDUCE_WINDOW",
	OpStablehloSort:                "STABLEHLO_SORT",
	OpStablehloWhile:               "STABLEHLO_WHILE",
	OpStablehloGather:              "STABLEHLO_GATHER",
	OpStablehloTranspose:           "STABLEHLO_TRANSPOSE",
	OpDilate:                       "DILATE",
	OpStablehloRngBitGenerator:     "STABLEHLO_RNG_BIT_GENERATOR",
	OpReduceWindow:                 "REDUCE_WINDOW",
	OpStablehloComposite:           "STABLEHLO_COMPOSITE",
	OpStablehloShiftLeft:           "STABLEHLO_SHIFT_LEFT",
	OpStablehloCbrt:                "STABLEHLO_CBRT",
	OpStablehloCase:                "STABLEHLO_CASE",
}
