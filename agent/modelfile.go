package agent

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/axle-edge/axle/models/demomodel"
)

// maxModelFile bounds a model file read from disk before it is parsed.
const maxModelFile = 256 << 20

// loadModelBytes reads a model named in the config: a file path, or
// "builtin:demo" for the model embedded in the binary.
func loadModelBytes(name string) ([]byte, error) {
	if b, ok := strings.CutPrefix(name, "builtin:"); ok {
		if b != "demo" {
			return nil, fmt.Errorf("unknown builtin model %q (known: builtin:demo)", name)
		}
		return demomodel.TFLite(), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxModelFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxModelFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxModelFile>>20)
	}
	return data, nil
}
