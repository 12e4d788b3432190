package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/trust"
)

func testManifest() *Manifest {
	return &Manifest{
		V: 1, Name: "pump-anomaly", Version: "1.2.0",
		Created:     time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Description: "bearing fault score — démo",
		Runtime:     Runtime{Ops: []string{"FULLY_CONNECTED"}, ArenaBytes: 4096},
		Input: Input{
			Channels: []string{"vib_x", "vib_y"}, Window: Duration(time.Second), Hop: Duration(time.Second),
			Features:  []string{"rms", "peak"},
			Normalize: &Normalize{Mean: []float64{0, 0, 0, 0}, Std: []float64{1, 1, 1, 1}},
		},
		Output:      Output{Kind: OutputScore, Thresholds: &Thresholds{Warn: 5.68, Alarm: 11.4, Raise: 2, Clear: 3}},
		TestVectors: []TestVector{{Input: "tv0.bin", Expected: []float64{0.5}, Tolerance: 1e-3}},
		Baseline: &Baseline{Score: &Distribution{
			Histogram: &Histogram{Edges: []float64{0, 1, 2}, Counts: []int64{90, 10}},
			Quantiles: &Quantiles{P: []float64{0.5, 0.99}, Values: []float64{0.4, 2.2}},
		}},
		SLO:     &SLO{LatencyP99: Duration(5 * time.Millisecond)},
		Lineage: Lineage{Parent: "1.1.0", TrainingRun: "run-42", CodeCommit: "0123abc", Metrics: map[string]float64{"auc": 0.97}},
	}
}

