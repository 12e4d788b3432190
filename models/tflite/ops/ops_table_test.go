package ops

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tfliteResolver is what LiteRT's BuiltinOpResolver
// (google-ai-edge/LiteRT tflite/core/kernels/register.cc at commit
// f67457790c9c2ab67347d6fe53270e8d3df20868, 2026-08-21) registers:
// operator, lowest and highest version.
const tfliteResolver = `
ABS 1 5
HARD_SWISH 1 1
RELU 1 3
RELU_N1_TO_1 1 1
RELU_0_TO_1 1 1
RELU6 1 3
TANH 1 3
LOGISTIC 1 3
AVERAGE_POOL_2D 1 3
MAX_POOL_2D 1 3
L2_POOL_2D 1 1
CONV_2D 1 8
DEPTHWISE_CONV_2D 1 7
SVDF 1 4
RNN 1 3
BIDIRECTIONAL_SEQUENCE_RNN 1 3
UNIDIRECTIONAL_SEQUENCE_RNN 1 3
EMBEDDING_LOOKUP 1 5
EMBEDDING_LOOKUP_SPARSE 1 1
FULLY_CONNECTED 1 14
LSH_PROJECTION 1 1
HASHTABLE_LOOKUP 1 1
SOFTMAX 1 4
CONCATENATION 1 7
ADD 1 6
SPACE_TO_BATCH_ND 1 4
BATCH_TO_SPACE_ND 1 4
MUL 1 8
L2_NORMALIZATION 1 2
LOCAL_RESPONSE_NORMALIZATION 1 1
LSTM 1 4
BIDIRECTIONAL_SEQUENCE_LSTM 1 3
UNIDIRECTIONAL_SEQUENCE_LSTM 1 4
PAD 1 6
PADV2 1 6
RESHAPE 1 1
RESIZE_BILINEAR 1 4
RESIZE_NEAREST_NEIGHBOR 1 4
SKIP_GRAM 1 1
SPACE_TO_DEPTH 1 2
DEPTH_TO_SPACE 1 2
GATHER 1 8
TRANSPOSE 1 9
MEAN 1 3
DIV 1 2
SUB 1 5
SPLIT 1 5
SPLIT_V 1 3
SQUEEZE 1 2
STRIDED_SLICE 1 8
EXP 1 2
TOPK_V2 1 3
LOG 1 2
LOG_SOFTMAX 1 2
CAST 1 9
DEQUANTIZE 1 9
PRELU 1 1
MAXIMUM 1 4
MINIMUM 1 4
ARG_MAX 1 3
ARG_MIN 1 3
GREATER 1 2
GREATER_EQUAL 1 3
LESS 1 3
LESS_EQUAL 1 2
FLOOR 1 1
CEIL 1 1
ROUND 1 1
NEG 1 1
SELECT 1 4
SELECT_V2 1 2
SLICE 1 8
SIN 1 2
COS 1 2
TRANSPOSE_CONV 1 5
TILE 1 3
SUM 1 2
REDUCE_PROD 1 2
REDUCE_MAX 1 3
REDUCE_MIN 1 3
REDUCE_ANY 1 1
REDUCE_ALL 1 1
EXPAND_DIMS 1 1
SPARSE_TO_DENSE 1 3
EQUAL 1 5
NOT_EQUAL 1 4
SQRT 1 2
RSQRT 1 3
SHAPE 1 1
RANK 1 1
POW 1 1
FAKE_QUANT 1 2
PACK 1 5
ONE_HOT 1 1
LOGICAL_OR 1 1
LOGICAL_AND 1 1
LOGICAL_NOT 1 1
UNPACK 1 6
FLOOR_DIV 1 3
SQUARE 1 1
ZEROS_LIKE 1 1
FLOOR_MOD 1 2
RANGE 1 2
LEAKY_RELU 1 2
SQUARED_DIFFERENCE 1 2
FILL 1 5
MIRROR_PAD 1 3
UNIQUE 1 1
REVERSE_V2 1 4
ADD_N 1 1
GATHER_ND 1 6
WHERE 1 2
ELU 1 1
REVERSE_SEQUENCE 1 1
MATRIX_DIAG 1 1
QUANTIZE 1 6
MATRIX_SET_DIAG 1 1
IF 1 1
WHILE 1 1
NON_MAX_SUPPRESSION_V4 1 1
NON_MAX_SUPPRESSION_V5 1 1
SCATTER_ND 1 1
DENSIFY 1 1
SEGMENT_SUM 1 1
BATCH_MATMUL 1 4
CUMSUM 1 1
BROADCAST_TO 2 4
CALL_ONCE 1 1
RFFT2D 1 1
CONV_3D 1 1
IMAG 1 1
REAL 1 1
COMPLEX_ABS 1 1
BROADCAST_ARGS 1 1
HASHTABLE 1 1
HASHTABLE_FIND 1 1
HASHTABLE_IMPORT 1 1
HASHTABLE_SIZE 1 1
CONV_3D_TRANSPOSE 1 1
VAR_HANDLE 1 1
READ_VARIABLE 1 1
ASSIGN_VARIABLE 1 1
MULTINOMIAL 1 1
RANDOM_STANDARD_NORMAL 1 1
BUCKETIZE 1 1
RANDOM_UNIFORM 1 1
GELU 1 3
DYNAMIC_UPDATE_SLICE 1 6
UNSORTED_SEGMENT_PROD 1 1
UNSORTED_SEGMENT_MAX 1 1
UNSORTED_SEGMENT_MIN 1 1
UNSORTED_SEGMENT_SUM 1 1
ATAN2 1 1
SIGN 1 2
BITCAST 1 1
BITWISE_XOR 1 1
RIGHT_SHIFT 1 1
STABLEHLO_SCATTER 1 1
DILATE 1 1
STABLEHLO_RNG_BIT_GENERATOR 1 1
REDUCE_WINDOW 1 1
STABLEHLO_REDUCE_WINDOW 1 1
STABLEHLO_GATHER 1 1
STABLEHLO_ADD 1 1
STABLEHLO_AND 1 1
STABLEHLO_MULTIPLY 1 1
STABLEHLO_MAXIMUM 1 1
STABLEHLO_MINIMUM 1 1
STABLEHLO_SHIFT_LEFT 1 1
STABLEHLO_PAD 1 1
STABLEHLO_COMPOSITE 1 1
STABLEHLO_CASE 1 1
NumericVerify 1 1
Mfcc 1 1
AudioSpectrogram 1 1
TFLite_Detection_PostProcess 1 1
aeq.hadamard_rotation 1 1
`

