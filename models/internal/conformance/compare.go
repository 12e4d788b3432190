package conformance

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/axle-edge/axle/models"
)

// Tolerance turns a case's absolute tolerance into the one a runtime is
// held to for an output of type dt with golden values want.
type Tolerance func(caseTol float64, dt models.DType, want []float64) float64

// CheckOutputs compares the outputs of a run (outs and their infos in the
// case's order, as Run returns them) with the case's expectations: an
// argmax, or a golden file within the tolerance, compared in the tensor's
// own units. tol may be nil: the case's tolerance then applies as is.
// It returns how many expectations it checked (0: golden pending) and one
// message per output that fails, naming the output, the element and how
// far off it is.
func (c *Case) CheckOutputs(outs [][]byte, infos []models.TensorInfo, tol Tolerance) (checked int, problems []string) {
	for i, o := range c.Outputs {
		info := infos[i]
		// The case lists the shape the model declares; a dynamic output
		// may differ at run time, and then the golden's size decides.
		if info.DType.String() != o.DType || (!slices.Equal(info.Shape, o.Shape) && o.File == nil) {
			problems = append(problems, fmt.Sprintf("out%d is %s%v, case %s%v", i, info.DType, info.Shape, o.DType, o.Shape))
			continue
		}
		got, err := Float64s(outs[i], info.DType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("out%d: %v", i, err))
			continue
		}
		switch {
		case o.Argmax != nil:
			checked++
			if a := Argmax(got); a != *o.Argmax {
				problems = append(problems, fmt.Sprintf("out%d argmax %d, want %d", i, a, *o.Argmax))
			}
		case o.File != nil:
			checked++
			want, err := readGolden(c.Path(*o.File), info.DType, len(got))
			if err != nil {
				problems = append(problems, fmt.Sprintf("out%d: %v", i, err))
				continue
			}
			t := 0.0
			if o.Tolerance != nil {
				t = o.Tolerance.Abs
			}
			if tol != nil {
				t = tol(t, info.DType, want)
			}
			if p := compare(got, want, t); p != "" {
				problems = append(problems, fmt.Sprintf("out%d %s", i, p))
			}
		}
	}
	return checked, problems
}

// compare says where got is farthest from want if that is more than tol
// (or NaN on one side only); "" when within tol. got and want have the
// same length.
func compare(got, want []float64, tol float64) string {
	maxErr, at := 0.0, 0
	for k := range got {
		if d := math.Abs(got[k] - want[k]); d > maxErr || math.IsNaN(d) {
			maxErr, at = d, k
		}
	}
	if maxErr > tol || math.IsNaN(maxErr) {
		return fmt.Sprintf("max abs error %g at %d (got %g, want %g), tolerance %g", maxErr, at, got[at], want[at], tol)
	}
	return ""
}

// readGolden reads a golden file of dtype dt that must hold n elements.
func readGolden(path string, dt models.DType, n int) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := Float64s(b, dt)
	if err != nil {
		return nil, err
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s has %d elements, output %d", filepath.Base(path), len(v), n)
	}
	return v, nil
}

// Float64s decodes raw little-endian tensor data of dtype dt to float64
// (exact for every type it accepts but int64 beyond 2^53).
func Float64s(b []byte, dt models.DType) ([]float64, error) {
	size := dt.Size()
	if size == 0 || len(b)%size != 0 {
		return nil, fmt.Errorf("cannot compare %d bytes of %s", len(b), dt)
	}
	out := make([]float64, len(b)/size)
	le := binary.LittleEndian
	for i := range out {
		p := b[i*size:]
		switch dt {
		case models.Float32:
			out[i] = float64(math.Float32frombits(le.Uint32(p)))
		case models.Float64:
			out[i] = math.Float64frombits(le.Uint64(p))
		case models.Int8:
			out[i] = float64(int8(p[0]))
		case models.UInt8, models.Bool:
			out[i] = float64(p[0])
		case models.Int16:
			out[i] = float64(int16(le.Uint16(p)))
		case models.UInt16:
			out[i] = float64(le.Uint16(p))
		case models.Int32:
			out[i] = float64(int32(le.Uint32(p)))
		case models.UInt32:
			out[i] = float64(le.Uint32(p))
		case models.Int64:
			out[i] = float64(int64(le.Uint64(p)))
		default:
			return nil, fmt.Errorf("cannot compare %s", dt)
		}
	}
	return out, nil
}

// Argmax is the index of the first largest element of v (0 for an empty v).
func Argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
