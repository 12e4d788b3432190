package firmware

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkUpdateCycle measures Stage, Commit, Boot and Confirm of an
// 8 MiB binary (about the agent's size), fsyncs included.
func BenchmarkUpdateCycle(b *testing.B) {
	dir := b.TempDir()
	target := filepath.Join(dir, "axle")
	bins := [2][]byte{randomBytes(1, 8<<20), randomBytes(2, 8<<20)}
	paths := [2]string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	for i := range bins {
		if err := os.WriteFile(paths[i], bins[i], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(target, bins[0], 0o755); err != nil {
		b.Fatal(err)
	}
	u, err := Open(Config{Target: target, StateDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := u.Boot("v0"); err != nil {
		b.Fatal(err)
	}
	sums := [2]string{sum(bins[0]), sum(bins[1])}
	ctx := context.Background()
	b.SetBytes(int64(len(bins[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := i + 1
		v := fmt.Sprintf("v%d", n)
		if _, err := u.Stage(ctx, StageRequest{Version: v, SHA256: sums[n%2], Size: int64(len(bins[n%2])), Path: paths[n%2], Verify: okVerify}); err != nil {
			b.Fatal(err)
		}
		if _, err := u.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := u.Boot(v); err != nil {
			b.Fatal(err)
		}
		if _, err := u.Confirm(v); err != nil {
			b.Fatal(err)
		}
		if err := u.AckReports(^uint64(0)); err != nil {
			b.Fatal(err)
		}
	}
}
