package difftest

import (
	"bytes"
	"context"
	"testing"
)

// TestGenerateRuns checks every generator and type builds models the pure-Go
// interpreter loads and runs, deterministically from the seed, and small.
func TestGenerateRuns(t *testing.T) {
	ctx := context.Background()
	for _, gn := range Generators() {
		for _, typ := range gn.Types {
			for seed := uint64(0); seed < 8; seed++ {
				c, err := Generate(gn.Name, typ, seed)
				if err != nil {
					t.Fatalf("%s %s seed %d: %v", gn.Name, typ, seed, err)
				}
				again, err := Generate(gn.Name, typ, seed)
				if err != nil || !bytes.Equal(c.Model, again.Model) {
					t.Fatalf("%s %s seed %d: not deterministic (%v)", gn.Name, typ, seed, err)
				}
				if len(c.Model) > 16<<10 {
					t.Errorf("%s %s seed %d: model is %d bytes", gn.Name, typ, seed, len(c.Model))
				}
				if _, err := RunGo(ctx, c); err != nil {
					t.Errorf("%s %s seed %d: %v", gn.Name, typ, seed, err)
				}
			}
		}
	}
}