func packTest(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := Pack(&buf, testManifest(), File{"model.tflite", demomodel.TFLite()}, File{"tv0.bin", make([]byte, 48)})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func keys(t *testing.T) (trust.SecretKey, *trust.Keyring) {
	t.Helper()
	pub, sec, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := trust.NewKeyring(pub)
	return sec, kr
}

func signed(t *testing.T, sk trust.SecretKey) []byte {
	t.Helper()
	raw := packTest(t)
	b, err := Open(bytes.NewReader(raw), int64(len(raw)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sign(sk); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := b.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func open(t *testing.T, raw []byte) (*Bundle, error) {
	t.Helper()
	return Open(bytes.NewReader(raw), int64(len(raw)), Limits{})
}

func TestPackSignVerify(t *testing.T) {
	sk, kr := keys(t)
	raw := signed(t, sk)
	b, err := open(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.Verify(kr)
	if err != nil || id != sk.ID() {
		t.Fatalf("Verify = %q, %v", id, err)
	}
	model, err := b.ReadMember("model.tflite")
	if err != nil || !bytes.Equal(model, demomodel.TFLite()) {
		t.Fatalf("model member differs from the packed model (err %v)", err)
	}
	m := b.Manifest
	if m.Model != "model.tflite" || len(m.Members) != 2 || m.Members[0].Size != int64(len(demomodel.TFLite())) {
		t.Fatalf("manifest members = %+v", m.Members)
	}
	if ps, _ := trust.ParseSignature(b.Signature); ps.TrustedComment != "name:pump-anomaly version:1.2.0" {
		t.Fatalf("trusted comment %q", ps.TrustedComment)
	}
	// The archive is plain ustar: every header says so.
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Format != tar.FormatUSTAR {
			t.Errorf("member %s has format %v", h.Name, h.Format)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	sk, kr := keys(t)
	raw := signed(t, sk)

	_, stranger := keys(t)
	b, _ := open(t, raw)
	if _, err := b.Verify(stranger); !errors.Is(err, trust.ErrUntrustedKey) || !strings.Contains(err.Error(), sk.ID()) {
		t.Errorf("untrusted key: %v", err)
	}

	// Flip one byte of the model's data: the hash check catches it.
	tampered := bytes.Clone(raw)
	mb, _ := b.Member("model.tflite")
	_, off, _ := mb.Outer()
	tampered[off+100] ^= 1
	tb, err := open(t, tampered)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Verify(kr); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "model.tflite") || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("tampered model: %v", err)
	}

	// A manifest edited after signing fails the signature.
	b2, _ := open(t, raw)
	b2.RawManifest = bytes.Replace(b2.RawManifest, []byte(`"auc": 0.97`), []byte(`"auc": 0.99`), 1)
	if _, err := b2.Verify(kr); !errors.Is(err, trust.ErrBadSignature) {
		t.Errorf("edited manifest: %v", err)
	}

	// A valid signature whose trusted comment names another version.
	b3, _ := open(t, raw)
	b3.Signature, _ = trust.Sign(sk, b3.RawManifest, "name:pump-anomaly version:0.9.0")
	if _, err := b3.Verify(kr); err == nil || !strings.Contains(err.Error(), "0.9.0") {
		t.Errorf("mismatched trusted comment: %v", err)
	}

	unsigned, _ := open(t, packTest(t))
	if _, err := unsigned.Verify(kr); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "unsigned") {
		t.Errorf("unsigned: %v", err)
	}
}

type entry struct {
	h    tar.Header
	data []byte
}

// archive writes entries as they are, so tests can make hostile archives.
func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.h
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	return buf.Bytes()
}

// members of the packed test bundle, for assembling variants.
func testEntries(t *testing.T) []entry {
	t.Helper()
	raw := packTest(t)
	tr := tar.NewReader(bytes.NewReader(raw))
	var es []entry
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		data := make([]byte, h.Size)
		tr.Read(data)
		es = append(es, entry{h: tar.Header{Name: h.Name}, data: data})
	}
	return es
}

func TestOpenRefusesHostileArchives(t *testing.T) {
	es := testEntries(t)
	reg := func(name string) entry { return entry{h: tar.Header{Name: name}, data: []byte("x")} }
	cases := map[string]struct {
		raw  []byte
		lim  Limits
		want string
	}{
		"traversal":      {archive(t, append(es, reg("../etc/passwd"))...), Limits{}, "path traversal"},
		"absolute":       {archive(t, append(es, reg("/etc/passwd"))...), Limits{}, "absolute"},
		"directory":      {archive(t, append(es, reg("sub/x"))...), Limits{}, "directories"},
		"symlink":        {archive(t, append(es, entry{h: tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}})...), Limits{}, "not a regular file"},
		"hardlink":       {archive(t, append(es, entry{h: tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "model.tflite"}})...), Limits{}, "not a regular file"},
		"device":         {archive(t, append(es, entry{h: tar.Header{Name: "d", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}})...), Limits{}, "not a regular file"},
		"dir entry":      {archive(t, append(es, entry{h: tar.Header{Name: "d/", Typeflag: tar.TypeDir}})...), Limits{}, "not a regular file"},
		"duplicate":      {archive(t, append(es, es[1])...), Limits{}, "appears twice"},
		"unlisted":       {archive(t, append(es, reg("extra.txt"))...), Limits{}, "not listed"},
		"missing":        {archive(t, es[0], es[1]), Limits{}, "no such member"},
		"no manifest":    {archive(t, es[1:]...), Limits{}, "no manifest.json"},
		"member limit":   {archive(t, es...), Limits{MaxMember: 1000}, "limit 1000"},
		"total limit":    {archive(t, es...), Limits{MaxTotal: 2000}, "limit 2000"},
		"count limit":    {archive(t, es...), Limits{MaxMembers: 2}, "more than 2 members"},
		"size mismatch":  {archive(t, es[0], entry{h: tar.Header{Name: "model.tflite"}, data: []byte("short")}, es[2]), Limits{}, "manifest says"},
		"pax":            {archive(t, append(es, entry{h: tar.Header{Name: "p", Format: tar.FormatPAX, PAXRecords: map[string]string{"comment": "x"}}, data: []byte("x")})...), Limits{}, "plain ustar"},
		"gnu":            {archive(t, append(es, entry{h: tar.Header{Name: "g", Format: tar.FormatGNU}, data: []byte("x")})...), Limits{}, "plain ustar"},
		"garbage":        {[]byte(strings.Repeat("not a tar file ", 100)), Limits{}, "archive entry 0"},
		"empty":          {nil, Limits{}, "no manifest.json"},
		"bad manifest":   {archive(t, entry{h: tar.Header{Name: ManifestName}, data: []byte(`{"v":2}`)}), Limits{}, `field "v"`},
		"huge manifest":  {archive(t, entry{h: tar.Header{Name: ManifestName}, data: make([]byte, MaxManifestBytes+1)}), Limits{}, "manifest.json is"},
		"huge signature": {archive(t, append(es, entry{h: tar.Header{Name: SignatureName}, data: make([]byte, trust.MaxSignatureBytes+1)})...), Limits{}, "minisig is"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(c.raw), int64(len(c.raw)), c.lim)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, c.want)
			}
		})
	}
}

