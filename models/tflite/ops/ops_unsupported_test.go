package ops_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestUnsupportedOpsFailToLoad loads a one-operator model for every
// operator of TFLite's resolver that axle does not implement, at TFLite's
// highest version, and for every implemented one at one version past
// axle's, and an unknown custom operator: each must fail to load with an
// error naming the operator, its version and the node.
func TestUnsupportedOpsFailToLoad(t *testing.T) {
	r := ops.Builtins()
	load := func(name string, version int, add func(b *build.Builder, x, out int)) error {
		b := build.New()
		x := b.Input("x", models.Float32, []int{1}, nil)
		out := b.Tensor("out", models.Float32, []int{1}, nil)
		add(b, x, out)
		b.Output(out)
		data, err := b.Bytes()
		if err != nil {
			t.Fatalf("%s: build: %v", name, err)
		}
		it, err := tflite.Load(data, models.Options{})
		if err == nil {
			it.Close()
		}
		return err
	}
	check := func(err error, name string, version int, extra ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s version %d loaded", name, version)
			return
		}
		for _, want := range append([]string{name, fmt.Sprintf("version %d", version), "node 0", "not supported"}, extra...) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s version %d: error %q does not contain %q", name, version, err, want)
			}
		}
	}
	missing := 0
	for _, line := range strings.Split(strings.TrimSpace(ops.TFLiteResolver), "\n") {
		f := strings.Fields(line)
		name := f[0]
		hi, _ := strconv.Atoi(f[2])
		op, builtin := ops.OpByName(name)
		if !builtin {
			if r.Custom[name] != nil {
				continue
			}
			missing++
			err := load(name, 1, func(b *build.Builder, x, out int) { b.CustomOp(name, 1, []int{x}, []int{out}, nil) })
			check(err, name, 1)
			continue
		}
		if k := r.Builtin[op]; k != nil {
			err := load(name, k.MaxVersion+1, func(b *build.Builder, x, out int) { b.Op(op, k.MaxVersion+1, []int{x}, []int{out}, build.Options{}) })
			check(err, name, k.MaxVersion+1, fmt.Sprintf("up to version %d", k.MaxVersion))
			continue
		}
		missing++
		err := load(name, hi, func(b *build.Builder, x, out int) { b.Op(op, hi, []int{x}, []int{out}, build.Options{}) })
		check(err, name, hi)
	}
	// Every operator of the resolver is implemented today; a custom
	// operator no runtime knows still has to fail the same way.
	const unknown = "AxleNoSuchOp"
	check(load(unknown, 1, func(b *build.Builder, x, out int) { b.CustomOp(unknown, 1, []int{x}, []int{out}, nil) }), unknown, 1)
	t.Logf("%d operators of the resolver are not implemented", missing)
}
