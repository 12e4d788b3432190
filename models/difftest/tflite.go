//go:build tflite

package difftest

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/axle-edge/axle/models"
	tfl "github.com/mattn/go-tflite"
)

// ErrRefused marks a model TensorFlow Lite does not accept (model parse,
// interpreter creation, Prepare or Invoke failed): an invalid combination,
// skipped rather than counted as a disagreement. TFLite's own message goes
// to stderr through its default error reporter.
var ErrRefused = errors.New("difftest: TFLite refused the model")

// tflTypes maps TfLiteType values to dtypes.
var tflTypes = map[tfl.TensorType]models.DType{
	1: models.Float32, 2: models.Int32, 3: models.UInt8, 4: models.Int64,
	6: models.Bool, 7: models.Int16, 8: models.Complex64, 9: models.Int8,
	10: models.Float16, 11: models.Float64, 13: models.UInt64, 16: models.UInt32, 17: models.UInt16,
}

// RunTFLite runs c on the TensorFlow Lite C library with one thread and the
// builtin CPU kernels, and returns copies of its outputs.
func RunTFLite(c *Case) ([]Tensor, error) {
	m := tfl.NewModel(c.Model)
	if m == nil {
		return nil, fmt.Errorf("%w: model parse", ErrRefused)
	}
	defer m.Delete()
	o := tfl.NewInterpreterOptions()
	defer o.Delete()
	o.SetNumThread(1)
	it := tfl.NewInterpreter(m, o)
	if it == nil {
		return nil, fmt.Errorf("%w: interpreter create", ErrRefused)
	}
	defer it.Delete()
	if it.AllocateTensors() != tfl.OK {
		return nil, fmt.Errorf("%w: allocate tensors (Prepare)", ErrRefused)
	}
	if n := it.GetInputTensorCount(); n != len(c.Inputs) {
		return nil, fmt.Errorf("difftest: TFLite sees %d inputs, case has %d", n, len(c.Inputs))
	}
	for i, in := range c.Inputs {
		t := it.GetInputTensor(i)
		if int(t.ByteSize()) != len(in.Data) {
			return nil, fmt.Errorf("difftest: TFLite input %d is %d bytes, case has %d", i, t.ByteSize(), len(in.Data))
		}
		if len(in.Data) > 0 {
			copy(unsafe.Slice((*byte)(t.Data()), len(in.Data)), in.Data)
		}
	}
	if it.Invoke() != tfl.OK {
		return nil, fmt.Errorf("%w: invoke", ErrRefused)
	}
	outs := make([]Tensor, it.GetOutputTensorCount())
	for i := range outs {
		t := it.GetOutputTensor(i)
		dt, ok := tflTypes[t.Type()]
		if !ok {
			return nil, fmt.Errorf("difftest: TFLite output %d has type %d", i, t.Type())
		}
		n := int(t.ByteSize())
		data := []byte{}
		if n > 0 {
			data = append(data, unsafe.Slice((*byte)(t.Data()), n)...)
		}
		outs[i] = Tensor{DType: dt.String(), Shape: t.Shape(), Data: data}
	}
	return outs, nil
}