// A header that claims a huge member is refused from the header alone: the
// archive holds none of those bytes, so reading them would fail differently.
func TestOpenChecksSizeBeforeReading(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "model.tflite", Typeflag: tar.TypeReg, Size: 1 << 32, Format: tar.FormatUSTAR})
	tw.Flush()
	raw := buf.Bytes()
	_, err := Open(bytes.NewReader(raw), int64(len(raw)), Limits{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "4294967296 bytes, limit") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Open(bytes.NewReader(raw), 1<<40, Limits{}); err == nil || !strings.Contains(err.Error(), "archive is") {
		t.Fatalf("oversized archive: %v", err)
	}
}

func TestDecodeManifestErrorsNameTheField(t *testing.T) {
	b, err := open(t, packTest(t))
	if err != nil {
		t.Fatal(err)
	}
	good := b.RawManifest
	if _, err := DecodeManifest(good); err != nil {
		t.Fatalf("good manifest: %v", err)
	}
	edit := func(old, new string) []byte {
		t.Helper()
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("test manifest lacks %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	cases := []struct {
		raw  []byte
		want string
	}{
		{edit(`"window": "1s"`, `"window": "1s", "windw": "2s"`), `field "input.windw": unknown field`},
		{edit(`"auc": 0.97`, `"auc": 0.97, "auc": 0.5`), `field "lineage.metrics.auc": given twice`},
		{edit(`"name": "pump-anomaly"`, `"name": "pump-anomaly", "name": "x"`), `field "name": given twice`},
		{edit(`"arena_bytes": 4096`, `"arena_bytes": "big"`), `field "runtime.arena_bytes"`},
		{edit(`"arena_bytes": 4096`, `"arena_bytes": 4096, "name": "onnx"`), `field "runtime.name": runtime "onnx": want go, tflite or auto`},
		{edit(`"arena_bytes": 4096`, `"arena_bytes": 4096, "name": "tflite", "delegate": "npu"`), `field "runtime.delegate": delegate "npu"`},
		{edit(`"arena_bytes": 4096`, `"arena_bytes": 4096, "name": "go", "delegate": "edgetpu"`), `field "runtime.delegate": delegate "edgetpu" needs runtime tflite or auto`},
		{edit(`"arena_bytes": 4096`, `"arena_bytes": 4096, "delegate": "external:rel.so"`), `field "runtime.delegate": delegate "external:rel.so"`},
		{edit(`"name": "pump-anomaly"`, `"name": "../etc"`), `field "name"`},
		{edit(`"version": "1.2.0"`, `"version": "1 2"`), `field "version"`},
		{edit(`"rms"`, `"fft"`), `field "input.features[0]": "fft" is not a feature`},
		{edit(`"hop": "1s"`, `"hop": "2s"`), `field "input.hop"`},
		{edit(`"window": "1s"`, `"window": "soon"`), `duration "soon"`},
		{edit(`"warn": 5.68`, `"warn": 50`), `field "output.thresholds.warn"`},
		{edit(`"raise": 2`, `"raise": 0`), `field "output.thresholds.raise"`},
		{edit(`"kind": "score"`, `"kind": "labels"`), `field "output.labels"`},
		{edit(`"counts": [`, `"counts": [1, `), `field "baseline.score.histogram.counts"`},
		{edit(`"input": "tv0.bin"`, `"input": "nope.bin"`), `field "test_vectors[0].input"`},
		{edit(`"tolerance": 0.001`, `"tolerance": -1`), `field "test_vectors[0].tolerance"`},
		{edit(`"code_commit": "0123abc"`, `"code_commit": "HEAD"`), `field "lineage.code_commit"`},
		{edit(`"model": "model.tflite"`, `"model": "other.tflite"`), `field "model"`},
		{append(bytes.Clone(good), `{}`...), "trailing data"},
		{[]byte(`[1,2]`), "cannot unmarshal"},
		{[]byte(`{"v":1,`), "malformed JSON"},
		{[]byte(`{"lineage":{"metrics":` + strings.Repeat("[", 100000)), "nested deeper than"},
	}
	for _, c := range cases {
		_, err := DecodeManifest(c.raw)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bundle: manifest") {
			t.Errorf("err = %v, want one containing %q", err, c.want)
		}
	}
	// Sizes and hashes of members are validated too.
	m := testManifest()
	m.Model, m.Members = "model.tflite", []Member{{Name: "model.tflite", Size: 1, SHA256: "ABC"}, {Name: "tv0.bin", Size: 1, SHA256: strings.Repeat("0", 64)}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), `"members[0].sha256"`) {
		t.Errorf("bad hash: %v", err)
	}
}

