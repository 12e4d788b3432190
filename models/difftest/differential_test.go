//go:build tflite

package difftest

import (
	"context"
	"testing"
)

// seedsPerType keeps TestDifferential well under a minute.
const seedsPerType = 60

// TestDifferential runs fresh random seeds of every generator and type
// through both runtimes; any disagreement not listed in Known fails.
func TestDifferential(t *testing.T) {
	ctx := context.Background()
	for _, gn := range Generators() {
		for _, typ := range gn.Types {
			var agree, refused int
			for seed := uint64(1000); seed < 1000+seedsPerType; seed++ {
				c, err := Generate(gn.Name, typ, seed)
				if err != nil {
					t.Fatal(err)
				}
				out, want, got, err := check(ctx, c)
				switch out {
				case Agree:
					agree++
				case Refused:
					refused++
				case Disagree:
					if why, ok := KnownOpType(gn.Name, typ, got, want); ok {
						t.Logf("%s %s seed %d: known disagreement (%s): %v", gn.Name, typ, seed, why, err)
						continue
					}
					t.Errorf("%s %s seed %d: %v", gn.Name, typ, seed, err)
				}
			}
			if agree == 0 && refused == seedsPerType {
				t.Logf("%s %s: TFLite refused every seed", gn.Name, typ)
			}
		}
	}
}

// FuzzDifferential lets the fuzzer's bytes drive the generator and checks
// both runtimes agree on every model TFLite accepts.
func FuzzDifferential(f *testing.F) {
	for i := range Generators() {
		f.Add([]byte{byte(i), 0, 1, 2, 3, 4, 5, 6, 7, 8})
		f.Add([]byte{byte(i), 1, 0xff, 0xfe, 0x80, 0x7f, 0, 0, 0, 0, 0x55})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := FromBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		out, want, got, err := check(context.Background(), c)
		if out != Disagree {
			return
		}
		if _, ok := KnownOpType(c.Op, c.Type, got, want); ok {
			return
		}
		t.Fatalf("%s %s: %v", c.Op, c.Type, err)
	})
}
