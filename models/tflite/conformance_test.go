package tflite_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/internal/conformance"
	"github.com/axle-edge/axle/models/tflite"
)

// The conformance corpus (format: README.md of $AXLE_CONFORMANCE_DIR) runs
// real models against upstream goldens. Cases that fail today for a known
// reason are listed in testdata/conformance_known_failures.txt; the test
// fails on any other failure and on listed cases that now pass, so the list
// only shrinks.

const knownFailuresFile = "testdata/conformance_known_failures.txt"

func TestConformance(t *testing.T) {
	dir := conformance.Dir(t)
	known, err := conformance.ReadKnown(knownFailuresFile, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := map[conformance.Status]int{}
	for _, name := range conformance.Cases(t, dir) {
		r := runCase(filepath.Join(dir, name))
		count[r.Status]++
		known.Report(t, name, r)
	}
	known.CheckAllSeen(t)
	summary := fmt.Sprintf("conformance: %d passed, %d failed, %d skipped", count[conformance.Pass], count[conformance.Fail], count[conformance.Skip])
	t.Log(summary)
	fmt.Println(summary)
}

func fail(detail string) conformance.Result {
	return conformance.Result{Status: conformance.Fail, Detail: detail}
}

func pass() conformance.Result { return conformance.Result{Status: conformance.Pass} }

// runCase runs one case and never panics: a panic is a failure.
func runCase(caseDir string) (res conformance.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = fail(fmt.Sprintf("panic: %v", p))
		}
	}()
	c, err := conformance.Load(caseDir)
	if err != nil {
		return fail(err.Error())
	}
	data, err := c.ReadModel()
	if err != nil {
		return fail(err.Error())
	}
	it, err := tflite.Load(data, models.Options{})
	if errors.Is(err, tflite.ErrInternal) {
		return fail(err.Error())
	}
	switch c.Expect {
	case "load_error":
		if err == nil {
			it.Close()
			return fail("loaded, want a load error")
		}
		return pass()
	case "load_ok":
		if err != nil {
			return fail(err.Error())
		}
		it.Close()
		return pass()
	case "invoke_error":
		if err != nil {
			return pass() // rejecting at load time is fine
		}
		defer it.Close()
		err = conformance.Invoke(it.Runner)
		if err == nil {
			return fail("invoked without error, want an invoke error")
		}
		if errors.Is(err, tflite.ErrInternal) {
			return fail(err.Error())
		}
		return pass()
	}
	if err != nil {
		return fail("load: " + err.Error())
	}
	defer it.Close()
	r := it.Runner
	switch {
	case c.Signature != "":
		r, err = it.Signature(c.Signature)
		if err == nil && c.Subgraph != nil && r.SubgraphIndex() != *c.Subgraph {
			err = fmt.Errorf("signature %q runs subgraph %d, case says %d", c.Signature, r.SubgraphIndex(), *c.Subgraph)
		}
	case c.Subgraph != nil:
		r, err = it.Subgraph(*c.Subgraph)
	}
	if err != nil {
		return fail(err.Error())
	}
	outs, infos, err := c.Run(r)
	if err != nil {
		return fail(err.Error())
	}
	checked, problems := c.CheckOutputs(outs, infos, nil)
	if c.Pipeline != nil {
		checked++
		if err := runPipeline(c, it); err != nil {
			problems = append(problems, "pipeline: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "))
	}
	if checked == 0 {
		return conformance.Result{Status: conformance.Skip, Detail: "golden pending"}
	}
	return pass()
}

// runPipeline is micro_speech's end-to-end check: the audio preprocessor
// turns 30 ms windows into 40 features per frame; the classifier's argmax
// over 49 frames must be the clip's label.
func runPipeline(c *conformance.Case, classifier *tflite.Interpreter) error {
	p := c.Pipeline
	pre, err := os.ReadFile(c.Path(p.Preprocessor))
	if err != nil {
		return err
	}
	for _, clip := range p.Clips {
		samples, err := conformance.ReadWAV16(c.Path(clip.Audio))
		if err != nil {
			return err
		}
		pp, err := tflite.Load(pre, models.Options{})
		if err != nil {
			return fmt.Errorf("preprocessor: %w", err)
		}
		feat := classifier.Input(0)
		per := len(feat) / p.Frames
		for f := 0; f < p.Frames; f++ {
			in := pp.Input(0)
			lo := f * p.Stride
			if lo+p.Window > len(samples) || len(in) != 2*p.Window {
				pp.Close()
				return fmt.Errorf("%s: frame %d does not fit (%d samples, input %d bytes)", clip.Audio, f, len(samples), len(in))
			}
			for k := 0; k < p.Window; k++ {
				binary.LittleEndian.PutUint16(in[2*k:], uint16(samples[lo+k]))
			}
			if err := conformance.Invoke(pp.Runner); err != nil {
				pp.Close()
				return fmt.Errorf("preprocessor frame %d: %w", f, err)
			}
			copy(feat[f*per:(f+1)*per], pp.Output(0))
		}
		pp.Close()
		if err := conformance.Invoke(classifier.Runner); err != nil {
			return err
		}
		got, err := conformance.Float64s(classifier.Output(0), classifier.Outputs()[0].DType)
		if err != nil {
			return err
		}
		if a := conformance.Argmax(got); a != clip.ExpectedArgmax {
			return fmt.Errorf("%s: argmax %d, want %d (scores %v)", clip.Audio, a, clip.ExpectedArgmax, got)
		}
	}
	return nil
}
