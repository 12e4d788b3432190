// Command schemagen writes the Go constants that mirror two parts of
// TensorFlow Lite's FlatBuffers schema (schema.fbs): the BuiltinOperator enum
// (models/tflite/ops/opcodes.go), the BuiltinOptions union
// (models/build/options_gen.go), and the interpreter's typed options: one Go
// struct and decoder per options table, and the operator -> options type
// table (models/tflite/ops/options_gen.go).
//
// The schema is not part of this repository. Point TFLITE_SCHEMA at a copy of
// tensorflow/compiler/mlir/lite/schema/schema.fbs (or LiteRT's copy) and run
// `make generate`; the go:generate lines in those packages call this command.
//
//	schemagen -schema schema.fbs -what ops -out opcodes.go
//	schemagen -schema schema.fbs -what options -out options_gen.go
//	schemagen -schema schema.fbs -what opts -out options_gen.go
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	schema := flag.String("schema", os.Getenv("TFLITE_SCHEMA"), "path of TFLite's schema.fbs (default $TFLITE_SCHEMA)")
	what := flag.String("what", "", "what to generate: ops (BuiltinOperator), options (BuiltinOptions type ids) or opts (typed options for the interpreter)")
	out := flag.String("out", "", "output Go file")
	flag.Parse()
	if err := run(*schema, *what, *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(schema, what, out string) error {
	if schema == "" {
		return fmt.Errorf("no schema: set TFLITE_SCHEMA to a copy of TFLite's schema.fbs, or pass -schema")
	}
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	src, err := os.ReadFile(schema)
	if err != nil {
		return err
	}
	var code []byte
	switch what {
	case "ops":
		ops, err := parseEnum(string(src), "BuiltinOperator")
		if err != nil {
			return fmt.Errorf("%s: %w", schema, err)
		}
		code, err = opsFile(ops)
		if err != nil {
			return err
		}
	case "options":
		opts, err := parseUnion(string(src), "BuiltinOptions")
		if err != nil {
			return fmt.Errorf("%s: %w", schema, err)
		}
		code, err = optionsFile(opts)
		if err != nil {
			return err
		}
	case "opts":
		code, err = genOpts(string(src))
		if err != nil {
			return fmt.Errorf("%s: %w", schema, err)
		}
	default:
		return fmt.Errorf("-what must be ops, options or opts, not %q", what)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, code, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
