package flatbuf

import "github.com/axle-edge/axle/models"

// TFLite schema facts shared by the loader (models/tflite) and the writer
// (models/build), so both agree on them by construction.

// Identifier is the file identifier of TFLite flatbuffers (bytes 4..8).
const Identifier = "TFL3"

// SchemaVersion is the Model.version TFLite writes and accepts.
const SchemaVersion = 3

// Field slots of the schema tables the loader and writer use. A union field
// takes two slots: its type (slot n) and its value (slot n+1).
const (
	ModelVersion         = 0
	ModelOperatorCodes   = 1
	ModelSubgraphs       = 2
	ModelDescription     = 3
	ModelBuffers         = 4
	ModelMetadataBuffer  = 5
	ModelMetadata        = 6
	ModelSignatureDefs   = 7
	ModelExtBufferGroups = 8
	ModelExtBuffers      = 9

	OpCodeDeprecatedBuiltin = 0
	OpCodeCustom            = 1
	OpCodeVersion           = 2
	OpCodeBuiltin           = 3

	SubgraphTensors   = 0
	SubgraphInputs    = 1
	SubgraphOutputs   = 2
	SubgraphOperators = 3
	SubgraphName      = 4

	TensorShape          = 0
	TensorType           = 1
	TensorBuffer         = 2
	TensorName           = 3
	TensorQuantization   = 4
	TensorIsVariable     = 5
	TensorSparsity       = 6
	TensorShapeSignature = 7
	TensorHasRank        = 8
	TensorVariantTensors = 9
	TensorExternalBuffer = 10

	QuantMin         = 0
	QuantMax         = 1
	QuantScale       = 2
	QuantZeroPoint   = 3
	QuantDetailsType = 4
	QuantDetails     = 5
	QuantDimension   = 6

	OperatorOpcodeIndex         = 0
	OperatorInputs              = 1
	OperatorOutputs             = 2
	OperatorBuiltinOptionsType  = 3
	OperatorBuiltinOptions      = 4
	OperatorCustomOptions       = 5
	OperatorCustomOptionsFormat = 6
	OperatorMutatingVariables   = 7
	OperatorIntermediates       = 8
	OperatorLargeCustomOffset   = 9
	OperatorLargeCustomSize     = 10
	OperatorBuiltinOptions2Type = 11
	OperatorBuiltinOptions2     = 12

	BufferData   = 0
	BufferOffset = 1
	BufferSize   = 2

	MetadataName   = 0
	MetadataBuffer = 1

	TensorMapName  = 0
	TensorMapIndex = 1

	SignatureInputs   = 0
	SignatureOutputs  = 1
	SignatureKey      = 2
	SignatureSubgraph = 4 // slot 3 is the deprecated tag
)

// PlaceholderForGreaterOpCodes is the value of the deprecated one-byte
// builtin code for operators whose code does not fit in it.
const PlaceholderForGreaterOpCodes = 127

// tensorTypes maps the schema's TensorType enum to models.DType; types
// models cannot represent map to Unknown.
var tensorTypes = [...]models.DType{
	0: models.Float32, 1: models.Float16, 2: models.Int32, 3: models.UInt8,
	4: models.Int64, 5: models.String, 6: models.Bool, 7: models.Int16,
	8: models.Complex64, 9: models.Int8, 10: models.Float64, 11: models.Complex128,
	12: models.UInt64, 13: models.Resource, 14: models.Variant, 15: models.UInt32,
	16: models.UInt16, 17: models.Int4, 18: models.BFloat16, 19: models.Int2,
	20: models.UInt4, 21: models.Float8E4M3FN, 22: models.Float8E5M2,
}

// ToDType converts a schema TensorType to a models.DType; ok is false for
// types models does not represent.
func ToDType(tensorType int8) (models.DType, bool) {
	if tensorType < 0 || int(tensorType) >= len(tensorTypes) {
		return models.Unknown, false
	}
	d := tensorTypes[tensorType]
	return d, d != models.Unknown
}

// FromDType converts a models.DType to the schema's TensorType.
func FromDType(d models.DType) (int8, bool) {
	if d == models.Unknown {
		return 0, false
	}
	for i, t := range tensorTypes {
		if t == d {
			return int8(i), true
		}
	}
	return 0, false
}
