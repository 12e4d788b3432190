package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/runtimes"
	"github.com/axle-edge/axle/models/tflite"
)

// modelRuntime is the --runtime and --delegate flags of axle model
// describe, run and bench.
type modelRuntime struct {
	runtime, delegate *string
}

func modelRuntimeFlags(fs *flag.FlagSet) modelRuntime {
	return modelRuntime{
		runtime:  fs.String("runtime", models.RuntimeGo, "`runtime`: go (pure Go), tflite (the TFLite C library, binaries built with -tags tflite) or auto"),
		delegate: fs.String("delegate", models.DelegateAuto, "`delegate` of the tflite runtime: none, xnnpack, edgetpu, gpu, external:PATH[;key=value...] or auto"),
	}
}

// modelLoaded is a model loaded for a subcommand; it is the pure-Go
// interpreter (for signatures, subgraphs, ops) when that is what runs.
type modelLoaded struct {
	m    models.Model
	it   *tflite.Interpreter
	used models.Used
}

// maxModelFile bounds the model file read for the C runtime (the pure-Go
// path checks its own limit before reading).
const maxModelFile = 256 << 20

// load loads path with the runtime and delegate asked for; a fallback to
// the pure-Go runtime is said on stderr (and in the JSON of describe and
// bench).
func (f modelRuntime) load(path string, threads int, stderr io.Writer) (modelLoaded, error) {
	c, err := models.ParseChoice(*f.runtime, *f.delegate)
	if err != nil {
		return modelLoaded{}, modelUsageError{err.Error()}
	}
	opts := models.Options{Threads: threads}
	if c.Runtime == models.RuntimeGo {
		it, err := tflite.LoadFile(path, opts)
		if err != nil {
			return modelLoaded{}, err
		}
		return modelLoaded{m: it, it: it, used: models.Used{Runtime: tflite.Runtime{}.Name(), Delegate: models.DelegateNone}}, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return modelLoaded{}, err
	}
	if st.Size() > maxModelFile {
		return modelLoaded{}, fmt.Errorf("%s: model file is %d bytes, larger than the %d-byte limit", path, st.Size(), maxModelFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return modelLoaded{}, err
	}
	m, used, err := runtimes.Builtin().Load(data, c, opts)
	if err != nil {
		return modelLoaded{}, fmt.Errorf("%s: %w", path, err)
	}
	if used.Fallback != "" {
		fmt.Fprintf(stderr, "axle: %s runs on the pure-Go runtime: %s\n", path, used.Fallback)
	}
	it, _ := m.(*tflite.Interpreter)
	return modelLoaded{m: m, it: it, used: used}, nil
}
