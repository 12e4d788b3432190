//go:build tflite

package tflitecgo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/internal/conformance"
	"github.com/axle-edge/axle/models/tflite"
)

// TestBenchRuntimes is `make bench-runtimes`: for every MLPerf Tiny model
// of $AXLE_CONFORMANCE_DIR and $AXLE_BENCH_DIR and the demo model, the
// median µs per Invoke on the pure-Go interpreter, on TFLite's builtin
// kernels (no delegate: the C API applies no default delegate) and on
// TFLite with XNNPACK, one thread each, and the ratios, as a Markdown
// table for docs/benchmarks.md. Opt-in (AXLE_BENCH_RUNTIMES=1): it takes
// minutes.
func TestBenchRuntimes(t *testing.T) {
	requireLib(t)
	if os.Getenv("AXLE_BENCH_RUNTIMES") != "1" {
		t.Skip("set AXLE_BENCH_RUNTIMES=1 (make bench-runtimes)")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Runtimes side by side (make bench-runtimes), %s, %s/%s, %s, Go %s, TFLite %s%s; one thread each; median µs per Invoke.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, cpuName(), runtime.Version(), libVersion(), tfCommit())
	b.WriteString("| model | pure Go µs | TFLite builtin µs | TFLite+XNNPACK µs | Go ÷ builtin | Go ÷ XNNPACK |\n|---|---:|---:|---:|---:|---:|\n")
	for _, m := range benchModels(t) {
		g := medianGo(m.data)
		bi := medianC(m.data, models.DelegateNone)
		x := medianC(m.data, models.DelegateXNNPack)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", m.name, us(g), us(bi), us(x), ratio(g, bi), ratio(g, x))
	}
	t.Log("\n" + b.String())
	fmt.Print(b.String())
}

type benchModel struct {
	name string
	data []byte
}

// benchModels lists the MLPerf Tiny models (each file once) and the demo.
func benchModels(t *testing.T) []benchModel {
	seen := map[string]bool{}
	var out []benchModel
	add := func(name, path string) {
		abs, err := filepath.Abs(path)
		if err != nil || seen[abs] {
			return
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[abs] = true
		out = append(out, benchModel{name, data})
	}
	if dir := os.Getenv("AXLE_CONFORMANCE_DIR"); dir != "" {
		cases, _ := filepath.Glob(filepath.Join(dir, "mlperf_tiny", "*", "case.json"))
		slices.Sort(cases)
		for _, c := range cases {
			cc, err := conformance.Load(filepath.Dir(c))
			if err != nil || cc.Model == "" {
				t.Fatalf("%s: no model (%v)", c, err)
			}
			add(filepath.Base(cc.Dir), cc.Path(cc.Model))
		}
	}
	if dir := os.Getenv("AXLE_BENCH_DIR"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "mlperf_tiny", "*", "model.tflite"))
		slices.Sort(files)
		for _, f := range files {
			add(filepath.Base(filepath.Dir(f)), f)
		}
	}
	out = append(out, benchModel{"demo (pump anomaly)", demomodel.TFLite()})
	return out
}

// median times Invoke after three warm-up runs: at least 20 runs and
// about a second, at most 2000; -1 when the model does not run.
func median(m models.Model) float64 {
	for i, info := range m.Inputs() {
		fillRandom(m.Input(i), info.DType, uint64(i))
	}
	ctx := context.Background()
	for range 3 {
		if err := m.Invoke(ctx); err != nil {
			return -1
		}
	}
	var times []float64
	start := time.Now()
	for len(times) < 20 || (time.Since(start) < time.Second && len(times) < 2000) {
		t0 := time.Now()
		if err := m.Invoke(ctx); err != nil {
			return -1
		}
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e3)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

func medianGo(data []byte) float64 {
	m, err := tflite.Load(data, models.Options{Threads: 1})
	if err != nil {
		return -1
	}
	defer m.Close()
	return median(m)
}

func medianC(data []byte, del string) float64 {
	m, err := Load(data, models.Options{Threads: 1, Delegate: del})
	if err != nil {
		return -1
	}
	defer m.Close()
	return median(m)
}

func us(v float64) string {
	if v < 0 {
		return "n/a"
	}
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func libVersion() string {
	v, err := Runtime{}.Version()
	if err != nil {
		return err.Error()
	}
	return v
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// tfCommit is the source commit $AXLE_TFLITE_DIR/NOTES.txt names on its
// "TensorFlow <repo> @ <commit>" line, if any.
func tfCommit() string {
	b, err := os.ReadFile(filepath.Join(os.Getenv("AXLE_TFLITE_DIR"), "NOTES.txt"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "TensorFlow" && f[2] == "@" {
			return " (" + f[1] + "@" + f[3] + ")"
		}
	}
	return ""
}

// BenchmarkInvoke is the go test -bench view of the demo model on each
// runtime.
func BenchmarkInvoke(b *testing.B) {
	requireLib(b)
	ctx := context.Background()
	for _, del := range []string{"go", models.DelegateNone, models.DelegateXNNPack} {
		b.Run(del, func(b *testing.B) {
			var m models.Model
			var err error
			if del == "go" {
				m, err = tflite.Load(demomodel.TFLite(), models.Options{})
			} else {
				m, err = Load(demomodel.TFLite(), models.Options{Delegate: del})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Invoke(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
