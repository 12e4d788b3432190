package difftest

import (
	"sort"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Generators for lookups, sparse and data-dependent-shape ops, bit casts,
// 3-D convolutions, non-max suppression and RFFT2D with the complex ops.

func genEmbedding(g *gen, typ string) error {
	rows, d := g.intn(1, 6), g.randShape(1, 2, 4)
	vshape := append([]int{rows}, d...)
	k := g.intn(1, 5)
	ids := g.input(models.Int32, []int{k}, nil, 0, float64(rows-1))
	var val int
	odt := models.Float32
	switch typ {
	case "hybrid", "hybrid_uint8", "hybrid_perrow":
		vdt := models.Int8
		if typ == "hybrid_uint8" {
			vdt = models.UInt8
		}
		q := q1(g.logUniform(0.004, 0.1), 0)
		if typ == "hybrid_perrow" {
			q = &models.Quant{Axis: 0}
			for i := 0; i < rows; i++ {
				q.Scale = append(q.Scale, float32(g.logUniform(0.004, 0.1)))
				q.ZeroPoint = append(q.ZeroPoint, 0)
			}
		}
		lo, hi := valueRange(vdt)
		val = g.b.Const(g.name("table"), vdt, vshape, g.values(vdt, elems(vshape), lo, hi), q)
	default:
		odt = actDType(typ)
		lo, hi := valueRange(odt)
		val = g.input(odt, vshape, nil, lo, hi)
	}
	out := g.output(odt, append([]int{k}, d...), nil)
	g.b.Op(ops.OpEmbeddingLookup, version(ops.OpEmbeddingLookup, 1), []int{ids, val}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

// genEmbeddingSparse makes a sparse [batch, slots] id tensor with entries
// in row-major order, as TensorFlow's SparseTensor keeps them.
func genEmbeddingSparse(g *gen, typ string) error {
	rows, d := g.intn(1, 5), g.randShape(1, 2, 3)
	batch, slots := g.intn(1, 3), g.intn(1, 3)
	var idx []int32
	for b := 0; b < batch; b++ {
		for s := 0; s < slots; s++ {
			if g.coin() || (b == batch-1 && s == slots-1 && len(idx) == 0) {
				idx = append(idx, int32(b), int32(s))
			}
		}
	}
	n := len(idx) / 2
	ids := g.input(models.Int32, []int{n}, nil, 0, float64(rows-1))
	ix := g.constI32("idx", []int{n, 2}, idx)
	ds := g.constI32("dense_shape", []int{2}, []int32{int32(batch), int32(slots)})
	w := g.input(models.Float32, []int{n}, nil, 0.1, 2)
	val := g.input(models.Float32, append([]int{rows}, d...), nil, -2, 2)
	out := g.output(models.Float32, append([]int{batch}, d...), nil)
	g.b.Op(ops.OpEmbeddingLookupSparse, 1, []int{ids, ix, ds, w, val}, []int{out},
		opts(build.OptEmbeddingLookupSparse, 0, int8(g.intn(0, 2))))
	g.b.Output(out)
	return nil
}

// genWhere declares the output with the shape the data gives, which both
// runtimes resize to.
func genWhere(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 4)
	lo, hi := -1.0, 1.0
	in := g.input(dt, shape, nil, lo, hi)
	if dt == models.Float32 { // some exact zeros
		b := g.inputs[len(g.inputs)-1].Data
		for i := 0; i+4 <= len(b); i += 4 {
			if g.coin() {
				copy(b[i:i+4], []byte{0, 0, 0, 0})
			}
		}
	}
	count := 0
	b := g.inputs[len(g.inputs)-1].Data
	size := dt.Size()
	for i := 0; i < len(b); i += size {
		nz := false
		for _, c := range b[i : i+size] {
			nz = nz || c != 0
		}
		if nz {
			count++
		}
	}
	out := g.output(models.Int64, []int{count, len(shape)}, nil)
	g.b.Op(ops.OpWhere, 1, []int{in}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

func genUnique(g *gen, typ string) error {
	dt := actDType(typ)
	n := g.intn(1, 10)
	in := g.input(dt, []int{n}, nil, -3, 3) // few distinct values
	if dt == models.Float32 {
		v := g.values(models.Int32, n, -3, 3).([]int32)
		f := make([]float32, n)
		for i, x := range v {
			f[i] = float32(x) / 2
		}
		g.inputs[len(g.inputs)-1].Data = leBytes(f)
	}
	idt, tt := models.Int32, int8(2)
	if g.coin() {
		idt, tt = models.Int64, 4
	}
	// The unique count is data-dependent: both runtimes resize it.
	vals := g.output(dt, []int{n}, nil)
	idx := g.output(idt, []int{n}, nil)
	g.b.Op(ops.OpUnique, 1, []int{in}, []int{vals, idx}, opts(build.OptUnique, 0, tt))
	g.b.Output(vals, idx)
	return nil
}

func genSparseToDense(g *gen, typ string) error {
	dt := actDType(typ)
	shape := g.randShape(1, 3, 4)
	total := elems(shape)
	// Distinct flat positions, sorted, as validate_indices wants.
	perm := g.r.Perm(total)
	n := g.intn(1, total)
	flat := perm[:n]
	sort.Ints(flat)
	idx := make([]int32, 0, n*len(shape))
	for _, f := range flat {
		for _, c := range unravel(f, shape) {
			idx = append(idx, int32(c))
		}
	}
	ishape := []int{n, len(shape)}
	if len(shape) == 1 && g.coin() {
		ishape = []int{n}
	}
	ix := g.constI32("idx", ishape, idx)
	sh := make([]int32, len(shape))
	for i, d := range shape {
		sh[i] = int32(d)
	}
	os := g.constI32("shape", []int{len(shape)}, sh)
	lo, hi := valueRange(dt)
	vshape := []int{n}
	if g.coin() {
		vshape = []int{}
	}
	vals := g.input(dt, vshape, nil, lo, hi)
	def := g.scalarLike(dt, nil, lo, hi)
	out := g.output(dt, shape, nil)
	g.b.Op(ops.OpSparseToDense, version(ops.OpSparseToDense, 3), []int{ix, os, vals, def}, []int{out}, opts(build.OptSparseToDense, 0, g.coin()))
	g.b.Output(out)
	return nil
}

// genBitcast reinterprets bytes: same size, or the last dimension growing
// or shrinking by the size ratio.
func genBitcast(g *gen, typ string) error {
	from, to := models.Int32, models.Float32
	switch typ {
	case "uint8_int32":
		from, to = models.UInt8, models.Int32
	case "int32_int16":
		from, to = models.Int32, models.Int16
	}
	shape := g.randShape(1, 3, 4)
	ishape, oshape := append([]int{}, shape...), append([]int{}, shape...)
	switch r := from.Size() - to.Size(); {
	case r < 0:
		ishape = append(ishape, to.Size()/from.Size())
	case r > 0:
		oshape = append(oshape, from.Size()/to.Size())
	}
	lo, hi := valueRange(from)
	if from == models.Int32 {
		lo, hi = intRange(from)
	}
	in := g.input(from, ishape, nil, lo, hi)
	out := g.output(to, oshape, nil)
	g.b.Op(ops.OpBitcast, 1, []int{in}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}

// conv3dOut is a 3-D convolution's output size along one axis.
func conv3dOut(in, k, s, dil int, same bool) int {
	if same {
		return (in + s - 1) / s
	}
	return (in-(k-1)*dil-1)/s + 1
}

// genConv3D: type float32 has no dilation, float32_dilated dilates at
// least one axis (where TFLite's optimized kernel is wrong, docs/difftest.md).
func genConv3D(g *gen, typ string) error {
	n, cin, cout := g.intn(1, 2), g.intn(1, 3), g.intn(1, 3)
	in := []int{g.intn(1, 5), g.intn(1, 5), g.intn(1, 5)} // d, h, w
	k, s, dil, o := make([]int, 3), make([]int, 3), make([]int, 3), make([]int, 3)
	same := g.coin()
	dilated := typ == "float32_dilated"
	for i := range in {
		s[i], dil[i] = g.intn(1, 2), 1
		if dilated {
			dil[i] = g.intn(1, 2)
		}
		k[i] = g.intn(1, 3)
		if !same {
			for (k[i]-1)*dil[i]+1 > in[i] {
				k[i], dil[i] = max(1, k[i]-1), 1
			}
		}
		o[i] = conv3dOut(in[i], k[i], s[i], dil[i], same)
	}
	if dilated && dil[0] == 1 && dil[1] == 1 && dil[2] == 1 {
		// Dilate the depth axis; SAME keeps the output size, VALID
		// shrinks it where the window still fits.
		if same || (k[0]-1)*2+1 <= in[0] {
			dil[0] = 2
			o[0] = conv3dOut(in[0], k[0], s[0], 2, same)
		}
	}
	x := g.input(models.Float32, []int{n, in[0], in[1], in[2], cin}, nil, -2, 2)
	fshape := []int{k[0], k[1], k[2], cin, cout}
	f := g.b.Const(g.name("filter"), models.Float32, fshape, g.values(models.Float32, elems(fshape), -1, 1), nil)
	ins := []int{x, f}
	if g.coin() {
		ins = append(ins, g.b.Const(g.name("bias"), models.Float32, []int{cout}, g.values(models.Float32, cout, -1, 1), nil))
	}
	out := g.output(models.Float32, []int{n, o[0], o[1], o[2], cout}, nil)
	pad := int8(1) // VALID
	if same {
		pad = 0
	}
	g.b.Op(ops.OpConv3d, 1, ins, []int{out}, opts(build.OptConv3D, 0, pad, 1, int32(s[0]), 2, int32(s[2]), 3, int32(s[1]),
		4, g.randAct(), 5, int32(dil[0]), 6, int32(dil[2]), 7, int32(dil[1])))
	g.b.Output(out)
	return nil
}

// genConv3DTranspose: type float32 pads VALID, float32_same pads SAME
// (where TFLite's optimized kernel is wrong, docs/difftest.md).
func genConv3DTranspose(g *gen, typ string) error {
	n, cin, cout := g.intn(1, 2), g.intn(1, 3), g.intn(1, 3)
	in := []int{g.intn(1, 3), g.intn(1, 3), g.intn(1, 3)}
	k, s, o := make([]int, 3), make([]int, 3), make([]int, 3)
	same := typ == "float32_same"
	for i := range in {
		k[i], s[i] = g.intn(1, 3), g.intn(1, 2)
		if same {
			o[i] = in[i] * s[i]
		} else {
			o[i] = (in[i]-1)*s[i] + k[i]
		}
	}
	osh := g.constI32("out_shape", []int{5}, []int32{int32(n), int32(o[0]), int32(o[1]), int32(o[2]), int32(cout)})
	fshape := []int{k[0], k[1], k[2], cout, cin}
	f := g.b.Const(g.name("filter"), models.Float32, fshape, g.values(models.Float32, elems(fshape), -1, 1), nil)
	x := g.input(models.Float32, []int{n, in[0], in[1], in[2], cin}, nil, -2, 2)
	ins := []int{osh, f, x}
	if g.coin() {
		ins = append(ins, g.b.Const(g.name("bias"), models.Float32, []int{cout}, g.values(models.Float32, cout, -1, 1), nil))
	}
	out := g.output(models.Float32, []int{n, o[0], o[1], o[2], cout}, nil)
	pad := int8(1)
	if same {
		pad = 0
	}
	g.b.Op(ops.OpConv3dTranspose, 1, ins, []int{out}, opts(build.OptConv3D, 0, pad, 1, int32(s[0]), 2, int32(s[2]), 3, int32(s[1]), 4, g.randAct()))
	g.b.Output(out)
	return nil
}

// genNMS builds NON_MAX_SUPPRESSION_V4 (v5 with soft_nms_sigma when v5):
// random boxes, some overlapping, a constant output size.
func genNMS(v5 bool) func(g *gen, typ string) error {
	return func(g *gen, typ string) error {
		nb := g.intn(1, 8)
		boxes := make([]float32, 4*nb)
		for i := 0; i < nb; i++ {
			y, x := g.uniform(0, 1), g.uniform(0, 1)
			h, w := g.uniform(0.05, 0.6), g.uniform(0.05, 0.6)
			b := []float32{float32(y), float32(x), float32(y + h), float32(x + w)}
			if g.coin() { // corners in either order
				b[0], b[2] = b[2], b[0]
			}
			copy(boxes[4*i:], b)
		}
		bx := g.input(models.Float32, []int{nb, 4}, nil, 0, 0)
		g.inputs[len(g.inputs)-1].Data = leBytes(boxes)
		sc := g.input(models.Float32, []int{nb}, nil, 0, 1)
		maxOut := g.intn(1, nb+1)
		mo := g.constI32("max_out", []int{}, []int32{int32(maxOut)})
		iou := g.b.Const(g.name("iou"), models.Float32, []int{}, []float32{float32(g.uniform(0.1, 0.9))}, nil)
		st := g.b.Const(g.name("score_thr"), models.Float32, []int{}, []float32{float32(g.uniform(0, 0.5))}, nil)
		ins := []int{bx, sc, mo, iou, st}
		sel := g.output(models.Int32, []int{maxOut}, nil)
		outs := []int{sel}
		op, ot := ops.OpNonMaxSuppressionV4, build.OptNonMaxSuppressionV4
		if v5 {
			op, ot = ops.OpNonMaxSuppressionV5, build.OptNonMaxSuppressionV5
			sigma := 0.0
			if g.coin() {
				sigma = g.uniform(0.1, 1)
			}
			ins = append(ins, g.b.Const(g.name("sigma"), models.Float32, []int{}, []float32{float32(sigma)}, nil))
			outs = append(outs, g.output(models.Float32, []int{maxOut}, nil))
		}
		outs = append(outs, g.output(models.Int32, []int{}, nil))
		g.b.Op(op, 1, ins, outs, build.Options{Type: ot})
		g.b.Output(outs...)
		return nil
	}
}

// genHashtableLookup looks int32 keys up in a sorted key table, about half
// of them present.
func genHashtableLookup(g *gen, typ string) error {
	dt := actDType(typ)
	n := g.intn(1, 6)
	perm := g.r.Perm(20)
	keys := make([]int32, n)
	for i := range keys {
		keys[i] = int32(perm[i])
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	k := g.intn(1, 6)
	look := g.input(models.Int32, []int{k}, nil, 0, 19)
	kt := g.constI32("keys", []int{n}, keys)
	vshape := append([]int{n}, g.randShape(0, 2, 3)...)
	lo, hi := valueRange(dt)
	vals := g.input(dt, vshape, nil, lo, hi)
	out := g.output(dt, append([]int{k}, vshape[1:]...), nil)
	hits := g.output(models.UInt8, []int{k}, nil)
	g.b.Op(ops.OpHashtableLookup, 1, []int{look, kt, vals}, []int{out, hits}, build.Options{})
	g.b.Output(out, hits)
	return nil
}

func newGenerators2() []Gen {
	return []Gen{
		{Name: "EMBEDDING_LOOKUP", Types: []string{"float32", "int8", "int32", "hybrid", "hybrid_uint8", "hybrid_perrow"}, build: genEmbedding},
		{Name: "EMBEDDING_LOOKUP_SPARSE", Types: floatOnly, build: genEmbeddingSparse},
		{Name: "WHERE", Types: []string{"bool", "float32", "int32", "int8"}, build: genWhere},
		{Name: "UNIQUE", Types: []string{"float32", "int32", "int8", "int64"}, build: genUnique},
		{Name: "SPARSE_TO_DENSE", Types: []string{"float32", "int32", "int64", "int8", "uint8"}, build: genSparseToDense},
		{Name: "BITCAST", Types: []string{"int32_float32", "uint8_int32", "int32_int16"}, build: genBitcast},
		{Name: "CONV_3D", Types: []string{"float32", "float32_dilated"}, build: genConv3D},
		{Name: "CONV_3D_TRANSPOSE", Types: []string{"float32", "float32_same"}, build: genConv3DTranspose},
		{Name: "NON_MAX_SUPPRESSION_V4", Types: floatOnly, build: genNMS(false)},
		{Name: "NON_MAX_SUPPRESSION_V5", Types: floatOnly, Tol: transTol, build: genNMS(true)},
		{Name: "RFFT2D", Types: []string{"complex64", "real", "imag", "abs"}, Tol: transTol, build: genRfft2d},
		{Name: "HASHTABLE_LOOKUP", Types: []string{"float32", "int32", "uint8"}, build: genHashtableLookup},
	}
}

// genRfft2d is RFFT2D of a float32 [batch, h, w] input with random
// power-of-two FFT lengths (cropping or zero-padding the input), followed
// for types real/imag/abs by REAL, IMAG or COMPLEX_ABS of its result.
func genRfft2d(g *gen, typ string) error {
	shape := []int{g.intn(1, 2), g.intn(1, 6), g.intn(1, 6)}
	x := g.input(models.Float32, shape, nil, -2, 2)
	fh, fw := 1<<g.intn(0, 3), 1<<g.intn(1, 3)
	fl := g.constI32("fft_length", []int{2}, []int32{int32(fh), int32(fw)})
	cshape := []int{shape[0], fh, fw/2 + 1}
	c := g.output(models.Complex64, cshape, nil)
	g.b.Op(ops.OpRfft2d, 1, []int{x, fl}, []int{c}, build.Options{Type: build.OptRfft2d})
	op := map[string]ops.Op{"real": ops.OpReal, "imag": ops.OpImag, "abs": ops.OpComplexAbs}[typ]
	if op == 0 {
		g.b.Output(c)
		return nil
	}
	out := g.output(models.Float32, cshape, nil)
	g.b.Op(op, 1, []int{c}, []int{out}, build.Options{})
	g.b.Output(out)
	return nil
}
