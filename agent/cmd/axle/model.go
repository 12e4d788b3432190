package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite"
)

const modelUsage = `usage: axle model <command> [arguments]

commands:
  run MODEL [--signature NAME | --subgraph N] --in in0.bin [--in in1.bin ...] --out-dir DIR
        run the model once on raw little-endian input tensors (one --in per
        input, in order, sizes checked exactly); writes DIR/out0.bin, out1.bin...
  describe MODEL
        print inputs, outputs, operators, arena size, subgraphs and signatures as JSON
  bench MODEL [--threads N] [--count N]
        time Invoke on zero inputs; print min/median/mean microseconds and
        allocations per Invoke as JSON

Run "axle model <command> -h" for the flags of a command.
`

// modelUsageError marks errors that are the caller's misuse (exit status 2).
type modelUsageError struct{ msg string }

func (e modelUsageError) Error() string { return e.msg }

// modelCommand implements `axle model ...`; args follow "model". It returns
// the process exit status: 0 success, 1 failure, 2 usage error.
func modelCommand(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "axle model: internal error: %v\n", p)
			code = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, modelUsage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = modelRun(args[1:], stdout, stderr)
	case "describe":
		err = modelDescribe(args[1:], stdout, stderr)
	case "bench":
		err = modelBench(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, modelUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "axle model: unknown command %q\n\n%s", args[0], modelUsage)
		return 2
	}
	var ue modelUsageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "axle model %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "axle model %s: %v\n", args[0], err)
		return 1
	}
}

// modelStrings is a repeatable string flag.
type modelStrings []string

func (s *modelStrings) String() string     { return strings.Join(*s, ",") }
func (s *modelStrings) Set(v string) error { *s = append(*s, v); return nil }

// modelParse parses flags that may come before or after the positional
// arguments and returns the positional ones.
func modelParse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, modelUsageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func modelFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("axle model "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: axle model %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func modelOne(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", modelUsageError{fmt.Sprintf("want exactly one MODEL argument, got %d", len(pos))}
	}
	return pos[0], nil
}

