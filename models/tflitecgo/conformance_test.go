//go:build tflite

package tflitecgo

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/internal/conformance"
)

// The conformance corpus ($AXLE_CONFORMANCE_DIR, format in its README)
// through the C runtime: without a delegate within the corpus tolerances,
// with XNNPACK within one quantisation step for integer outputs and
// max(case tolerance, 1e-3 of the golden's range) for float outputs.
// Every case where XNNPACK's result is not bit-identical to the builtin
// kernels' is listed in the log.

const knownDifferencesFile = "testdata/known_differences.txt"

func TestConformanceC(t *testing.T) {
	requireLib(t)
	dir := conformance.Dir(t)
	// Keys are "<delegate> <suite>/<case>".
	known, err := conformance.ReadKnown(knownDifferencesFile, 2)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var differ []string
	for _, name := range conformance.Cases(t, dir) {
		var builtin [][]byte
		for _, del := range []string{models.DelegateNone, models.DelegateXNNPack} {
			key := del + " " + name
			if reason, _ := known.Reason(key); strings.HasPrefix(reason, "crash:") {
				// Running it would take the test process down with it.
				count[del+" crash"]++
				t.Logf("not run, crashes the C library: %s: %s", key, reason)
				continue
			}
			r, outs := runCaseC(filepath.Join(dir, name), del)
			count[del+" "+string(r.Status)]++
			known.Report(t, key, r)
			if del == models.DelegateNone {
				builtin = outs
			} else if builtin != nil && outs != nil && !slices.EqualFunc(builtin, outs, slices.Equal) {
				differ = append(differ, name)
			}
		}
	}
	known.CheckAllSeen(t)
	for _, name := range differ {
		t.Logf("xnnpack differs from the builtin kernels (within tolerance): %s", name)
	}
	summary := fmt.Sprintf("conformance (tflite-c): none %d passed, %d failed, %d skipped, %d not run (crash); xnnpack %d passed, %d failed, %d skipped, %d not run (crash); %d cases where xnnpack is not bit-identical to builtin",
		count["none pass"], count["none fail"], count["none skip"], count["none crash"],
		count["xnnpack pass"], count["xnnpack fail"], count["xnnpack skip"], count["xnnpack crash"], len(differ))
	t.Log(summary)
	fmt.Println(summary)
}

func failC(detail string) (conformance.Result, [][]byte) {
	return conformance.Result{Status: conformance.Fail, Detail: detail}, nil
}

// runCaseC runs one case on the C runtime with delegate del and returns
// its result and, when it ran, its outputs.
func runCaseC(caseDir, del string) (conformance.Result, [][]byte) {
	pass := conformance.Result{Status: conformance.Pass}
	c, err := conformance.Load(caseDir)
	if err != nil {
		return failC(err.Error())
	}
	if c.Signature == "" && c.Subgraph != nil && *c.Subgraph != 0 {
		return conformance.Result{Status: conformance.Skip, Detail: "the C API runs other subgraphs only through signatures"}, nil
	}
	data, err := c.ReadModel()
	if err != nil {
		return failC(err.Error())
	}
	m, err := Load(data, models.Options{Delegate: del})
	switch c.Expect {
	case "load_error", "invoke_error":
		if err != nil {
			return pass, nil
		}
		defer m.Close()
		if err := conformance.Invoke(m); err != nil {
			return pass, nil
		}
		return failC("loaded and invoked, want an error")
	case "load_ok":
		if err != nil {
			return failC(err.Error())
		}
		m.Close()
		return pass, nil
	}
	if err != nil {
		return failC("load: " + err.Error())
	}
	defer m.Close()
	var r conformance.Runner = m
	if c.Signature != "" {
		sr, err := m.Signature(c.Signature)
		if err != nil {
			return failC(err.Error())
		}
		r = sr
	}
	outs, infos, err := c.Run(r)
	if err != nil {
		return failC(err.Error())
	}
	var tol conformance.Tolerance
	if del == models.DelegateXNNPack {
		tol = xnnpackTolerance
	}
	checked, problems := c.CheckOutputs(outs, infos, tol)
	switch {
	case len(problems) > 0:
		return conformance.Result{Status: conformance.Fail, Detail: strings.Join(problems, "; ")}, outs
	case checked == 0:
		return conformance.Result{Status: conformance.Skip, Detail: "golden pending"}, outs
	}
	return pass, outs
}

// xnnpackTolerance relaxes a case tolerance for XNNPACK: one step more
// for integer outputs (its requantisation rounds differently), 1e-3 of
// the golden's range for float outputs (other summation order, FMA).
func xnnpackTolerance(tol float64, dt models.DType, want []float64) float64 {
	if dt != models.Float32 && dt != models.Float64 {
		return max(tol, 1)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range want {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi < lo {
		return tol
	}
	return max(tol, 1e-3*(hi-lo))
}
