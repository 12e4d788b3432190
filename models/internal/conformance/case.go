package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Tensor is one input or output of a case.
type Tensor struct {
	File      *string `json:"file"` // nil: no data file (argmax or golden pending)
	DType     string  `json:"dtype"`
	Shape     []int   `json:"shape"`
	Name      string  `json:"name"`
	Argmax    *int    `json:"argmax"`
	Tolerance *struct {
		Abs float64 `json:"abs"`
	} `json:"tolerance"`
}

// Pipeline is micro_speech's end-to-end check: preprocessor model on
// audio windows, classifier argmax per clip.
type Pipeline struct {
	Preprocessor string `json:"preprocessor_model"`
	Window       int    `json:"window"`
	Stride       int    `json:"stride"`
	Frames       int    `json:"frames"`
	Clips        []struct {
		Audio          string `json:"audio"`
		ExpectedArgmax int    `json:"expected_argmax"`
	} `json:"clips"`
}

// Case is one case.json. Dir is the case folder; paths in the case are
// relative to it.
type Case struct {
	Dir        string    `json:"-"`
	Model      string    `json:"model"`
	Expect     string    `json:"expect"` // "", load_error, invoke_error or load_ok
	Signature  string    `json:"signature"`
	Subgraph   *int      `json:"subgraph"`
	Inputs     []Tensor  `json:"inputs"`
	Outputs    []Tensor  `json:"outputs"`
	GoldenFrom string    `json:"golden_from"`
	Pipeline   *Pipeline `json:"pipeline"`
}

// Dir is $AXLE_CONFORMANCE_DIR; it skips tb when that is not set.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		tb.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	return dir
}

// Cases lists the case folders under dir as sorted slash paths relative
// to dir ("<suite>/<case>"); it fails tb when there are none.
func Cases(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no cases under %s (%v)", dir, err)
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		rel, err := filepath.Rel(dir, filepath.Dir(f))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

// Load reads the case.json of the case folder dir.
func Load(dir string) (*Case, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return nil, err
	}
	c := &Case{Dir: dir}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("case.json: %w", err)
	}
	return c, nil
}

// Path is the path of a file named in the case.
func (c *Case) Path(rel string) string { return filepath.Join(c.Dir, rel) }

// ReadModel reads the case's model file.
func (c *Case) ReadModel() ([]byte, error) { return os.ReadFile(c.Path(c.Model)) }
