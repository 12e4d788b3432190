package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkInstallActivate measures one deployment's disk work: install a
// 1 MiB bundle (copy, hash, fsyncs, rename) and activate it (re-hash,
// pointer and meta writes, prune, audit entries).
func BenchmarkInstallActivate(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	bundle := bytes.Repeat([]byte("axle"), 1<<18)
	sum := sumOf(bundle)
	b.SetBytes(int64(len(bundle)))
	i := 0
	for b.Loop() {
		v := fmt.Sprint(i)
		i++
		if _, err := s.Install(ctx, "m", v, bytes.NewReader(bundle), sum, InstallOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := s.Activate(ctx, "m", v, ActivateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures a restart: Open re-hashes every active bundle.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	root := b.TempDir()
	s, err := Open(ctx, root, Options{})
	if err != nil {
		b.Fatal(err)
	}
	bundle := bytes.Repeat([]byte("axle"), 1<<18)
	for _, m := range []string{"pump", "fan", "motor"} {
		if _, err := s.Install(ctx, m, "1", bytes.NewReader(bundle), sumOf(bundle), InstallOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := s.Activate(ctx, m, "1", ActivateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := Open(ctx, root, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
