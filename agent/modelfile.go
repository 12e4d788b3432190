package agent

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// maxModelFile bounds a model file read from disk before it is parsed.
const maxModelFile = 256 << 20

// LoadModelBytes reads a model named in the config: a file path, or
// "builtin:NAME" for a model embedded in the binary, looked up in builtin
// (main hands in the demo model as builtin["demo"]).
func LoadModelBytes(name string, builtin map[string][]byte) ([]byte, error) {
	if b, ok := strings.CutPrefix(name, "builtin:"); ok {
		data, ok := builtin[b]
		if !ok {
			known := make([]string, 0, len(builtin))
			for k := range builtin {
				known = append(known, "builtin:"+k)
			}
			slices.Sort(known)
			return nil, fmt.Errorf("unknown builtin model %q (known: %v)", name, known)
		}
		return data, nil
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
