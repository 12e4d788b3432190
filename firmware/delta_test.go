package firmware

import (
	"bytes"
	"context"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/selfupdate"
)

func putSignMag(b []byte, v int64) {
	neg := v < 0
	if neg {
		v = -v
	}
	binary.LittleEndian.PutUint64(b, uint64(v))
	if neg {
		b[7] |= 0x80
	}
}

func bzip2(t testing.TB, b []byte) []byte {
	t.Helper()
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}

// makePatch writes a BSDIFF40 patch from old to new with one control
// triple: add the byte-wise difference over the common length, then copy
// the rest from the extra block. Real bsdiff finds better matches; the
// format, and so the patcher's work, is the same.
func makePatch(t testing.TB, old, new []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("bzip2"); err != nil {
		t.Skip("bzip2 not installed; needed to write a bsdiff patch")
	}
	add := min(len(old), len(new))
	ctrl := make([]byte, 24)
	putSignMag(ctrl[0:], int64(add))
	putSignMag(ctrl[8:], int64(len(new)-add))
	diff := make([]byte, add)
	for i := range diff {
		diff[i] = new[i] - old[i]
	}
	cz, dz, ez := bzip2(t, ctrl), bzip2(t, diff), bzip2(t, new[add:])
	hdr := make([]byte, bsdiffHeaderLen)
	copy(hdr, "BSDIFF40")
	putSignMag(hdr[8:], int64(len(cz)))
	putSignMag(hdr[16:], int64(len(dz)))
	putSignMag(hdr[24:], int64(len(new)))
	return bytes.Join([][]byte{hdr, cz, dz, ez}, nil)
}