func FuzzDecodeManifest(f *testing.F) {
	m := testManifest()
	Pack(io.Discard, m, File{"model.tflite", []byte("m")}, File{"tv0.bin", []byte("t")})
	good, _ := m.Encode()
	f.Add(good)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":1,"input":{"x":[{"a":1}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same manifest.
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded manifest does not encode: %v", err)
		}
		if _, err := DecodeManifest(again); err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	pub, sec, _ := trust.GenerateKey()
	kr, _ := trust.NewKeyring(pub)
	var buf bytes.Buffer
	Pack(&buf, testManifest(), File{"model.tflite", []byte("not really a model")}, File{"tv0.bin", make([]byte, 8)})
	f.Add(buf.Bytes())
	b, _ := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), Limits{})
	b.Sign(sec)
	var sb bytes.Buffer
	b.WriteTo(&sb)
	f.Add(sb.Bytes())
	f.Add([]byte{})
	var hostile bytes.Buffer
	tw := tar.NewWriter(&hostile)
	tw.WriteHeader(&tar.Header{Name: "../x", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 1 << 32})
	f.Add(hostile.Bytes())
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Open(bytes.NewReader(raw), int64(len(raw)), Limits{MaxTotal: 1 << 20, MaxMember: 1 << 20, MaxMembers: 16})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		b.Verify(kr)
		for _, mb := range b.Manifest.Members {
			b.ReadMember(mb.Name)
		}
	})
}

func TestRuntimeChoice(t *testing.T) {
	cases := []struct {
		r    Runtime
		want models.Choice
	}{
		{Runtime{}, models.Choice{}},
		{Runtime{Preference: "tflite"}, models.Choice{Runtime: "go"}},
		{Runtime{Preference: "tflitecgo", Delegate: "xnnpack"}, models.Choice{Runtime: "tflite", Delegate: "xnnpack"}},
		{Runtime{Name: "auto", Preference: "tflite", Delegate: "edgetpu"}, models.Choice{Runtime: "auto", Delegate: "edgetpu"}},
	}
	for _, tc := range cases {
		if got := tc.r.Choice(); got != tc.want {
			t.Errorf("%+v: choice %+v, want %+v", tc.r, got, tc.want)
		}
	}
}