func modelRun(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("run", "run MODEL [--signature NAME | --subgraph N] --in in0.bin [--in in1.bin ...] --out-dir DIR", stderr)
	var ins modelStrings
	fs.Var(&ins, "in", "raw little-endian `file` for the next input, in input order (repeat once per input)")
	outDir := fs.String("out-dir", "", "`directory` for out0.bin, out1.bin... (created if missing)")
	sig := fs.String("signature", "", "run the subgraph of signature `NAME` instead of subgraph 0")
	sub := fs.Int("subgraph", -1, "run subgraph `N` instead of subgraph 0")
	threads := fs.Int("threads", 1, "goroutines the heavy kernels may use")
	rtFlags := modelRuntimeFlags(fs)
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if *outDir == "" {
		return modelUsageError{"--out-dir is required"}
	}
	if *sig != "" && *sub >= 0 {
		return modelUsageError{"--signature and --subgraph are exclusive"}
	}
	lm, err := rtFlags.load(path, *threads, stderr)
	if err != nil {
		return err
	}
	defer lm.m.Close()
	var r modelRunner = lm.m
	if *sig != "" || *sub >= 0 {
		if lm.it == nil {
			if *sub >= 0 {
				return modelUsageError{fmt.Sprintf("--subgraph needs the pure-Go runtime (runtime %s runs subgraph 0 and signatures)", lm.used.Runtime)}
			}
			var ok bool
			if r, ok, err = modelCSignature(lm.m, *sig); !ok {
				return modelUsageError{fmt.Sprintf("--signature needs the pure-Go or the TFLite C runtime, not %s", lm.used.Runtime)}
			}
		} else if *sig != "" {
			r, err = lm.it.Signature(*sig)
		} else {
			r, err = lm.it.Subgraph(*sub)
		}
		if err != nil {
			return err
		}
	}
	infos := r.Inputs()
	if len(ins) != len(infos) {
		return modelUsageError{fmt.Sprintf("the model has %d inputs, got %d --in files", len(infos), len(ins))}
	}
	for i, f := range ins {
		if err := modelReadInput(f, i, infos[i], r.Input(i)); err != nil {
			return err
		}
	}
	if err := r.Invoke(context.Background()); err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for i := range r.Outputs() {
		name := filepath.Join(*outDir, "out"+strconv.Itoa(i)+".bin")
		if err := os.WriteFile(name, r.Output(i), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// modelRunner is what run needs of a model or of one of its subgraphs.
type modelRunner interface {
	Inputs() []models.TensorInfo
	Outputs() []models.TensorInfo
	Input(i int) []byte
	Output(i int) []byte
	Invoke(ctx context.Context) error
}

// modelReadInput checks the file's size before reading it into dst.
func modelReadInput(path string, i int, info models.TensorInfo, dst []byte) error {
	if info.DType.Size() == 0 {
		return fmt.Errorf("input %d (%q) is a %s tensor; model run feeds only fixed-size types", i, info.Name, info.DType)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() != int64(len(dst)) {
		return fmt.Errorf("input %d (%q, %s%v): %s has %d bytes, expected %d", i, info.Name, info.DType, info.Shape, path, st.Size(), len(dst))
	}
	if _, err := io.ReadFull(f, dst); err != nil {
		return fmt.Errorf("input %d: %s: %w", i, path, err)
	}
	return nil
}

type modelTensorJSON struct {
	Index     int    `json:"index"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	Shape     []int  `json:"shape"`
	Scale     any    `json:"scale"`
	ZeroPoint any    `json:"zero_point"`
	Axis      *int   `json:"quantized_dimension,omitempty"`
	Bytes     int    `json:"bytes"`
}

type modelOpJSON struct {
	Subgraph int    `json:"subgraph"`
	Index    int    `json:"index"`
	Op       string `json:"op"`
	Version  int    `json:"version"`
}

type modelSignatureJSON struct {
	Key      string         `json:"key"`
	Subgraph int            `json:"subgraph"`
	Inputs   map[string]int `json:"inputs"`
	Outputs  map[string]int `json:"outputs"`
}

type modelDescribeJSON struct {
	Model       string               `json:"model"`
	Runtime     string               `json:"runtime"`
	Delegate    string               `json:"delegate"`
	Fallback    string               `json:"fallback,omitempty"`
	Description string               `json:"description,omitempty"`
	Inputs      []modelTensorJSON    `json:"inputs"`
	Outputs     []modelTensorJSON    `json:"outputs"`
	Ops         []modelOpJSON        `json:"ops"`
	ArenaBytes  int64                `json:"arena_bytes"`
	KernelBytes int64                `json:"kernel_bytes"` // packed weights, tables, scratch
	MemoryBytes int64                `json:"memory_bytes"`
	Subgraphs   int                  `json:"subgraphs"`
	Signatures  []modelSignatureJSON `json:"signatures"`
}

func modelTensors(infos []models.TensorInfo) []modelTensorJSON {
	out := make([]modelTensorJSON, len(infos))
	for i, t := range infos {
		j := modelTensorJSON{Index: t.Index, Name: t.Name, DType: t.DType.String(), Shape: t.Shape, Bytes: t.Bytes}
		if j.Shape == nil {
			j.Shape = []int{}
		}
		if q := t.Quant; q != nil && len(q.Scale) > 0 {
			if q.PerChannel() {
				j.Scale, j.ZeroPoint = q.Scale, q.ZeroPoint
				axis := q.Axis
				j.Axis = &axis
			} else {
				j.Scale, j.ZeroPoint = q.Scale[0], q.ZeroPoint[0]
			}
		}
		out[i] = j
	}
	return out
}

func modelDescribe(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("describe", "describe MODEL [--runtime go|tflite|auto] [--delegate D]", stderr)
	rtFlags := modelRuntimeFlags(fs)
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	lm, err := rtFlags.load(path, 1, stderr)
	if err != nil {
		return err
	}
	defer lm.m.Close()
	d := modelDescribeJSON{
		Model:      path,
		Runtime:    lm.used.Runtime,
		Delegate:   lm.used.Delegate,
		Fallback:   lm.used.Fallback,
		Inputs:     modelTensors(lm.m.Inputs()),
		Outputs:    modelTensors(lm.m.Outputs()),
		Ops:        []modelOpJSON{},
		Subgraphs:  1,
		Signatures: []modelSignatureJSON{},
	}
	it := lm.it
	if it == nil {
		// Ops, arena and signatures are what the pure-Go interpreter
		// reads from the file; the C runtime does not expose them.
		if it, err = tflite.LoadFile(path, models.Options{}); err != nil {
			return enc(stdout, d)
		}
		defer it.Close()
	}
	d.Description, d.Subgraphs = it.Description(), it.NumSubgraphs()
	for _, o := range it.Ops() {
		d.Ops = append(d.Ops, modelOpJSON{Subgraph: o.Subgraph, Index: o.Index, Op: o.Name, Version: o.Version})
	}
	for _, s := range it.Signatures() {
		js := modelSignatureJSON{Key: s.Key, Subgraph: s.Subgraph, Inputs: map[string]int{}, Outputs: map[string]int{}}
		for _, m := range s.Inputs {
			js.Inputs[m.Name] = m.Tensor
		}
		for _, m := range s.Outputs {
			js.Outputs[m.Name] = m.Tensor
		}
		d.Signatures = append(d.Signatures, js)
	}
	if lm.it != nil {
		d.ArenaBytes, d.KernelBytes, d.MemoryBytes = it.ArenaBytes(), it.KernelBytes(), it.MemoryBytes()
	}
	return enc(stdout, d)
}

func enc(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

type modelBenchJSON struct {
	Model           string  `json:"model"`
	Runtime         string  `json:"runtime"`
	Delegate        string  `json:"delegate"`
	Fallback        string  `json:"fallback,omitempty"`
	Threads         int     `json:"threads"`
	Count           int     `json:"count"`
	MinUS           float64 `json:"min_us"`
	MedianUS        float64 `json:"median_us"`
	MeanUS          float64 `json:"mean_us"`
	AllocsPerInvoke float64 `json:"allocs_per_invoke"`
}

func modelBench(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("bench", "bench MODEL [--threads N] [--count N] [--runtime go|tflite|auto] [--delegate D]", stderr)
	threads := fs.Int("threads", 1, "goroutines the heavy kernels may use")
	count := fs.Int("count", 100, "timed invocations (after one warm-up)")
	rtFlags := modelRuntimeFlags(fs)
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if *count < 1 || *threads < 1 {
		return modelUsageError{"--count and --threads must be at least 1"}
	}
	lm, err := rtFlags.load(path, *threads, stderr)
	if err != nil {
		return err
	}
	it := lm.m
	defer it.Close()
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		return err
	}
	times := make([]float64, *count)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range times {
		start := time.Now()
		if err := it.Invoke(ctx); err != nil {
			return err
		}
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e3
	}
	runtime.ReadMemStats(&after)
	var sum float64
	for _, t := range times {
		sum += t
	}
	slices.Sort(times)
	res := modelBenchJSON{
		Model: path, Runtime: lm.used.Runtime, Delegate: lm.used.Delegate, Fallback: lm.used.Fallback, Threads: *threads, Count: *count,
		MinUS: times[0], MedianUS: times[len(times)/2], MeanUS: sum / float64(len(times)),
		AllocsPerInvoke: float64(after.Mallocs-before.Mallocs) / float64(*count),
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
