//go:build tflite

// Command difftest-goldens generates cases for every generator and type,
// runs them through TensorFlow Lite (builtin CPU kernels, one thread) and
// writes each accepted case as <dir>/<op>_<type>_<n>.tflite plus a golden
// JSON with its inputs and TFLite's outputs. It prints one line per op and
// type with how many cases TFLite refused and how many the pure-Go
// interpreter agreed or disagreed on, and each disagreement.
//
//	go run -tags tflite ./models/difftest/cmd/difftest-goldens [-n 3] [-dir models/difftest/testdata/cases]
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"

	"github.com/axle-edge/axle/models/difftest"
)

func main() {
	n := flag.Int("n", 3, "cases per op and type")
	tries := flag.Int("tries", 40, "seeds to try per op and type before giving up")
	dir := flag.String("dir", "models/difftest/testdata/cases", "output folder (its *.tflite and *.json are replaced)")
	only := flag.String("op", "", "only this generator")
	typ := flag.String("type", "", "with -op and -seed: store that one case as <op>_<type>_s<seed> (a regression case)")
	seed := flag.Uint64("seed", 0, "see -type")
	flag.Parse()
	var err error
	if *typ != "" {
		err = one(*dir, *only, *typ, *seed)
	} else {
		err = run(*dir, *only, *n, *tries)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "difftest-goldens:", err)
		os.Exit(1)
	}
}

// one stores a single case, whatever the runtimes' verdict.
func one(dir, op, typ string, seed uint64) error {
	c, err := difftest.Generate(op, typ, seed)
	if err != nil {
		return err
	}
	out, want, err := difftest.Check(context.Background(), c)
	fmt.Printf("%s %s seed %d: %s %v\n", op, typ, seed, out, err)
	if want == nil {
		return fmt.Errorf("TFLite gave no outputs")
	}
	return difftest.WriteCase(dir, fmt.Sprintf("%s_s%d", difftest.Name(op, typ, 0)[:len(difftest.Name(op, typ, 0))-2], seed), c, want)
}

// baseSeed keeps each op/type's seeds stable when generators are added.
func baseSeed(op, typ string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(op + "/" + typ))
	return h.Sum64()
}

func run(dir, only string, n, tries int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if only == "" {
		for _, pat := range []string{"*.tflite", "*.json"} {
			old, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, f := range old {
				if err := os.Remove(f); err != nil {
					return err
				}
			}
		}
	}
	ctx := context.Background()
	var total [3]int
	for _, gn := range difftest.Generators() {
		if only != "" && gn.Name != only {
			continue
		}
		for _, typ := range gn.Types {
			var count [3]int
			kept := 0
			for i := 0; i < tries && kept < n; i++ {
				seed := baseSeed(gn.Name, typ) + uint64(i)
				c, err := difftest.Generate(gn.Name, typ, seed)
				if err != nil {
					return err
				}
				out, want, err := difftest.Check(ctx, c)
				count[out]++
				if out == difftest.Refused {
					continue
				}
				name := difftest.Name(gn.Name, typ, kept)
				if out == difftest.Disagree {
					fmt.Printf("  DISAGREE %s (seed %d): %v\n", name, seed, err)
					if want == nil {
						continue
					}
				}
				if err := difftest.WriteCase(dir, name, c, want); err != nil {
					return err
				}
				kept++
			}
			for k := range total {
				total[k] += count[k]
			}
			fmt.Printf("%-22s %-8s kept %d  agree %d  disagree %d  refused %d\n", gn.Name, typ, kept, count[difftest.Agree], count[difftest.Disagree], count[difftest.Refused])
		}
	}
	fmt.Printf("total: agree %d  disagree %d  refused %d\n", total[difftest.Agree], total[difftest.Disagree], total[difftest.Refused])
	return nil
}
