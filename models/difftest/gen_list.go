package difftest

import "github.com/axle-edge/axle/models/tflite/ops"

var (
	convTypes = []string{"float32", "int8", "uint8", "int16x8", "hybrid"}
)

func generators() []Gen {
	return []Gen{
		{Name: "CONV_2D", Types: convTypes, build: genConv},
		{Name: "DEPTHWISE_CONV_2D", Types: convTypes, build: genDepthwise},
		{Name: "TRANSPOSE_CONV", Types: []string{"float32", "int8", "int16x8"}, build: genTransposeConv},
		{Name: "FULLY_CONNECTED", Types: convTypes, build: genFullyConnected},
		{Name: "BATCH_MATMUL", Types: []string{"float32", "int8", "int16", "int16x8", "hybrid"}, build: genBatchMatMul},
		{Name: "AVERAGE_POOL_2D", Types: []string{"float32", "int8", "uint8", "int16"}, build: genPool(ops.OpAveragePool2d)},
		{Name: "MAX_POOL_2D", Types: []string{"float32", "int8", "uint8", "int16"}, build: genPool(ops.OpMaxPool2d)},
	}
}