func TestStageFromDelta(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	patch := filepath.Join(e.dir, "dl", "v1-v2.bsdiff")
	writeFile(t, patch, makePatch(t, e.v1, e.v2), 0o644)
	r := e.req()
	r.Path = ""
	r.PatchPath = patch
	s, err := e.u.Stage(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Delta || s.Fallback != "" {
		t.Fatalf("staged = %+v, want from the delta", s)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	targetIs(t, e.target, e.v2, "v2")
}

func TestStageDeltaFallsBackToFullBinary(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	// A patch made against another binary produces the wrong bytes.
	other := randomBytes(3, len(e.v1))
	patch := filepath.Join(e.dir, "dl", "wrong.bsdiff")
	writeFile(t, patch, makePatch(t, other, e.v2), 0o644)
	r := e.req()
	r.PatchPath = patch
	s, err := e.u.Stage(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if s.Delta || !strings.Contains(s.Fallback, "checksum") {
		t.Fatalf("staged = %+v, want the full binary after a checksum mismatch", s)
	}
	if _, err := e.u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	targetIs(t, e.target, e.v2, "v2")

	// Without a full binary the mismatch is an error naming the patch.
	e2 := newEnv(t, Config{})
	writeFile(t, patch, makePatch(t, other, e2.v2), 0o644)
	r = e2.req()
	r.Path, r.PatchPath = "", patch
	if _, err := e2.u.Stage(ctx, r); err == nil || !strings.Contains(err.Error(), "delta "+patch) {
		t.Fatalf("Stage: %v, want an error naming the patch", err)
	}
	targetIs(t, e2.target, e2.v1, "v1")
}

func TestStageDeltaRejectsBadHeaders(t *testing.T) {
	e := newEnv(t, Config{})
	good := makePatch(t, e.v1, e.v2)
	cases := map[string]struct {
		edit func([]byte) []byte
		want string
	}{
		"magic":      {func(b []byte) []byte { b[0] = 'X'; return b }, "magic"},
		"short":      {func(b []byte) []byte { return b[:20] }, "header"},
		"ctrl huge":  {func(b []byte) []byte { putSignMag(b[8:], 1<<50); return b }, "control block length"},
		"diff neg":   {func(b []byte) []byte { putSignMag(b[16:], -5); return b }, "diff block length"},
		"wrong size": {func(b []byte) []byte { putSignMag(b[24:], 1<<40); return b }, "command says"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			patch := filepath.Join(e.dir, "dl", "bad.bsdiff")
			writeFile(t, patch, c.edit(append([]byte(nil), good...)), 0o644)
			r := e.req()
			r.Path, r.PatchPath = "", patch
			_, err := e.u.Stage(context.Background(), r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Stage: %v, want an error containing %q", err, c.want)
			}
			targetIs(t, e.target, e.v1, "v1")
		})
	}
}

// FuzzPatch feeds arbitrary patches through the header check and the
// guarded selfupdate patcher: errors are fine, panics and oversized
// allocations are not.
func FuzzPatch(f *testing.F) {
	old := randomBytes(1, 512)
	new := append(append([]byte(nil), old[:300]...), randomBytes(2, 200)...)
	good := makePatch(f, old, new)
	f.Add(good, int64(len(new)))
	f.Add(good[:40], int64(len(new)))
	neg := append([]byte(nil), good...)
	putSignMag(neg[8:], -1)
	f.Add(neg, int64(len(new)))
	f.Add([]byte("BSDIFF40"), int64(1))
	f.Fuzz(func(t *testing.T, patch []byte, size int64) {
		if len(patch) < bsdiffHeaderLen {
			if _, err := parseBsdiffHeader(patch, int64(len(patch)), size); err == nil {
				t.Fatal("short header accepted")
			}
			return
		}
		h, err := parseBsdiffHeader(patch[:bsdiffHeaderLen], int64(len(patch)), size)
		if err != nil {
			return
		}
		if h.NewSize > 1<<20 {
			return // the caller's MaxSize bounds this; keep the fuzzer's memory small
		}
		var out bytes.Buffer
		err = safePatcher{selfupdate.NewBSDiffPatcher()}.Patch(bytes.NewReader(old), &out, bytes.NewReader(patch))
		if err == nil && int64(out.Len()) != h.NewSize {
			t.Fatalf("patched %d bytes, header says %d", out.Len(), h.NewSize)
		}
	})
}

// FuzzDecodeState: a state file never panics the parser, and what it
// accepts survives a round trip.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"current":"v1"}`))
	f.Add([]byte(`{"current":"v2","previous":"v1","pending":{"version":"v2","from":"v1","sha256":"` + strings.Repeat("ab", 32) + `","started_at":"2026-01-01T00:00:00Z","attempts":2}}`))
	f.Add([]byte(`{"staged":{"version":"v2","sha256":"00","size":1,"path":"/x","staged_at":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"rejected":[{"version":"v3","reason":"crash","at":"2026-01-01T00:00:00Z"}],"reports":[{"seq":1,"result":"rolled_back","old":"v2","new":"v3","running":"v2","at":"2026-01-01T00:00:00Z"}],"next_seq":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data)
		if err != nil {
			return
		}
		dir := t.TempDir()
		u := &Updater{statePath: filepath.Join(dir, stateFileName), st: st}
		if err := u.save(); err != nil {
			t.Fatal(err)
		}
		back, err := loadState(u.statePath)
		if err != nil {
			t.Fatalf("saved state does not load: %v", err)
		}
		if back.Current != st.Current || (back.Pending == nil) != (st.Pending == nil) || len(back.Rejected) != len(st.Rejected) {
			t.Fatalf("round trip changed the state: %+v -> %+v", st, back)
		}
	})
}

func TestParseBsdiffHeaderSignMagnitude(t *testing.T) {
	b := make([]byte, 8)
	for _, v := range []int64{0, 1, -1, 1 << 40, -(1 << 40), 1<<63 - 1} {
		putSignMag(b, v)
		if got := signMag(b); got != v {
			t.Fatalf("signMag(%d) = %d", v, got)
		}
	}
}
