package difftest

import (
	"context"
	"errors"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite"
)

// FuzzGenerated drives the generator with the fuzzer's bytes and checks
// that the pure-Go interpreter never panics on a generated model, stays
// within its memory limit, and either runs it or refuses it with an error.
func FuzzGenerated(f *testing.F) {
	for i := range generators() {
		f.Add([]byte{byte(i), 0, 1, 2, 3, 4, 5, 6, 7, 8})
		f.Add([]byte{byte(i), 1, 0xff, 0xfe, 0x80, 0x7f, 0, 0, 0, 0, 0x55})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := FromBytes(data)
		if err != nil {
			t.Fatalf("generator: %v", err)
		}
		it, err := tflite.Load(c.Model, models.Options{Threads: 1, MaxBytes: MaxBytes})
		if err != nil {
			if errors.Is(err, tflite.ErrInternal) {
				t.Fatalf("%s %s: load panicked: %v", c.Op, c.Type, err)
			}
			return
		}
		defer it.Close()
		for i, in := range c.Inputs {
			copy(it.Input(i), in.Data)
		}
		err = it.Invoke(context.Background())
		if errors.Is(err, tflite.ErrInternal) {
			t.Fatalf("%s %s: invoke panicked: %v", c.Op, c.Type, err)
		}
		if used := it.MemoryBytes(); used > MaxBytes {
			t.Fatalf("%s %s: uses %d bytes, limit %d", c.Op, c.Type, used, MaxBytes)
		}
	})
}