type opsRow struct {
	line                int
	tflite, axle, types string
	refs                []string
}

// readOpsTable parses the rows of every table in docs/ops.md by operator.
func readOpsTable(t *testing.T) map[string]opsRow {
	f, err := os.Open(filepath.Join("..", "..", "..", "docs", "ops.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]opsRow{}
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| operator ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			t.Errorf("docs/ops.md:%d: %d cells, want 5", ln, len(cells))
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		r := opsRow{line: ln, tflite: cells[1], axle: cells[2], types: cells[3]}
		for _, ref := range strings.Split(cells[4], ",") {
			if ref = strings.Trim(strings.TrimSpace(ref), "`"); ref != "" {
				r.refs = append(r.refs, ref)
			}
		}
		if _, dup := rows[cells[0]]; dup {
			t.Errorf("docs/ops.md:%d: second row for %s", ln, cells[0])
		}
		rows[cells[0]] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// goTests returns the Test and Fuzz functions of models/tflite and below.
func goTests(t *testing.T) map[string]bool {
	re := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	out := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range re.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func versions(lo, hi int) string { return strconv.Itoa(lo) + "–" + strconv.Itoa(hi) }

// TestOpsTable checks docs/ops.md against TFLite's resolver and against
// Builtins: a row for every operator of either, the versions of the code,
// and tests that exist for every supported operator.
func TestOpsTable(t *testing.T) {
	rows := readOpsTable(t)
	tests := goTests(t)
	conf := os.Getenv("AXLE_CONFORMANCE_DIR")
	r := Builtins()
	byName := map[string]Op{}
	for op, name := range opNames {
		byName[name] = op
	}

	for _, line := range strings.Split(strings.TrimSpace(tfliteResolver), "\n") {
		f := strings.Fields(line)
		lo, _ := strconv.Atoi(f[1])
		hi, _ := strconv.Atoi(f[2])
		row, ok := rows[f[0]]
		if !ok {
			t.Errorf("docs/ops.md has no row for %s, which TFLite's resolver registers", f[0])
			continue
		}
		if want := versions(lo, hi); row.tflite != want {
			t.Errorf("docs/ops.md:%d: %s TFLite versions %q, want %q", row.line, f[0], row.tflite, want)
		}
	}

	for name, row := range rows {
		var k *Kernel
		if op, ok := byName[name]; ok {
			k = r.Builtin[op]
		} else {
			k = r.Custom[name]
		}
		want := "—"
		if k != nil {
			want = versions(1, k.MaxVersion)
		}
		if row.axle != want {
			t.Errorf("docs/ops.md:%d: %s axle versions %q, the code has %q", row.line, name, row.axle, want)
		}
		if k != nil && (row.types == "" || len(row.refs) == 0) {
			t.Errorf("docs/ops.md:%d: supported operator %s needs its types and a test", row.line, name)
		}
		goRefs := 0
		for _, ref := range row.refs {
			if c, ok := strings.CutPrefix(ref, "conformance:"); ok {
				if conf != "" {
					if _, err := os.Stat(filepath.Join(conf, c, "case.json")); err != nil {
						t.Errorf("docs/ops.md:%d: %s: conformance case %s: %v", row.line, name, c, err)
					}
				}
				continue
			}
			goRefs++
			if !tests[ref] {
				t.Errorf("docs/ops.md:%d: %s names %s, which is not a test in models/tflite", row.line, name, ref)
			}
		}
		if k != nil && goRefs == 0 {
			t.Errorf("docs/ops.md:%d: %s is covered only by conformance cases; name a Go test too", row.line, name)
		}
	}
	for op, k := range r.Builtin {
		if _, ok := rows[op.String()]; !ok {
			t.Errorf("docs/ops.md has no row for %s (versions 1–%d in Builtins)", op, k.MaxVersion)
		}
	}
	for name := range r.Custom {
		if _, ok := rows[name]; !ok {
			t.Errorf("docs/ops.md has no row for custom op %s", name)
		}
	}
}

// TFLiteResolver lists TFLite's resolver for the external tests: operator
// name, lowest and highest version per line.
var TFLiteResolver = tfliteResolver

// OpByName finds a builtin operator by its schema name.
func OpByName(name string) (Op, bool) {
	for op, n := range opNames {
		if n == name {
			return op, true
		}
	}
	return 0, false
}
