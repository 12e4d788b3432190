package difftest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Gen generates random models for one op (or one chain of ops).
type Gen struct {
	Name  string   // op name as in the schema, or chain_... for chains
	Types []string // type variants, e.g. "float32", "int8", "int16x8"
	// Tol is the relative float tolerance; 0 means DefaultTol.
	Tol   float64
	build func(g *gen, typ string) error
}

// gen is the state of one generation: the random stream, the model under
// construction and the inputs it has made so far.
type gen struct {
	r      *rand.Rand
	b      *build.Builder
	inputs []Tensor
	n      int // tensor name counter
}

// Generators lists every generator, single ops first, then chains.
func Generators() []Gen { return generators() }

// Lookup finds the generator named name.
func Lookup(name string) (Gen, bool) {
	for _, g := range generators() {
		if g.Name == name {
			return g, true
		}
	}
	return Gen{}, false
}

// Generate builds the model of generator name for type typ from seed. The
// same arguments always give the same case.
func Generate(name, typ string, seed uint64) (*Case, error) {
	gn, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("difftest: no generator %q", name)
	}
	return gn.generate(typ, seed, rand.New(rand.NewPCG(seed, 0x61786c65)))
}

// FromBytes picks a generator, a type and every random choice from data
// (the fuzzers' input); past the end of data the choices come from a PRNG
// seeded with data's length, so every input gives some case.
func FromBytes(data []byte) (*Case, error) {
	all := generators()
	var pick [2]byte
	copy(pick[:], data)
	gn := all[int(pick[0])%len(all)]
	typ := gn.Types[int(pick[1])%len(gn.Types)]
	var rest []byte
	if len(data) > 2 {
		rest = data[2:]
	}
	src := &byteSource{data: rest, tail: rand.NewPCG(uint64(len(data)), 0x66757a7a)}
	return gn.generate(typ, 0, rand.New(src))
}

// byteSource serves 8 bytes of data per draw, then a PRNG.
type byteSource struct {
	data []byte
	tail rand.Source
}

func (s *byteSource) Uint64() uint64 {
	if len(s.data) == 0 {
		return s.tail.Uint64()
	}
	var b [8]byte
	n := copy(b[:], s.data)
	s.data = s.data[n:]
	return binary.LittleEndian.Uint64(b[:])
}

func (gn Gen) generate(typ string, seed uint64, r *rand.Rand) (*Case, error) {
	known := false
	for _, t := range gn.Types {
		known = known || t == typ
	}
	if !known {
		return nil, fmt.Errorf("difftest: generator %s has no type %q (has %v)", gn.Name, typ, gn.Types)
	}
	g := &gen{r: r, b: build.New()}
	if err := gn.build(g, typ); err != nil {
		return nil, fmt.Errorf("difftest: %s %s: %w", gn.Name, typ, err)
	}
	model, err := g.b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("difftest: %s %s: %w", gn.Name, typ, err)
	}
	tol := gn.Tol
	if tol == 0 {
		tol = DefaultTol
	}
	return &Case{Op: gn.Name, Type: typ, Seed: seed, Model: model, Inputs: g.inputs, Tol: tol}, nil
}

// --- random choices ---

func (g *gen) intn(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) } // lo..hi inclusive
func (g *gen) uniform(lo, hi float64) float64 {
	return lo + (hi-lo)*g.r.Float64()
}
func (g *gen) coin() bool { return g.r.IntN(2) == 0 }

// logUniform draws from [lo, hi] evenly in log scale, as scales spread.
func (g *gen) logUniform(lo, hi float64) float64 {
	return math.Exp(g.uniform(math.Log(lo), math.Log(hi)))
}

func (g *gen) name(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%d", prefix, g.n)
}

// version is v clamped to what the pure-Go kernel loads (the TFLite
// kernels do not read the version).
func version(op ops.Op, v int) int {
	if k := ops.Builtins().Builtin[op]; k != nil && v > k.MaxVersion {
		return k.MaxVersion
	}
	return v
}

// actDType is the activation dtype of a type variant.
func actDType(typ string) models.DType {
	switch typ {
	case "int8", "int8_size1":
		return models.Int8
	case "uint8":
		return models.UInt8
	case "int16", "int16x8", "int16_rescale", "int16_size1":
		return models.Int16
	case "int32":
		return models.Int32
	case "int64":
		return models.Int64
	case "bool":
		return models.Bool
	}
	return models.Float32
}

func quantized(dt models.DType) bool {
	return dt == models.Int8 || dt == models.UInt8 || dt == models.Int16
}

