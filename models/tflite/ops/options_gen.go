// Code generated from the BuiltinOptions and BuiltinOptions2 unions and option tables of the TFLite schema (schema v3). DO NOT EDIT.

package ops

import "github.com/axle-edge/axle/models/tflite/flatbuf"

// Conv2DOptions is the schema table Conv2DOptions; a field absent from the model holds its schema default.
type Conv2DOptions struct {
	Padding                 int8       // padding
	StrideW                 int32      // stride_w
	StrideH                 int32      // stride_h
	FusedActivationFunction Activation // fused_activation_function
	DilationWFactor         int32      // dilation_w_factor
	DilationHFactor         int32      // dilation_h_factor
	QuantizedBiasType       int8       // quantized_bias_type
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *Conv2DOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// DepthwiseConv2DOptions is the schema table DepthwiseConv2DOptions; a field absent from the model holds its schema default.
type DepthwiseConv2DOptions struct {
	Padding                 int8       // padding
	StrideW                 int32      // stride_w
	StrideH                 int32      // stride_h
	DepthMultiplier         int32      // depth_multiplier
	FusedActivationFunction Activation // fused_activation_function
	DilationWFactor         int32      // dilation_w_factor
	DilationHFactor         int32      // dilation_h_factor
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *DepthwiseConv2DOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// ConcatEmbeddingsOptions is the schema table ConcatEmbeddingsOptions; a field absent from the model holds its schema default.
type ConcatEmbeddingsOptions struct {
	NumChannels            int32   // num_channels
	NumColumnsPerChannel   []int32 // num_columns_per_channel
	EmbeddingDimPerChannel []int32 // embedding_dim_per_channel
}

// LSHProjectionOptions is the schema table LSHProjectionOptions; a field absent from the model holds its schema default.
type LSHProjectionOptions struct {
	Type int8 // type
}

// Pool2DOptions is the schema table Pool2DOptions; a field absent from the model holds its schema default.
type Pool2DOptions struct {
	Padding                 int8       // padding
	StrideW                 int32      // stride_w
	StrideH                 int32      // stride_h
	FilterWidth             int32      // filter_width
	FilterHeight            int32      // filter_height
	FusedActivationFunction Activation // fused_activation_function
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *Pool2DOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// SVDFOptions is the schema table SVDFOptions; a field absent from the model holds its schema default.
type SVDFOptions struct {
	Rank                     int32      // rank
	FusedActivationFunction  Activation // fused_activation_function
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *SVDFOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// RNNOptions is the schema table RNNOptions; a field absent from the model holds its schema default.
type RNNOptions struct {
	FusedActivationFunction  Activation // fused_activation_function
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *RNNOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// FullyConnectedOptions is the schema table FullyConnectedOptions; a field absent from the model holds its schema default.
type FullyConnectedOptions struct {
	FusedActivationFunction  Activation // fused_activation_function
	WeightsFormat            int8       // weights_format
	KeepNumDims              bool       // keep_num_dims
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
	QuantizedBiasType        int8       // quantized_bias_type
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *FullyConnectedOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// SoftmaxOptions is the schema table SoftmaxOptions; a field absent from the model holds its schema default.
type SoftmaxOptions struct {
	Beta float32 // beta
}

// ConcatenationOptions is the schema table ConcatenationOptions; a field absent from the model holds its schema default.
type ConcatenationOptions struct {
	Axis                    int32      // axis
	FusedActivationFunction Activation // fused_activation_function
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *ConcatenationOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// AddOptions is the schema table AddOptions; a field absent from the model holds its schema default.
type AddOptions struct {
	FusedActivationFunction Activation // fused_activation_function
	PotScaleInt16           bool       // pot_scale_int16
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *AddOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// L2NormOptions is the schema table L2NormOptions; a field absent from the model holds its schema default.
type L2NormOptions struct {
	FusedActivationFunction Activation // fused_activation_function
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *L2NormOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// LocalResponseNormalizationOptions is the schema table LocalResponseNormalizationOptions; a field absent from the model holds its schema default.
type LocalResponseNormalizationOptions struct {
	Radius int32   // radius
	Bias   float32 // bias
	Alpha  float32 // alpha
	Beta   float32 // beta
}

// LSTMOptions is the schema table LSTMOptions; a field absent from the model holds its schema default.
type LSTMOptions struct {
	FusedActivationFunction  Activation // fused_activation_function
	CellClip                 float32    // cell_clip
	ProjClip                 float32    // proj_clip
	KernelType               int8       // kernel_type
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *LSTMOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// ResizeBilinearOptions is the schema table ResizeBilinearOptions; a field absent from the model holds its schema default.
type ResizeBilinearOptions struct {
	AlignCorners     bool // align_corners
	HalfPixelCenters bool // half_pixel_centers
}

// CallOptions is the schema table CallOptions; a field absent from the model holds its schema default.
type CallOptions struct {
	Subgraph uint32 // subgraph
}

// ReshapeOptions is the schema table ReshapeOptions; a field absent from the model holds its schema default.
type ReshapeOptions struct {
	NewShape []int32 // new_shape
}

// SkipGramOptions is the schema table SkipGramOptions; a field absent from the model holds its schema default.
type SkipGramOptions struct {
	NgramSize        int32 // ngram_size
	MaxSkipSize      int32 // max_skip_size
	IncludeAllNgrams bool  // include_all_ngrams
}

// SpaceToDepthOptions is the schema table SpaceToDepthOptions; a field absent from the model holds its schema default.
type SpaceToDepthOptions struct {
	BlockSize int32 // block_size
}

// EmbeddingLookupSparseOptions is the schema table EmbeddingLookupSparseOptions; a field absent from the model holds its schema default.
type EmbeddingLookupSparseOptions struct {
	Combiner int8 // combiner
}

// MulOptions is the schema table MulOptions; a field absent from the model holds its schema default.
type MulOptions struct {
	FusedActivationFunction Activation // fused_activation_function
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *MulOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// PadOptions is the schema table PadOptions; a field absent from the model holds its schema default.
type PadOptions struct {
}

// GatherOptions is the schema table GatherOptions; a field absent from the model holds its schema default.
type GatherOptions struct {
	Axis      int32 // axis
	BatchDims int32 // batch_dims
}

// BatchToSpaceNDOptions is the schema table BatchToSpaceNDOptions; a field absent from the model holds its schema default.
type BatchToSpaceNDOptions struct {
}

// SpaceToBatchNDOptions is the schema table SpaceToBatchNDOptions; a field absent from the model holds its schema default.
type SpaceToBatchNDOptions struct {
}

// TransposeOptions is the schema table TransposeOptions; a field absent from the model holds its schema default.
type TransposeOptions struct {
}

// ReducerOptions is the schema table ReducerOptions; a field absent from the model holds its schema default.
type ReducerOptions struct {
	KeepDims bool // keep_dims
}

// SubOptions is the schema table SubOptions; a field absent from the model holds its schema default.
type SubOptions struct {
	FusedActivationFunction Activation // fused_activation_function
	PotScaleInt16           bool       // pot_scale_int16
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *SubOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// DivOptions is the schema table DivOptions; a field absent from the model holds its schema default.
type DivOptions struct {
	FusedActivationFunction Activation // fused_activation_function
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *DivOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// SqueezeOptions is the schema table SqueezeOptions; a field absent from the model holds its schema default.
type SqueezeOptions struct {
	SqueezeDims []int32 // squeeze_dims
}

// SequenceRNNOptions is the schema table SequenceRNNOptions; a field absent from the model holds its schema default.
type SequenceRNNOptions struct {
	TimeMajor                bool       // time_major
	FusedActivationFunction  Activation // fused_activation_function
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *SequenceRNNOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// StridedSliceOptions is the schema table StridedSliceOptions; a field absent from the model holds its schema default.
type StridedSliceOptions struct {
	BeginMask      int32 // begin_mask
	EndMask        int32 // end_mask
	EllipsisMask   int32 // ellipsis_mask
	NewAxisMask    int32 // new_axis_mask
	ShrinkAxisMask int32 // shrink_axis_mask
	Offset         bool  // offset
}

// ExpOptions is the schema table ExpOptions; a field absent from the model holds its schema default.
type ExpOptions struct {
}

// TopKV2Options is the schema table TopKV2Options; a field absent from the model holds its schema default.
type TopKV2Options struct {
}

// SplitOptions is the schema table SplitOptions; a field absent from the model holds its schema default.
type SplitOptions struct {
	NumSplits int32 // num_splits
}

// LogSoftmaxOptions is the schema table LogSoftmaxOptions; a field absent from the model holds its schema default.
type LogSoftmaxOptions struct {
}

// CastOptions is the schema table CastOptions; a field absent from the model holds its schema default.
type CastOptions struct {
	InDataType  int8 // in_data_type
	OutDataType int8 // out_data_type
}

// DequantizeOptions is the schema table DequantizeOptions; a field absent from the model holds its schema default.
type DequantizeOptions struct {
}

// MaximumMinimumOptions is the schema table MaximumMinimumOptions; a field absent from the model holds its schema default.
type MaximumMinimumOptions struct {
}

// ArgMaxOptions is the schema table ArgMaxOptions; a field absent from the model holds its schema default.
type ArgMaxOptions struct {
	OutputType int8 // output_type
}

// LessOptions is the schema table LessOptions; a field absent from the model holds its schema default.
type LessOptions struct {
}

// NegOptions is the schema table NegOptions; a field absent from the model holds its schema default.
type NegOptions struct {
}

// PadV2Options is the schema table PadV2Options; a field absent from the model holds its schema default.
type PadV2Options struct {
}

// GreaterOptions is the schema table GreaterOptions; a field absent from the model holds its schema default.
type GreaterOptions struct {
}

// GreaterEqualOptions is the schema table GreaterEqualOptions; a field absent from the model holds its schema default.
type GreaterEqualOptions struct {
}

// LessEqualOptions is the schema table LessEqualOptions; a field absent from the model holds its schema default.
type LessEqualOptions struct {
}

// SelectOptions is the schema table SelectOptions; a field absent from the model holds its schema default.
type SelectOptions struct {
}

// SliceOptions is the schema table SliceOptions; a field absent from the model holds its schema default.
type SliceOptions struct {
}

// TransposeConvOptions is the schema table TransposeConvOptions; a field absent from the model holds its schema default.
type TransposeConvOptions struct {
	Padding                 int8       // padding
	StrideW                 int32      // stride_w
	StrideH                 int32      // stride_h
	FusedActivationFunction Activation // fused_activation_function
	QuantizedBiasType       int8       // quantized_bias_type
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *TransposeConvOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// SparseToDenseOptions is the schema table SparseToDenseOptions; a field absent from the model holds its schema default.
type SparseToDenseOptions struct {
	ValidateIndices bool // validate_indices
}

// TileOptions is the schema table TileOptions; a field absent from the model holds its schema default.
type TileOptions struct {
}

// ExpandDimsOptions is the schema table ExpandDimsOptions; a field absent from the model holds its schema default.
type ExpandDimsOptions struct {
}

// EqualOptions is the schema table EqualOptions; a field absent from the model holds its schema default.
type EqualOptions struct {
}

// NotEqualOptions is the schema table NotEqualOptions; a field absent from the model holds its schema default.
type NotEqualOptions struct {
}

// ShapeOptions is the schema table ShapeOptions; a field absent from the model holds its schema default.
type ShapeOptions struct {
	OutType int8 // out_type
}

// PowOptions is the schema table PowOptions; a field absent from the model holds its schema default.
type PowOptions struct {
}

// ArgMinOptions is the schema table ArgMinOptions; a field absent from the model holds its schema default.
type ArgMinOptions struct {
	OutputType int8 // output_type
}

// FakeQuantOptions is the schema table FakeQuantOptions; a field absent from the model holds its schema default.
type FakeQuantOptions struct {
	Min         float32 // min
	Max         float32 // max
	NumBits     int32   // num_bits
	NarrowRange bool    // narrow_range
}

// PackOptions is the schema table PackOptions; a field absent from the model holds its schema default.
type PackOptions struct {
	ValuesCount int32 // values_count
	Axis        int32 // axis
}

// LogicalOrOptions is the schema table LogicalOrOptions; a field absent from the model holds its schema default.
type LogicalOrOptions struct {
}

// OneHotOptions is the schema table OneHotOptions; a field absent from the model holds its schema default.
type OneHotOptions struct {
	Axis int32 // axis
}

// LogicalAndOptions is the schema table LogicalAndOptions; a field absent from the model holds its schema default.
type LogicalAndOptions struct {
}

// LogicalNotOptions is the schema table LogicalNotOptions; a field absent from the model holds its schema default.
type LogicalNotOptions struct {
}

// UnpackOptions is the schema table UnpackOptions; a field absent from the model holds its schema default.
type UnpackOptions struct {
	Num  int32 // num
	Axis int32 // axis
}

// FloorDivOptions is the schema table FloorDivOptions; a field absent from the model holds its schema default.
type FloorDivOptions struct {
}

// SquareOptions is the schema table SquareOptions; a field absent from the model holds its schema default.
type SquareOptions struct {
}

// ZerosLikeOptions is the schema table ZerosLikeOptions; a field absent from the model holds its schema default.
type ZerosLikeOptions struct {
}

// FillOptions is the schema table FillOptions; a field absent from the model holds its schema default.
type FillOptions struct {
}

// BidirectionalSequenceLSTMOptions is the schema table BidirectionalSequenceLSTMOptions; a field absent from the model holds its schema default.
type BidirectionalSequenceLSTMOptions struct {
	FusedActivationFunction  Activation // fused_activation_function
	CellClip                 float32    // cell_clip
	ProjClip                 float32    // proj_clip
	MergeOutputs             bool       // merge_outputs
	TimeMajor                bool       // time_major
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *BidirectionalSequenceLSTMOptions) FusedActivation() Activation {
	return o.FusedActivationFunction
}

// BidirectionalSequenceRNNOptions is the schema table BidirectionalSequenceRNNOptions; a field absent from the model holds its schema default.
type BidirectionalSequenceRNNOptions struct {
	TimeMajor                bool       // time_major
	FusedActivationFunction  Activation // fused_activation_function
	MergeOutputs             bool       // merge_outputs
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *BidirectionalSequenceRNNOptions) FusedActivation() Activation {
	return o.FusedActivationFunction
}

// UnidirectionalSequenceLSTMOptions is the schema table UnidirectionalSequenceLSTMOptions; a field absent from the model holds its schema default.
type UnidirectionalSequenceLSTMOptions struct {
	FusedActivationFunction  Activation // fused_activation_function
	CellClip                 float32    // cell_clip
	ProjClip                 float32    // proj_clip
	TimeMajor                bool       // time_major
	AsymmetricQuantizeInputs bool       // asymmetric_quantize_inputs
	DiagonalRecurrentTensors bool       // diagonal_recurrent_tensors
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *UnidirectionalSequenceLSTMOptions) FusedActivation() Activation {
	return o.FusedActivationFunction
}

// FloorModOptions is the schema table FloorModOptions; a field absent from the model holds its schema default.
type FloorModOptions struct {
}

// RangeOptions is the schema table RangeOptions; a field absent from the model holds its schema default.
type RangeOptions struct {
}

// ResizeNearestNeighborOptions is the schema table ResizeNearestNeighborOptions; a field absent from the model holds its schema default.
type ResizeNearestNeighborOptions struct {
	AlignCorners     bool // align_corners
	HalfPixelCenters bool // half_pixel_centers
}

// LeakyReluOptions is the schema table LeakyReluOptions; a field absent from the model holds its schema default.
type LeakyReluOptions struct {
	Alpha float32 // alpha
}

// SquaredDifferenceOptions is the schema table SquaredDifferenceOptions; a field absent from the model holds its schema default.
type SquaredDifferenceOptions struct {
}

// MirrorPadOptions is the schema table MirrorPadOptions; a field absent from the model holds its schema default.
type MirrorPadOptions struct {
	Mode int8 // mode
}

// AbsOptions is the schema table AbsOptions; a field absent from the model holds its schema default.
type AbsOptions struct {
}

// SplitVOptions is the schema table SplitVOptions; a field absent from the model holds its schema default.
type SplitVOptions struct {
	NumSplits int32 // num_splits
}

// UniqueOptions is the schema table UniqueOptions; a field absent from the model holds its schema default.
type UniqueOptions struct {
	IdxOutType int8 // idx_out_type
}

// ReverseV2Options is the schema table ReverseV2Options; a field absent from the model holds its schema default.
type ReverseV2Options struct {
}

// AddNOptions is the schema table AddNOptions; a field absent from the model holds its schema default.
type AddNOptions struct {
}

// GatherNdOptions is the schema table GatherNdOptions; a field absent from the model holds its schema default.
type GatherNdOptions struct {
}

// CosOptions is the schema table CosOptions; a field absent from the model holds its schema default.
type CosOptions struct {
}

// WhereOptions is the schema table WhereOptions; a field absent from the model holds its schema default.
type WhereOptions struct {
}

// RankOptions is the schema table RankOptions; a field absent from the model holds its schema default.
type RankOptions struct {
}

// ReverseSequenceOptions is the schema table ReverseSequenceOptions; a field absent from the model holds its schema default.
type ReverseSequenceOptions struct {
	SeqDim   int32 // seq_dim
	BatchDim int32 // batch_dim
}

// MatrixDiagOptions is the schema table MatrixDiagOptions; a field absent from the model holds its schema default.
type MatrixDiagOptions struct {
}

// QuantizeOptions is the schema table QuantizeOptions; a field absent from the model holds its schema default.
type QuantizeOptions struct {
}

// MatrixSetDiagOptions is the schema table MatrixSetDiagOptions; a field absent from the model holds its schema default.
type MatrixSetDiagOptions struct {
}

// HardSwishOptions is the schema table HardSwishOptions; a field absent from the model holds its schema default.
type HardSwishOptions struct {
}

// IfOptions is the schema table IfOptions; a field absent from the model holds its schema default.
type IfOptions struct {
	ThenSubgraphIndex int32 // then_subgraph_index
	ElseSubgraphIndex int32 // else_subgraph_index
}

// WhileOptions is the schema table WhileOptions; a field absent from the model holds its schema default.
type WhileOptions struct {
	CondSubgraphIndex int32 // cond_subgraph_index
	BodySubgraphIndex int32 // body_subgraph_index
}

// DepthToSpaceOptions is the schema table DepthToSpaceOptions; a field absent from the model holds its schema default.
type DepthToSpaceOptions struct {
	BlockSize int32 // block_size
}

// NonMaxSuppressionV4Options is the schema table NonMaxSuppressionV4Options; a field absent from the model holds its schema default.
type NonMaxSuppressionV4Options struct {
}

// NonMaxSuppressionV5Options is the schema table NonMaxSuppressionV5Options; a field absent from the model holds its schema default.
type NonMaxSuppressionV5Options struct {
}

// ScatterNdOptions is the schema table ScatterNdOptions; a field absent from the model holds its schema default.
type ScatterNdOptions struct {
}

// SelectV2Options is the schema table SelectV2Options; a field absent from the model holds its schema default.
type SelectV2Options struct {
}

// DensifyOptions is the schema table DensifyOptions; a field absent from the model holds its schema default.
type DensifyOptions struct {
}

// SegmentSumOptions is the schema table SegmentSumOptions; a field absent from the model holds its schema default.
type SegmentSumOptions struct {
}

// BatchMatMulOptions is the schema table BatchMatMulOptions; a field absent from the model holds its schema default.
type BatchMatMulOptions struct {
	AdjX                     bool // adj_x
	AdjY                     bool // adj_y
	AsymmetricQuantizeInputs bool // asymmetric_quantize_inputs
}

// CumsumOptions is the schema table CumsumOptions; a field absent from the model holds its schema default.
type CumsumOptions struct {
	Exclusive bool // exclusive
	Reverse   bool // reverse
}

// CallOnceOptions is the schema table CallOnceOptions; a field absent from the model holds its schema default.
type CallOnceOptions struct {
	InitSubgraphIndex int32 // init_subgraph_index
}

// BroadcastToOptions is the schema table BroadcastToOptions; a field absent from the model holds its schema default.
type BroadcastToOptions struct {
}

// Rfft2dOptions is the schema table Rfft2dOptions; a field absent from the model holds its schema default.
type Rfft2dOptions struct {
}

// Conv3DOptions is the schema table Conv3DOptions; a field absent from the model holds its schema default.
type Conv3DOptions struct {
	Padding                 int8       // padding
	StrideD                 int32      // stride_d
	StrideW                 int32      // stride_w
	StrideH                 int32      // stride_h
	FusedActivationFunction Activation // fused_activation_function
	DilationDFactor         int32      // dilation_d_factor
	DilationWFactor         int32      // dilation_w_factor
	DilationHFactor         int32      // dilation_h_factor
}

// FusedActivation lets kernels shared by several operators read the fused activation.
func (o *Conv3DOptions) FusedActivation() Activation { return o.FusedActivationFunction }

// HashtableOptions is the schema table HashtableOptions; a field absent from the model holds its schema default.
type HashtableOptions struct {
	TableId    int32 // table_id
	KeyDtype   int8  // key_dtype
	ValueDtype int8  // value_dtype
}

// HashtableFindOptions is the schema table HashtableFindOptions; a field absent from the model holds its schema default.
type HashtableFindOptions struct {
}

// HashtableImportOptions is the schema table HashtableImportOptions; a field absent from the model holds its schema default.
type HashtableImportOptions struct {
}

// HashtableSizeOptions is the schema table HashtableSizeOptions; a field absent from the model holds its schema default.
type HashtableSizeOptions struct {
}

// VarHandleOptions is the schema table VarHandleOptions; a field absent from the model holds its schema default.
type VarHandleOptions struct {
	Container  string // container
	SharedName string // shared_name
}

// ReadVariableOptions is the schema table ReadVariableOptions; a field absent from the model holds its schema default.
type ReadVariableOptions struct {
}

// AssignVariableOptions is the schema table AssignVariableOptions; a field absent from the model holds its schema default.
type AssignVariableOptions struct {
}

// RandomOptions is the schema table RandomOptions; a field absent from the model holds its schema default.
type RandomOptions struct {
	Seed  int64 // seed
	Seed2 int64 // seed2
}

// BucketizeOptions is the schema table BucketizeOptions; a field absent from the model holds its schema default.
type BucketizeOptions struct {
	Boundaries []float32 // boundaries
}

// GeluOptions is the schema table GeluOptions; a field absent from the model holds its schema default.
type GeluOptions struct {
	Approximate bool // approximate
}

// DynamicUpdateSliceOptions is the schema table DynamicUpdateSliceOptions; a field absent from the model holds its schema default.
type DynamicUpdateSliceOptions struct {
}

// UnsortedSegmentProdOptions is the schema table UnsortedSegmentProdOptions; a field absent from the model holds its schema default.
type UnsortedSegmentProdOptions struct {
}

// UnsortedSegmentMaxOptions is the schema table UnsortedSegmentMaxOptions; a field absent from the model holds its schema default.
type UnsortedSegmentMaxOptions struct {
}

// UnsortedSegmentMinOptions is the schema table UnsortedSegmentMinOptions; a field absent from the model holds its schema default.
type UnsortedSegmentMinOptions struct {
}

// UnsortedSegmentSumOptions is the schema table UnsortedSegmentSumOptions; a field absent from the model holds its schema default.
type UnsortedSegmentSumOptions struct {
}

// ATan2Options is the schema table ATan2Options; a field absent from the model holds its schema default.
type ATan2Options struct {
}

// SignOptions is the schema table SignOptions; a field absent from the model holds its schema default.
type SignOptions struct {
}

// BitcastOptions is the schema table BitcastOptions; a field absent from the model holds its schema default.
type BitcastOptions struct {
}

// BitwiseXorOptions is the schema table BitwiseXorOptions; a field absent from the model holds its schema default.
type BitwiseXorOptions struct {
}

// RightShiftOptions is the schema table RightShiftOptions; a field absent from the model holds its schema default.
type RightShiftOptions struct {
}

// StablehloConcatenateOptions is the schema table StablehloConcatenateOptions; a field absent from the model holds its schema default.
type StablehloConcatenateOptions struct {
	Dimension int64 // dimension
}

// StablehloBroadcastInDimOptions is the schema table StablehloBroadcastInDimOptions; a field absent from the model holds its schema default.
type StablehloBroadcastInDimOptions struct {
	BroadcastDimensions []int64 // broadcast_dimensions
}

// StablehloSliceOptions is the schema table StablehloSliceOptions; a field absent from the model holds its schema default.
type StablehloSliceOptions struct {
	StartIndices []int64 // start_indices
	LimitIndices []int64 // limit_indices
	Strides      []int64 // strides
}

// StablehloConvolutionOptions is the schema table StablehloConvolutionOptions; a field absent from the model holds its schema default.
type StablehloConvolutionOptions struct {
	WindowStrides                []int64  // window_strides
	Padding                      []int64  // padding
	LhsDilation                  []int64  // lhs_dilation
	RhsDilation                  []int64  // rhs_dilation
	WindowReversal               []bool   // window_reversal
	InputBatchDimension          int64    // input_batch_dimension
	InputFeatureDimension        int64    // input_feature_dimension
	InputSpatialDimensions       []int64  // input_spatial_dimensions
	KernelInputFeatureDimension  int64    // kernel_input_feature_dimension
	KernelOutputFeatureDimension int64    // kernel_output_feature_dimension
	KernelSpatialDimensions      []int64  // kernel_spatial_dimensions
	OutputBatchDimension         int64    // output_batch_dimension
	OutputFeatureDimension       int64    // output_feature_dimension
	OutputSpatialDimensions      []int64  // output_spatial_dimensions
	FeatureGroupCount            int64    // feature_group_count
	BatchGroupCount              int64    // batch_group_count
	PrecisionConfig              []uint32 // precision_config
}

// StablehloCustomCallOptions is the schema table StablehloCustomCallOptions; a field absent from the model holds its schema default.
type StablehloCustomCallOptions struct {
	CallTargetName     string  // call_target_name
	HasSideEffect      bool    // has_side_effect
	BackendConfig      string  // backend_config
	ApiVersion         int32   // api_version
	CalledComputations []int32 // called_computations
	CustomAttributes   []byte  // custom_attributes
}

// StablehloReduceOptions is the schema table StablehloReduceOptions; a field absent from the model holds its schema default.
type StablehloReduceOptions struct {
	Dimensions        []int64 // dimensions
	BodySubgraphIndex int32   // body_subgraph_index
}

// StablehloScatterOptions is the schema table StablehloScatterOptions; a field absent from the model holds its schema default.
type StablehloScatterOptions struct {
	IndicesAreSorted               bool    // indices_are_sorted
	UpdateWindowDims               []int64 // update_window_dims
	InsertedWindowDims             []int64 // inserted_window_dims
	ScatterDimsToOperandDims       []int64 // scatter_dims_to_operand_dims
	IndexVectorDim                 int64   // index_vector_dim
	UniqueIndices                  bool    // unique_indices
	UpdateComputationSubgraphIndex int32   // update_computation_subgraph_index
}

// StablehloCompareOptions is the schema table StablehloCompareOptions; a field absent from the model holds its schema default.
type StablehloCompareOptions struct {
	ComparisonDirection uint32 // comparison_direction
	CompareType         uint32 // compare_type
}

// StablehloDynamicSliceOptions is the schema table StablehloDynamicSliceOptions; a field absent from the model holds its schema default.
type StablehloDynamicSliceOptions struct {
	SliceSizes []int64 // slice_sizes
}

// StablehloPadOptions is the schema table StablehloPadOptions; a field absent from the model holds its schema default.
type StablehloPadOptions struct {
	EdgePaddingLow  []int64 // edge_padding_low
	EdgePaddingHigh []int64 // edge_padding_high
	InteriorPadding []int64 // interior_padding
}

// StablehloIotaOptions is the schema table StablehloIotaOptions; a field absent from the model holds its schema default.
type StablehloIotaOptions struct {
	IotaDimension int64 // iota_dimension
}

// StablehloDotGeneralOptions is the schema table StablehloDotGeneralOptions; a field absent from the model holds its schema default.
type StablehloDotGeneralOptions struct {
	LhsBatchingDimensions    []int64  // lhs_batching_dimensions
	RhsBatchingDimensions    []int64  // rhs_batching_dimensions
	LhsContractingDimensions []int64  // lhs_contracting_dimensions
	RhsContractingDimensions []int64  // rhs_contracting_dimensions
	PrecisionConfig          []uint32 // precision_config
}

// StablehloReduceWindowOptions is the schema table StablehloReduceWindowOptions; a field absent from the model holds its schema default.
type StablehloReduceWindowOptions struct {
	WindowDimensions  []int64 // window_dimensions
	WindowStrides     []int64 // window_strides
	BaseDilations     []int64 // base_dilations
	WindowDilations   []int64 // window_dilations
	Padding           []int64 // padding
	BodySubgraphIndex int32   // body_subgraph_index
}

// StablehloSortOptions is the schema table StablehloSortOptions; a field absent from the model holds its schema default.
type StablehloSortOptions struct {
	Dimension               int64 // dimension
	IsStable                bool  // is_stable
	ComparatorSubgraphIndex int32 // comparator_subgraph_index
}

// StablehloWhileOptions is the schema table StablehloWhileOptions; a field absent from the model holds its schema default.
type StablehloWhileOptions struct {
	CondSubgraphIndex int32 // cond_subgraph_index
	BodySubgraphIndex int32 // body_subgraph_index
}

// StablehloGatherOptions is the schema table StablehloGatherOptions; a field absent from the model holds its schema default.
type StablehloGatherOptions struct {
	OffsetDims         []int64 // offset_dims
	CollapsedSliceDims []int64 // collapsed_slice_dims
	StartIndexMap      []int64 // start_index_map
	IndexVectorDim     int64   // index_vector_dim
	SliceSizes         []int64 // slice_sizes
	IndicesAreSorted   bool    // indices_are_sorted
}

// StablehloTransposeOptions is the schema table StablehloTransposeOptions; a field absent from the model holds its schema default.
type StablehloTransposeOptions struct {
	Permutation []int64 // permutation
}

// DilateOptions is the schema table DilateOptions; a field absent from the model holds its schema default.
type DilateOptions struct {
}

// StablehloRngBitGeneratorOptions is the schema table StablehloRngBitGeneratorOptions; a field absent from the model holds its schema default.
type StablehloRngBitGeneratorOptions struct {
	Algorithm int8 // algorithm
}

// ReduceWindowOptions is the schema table ReduceWindowOptions; a field absent from the model holds its schema default.
type ReduceWindowOptions struct {
	ReduceFunction int32 // reduce_function
}

// StableHLOCompositeOptions is the schema table StableHLOCompositeOptions; a field absent from the model holds its schema default.
type StableHLOCompositeOptions struct {
	Name                       string // name
	DecompositionSubgraphIndex int32  // decomposition_subgraph_index
	CompositeAttributes        []byte // composite_attributes
	CompositeAttributesFormat  int8   // composite_attributes_format
	Version                    int32  // version
}

// StablehloShiftLeftOptions is the schema table StablehloShiftLeftOptions; a field absent from the model holds its schema default.
type StablehloShiftLeftOptions struct {
}

// StablehloCaseOptions is the schema table StablehloCaseOptions; a field absent from the model holds its schema default.
type StablehloCaseOptions struct {
	BranchSubgraphIndices []int32 // branch_subgraph_indices
}

func decodeConv2DOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &Conv2DOptions{
		Padding:                 t.Int8(0, 0),
		StrideW:                 t.Int32(1, 0),
		StrideH:                 t.Int32(2, 0),
		FusedActivationFunction: Activation(t.Int8(3, 0)),
		DilationWFactor:         t.Int32(4, 1),
		DilationHFactor:         t.Int32(5, 1),
		QuantizedBiasType:       t.Int8(6, 0),
	}
	return o, nil
}

func decodeDepthwiseConv2DOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &DepthwiseConv2DOptions{
		Padding:                 t.Int8(0, 0),
		StrideW:                 t.Int32(1, 0),
		StrideH:                 t.Int32(2, 0),
		DepthMultiplier:         t.Int32(3, 0),
		FusedActivationFunction: Activation(t.Int8(4, 0)),
		DilationWFactor:         t.Int32(5, 1),
		DilationHFactor:         t.Int32(6, 1),
	}
	return o, nil
}

func decodeConcatEmbeddingsOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ConcatEmbeddingsOptions{
		NumChannels: t.Int32(0, 0),
	}
	var err error
	if o.NumColumnsPerChannel, err = optInt32s(t, 1, d, "num_columns_per_channel"); err != nil {
		return nil, err
	}
	if o.EmbeddingDimPerChannel, err = optInt32s(t, 2, d, "embedding_dim_per_channel"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeLSHProjectionOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &LSHProjectionOptions{
		Type: t.Int8(0, 0),
	}
	return o, nil
}

func decodePool2DOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &Pool2DOptions{
		Padding:                 t.Int8(0, 0),
		StrideW:                 t.Int32(1, 0),
		StrideH:                 t.Int32(2, 0),
		FilterWidth:             t.Int32(3, 0),
		FilterHeight:            t.Int32(4, 0),
		FusedActivationFunction: Activation(t.Int8(5, 0)),
	}
	return o, nil
}

func decodeSVDFOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SVDFOptions{
		Rank:                     t.Int32(0, 0),
		FusedActivationFunction:  Activation(t.Int8(1, 0)),
		AsymmetricQuantizeInputs: t.Bool(2, false),
	}
	return o, nil
}

func decodeRNNOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &RNNOptions{
		FusedActivationFunction:  Activation(t.Int8(0, 0)),
		AsymmetricQuantizeInputs: t.Bool(1, false),
	}
	return o, nil
}

func decodeFullyConnectedOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &FullyConnectedOptions{
		FusedActivationFunction:  Activation(t.Int8(0, 0)),
		WeightsFormat:            t.Int8(1, 0),
		KeepNumDims:              t.Bool(2, false),
		AsymmetricQuantizeInputs: t.Bool(3, false),
		QuantizedBiasType:        t.Int8(4, 0),
	}
	return o, nil
}

func decodeSoftmaxOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SoftmaxOptions{
		Beta: t.Float32(0, 0),
	}
	return o, nil
}

func decodeConcatenationOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ConcatenationOptions{
		Axis:                    t.Int32(0, 0),
		FusedActivationFunction: Activation(t.Int8(1, 0)),
	}
	return o, nil
}

func decodeAddOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &AddOptions{
		FusedActivationFunction: Activation(t.Int8(0, 0)),
		PotScaleInt16:           t.Bool(1, true),
	}
	return o, nil
}

func decodeL2NormOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &L2NormOptions{
		FusedActivationFunction: Activation(t.Int8(0, 0)),
	}
	return o, nil
}

func decodeLocalResponseNormalizationOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &LocalResponseNormalizationOptions{
		Radius: t.Int32(0, 0),
		Bias:   t.Float32(1, 0),
		Alpha:  t.Float32(2, 0),
		Beta:   t.Float32(3, 0),
	}
	return o, nil
}

func decodeLSTMOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &LSTMOptions{
		FusedActivationFunction:  Activation(t.Int8(0, 0)),
		CellClip:                 t.Float32(1, 0),
		ProjClip:                 t.Float32(2, 0),
		KernelType:               t.Int8(3, 0),
		AsymmetricQuantizeInputs: t.Bool(4, false),
	}
	return o, nil
}

func decodeResizeBilinearOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ResizeBilinearOptions{
		AlignCorners:     t.Bool(2, false),
		HalfPixelCenters: t.Bool(3, false),
	}
	return o, nil
}

func decodeCallOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &CallOptions{
		Subgraph: t.Uint32(0, 0),
	}
	return o, nil
}

func decodeReshapeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ReshapeOptions{}
	var err error
	if o.NewShape, err = optInt32s(t, 0, d, "new_shape"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeSkipGramOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SkipGramOptions{
		NgramSize:        t.Int32(0, 0),
		MaxSkipSize:      t.Int32(1, 0),
		IncludeAllNgrams: t.Bool(2, false),
	}
	return o, nil
}

func decodeSpaceToDepthOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SpaceToDepthOptions{
		BlockSize: t.Int32(0, 0),
	}
	return o, nil
}

func decodeEmbeddingLookupSparseOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &EmbeddingLookupSparseOptions{
		Combiner: t.Int8(0, 0),
	}
	return o, nil
}

func decodeMulOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &MulOptions{
		FusedActivationFunction: Activation(t.Int8(0, 0)),
	}
	return o, nil
}

func decodePadOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &PadOptions{}, nil
}

func decodeGatherOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &GatherOptions{
		Axis:      t.Int32(0, 0),
		BatchDims: t.Int32(1, 0),
	}
	return o, nil
}

func decodeBatchToSpaceNDOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &BatchToSpaceNDOptions{}, nil
}

func decodeSpaceToBatchNDOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SpaceToBatchNDOptions{}, nil
}

func decodeTransposeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &TransposeOptions{}, nil
}

func decodeReducerOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ReducerOptions{
		KeepDims: t.Bool(0, false),
	}
	return o, nil
}

func decodeSubOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SubOptions{
		FusedActivationFunction: Activation(t.Int8(0, 0)),
		PotScaleInt16:           t.Bool(1, true),
	}
	return o, nil
}

func decodeDivOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &DivOptions{
		FusedActivationFunction: Activation(t.Int8(0, 0)),
	}
	return o, nil
}

func decodeSqueezeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SqueezeOptions{}
	var err error
	if o.SqueezeDims, err = optInt32s(t, 0, d, "squeeze_dims"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeSequenceRNNOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SequenceRNNOptions{
		TimeMajor:                t.Bool(0, false),
		FusedActivationFunction:  Activation(t.Int8(1, 0)),
		AsymmetricQuantizeInputs: t.Bool(2, false),
	}
	return o, nil
}

func decodeStridedSliceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StridedSliceOptions{
		BeginMask:      t.Int32(0, 0),
		EndMask:        t.Int32(1, 0),
		EllipsisMask:   t.Int32(2, 0),
		NewAxisMask:    t.Int32(3, 0),
		ShrinkAxisMask: t.Int32(4, 0),
		Offset:         t.Bool(5, false),
	}
	return o, nil
}

func decodeExpOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &ExpOptions{}, nil
}

func decodeTopKV2Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &TopKV2Options{}, nil
}

func decodeSplitOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SplitOptions{
		NumSplits: t.Int32(0, 0),
	}
	return o, nil
}

func decodeLogSoftmaxOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LogSoftmaxOptions{}, nil
}

func decodeCastOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &CastOptions{
		InDataType:  t.Int8(0, 0),
		OutDataType: t.Int8(1, 0),
	}
	return o, nil
}

func decodeDequantizeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &DequantizeOptions{}, nil
}

func decodeMaximumMinimumOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &MaximumMinimumOptions{}, nil
}

func decodeArgMaxOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ArgMaxOptions{
		OutputType: t.Int8(0, 0),
	}
	return o, nil
}

func decodeLessOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LessOptions{}, nil
}

func decodeNegOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &NegOptions{}, nil
}

func decodePadV2Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &PadV2Options{}, nil
}

func decodeGreaterOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &GreaterOptions{}, nil
}

func decodeGreaterEqualOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &GreaterEqualOptions{}, nil
}

func decodeLessEqualOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LessEqualOptions{}, nil
}

func decodeSelectOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SelectOptions{}, nil
}

func decodeSliceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SliceOptions{}, nil
}

func decodeTransposeConvOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &TransposeConvOptions{
		Padding:                 t.Int8(0, 0),
		StrideW:                 t.Int32(1, 0),
		StrideH:                 t.Int32(2, 0),
		FusedActivationFunction: Activation(t.Int8(3, 0)),
		QuantizedBiasType:       t.Int8(4, 0),
	}
	return o, nil
}

func decodeSparseToDenseOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SparseToDenseOptions{
		ValidateIndices: t.Bool(0, false),
	}
	return o, nil
}

func decodeTileOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &TileOptions{}, nil
}

func decodeExpandDimsOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &ExpandDimsOptions{}, nil
}

func decodeEqualOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &EqualOptions{}, nil
}

func decodeNotEqualOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &NotEqualOptions{}, nil
}

func decodeShapeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ShapeOptions{
		OutType: t.Int8(0, 0),
	}
	return o, nil
}

func decodePowOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &PowOptions{}, nil
}

func decodeArgMinOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ArgMinOptions{
		OutputType: t.Int8(0, 0),
	}
	return o, nil
}

func decodeFakeQuantOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &FakeQuantOptions{
		Min:         t.Float32(0, 0),
		Max:         t.Float32(1, 0),
		NumBits:     t.Int32(2, 0),
		NarrowRange: t.Bool(3, false),
	}
	return o, nil
}

func decodePackOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &PackOptions{
		ValuesCount: t.Int32(0, 0),
		Axis:        t.Int32(1, 0),
	}
	return o, nil
}

func decodeLogicalOrOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LogicalOrOptions{}, nil
}

func decodeOneHotOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &OneHotOptions{
		Axis: t.Int32(0, 0),
	}
	return o, nil
}

func decodeLogicalAndOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LogicalAndOptions{}, nil
}

func decodeLogicalNotOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &LogicalNotOptions{}, nil
}

func decodeUnpackOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &UnpackOptions{
		Num:  t.Int32(0, 0),
		Axis: t.Int32(1, 0),
	}
	return o, nil
}

func decodeFloorDivOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &FloorDivOptions{}, nil
}

func decodeSquareOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SquareOptions{}, nil
}

func decodeZerosLikeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &ZerosLikeOptions{}, nil
}

func decodeFillOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &FillOptions{}, nil
}

func decodeBidirectionalSequenceLSTMOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &BidirectionalSequenceLSTMOptions{
		FusedActivationFunction:  Activation(t.Int8(0, 0)),
		CellClip:                 t.Float32(1, 0),
		ProjClip:                 t.Float32(2, 0),
		MergeOutputs:             t.Bool(3, false),
		TimeMajor:                t.Bool(4, true),
		AsymmetricQuantizeInputs: t.Bool(5, false),
	}
	return o, nil
}

func decodeBidirectionalSequenceRNNOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &BidirectionalSequenceRNNOptions{
		TimeMajor:                t.Bool(0, false),
		FusedActivationFunction:  Activation(t.Int8(1, 0)),
		MergeOutputs:             t.Bool(2, false),
		AsymmetricQuantizeInputs: t.Bool(3, false),
	}
	return o, nil
}

func decodeUnidirectionalSequenceLSTMOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &UnidirectionalSequenceLSTMOptions{
		FusedActivationFunction:  Activation(t.Int8(0, 0)),
		CellClip:                 t.Float32(1, 0),
		ProjClip:                 t.Float32(2, 0),
		TimeMajor:                t.Bool(3, false),
		AsymmetricQuantizeInputs: t.Bool(4, false),
		DiagonalRecurrentTensors: t.Bool(5, false),
	}
	return o, nil
}

func decodeFloorModOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &FloorModOptions{}, nil
}

func decodeRangeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &RangeOptions{}, nil
}

func decodeResizeNearestNeighborOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ResizeNearestNeighborOptions{
		AlignCorners:     t.Bool(0, false),
		HalfPixelCenters: t.Bool(1, false),
	}
	return o, nil
}

func decodeLeakyReluOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &LeakyReluOptions{
		Alpha: t.Float32(0, 0),
	}
	return o, nil
}

func decodeSquaredDifferenceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SquaredDifferenceOptions{}, nil
}

func decodeMirrorPadOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &MirrorPadOptions{
		Mode: t.Int8(0, 0),
	}
	return o, nil
}

func decodeAbsOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &AbsOptions{}, nil
}

func decodeSplitVOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &SplitVOptions{
		NumSplits: t.Int32(0, 0),
	}
	return o, nil
}

func decodeUniqueOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &UniqueOptions{
		IdxOutType: t.Int8(0, 2),
	}
	return o, nil
}

func decodeReverseV2Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &ReverseV2Options{}, nil
}

func decodeAddNOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &AddNOptions{}, nil
}

func decodeGatherNdOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &GatherNdOptions{}, nil
}

func decodeCosOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &CosOptions{}, nil
}

func decodeWhereOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &WhereOptions{}, nil
}

func decodeRankOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &RankOptions{}, nil
}

func decodeReverseSequenceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ReverseSequenceOptions{
		SeqDim:   t.Int32(0, 0),
		BatchDim: t.Int32(1, 0),
	}
	return o, nil
}

func decodeMatrixDiagOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &MatrixDiagOptions{}, nil
}

func decodeQuantizeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &QuantizeOptions{}, nil
}

func decodeMatrixSetDiagOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &MatrixSetDiagOptions{}, nil
}

func decodeHardSwishOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &HardSwishOptions{}, nil
}

func decodeIfOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &IfOptions{
		ThenSubgraphIndex: t.Int32(0, 0),
		ElseSubgraphIndex: t.Int32(1, 0),
	}
	return o, nil
}

func decodeWhileOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &WhileOptions{
		CondSubgraphIndex: t.Int32(0, 0),
		BodySubgraphIndex: t.Int32(1, 0),
	}
	return o, nil
}

func decodeDepthToSpaceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &DepthToSpaceOptions{
		BlockSize: t.Int32(0, 0),
	}
	return o, nil
}

func decodeNonMaxSuppressionV4Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &NonMaxSuppressionV4Options{}, nil
}

func decodeNonMaxSuppressionV5Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &NonMaxSuppressionV5Options{}, nil
}

func decodeScatterNdOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &ScatterNdOptions{}, nil
}

func decodeSelectV2Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &SelectV2Options{}, nil
}

func decodeDensifyOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &DensifyOptions{}, nil
}

func decodeSegmentSumOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SegmentSumOptions{}, nil
}

func decodeBatchMatMulOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &BatchMatMulOptions{
		AdjX:                     t.Bool(0, false),
		AdjY:                     t.Bool(1, false),
		AsymmetricQuantizeInputs: t.Bool(2, false),
	}
	return o, nil
}

func decodeCumsumOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &CumsumOptions{
		Exclusive: t.Bool(0, false),
		Reverse:   t.Bool(1, false),
	}
	return o, nil
}

func decodeCallOnceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &CallOnceOptions{
		InitSubgraphIndex: t.Int32(0, 0),
	}
	return o, nil
}

func decodeBroadcastToOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &BroadcastToOptions{}, nil
}

func decodeRfft2dOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &Rfft2dOptions{}, nil
}

func decodeConv3DOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &Conv3DOptions{
		Padding:                 t.Int8(0, 0),
		StrideD:                 t.Int32(1, 0),
		StrideW:                 t.Int32(2, 0),
		StrideH:                 t.Int32(3, 0),
		FusedActivationFunction: Activation(t.Int8(4, 0)),
		DilationDFactor:         t.Int32(5, 1),
		DilationWFactor:         t.Int32(6, 1),
		DilationHFactor:         t.Int32(7, 1),
	}
	return o, nil
}

func decodeHashtableOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &HashtableOptions{
		TableId:    t.Int32(0, 0),
		KeyDtype:   t.Int8(1, 0),
		ValueDtype: t.Int8(2, 0),
	}
	return o, nil
}

func decodeHashtableFindOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &HashtableFindOptions{}, nil
}

func decodeHashtableImportOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &HashtableImportOptions{}, nil
}

func decodeHashtableSizeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &HashtableSizeOptions{}, nil
}

func decodeVarHandleOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &VarHandleOptions{}
	var err error
	if o.Container, err = optString(t, 0, d, "container"); err != nil {
		return nil, err
	}
	if o.SharedName, err = optString(t, 1, d, "shared_name"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeReadVariableOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &ReadVariableOptions{}, nil
}

func decodeAssignVariableOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &AssignVariableOptions{}, nil
}

func decodeRandomOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &RandomOptions{
		Seed:  t.Int64(0, 0),
		Seed2: t.Int64(1, 0),
	}
	return o, nil
}

func decodeBucketizeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &BucketizeOptions{}
	var err error
	if o.Boundaries, err = optFloat32s(t, 0, d, "boundaries"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeGeluOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &GeluOptions{
		Approximate: t.Bool(0, false),
	}
	return o, nil
}

func decodeDynamicUpdateSliceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &DynamicUpdateSliceOptions{}, nil
}

func decodeUnsortedSegmentProdOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &UnsortedSegmentProdOptions{}, nil
}

func decodeUnsortedSegmentMaxOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &UnsortedSegmentMaxOptions{}, nil
}

func decodeUnsortedSegmentMinOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &UnsortedSegmentMinOptions{}, nil
}

func decodeUnsortedSegmentSumOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &UnsortedSegmentSumOptions{}, nil
}

func decodeATan2Options(t flatbuf.Table, d optDecoder) (any, error) {
	return &ATan2Options{}, nil
}

func decodeSignOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &SignOptions{}, nil
}

func decodeBitcastOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &BitcastOptions{}, nil
}

func decodeBitwiseXorOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &BitwiseXorOptions{}, nil
}

func decodeRightShiftOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &RightShiftOptions{}, nil
}

func decodeStablehloConcatenateOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloConcatenateOptions{
		Dimension: t.Int64(0, 0),
	}
	return o, nil
}

func decodeStablehloBroadcastInDimOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloBroadcastInDimOptions{}
	var err error
	if o.BroadcastDimensions, err = optInt64s(t, 0, d, "broadcast_dimensions"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloSliceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloSliceOptions{}
	var err error
	if o.StartIndices, err = optInt64s(t, 0, d, "start_indices"); err != nil {
		return nil, err
	}
	if o.LimitIndices, err = optInt64s(t, 1, d, "limit_indices"); err != nil {
		return nil, err
	}
	if o.Strides, err = optInt64s(t, 2, d, "strides"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloConvolutionOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloConvolutionOptions{
		InputBatchDimension:          t.Int64(5, 0),
		InputFeatureDimension:        t.Int64(6, 0),
		KernelInputFeatureDimension:  t.Int64(8, 0),
		KernelOutputFeatureDimension: t.Int64(9, 0),
		OutputBatchDimension:         t.Int64(11, 0),
		OutputFeatureDimension:       t.Int64(12, 0),
		FeatureGroupCount:            t.Int64(14, 0),
		BatchGroupCount:              t.Int64(15, 0),
	}
	var err error
	if o.WindowStrides, err = optInt64s(t, 0, d, "window_strides"); err != nil {
		return nil, err
	}
	if o.Padding, err = optInt64s(t, 1, d, "padding"); err != nil {
		return nil, err
	}
	if o.LhsDilation, err = optInt64s(t, 2, d, "lhs_dilation"); err != nil {
		return nil, err
	}
	if o.RhsDilation, err = optInt64s(t, 3, d, "rhs_dilation"); err != nil {
		return nil, err
	}
	if o.WindowReversal, err = optBools(t, 4, d, "window_reversal"); err != nil {
		return nil, err
	}
	if o.InputSpatialDimensions, err = optInt64s(t, 7, d, "input_spatial_dimensions"); err != nil {
		return nil, err
	}
	if o.KernelSpatialDimensions, err = optInt64s(t, 10, d, "kernel_spatial_dimensions"); err != nil {
		return nil, err
	}
	if o.OutputSpatialDimensions, err = optInt64s(t, 13, d, "output_spatial_dimensions"); err != nil {
		return nil, err
	}
	if o.PrecisionConfig, err = optUint32s(t, 16, d, "precision_config"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloCustomCallOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloCustomCallOptions{
		HasSideEffect: t.Bool(1, false),
		ApiVersion:    t.Int32(3, 0),
	}
	var err error
	if o.CallTargetName, err = optString(t, 0, d, "call_target_name"); err != nil {
		return nil, err
	}
	if o.BackendConfig, err = optString(t, 2, d, "backend_config"); err != nil {
		return nil, err
	}
	if o.CalledComputations, err = optInt32s(t, 4, d, "called_computations"); err != nil {
		return nil, err
	}
	if o.CustomAttributes, err = optBytes(t, 5, d, "custom_attributes"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloReduceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloReduceOptions{
		BodySubgraphIndex: t.Int32(1, 0),
	}
	var err error
	if o.Dimensions, err = optInt64s(t, 0, d, "dimensions"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloScatterOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloScatterOptions{
		IndicesAreSorted:               t.Bool(0, false),
		IndexVectorDim:                 t.Int64(4, 0),
		UniqueIndices:                  t.Bool(5, false),
		UpdateComputationSubgraphIndex: t.Int32(6, 0),
	}
	var err error
	if o.UpdateWindowDims, err = optInt64s(t, 1, d, "update_window_dims"); err != nil {
		return nil, err
	}
	if o.InsertedWindowDims, err = optInt64s(t, 2, d, "inserted_window_dims"); err != nil {
		return nil, err
	}
	if o.ScatterDimsToOperandDims, err = optInt64s(t, 3, d, "scatter_dims_to_operand_dims"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloCompareOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloCompareOptions{
		ComparisonDirection: t.Uint32(0, 0),
		CompareType:         t.Uint32(1, 0),
	}
	return o, nil
}

func decodeStablehloDynamicSliceOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloDynamicSliceOptions{}
	var err error
	if o.SliceSizes, err = optInt64s(t, 0, d, "slice_sizes"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloPadOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloPadOptions{}
	var err error
	if o.EdgePaddingLow, err = optInt64s(t, 0, d, "edge_padding_low"); err != nil {
		return nil, err
	}
	if o.EdgePaddingHigh, err = optInt64s(t, 1, d, "edge_padding_high"); err != nil {
		return nil, err
	}
	if o.InteriorPadding, err = optInt64s(t, 2, d, "interior_padding"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloIotaOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloIotaOptions{
		IotaDimension: t.Int64(0, 0),
	}
	return o, nil
}

func decodeStablehloDotGeneralOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloDotGeneralOptions{}
	var err error
	if o.LhsBatchingDimensions, err = optInt64s(t, 0, d, "lhs_batching_dimensions"); err != nil {
		return nil, err
	}
	if o.RhsBatchingDimensions, err = optInt64s(t, 1, d, "rhs_batching_dimensions"); err != nil {
		return nil, err
	}
	if o.LhsContractingDimensions, err = optInt64s(t, 2, d, "lhs_contracting_dimensions"); err != nil {
		return nil, err
	}
	if o.RhsContractingDimensions, err = optInt64s(t, 3, d, "rhs_contracting_dimensions"); err != nil {
		return nil, err
	}
	if o.PrecisionConfig, err = optUint32s(t, 4, d, "precision_config"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloReduceWindowOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloReduceWindowOptions{
		BodySubgraphIndex: t.Int32(5, 0),
	}
	var err error
	if o.WindowDimensions, err = optInt64s(t, 0, d, "window_dimensions"); err != nil {
		return nil, err
	}
	if o.WindowStrides, err = optInt64s(t, 1, d, "window_strides"); err != nil {
		return nil, err
	}
	if o.BaseDilations, err = optInt64s(t, 2, d, "base_dilations"); err != nil {
		return nil, err
	}
	if o.WindowDilations, err = optInt64s(t, 3, d, "window_dilations"); err != nil {
		return nil, err
	}
	if o.Padding, err = optInt64s(t, 4, d, "padding"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloSortOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloSortOptions{
		Dimension:               t.Int64(0, 0),
		IsStable:                t.Bool(1, false),
		ComparatorSubgraphIndex: t.Int32(2, 0),
	}
	return o, nil
}

func decodeStablehloWhileOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloWhileOptions{
		CondSubgraphIndex: t.Int32(0, 0),
		BodySubgraphIndex: t.Int32(1, 0),
	}
	return o, nil
}

func decodeStablehloGatherOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloGatherOptions{
		IndexVectorDim:   t.Int64(3, 0),
		IndicesAreSorted: t.Bool(5, false),
	}
	var err error
	if o.OffsetDims, err = optInt64s(t, 0, d, "offset_dims"); err != nil {
		return nil, err
	}
	if o.CollapsedSliceDims, err = optInt64s(t, 1, d, "collapsed_slice_dims"); err != nil {
		return nil, err
	}
	if o.StartIndexMap, err = optInt64s(t, 2, d, "start_index_map"); err != nil {
		return nil, err
	}
	if o.SliceSizes, err = optInt64s(t, 4, d, "slice_sizes"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloTransposeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloTransposeOptions{}
	var err error
	if o.Permutation, err = optInt64s(t, 0, d, "permutation"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeDilateOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &DilateOptions{}, nil
}

func decodeStablehloRngBitGeneratorOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloRngBitGeneratorOptions{
		Algorithm: t.Int8(0, 0),
	}
	return o, nil
}

func decodeReduceWindowOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &ReduceWindowOptions{
		ReduceFunction: t.Int32(0, 0),
	}
	return o, nil
}

func decodeStableHLOCompositeOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StableHLOCompositeOptions{
		DecompositionSubgraphIndex: t.Int32(1, 0),
		CompositeAttributesFormat:  t.Int8(3, 0),
		Version:                    t.Int32(4, 0),
	}
	var err error
	if o.Name, err = optString(t, 0, d, "name"); err != nil {
		return nil, err
	}
	if o.CompositeAttributes, err = optBytes(t, 2, d, "composite_attributes"); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeStablehloShiftLeftOptions(t flatbuf.Table, d optDecoder) (any, error) {
	return &StablehloShiftLeftOptions{}, nil
}

func decodeStablehloCaseOptions(t flatbuf.Table, d optDecoder) (any, error) {
	o := &StablehloCaseOptions{}
	var err error
	if o.BranchSubgraphIndices, err = optInt32s(t, 0, d, "branch_subgraph_indices"); err != nil {
		return nil, err
	}
	return o, nil
}

// optionTypes are the members of the BuiltinOptions union by type id (0 is NONE).
var optionTypes = [127]optionType{
	1:   {"Conv2DOptions", decodeConv2DOptions},
	2:   {"DepthwiseConv2DOptions", decodeDepthwiseConv2DOptions},
	3:   {"ConcatEmbeddingsOptions", decodeConcatEmbeddingsOptions},
	4:   {"LSHProjectionOptions", decodeLSHProjectionOptions},
	5:   {"Pool2DOptions", decodePool2DOptions},
	6:   {"SVDFOptions", decodeSVDFOptions},
	7:   {"RNNOptions", decodeRNNOptions},
	8:   {"FullyConnectedOptions", decodeFullyConnectedOptions},
	9:   {"SoftmaxOptions", decodeSoftmaxOptions},
	10:  {"ConcatenationOptions", decodeConcatenationOptions},
	11:  {"AddOptions", decodeAddOptions},
	12:  {"L2NormOptions", decodeL2NormOptions},
	13:  {"LocalResponseNormalizationOptions", decodeLocalResponseNormalizationOptions},
	14:  {"LSTMOptions", decodeLSTMOptions},
	15:  {"ResizeBilinearOptions", decodeResizeBilinearOptions},
	16:  {"CallOptions", decodeCallOptions},
	17:  {"ReshapeOptions", decodeReshapeOptions},
	18:  {"SkipGramOptions", decodeSkipGramOptions},
	19:  {"SpaceToDepthOptions", decodeSpaceToDepthOptions},
	20:  {"EmbeddingLookupSparseOptions", decodeEmbeddingLookupSparseOptions},
	21:  {"MulOptions", decodeMulOptions},
	22:  {"PadOptions", decodePadOptions},
	23:  {"GatherOptions", decodeGatherOptions},
	24:  {"BatchToSpaceNDOptions", decodeBatchToSpaceNDOptions},
	25:  {"SpaceToBatchNDOptions", decodeSpaceToBatchNDOptions},
	26:  {"TransposeOptions", decodeTransposeOptions},
	27:  {"ReducerOptions", decodeReducerOptions},
	28:  {"SubOptions", decodeSubOptions},
	29:  {"DivOptions", decodeDivOptions},
	30:  {"SqueezeOptions", decodeSqueezeOptions},
	31:  {"SequenceRNNOptions", decodeSequenceRNNOptions},
	32:  {"StridedSliceOptions", decodeStridedSliceOptions},
	33:  {"ExpOptions", decodeExpOptions},
	34:  {"TopKV2Options", decodeTopKV2Options},
	35:  {"SplitOptions", decodeSplitOptions},
	36:  {"LogSoftmaxOptions", decodeLogSoftmaxOptions},
	37:  {"CastOptions", decodeCastOptions},
	38:  {"DequantizeOptions", decodeDequantizeOptions},
	39:  {"MaximumMinimumOptions", decodeMaximumMinimumOptions},
	40:  {"ArgMaxOptions", decodeArgMaxOptions},
	41:  {"LessOptions", decodeLessOptions},
	42:  {"NegOptions", decodeNegOptions},
	43:  {"PadV2Options", decodePadV2Options},
	44:  {"GreaterOptions", decodeGreaterOptions},
	45:  {"GreaterEqualOptions", decodeGreaterEqualOptions},
	46:  {"LessEqualOptions", decodeLessEqualOptions},
	47:  {"SelectOptions", decodeSelectOptions},
	48:  {"SliceOptions", decodeSliceOptions},
	49:  {"TransposeConvOptions", decodeTransposeConvOptions},
	50:  {"SparseToDenseOptions", decodeSparseToDenseOptions},
	51:  {"TileOptions", decodeTileOptions},
	52:  {"ExpandDimsOptions", decodeExpandDimsOptions},
	53:  {"EqualOptions", decodeEqualOptions},
	54:  {"NotEqualOptions", decodeNotEqualOptions},
	55:  {"ShapeOptions", decodeShapeOptions},
	56:  {"PowOptions", decodePowOptions},
	57:  {"ArgMinOptions", decodeArgMinOptions},
	58:  {"FakeQuantOptions", decodeFakeQuantOptions},
	59:  {"PackOptions", decodePackOptions},
	60:  {"LogicalOrOptions", decodeLogicalOrOptions},
	61:  {"OneHotOptions", decodeOneHotOptions},
	62:  {"LogicalAndOptions", decodeLogicalAndOptions},
	63:  {"LogicalNotOptions", decodeLogicalNotOptions},
	64:  {"UnpackOptions", decodeUnpackOptions},
	65:  {"FloorDivOptions", decodeFloorDivOptions},
	66:  {"SquareOptions", decodeSquareOptions},
	67:  {"ZerosLikeOptions", decodeZerosLikeOptions},
	68:  {"FillOptions", decodeFillOptions},
	69:  {"BidirectionalSequenceLSTMOptions", decodeBidirectionalSequenceLSTMOptions},
	70:  {"BidirectionalSequenceRNNOptions", decodeBidirectionalSequenceRNNOptions},
	71:  {"UnidirectionalSequenceLSTMOptions", decodeUnidirectionalSequenceLSTMOptions},
	72:  {"FloorModOptions", decodeFloorModOptions},
	73:  {"RangeOptions", decodeRangeOptions},
	74:  {"ResizeNearestNeighborOptions", decodeResizeNearestNeighborOptions},
	75:  {"LeakyReluOptions", decodeLeakyReluOptions},
	76:  {"SquaredDifferenceOptions", decodeSquaredDifferenceOptions},
	77:  {"MirrorPadOptions", decodeMirrorPadOptions},
	78:  {"AbsOptions", decodeAbsOptions},
	79:  {"SplitVOptions", decodeSplitVOptions},
	80:  {"UniqueOptions", decodeUniqueOptions},
	81:  {"ReverseV2Options", decodeReverseV2Options},
	82:  {"AddNOptions", decodeAddNOptions},
	83:  {"GatherNdOptions", decodeGatherNdOptions},
	84:  {"CosOptions", decodeCosOptions},
	85:  {"WhereOptions", decodeWhereOptions},
	86:  {"RankOptions", decodeRankOptions},
	87:  {"ReverseSequenceOptions", decodeReverseSequenceOptions},
	88:  {"MatrixDiagOptions", decodeMatrixDiagOptions},
	89:  {"QuantizeOptions", decodeQuantizeOptions},
	90:  {"MatrixSetDiagOptions", decodeMatrixSetDiagOptions},
	91:  {"HardSwishOptions", decodeHardSwishOptions},
	92:  {"IfOptions", decodeIfOptions},
	93:  {"WhileOptions", decodeWhileOptions},
	94:  {"DepthToSpaceOptions", decodeDepthToSpaceOptions},
	95:  {"NonMaxSuppressionV4Options", decodeNonMaxSuppressionV4Options},
	96:  {"NonMaxSuppressionV5Options", decodeNonMaxSuppressionV5Options},
	97:  {"ScatterNdOptions", decodeScatterNdOptions},
	98:  {"SelectV2Options", decodeSelectV2Options},
	99:  {"DensifyOptions", decodeDensifyOptions},
	100: {"SegmentSumOptions", decodeSegmentSumOptions},
	101: {"BatchMatMulOptions", decodeBatchMatMulOptions},
	102: {"CumsumOptions", decodeCumsumOptions},
	103: {"CallOnceOptions", decodeCallOnceOptions},
	104: {"BroadcastToOptions", decodeBroadcastToOptions},
	105: {"Rfft2dOptions", decodeRfft2dOptions},
	106: {"Conv3DOptions", decodeConv3DOptions},
	107: {"HashtableOptions", decodeHashtableOptions},
	108: {"HashtableFindOptions", decodeHashtableFindOptions},
	109: {"HashtableImportOptions", decodeHashtableImportOptions},
	110: {"HashtableSizeOptions", decodeHashtableSizeOptions},
	111: {"VarHandleOptions", decodeVarHandleOptions},
	112: {"ReadVariableOptions", decodeReadVariableOptions},
	113: {"AssignVariableOptions", decodeAssignVariableOptions},
	114: {"RandomOptions", decodeRandomOptions},
	115: {"BucketizeOptions", decodeBucketizeOptions},
	116: {"GeluOptions", decodeGeluOptions},
	117: {"DynamicUpdateSliceOptions", decodeDynamicUpdateSliceOptions},
	118: {"UnsortedSegmentProdOptions", decodeUnsortedSegmentProdOptions},
	119: {"UnsortedSegmentMaxOptions", decodeUnsortedSegmentMaxOptions},
	120: {"UnsortedSegmentMinOptions", decodeUnsortedSegmentMinOptions},
	121: {"UnsortedSegmentSumOptions", decodeUnsortedSegmentSumOptions},
	122: {"ATan2Options", decodeATan2Options},
	123: {"SignOptions", decodeSignOptions},
	124: {"BitcastOptions", decodeBitcastOptions},
	125: {"BitwiseXorOptions", decodeBitwiseXorOptions},
	126: {"RightShiftOptions", decodeRightShiftOptions},
}

// opOptions is the BuiltinOptions type id each operator takes; operators without one are absent.
var opOptions = map[Op]uint8{
	OpAdd:                        11,  // AddOptions
	OpAveragePool2d:              5,   // Pool2DOptions
	OpConcatenation:              10,  // ConcatenationOptions
	OpConv2d:                     1,   // Conv2DOptions
	OpDepthwiseConv2d:            2,   // DepthwiseConv2DOptions
	OpDepthToSpace:               94,  // DepthToSpaceOptions
	OpDequantize:                 38,  // DequantizeOptions
	OpFullyConnected:             8,   // FullyConnectedOptions
	OpL2Normalization:            12,  // L2NormOptions
	OpL2Pool2d:                   5,   // Pool2DOptions
	OpLocalResponseNormalization: 13,  // LocalResponseNormalizationOptions
	OpLshProjection:              4,   // LSHProjectionOptions
	OpLstm:                       14,  // LSTMOptions
	OpMaxPool2d:                  5,   // Pool2DOptions
	OpMul:                        21,  // MulOptions
	OpReshape:                    17,  // ReshapeOptions
	OpResizeBilinear:             15,  // ResizeBilinearOptions
	OpRnn:                        7,   // RNNOptions
	OpSoftmax:                    9,   // SoftmaxOptions
	OpSpaceToDepth:               19,  // SpaceToDepthOptions
	OpSvdf:                       6,   // SVDFOptions
	OpConcatEmbeddings:           3,   // ConcatEmbeddingsOptions
	OpSkipGram:                   18,  // SkipGramOptions
	OpCall:                       16,  // CallOptions
	OpEmbeddingLookupSparse:      20,  // EmbeddingLookupSparseOptions
	OpPad:                        22,  // PadOptions
	OpUnidirectionalSequenceRnn:  31,  // SequenceRNNOptions
	OpGather:                     23,  // GatherOptions
	OpBatchToSpaceNd:             24,  // BatchToSpaceNDOptions
	OpSpaceToBatchNd:             25,  // SpaceToBatchNDOptions
	OpTranspose:                  26,  // TransposeOptions
	OpMean:                       27,  // ReducerOptions
	OpSub:                        28,  // SubOptions
	OpDiv:                        29,  // DivOptions
	OpSqueeze:                    30,  // SqueezeOptions
	OpUnidirectionalSequenceLstm: 71,  // UnidirectionalSequenceLSTMOptions
	OpStridedSlice:               32,  // StridedSliceOptions
	OpBidirectionalSequenceRnn:   70,  // BidirectionalSequenceRNNOptions
	OpExp:                        33,  // ExpOptions
	OpTopkV2:                     34,  // TopKV2Options
	OpSplit:                      35,  // SplitOptions
	OpLogSoftmax:                 36,  // LogSoftmaxOptions
	OpBidirectionalSequenceLstm:  69,  // BidirectionalSequenceLSTMOptions
	OpCast:                       37,  // CastOptions
	OpMaximum:                    39,  // MaximumMinimumOptions
	OpArgMax:                     40,  // ArgMaxOptions
	OpMinimum:                    39,  // MaximumMinimumOptions
	OpLess:                       41,  // LessOptions
	OpNeg:                        42,  // NegOptions
	OpPadv2:                      43,  // PadV2Options
	OpGreater:                    44,  // GreaterOptions
	OpGreaterEqual:               45,  // GreaterEqualOptions
	OpLessEqual:                  46,  // LessEqualOptions
	OpSelect:                     47,  // SelectOptions
	OpSlice:                      48,  // SliceOptions
	OpTransposeConv:              49,  // TransposeConvOptions
	OpSparseToDense:              50,  // SparseToDenseOptions
	OpTile:                       51,  // TileOptions
	OpExpandDims:                 52,  // ExpandDimsOptions
	OpEqual:                      53,  // EqualOptions
	OpNotEqual:                   54,  // NotEqualOptions
	OpSum:                        27,  // ReducerOptions
	OpShape:                      55,  // ShapeOptions
	OpPow:                        56,  // PowOptions
	OpArgMin:                     57,  // ArgMinOptions
	OpFakeQuant:                  58,  // FakeQuantOptions
	OpReduceProd:                 27,  // ReducerOptions
	OpReduceMax:                  27,  // ReducerOptions
	OpPack:                       59,  // PackOptions
	OpLogicalOr:                  60,  // LogicalOrOptions
	OpOneHot:                     61,  // OneHotOptions
	OpLogicalAnd:                 62,  // LogicalAndOptions
	OpLogicalNot:                 63,  // LogicalNotOptions
	OpUnpack:                     64,  // UnpackOptions
	OpReduceMin:                  27,  // ReducerOptions
	OpFloorDiv:                   65,  // FloorDivOptions
	OpReduceAny:                  27,  // ReducerOptions
	OpSquare:                     66,  // SquareOptions
	OpZerosLike:                  67,  // ZerosLikeOptions
	OpFill:                       68,  // FillOptions
	OpFloorMod:                   72,  // FloorModOptions
	OpRange:                      73,  // RangeOptions
	OpResizeNearestNeighbor:      74,  // ResizeNearestNeighborOptions
	OpLeakyRelu:                  75,  // LeakyReluOptions
	OpSquaredDifference:          76,  // SquaredDifferenceOptions
	OpMirrorPad:                  77,  // MirrorPadOptions
	OpAbs:                        78,  // AbsOptions
	OpSplitV:                     79,  // SplitVOptions
	OpUnique:                     80,  // UniqueOptions
	OpReverseV2:                  81,  // ReverseV2Options
	OpAddN:                       82,  // AddNOptions
	OpGatherNd:                   83,  // GatherNdOptions
	OpCos:                        84,  // CosOptions
	OpWhere:                      85,  // WhereOptions
	OpRank:                       86,  // RankOptions
	OpReverseSequence:            87,  // ReverseSequenceOptions
	OpMatrixDiag:                 88,  // MatrixDiagOptions
	OpQuantize:                   89,  // QuantizeOptions
	OpMatrixSetDiag:              90,  // MatrixSetDiagOptions
	OpHardSwish:                  91,  // HardSwishOptions
	OpIf:                         92,  // IfOptions
	OpWhile:                      93,  // WhileOptions
	OpNonMaxSuppressionV4:        95,  // NonMaxSuppressionV4Options
	OpNonMaxSuppressionV5:        96,  // NonMaxSuppressionV5Options
	OpScatterNd:                  97,  // ScatterNdOptions
	OpSelectV2:                   98,  // SelectV2Options
	OpDensify:                    99,  // DensifyOptions
	OpSegmentSum:                 100, // SegmentSumOptions
	OpBatchMatmul:                101, // BatchMatMulOptions
	OpCumsum:                     102, // CumsumOptions
	OpCallOnce:                   103, // CallOnceOptions
	OpBroadcastTo:                104, // BroadcastToOptions
	OpRfft2d:                     105, // Rfft2dOptions
	OpConv3d:                     106, // Conv3DOptions
	OpHashtable:                  107, // HashtableOptions
	OpHashtableFind:              108, // HashtableFindOptions
	OpHashtableImport:            109, // HashtableImportOptions
	OpHashtableSize:              110, // HashtableSizeOptions
	OpReduceAll:                  27,  // ReducerOptions
	OpConv3dTranspose:            106, // Conv3DOptions
	OpVarHandle:                  111, // VarHandleOptions
	OpReadVariable:               112, // ReadVariableOptions
	OpAssignVariable:             113, // AssignVariableOptions
	OpRandomStandardNormal:       114, // RandomOptions
	OpBucketize:                  115, // BucketizeOptions
	OpRandomUniform:              114, // RandomOptions
	OpMultinomial:                114, // RandomOptions
	OpGelu:                       116, // GeluOptions
	OpDynamicUpdateSlice:         117, // DynamicUpdateSliceOptions
	OpUnsortedSegmentProd:        118, // UnsortedSegmentProdOptions
	OpUnsortedSegmentMax:         119, // UnsortedSegmentMaxOptions
	OpUnsortedSegmentSum:         121, // UnsortedSegmentSumOptions
	OpAtan2:                      122, // ATan2Options
	OpUnsortedSegmentMin:         120, // UnsortedSegmentMinOptions
	OpSign:                       123, // SignOptions
	OpBitcast:                    124, // BitcastOptions
	OpBitwiseXor:                 125, // BitwiseXorOptions
	OpRightShift:                 126, // RightShiftOptions
}

// optionTypes2 are the members of the BuiltinOptions2 union by type id (0 is NONE).
var optionTypes2 = [24]optionType{
	1:  {"StablehloConcatenateOptions", decodeStablehloConcatenateOptions},
	2:  {"StablehloBroadcastInDimOptions", decodeStablehloBroadcastInDimOptions},
	3:  {"StablehloSliceOptions", decodeStablehloSliceOptions},
	4:  {"StablehloConvolutionOptions", decodeStablehloConvolutionOptions},
	5:  {"StablehloCustomCallOptions", decodeStablehloCustomCallOptions},
	6:  {"StablehloReduceOptions", decodeStablehloReduceOptions},
	7:  {"StablehloScatterOptions", decodeStablehloScatterOptions},
	8:  {"StablehloCompareOptions", decodeStablehloCompareOptions},
	9:  {"StablehloDynamicSliceOptions", decodeStablehloDynamicSliceOptions},
	10: {"StablehloPadOptions", decodeStablehloPadOptions},
	11: {"StablehloIotaOptions", decodeStablehloIotaOptions},
	12: {"StablehloDotGeneralOptions", decodeStablehloDotGeneralOptions},
	13: {"StablehloReduceWindowOptions", decodeStablehloReduceWindowOptions},
	14: {"StablehloSortOptions", decodeStablehloSortOptions},
	15: {"StablehloWhileOptions", decodeStablehloWhileOptions},
	16: {"StablehloGatherOptions", decodeStablehloGatherOptions},
	17: {"StablehloTransposeOptions", decodeStablehloTransposeOptions},
	18: {"DilateOptions", decodeDilateOptions},
	19: {"StablehloRngBitGeneratorOptions", decodeStablehloRngBitGeneratorOptions},
	20: {"ReduceWindowOptions", decodeReduceWindowOptions},
	21: {"StableHLOCompositeOptions", decodeStableHLOCompositeOptions},
	22: {"StablehloShiftLeftOptions", decodeStablehloShiftLeftOptions},
	23: {"StablehloCaseOptions", decodeStablehloCaseOptions},
}

// opOptions2 is the BuiltinOptions2 type id each operator takes; operators without one are absent.
var opOptions2 = map[Op]uint8{
	OpStablehloConcatenate:     1,  // StablehloConcatenateOptions
	OpStablehloBroadcastInDim:  2,  // StablehloBroadcastInDimOptions
	OpStablehloConvolution:     4,  // StablehloConvolutionOptions
	OpStablehloSlice:           3,  // StablehloSliceOptions
	OpStablehloCustomCall:      5,  // StablehloCustomCallOptions
	OpStablehloReduce:          6,  // StablehloReduceOptions
	OpStablehloScatter:         7,  // StablehloScatterOptions
	OpStablehloCompare:         8,  // StablehloCompareOptions
	OpStablehloDynamicSlice:    9,  // StablehloDynamicSliceOptions
	OpStablehloPad:             10, // StablehloPadOptions
	OpStablehloIota:            11, // StablehloIotaOptions
	OpStablehloDotGeneral:      12, // StablehloDotGeneralOptions
	OpStablehloReduceWindow:    13, // StablehloReduceWindowOptions
	OpStablehloSort:            14, // StablehloSortOptions
	OpStablehloWhile:           15, // StablehloWhileOptions
	OpStablehloGather:          16, // StablehloGatherOptions
	OpStablehloTranspose:       17, // StablehloTransposeOptions
	OpDilate:                   18, // DilateOptions
	OpStablehloRngBitGenerator: 19, // StablehloRngBitGeneratorOptions
	OpReduceWindow:             20, // ReduceWindowOptions
	OpStablehloComposite:       21, // StableHLOCompositeOptions
	OpStablehloShiftLeft:       22, // StablehloShiftLeftOptions
	OpStablehloCase:            23, // StablehloCaseOptions
}
