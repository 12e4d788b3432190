// Command gen regenerates the demo model files (make model).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/axle-edge/axle/models/demomodel"
)

func main() {
	out := flag.String("out", "models/demomodel/demo.tflite", "model file to write; the metadata goes beside it as .json")
	flag.Parse()
	model, meta, err := demomodel.Generate(demomodel.DefaultRecipe)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	metaPath := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".json"
	for path, data := range map[string][]byte{*out: model, metaPath: meta} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", path, len(data))
	}
}