// actQuant is a random per-tensor activation quantisation for dt (nil for
// unquantised types): int16 is symmetric, as TFLite's 16x8 kernels need.
func (g *gen) actQuant(dt models.DType) *models.Quant {
	switch dt {
	case models.Int8:
		return q1(g.logUniform(0.004, 0.1), int64(g.intn(-64, 64)))
	case models.UInt8:
		return q1(g.logUniform(0.004, 0.1), int64(g.intn(64, 192)))
	case models.Int16:
		return q1(g.logUniform(2e-5, 5e-4), 0)
	}
	return nil
}

func q1(scale float64, zp int64) *models.Quant {
	return &models.Quant{Scale: []float32{float32(scale)}, ZeroPoint: []int64{zp}}
}

// qrange is the code range of dt.
func qrange(dt models.DType) (int, int) {
	switch dt {
	case models.Int8:
		return -128, 127
	case models.UInt8:
		return 0, 255
	case models.Int16:
		return -32768, 32767
	}
	return -1000, 1000
}

// data is n random values of dt as Go slices for build.Const, or raw bytes
// for inputs. Floats are uniform in [lo, hi]; integers are uniform over
// the type's range clipped to [lo, hi].
func (g *gen) values(dt models.DType, n int, lo, hi float64) any {
	switch dt {
	case models.Float32:
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(g.uniform(lo, hi))
		}
		return v
	case models.Bool:
		v := make([]bool, n)
		for i := range v {
			v[i] = g.coin()
		}
		return v
	}
	tl, th := qrange(dt)
	switch dt {
	case models.Int32, models.Int64:
		tl, th = math.MinInt32, math.MaxInt32
	case models.UInt16:
		tl, th = 0, math.MaxUint16
	case models.UInt32:
		tl, th = 0, math.MaxInt32
	}
	l, h := int(math.Max(lo, float64(tl))), int(math.Min(hi, float64(th)))
	switch dt {
	case models.Int8:
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(g.intn(l, h))
		}
		return v
	case models.UInt8:
		v := make([]uint8, n)
		for i := range v {
			v[i] = uint8(g.intn(l, h))
		}
		return v
	case models.Int16:
		v := make([]int16, n)
		for i := range v {
			v[i] = int16(g.intn(l, h))
		}
		return v
	case models.UInt16:
		v := make([]uint16, n)
		for i := range v {
			v[i] = uint16(g.intn(l, h))
		}
		return v
	case models.UInt32:
		v := make([]uint32, n)
		for i := range v {
			v[i] = uint32(g.intn(l, h))
		}
		return v
	case models.Int32:
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(g.intn(l, h))
		}
		return v
	case models.Int64:
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(g.intn(l, h))
		}
		return v
	}
	panic(fmt.Sprintf("difftest: no random values for %s", dt))
}

func elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// input adds a model input of dt and shape with random data in [lo, hi]
// (codes for quantised types) and records the data.
func (g *gen) input(dt models.DType, shape []int, q *models.Quant, lo, hi float64) int {
	t := g.b.Input(g.name("in"), dt, shape, q)
	g.inputs = append(g.inputs, Tensor{DType: dt.String(), Shape: append([]int{}, shape...), Data: leBytes(g.values(dt, elems(shape), lo, hi))})
	return t
}

// actInput is an activation input of typ with a random quantisation and
// data over valueRange.
func (g *gen) actInput(typ string, shape []int) (int, *models.Quant) {
	dt := actDType(typ)
	q := g.actQuant(dt)
	lo, hi := valueRange(dt)
	return g.input(dt, shape, q, lo, hi), q
}

func (g *gen) output(dt models.DType, shape []int, q *models.Quant) int {
	t := g.b.Tensor(g.name("out"), dt, shape, q)
	return t
}

func leBytes(v any) []byte {
	switch s := v.(type) {
	case []float32:
		b := make([]byte, 4*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	case []bool:
		b := make([]byte, len(s))
		for i, x := range s {
			if x {
				b[i] = 1
			}
		}
		return b
	case []int8:
		b := make([]byte, len(s))
		for i, x := range s {
			b[i] = byte(x)
		}
		return b
	case []uint8:
		return append([]byte{}, s...)
	case []int16:
		b := make([]byte, 2*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
		}
		return b
	case []uint16:
		b := make([]byte, 2*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint16(b[2*i:], x)
		}
		return b
	case []uint32:
		b := make([]byte, 4*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint32(b[4*i:], x)
		}
		return b
	case []int32:
		b := make([]byte, 4*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		}
		return b
	case []int64:
		b := make([]byte, 8*len(s))
		for i, x := range s {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
		}
		return b
	}
	panic(fmt.Sprintf("difftest: no encoding for %T", v))
}

// opts builds an Options value from slot/value pairs.
func opts(t build.OptionType, kv ...any) build.Options {
	o := build.Options{Type: t}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Fields = append(o.Fields, build.Field{Slot: kv[i].(int), Value: kv[i+1]})
	}
	return o
}
