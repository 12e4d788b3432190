package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
)

// bigCapture is a 3-channel window of 3,200 samples (about 38 KB).
func bigCapture() Capture {
	c := testCapture(TriggerAlert, 5)
	c.Channels = []string{"ax", "ay", "az"}
	c.SampleRate = 3200
	c.Window = make([][]float32, 3)
	for ch := range c.Window {
		c.Window[ch] = make([]float32, 3200)
		for i := range c.Window[ch] {
			c.Window[ch][i] = float32(ch*10000+i) / 7
		}
	}
	return c
}

func TestChunksDescribeTheFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Budget: 1 << 20})
	id := add(t, s, bigCapture())
	file, err := os.ReadFile(filepath.Join(dir, id+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Chunks(id, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	m := u.Meta()
	sum := sha256.Sum256(file)
	if m.SHA256 != hex.EncodeToString(sum[:]) || m.Size != int64(len(file)) || m.Kind != "capture" || m.Chunks != (len(file)+4095)/4096 {
		t.Fatalf("meta %+v for a %d-byte file", m, len(file))
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	// Labelling replaces the file; the open upload still sends the old bytes.
	if err := s.Label(id, "healthy"); err != nil {
		t.Fatal(err)
	}
	var joined []byte
	for c, err := range u.All(0) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Offset != int64(len(joined)) || c.SHA256 != m.ChunkSHA256[c.Index] {
			t.Fatalf("chunk %d at %d, hash %s", c.Index, c.Offset, c.SHA256)
		}
		joined = append(joined, c.Data...)
	}
	if !bytes.Equal(joined, file) {
		t.Fatal("chunks do not join into the file")
	}
	// Resuming at the last chunk yields only that one.
	n := 0
	for c, err := range u.All(m.Chunks - 1) {
		if err != nil || c.Index != m.Chunks-1 {
			t.Fatalf("resumed chunk %d: %v", c.Index, err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("resume yielded %d chunks", n)
	}
	if _, err := u.Chunk(m.Chunks); err == nil {
		t.Fatal("chunk past the end accepted")
	}
	for _, size := range []int64{0, artifact.MaxChunkSize + 1} {
		if _, err := s.Chunks(id, size); err == nil {
			t.Errorf("chunk size %d accepted", size)
		}
	}
	if _, err := s.Chunks("000000000777", 4096); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestChunksRefuseCorruptFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Budget: 1 << 20})
	id := add(t, s, bigCapture())
	p := filepath.Join(dir, id+fileExt)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chunks(id, 4096); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt capture offered for upload: %v", err)
	}
}

// TestUploadThroughMosquitto publishes a capture with artifact.Publish to a
// real broker and fetches it back with artifact.Fetch, as a server would.
func TestUploadThroughMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mosquitto")
	}
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	want := bigCapture()
	id := add(t, s, want)
	u, err := s.Chunks(id, 8192)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := uplink.Config{Broker: b.URL(), ClientID: "gw1", MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	c, err := uplink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(runCtx) }()
	defer func() { stop(); <-done }()

	m := u.Meta()
	pm, err := artifact.Publish(ctx, c, "", u, m.Size, artifact.PublishOptions{ChunkSize: m.ChunkSize, Name: m.Name, Kind: m.Kind})
	if err != nil {
		t.Fatal(err)
	}
	if pm.SHA256 != m.SHA256 || !reflect.DeepEqual(pm.ChunkSHA256, m.ChunkSHA256) {
		t.Fatal("published meta differs from the upload's")
	}
	fcfg := cfg
	fcfg.ClientID = "server-fetch"
	path, err := artifact.Fetch(ctx, artifact.Source{Kind: artifact.KindMQTT, MQTT: fcfg},
		artifact.Want{SHA256: m.SHA256, Size: m.Size}, artifact.Options{Dir: t.TempDir(), MaxSize: MaxFileSize})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || !reflect.DeepEqual(got.Window, want.Window) || !reflect.DeepEqual(got.Features, want.Features) {
		t.Fatal("fetched capture differs from the stored one")
	}
}
