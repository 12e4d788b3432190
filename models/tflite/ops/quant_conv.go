package ops

import "github.com/axle-edge/axle/models"

// The integer paths of CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and
// FULLY_CONNECTED share one quantisation prepare: input, filter and output
// scales and zero points, the per-channel or per-tensor output multipliers,
// the fused activation's clamp range, the bias type and, for int16x8, the
// accumulator width. What differs between the four is in quantSpec.

// quantPath is the integer arithmetic a kernel runs.
type quantPath uint8

const (
	qInt8       quantPath = iota // int8 activations and filter, int32 bias
	qUint8                       // uint8 activations and filter, per-tensor
	qInt16Acc64                  // int16 activations, int64 accumulators
	qInt16Acc32                  // int16 activations, int32 accumulators
)

// int16Bias is how an int16x8 kernel picks its accumulator.
type int16Bias uint8

const (
	// int16BiasOption: from the bias type, or without bias from the
	// quantized_bias_type option (acc32For16x8).
	int16BiasOption int16Bias = iota
	// int16BiasInt64: the bias must be int64, accumulators are 64-bit.
	int16BiasInt64
	// int16BiasOptionOrInt16: like int16BiasOption, and an int16 bias
	// (widened to int64 as TFLite Micro does) takes 64-bit accumulators.
	int16BiasOptionOrInt16
)

// quantSpec is what one operator family's integer paths allow.
type quantSpec struct {
	what       string // for messages: "convolution", "fully connected", ...
	filter     string // "filter" or "weights", for messages
	filterAxis int    // the filter dimension of the output channels
	channels   int
	uint8      bool // a uint8 path exists
	// int16Filter: int16 activations may also have int16 weights
	// (always 64-bit accumulators).
	int16Filter bool
	// symmetric: int8 and int16 filters must have zero point 0.
	symmetric bool
	// productPerTensor: a per-tensor filter scale takes TFLite's float32
	// product multiplier (GetQuantizedConvolutionMultipler) on every path,
	// not only uint8.
	productPerTensor bool
	int16Bias        int16Bias
	qbt              int8 // quantized_bias_type option
}

// quantParams is what prepareQuant derives; mult and shift have one entry
// per output channel and come from Context.Alloc.
type quantParams struct {
	path                  quantPath
	inZP, outZP, filterZP int32 // filterZP: 0 for per-channel filters
	qLo, qHi              int32
	mult                  []int32
	shift                 []int
}

// prepareQuant validates the quantization of an integer convolution or
// fully connected node and derives its requantization parameters. Errors
// name the node, the tensor and what was wrong.
func prepareQuant(c Context, n *Node, qs quantSpec, in, filter, bias, out *Tensor, act Activation) (quantParams, error) {
	var p quantParams
	if !isQuantType(in.Type) || (in.Type == models.UInt8 && !qs.uint8) {
		return p, n.Errorf("input type %s is not supported", in.Type)
	}
	inScale, inZP, err := tensorScale(n, "input", in)
	if err != nil {
		return p, err
	}
	outScale, outZP, err := tensorScale(n, "output", out)
	if err != nil {
		return p, err
	}
	fs, err := filterScales(c, n, filter, qs.filterAxis, qs.channels)
	if err != nil {
		return p, err
	}
	perChannel := filter.Quant.PerChannel()
	p.inZP, p.outZP = inZP, outZP
	if !perChannel {
		p.filterZP = filter.ZeroPoint()
	}
	p.qLo, p.qHi = quantActRange(act, out, outScale, outZP)

	wantFilter := models.Int8
	switch in.Type {
	case models.UInt8:
		wantFilter = models.UInt8
	case models.Int16:
		if qs.int16Filter && filter.Type == models.Int16 {
			wantFilter = models.Int16
		}
	}
	if filter.Type != wantFilter {
		alt := ""
		if in.Type == models.Int16 && qs.int16Filter {
			alt = " or int16"
		}
		art := article(wantFilter) + " "
		if qs.filter == "weights" {
			art = ""
		}
		return p, n.Errorf("%s input needs %s%s%s %s, got %s", in.Type, art, wantFilter, alt, qs.filter, filter.Type)
	}
	if qs.symmetric && in.Type != models.UInt8 {
		if err := zeroFilterZeroPoints(n, filter); err != nil {
			return p, err
		}
	}
	if in.Type == models.UInt8 && perChannel {
		return p, n.Errorf("uint8 %s does not support per-channel filter scales", qs.what)
	}

	if (in.Type == models.UInt8 || qs.productPerTensor) && !perChannel {
		m, s := productMultiplier(inScale, fs[0], outScale)
		if err := allocAll(c, slot(&p.mult, qs.channels), slot(&p.shift, qs.channels)); err != nil {
			return p, n.Errorf("%v", err)
		}
		for i := range p.mult {
			p.mult[i], p.shift[i] = m, s
		}
	} else if p.mult, p.shift, err = perChannelMultipliers(c, n, inScale, outScale, fs); err != nil {
		return p, err
	}

	if in.Type != models.Int16 {
		if bias != nil && bias.Type != models.Int32 {
			return p, n.Errorf("%s %s needs an int32 bias, got %s", in.Type, qs.what, bias.Type)
		}
		p.path = qInt8
		if in.Type == models.UInt8 {
			p.path = qUint8
		}
		return p, nil
	}
	if inZP != 0 || outZP != 0 {
		return p, n.Errorf("int16 input and output need zero point 0, got %d and %d", inZP, outZP)
	}
	acc32 := false
	switch {
	case qs.int16Bias == int16BiasInt64:
		if bias != nil && bias.Type != models.Int64 {
			return p, n.Errorf("int16 %s needs an int64 bias, got %s", qs.what, bias.Type)
		}
	case qs.int16Bias == int16BiasOptionOrInt16 && bias != nil && bias.Type == models.Int16:
	default:
		if acc32, err = acc32For16x8(n, bias, qs.qbt); err != nil {
			return p, err
		}
	}
	if acc32 && filter.Type == models.Int8 {
		p.path = qInt16Acc32
		return p, nil
	}
	p.path = qInt16Acc64
	return p, checkShift64(n, p.shift)
}

// article is "an" before int8 and int16, "a" before uint8.
func article(t models.DType) string {
	if t == models.UInt8 {
		return "a"
	}
	return "an"
}
