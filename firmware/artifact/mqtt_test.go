package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

const testWait = 60 * time.Second

// testData is size bytes, the same for a given seed.
func testData(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func clientConfig(broker, id string) uplink.Config {
	return uplink.Config{Broker: broker, ClientID: id, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
}

// runClient starts an uplink client, connected when it returns.
func runClient(t testing.TB, cfg uplink.Config) *uplink.Client {
	t.Helper()
	c, err := uplink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, testWait)
	defer wcancel()
	if err := c.WaitConnected(wctx); err != nil {
		t.Fatalf("connect %s: %v", cfg.ClientID, err)
	}
	return c
}

// publishTest publishes data under prefix "axle" and returns its meta.
func publishTest(t testing.TB, broker string, data []byte) Meta {
	t.Helper()
	c := runClient(t, clientConfig(broker, "publisher"))
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	var last int64
	m, err := Publish(ctx, c, "", bytes.NewReader(data), int64(len(data)), PublishOptions{Name: "m", Kind: "bundle", Version: "1", Progress: func(d, _ int64) { last = d }})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if last != int64(len(data)) {
		t.Fatalf("publish progress ended at %d of %d", last, len(data))
	}
	return m
}

func mqttSource(broker string) Source {
	return Source{Kind: KindMQTT, MQTT: clientConfig(broker, "gw1-fetch")}
}

func fetchCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	t.Cleanup(cancel)
	return ctx
}

func checkResult(t *testing.T, path string, data []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("fetched file differs from the published artifact (%d vs %d bytes)", len(got), len(data))
	}
	if filepath.Base(path) != shaHex(data) {
		t.Fatalf("result path %s is not named by its sha256", path)
	}
}

const size3M = 3<<20 + 1000 // 13 chunks of 256 KiB, the last one short

func TestMQTTPublishExistsFetchDelete(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(size3M, 1)
	ctx := fetchCtx(t)
	sha := shaHex(data)

	if _, ok, err := Exists(ctx, clientConfig(b.URL(), "cli"), "", sha); err != nil || ok {
		t.Fatalf("Exists before publishing = %v, %v; want false", ok, err)
	}
	m := publishTest(t, b.URL(), data)
	if m.SHA256 != sha || m.Chunks != 13 || m.Size != size3M {
		t.Fatalf("meta %s %d chunks %d bytes", m.SHA256, m.Chunks, m.Size)
	}
	got, ok, err := Exists(ctx, clientConfig(b.URL(), "cli"), "", sha)
	if err != nil || !ok || got.SHA256 != sha || got.Version != "1" {
		t.Fatalf("Exists after publishing = %+v, %v, %v", got.SHA256, ok, err)
	}

	dir := t.TempDir()
	var last Progress
	path, err := Fetch(ctx, mqttSource(b.URL()), Want{SHA256: sha, Size: size3M}, Options{Dir: dir, MaxSize: 4 << 20, Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	checkResult(t, path, data)
	if last.Done != size3M || last.ChunksDone != 13 || last.Chunks != 13 {
		t.Fatalf("last progress %+v", last)
	}
	for _, leftover := range []string{sha + ".part", sha + ".chunks"} {
		if _, err := os.Stat(filepath.Join(dir, leftover)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left behind: %v", leftover, err)
		}
	}

	c := runClient(t, clientConfig(b.URL(), "deleter"))
	if err := Delete(ctx, c, "", m); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok, err := Exists(ctx, clientConfig(b.URL(), "cli"), "", sha); err != nil || ok {
		t.Fatalf("Exists after Delete = %v, %v; want false", ok, err)
	}
}

func TestMQTTNetworkCutResumes(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(size3M, 2)
	publishTest(t, b.URL(), data)
	px := uplinktest.NewProxy(t, b.Addr())

	var once sync.Once
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	cutAt := -1
	opts := Options{Dir: t.TempDir(), MaxSize: 4 << 20, Window: 4, Progress: func(p Progress) {
		if p.ChunksDone >= p.Chunks/2 {
			once.Do(func() {
				cutAt = p.ChunksDone
				before := px.Accepts()
				px.Cut()
				// Give the network back once the fetcher has tried and failed.
				// (Polled here, not with WaitFor: t.Fatal must not run off
				// the test goroutine.)
				wg.Go(func() {
					defer px.Restore()
					deadline := time.Now().Add(testWait)
					for px.Accepts() <= before && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond) // polling interval
					}
				})
			})
		}
	}}
	src := mqttSource(px.URL())
	path, err := Fetch(fetchCtx(t), src, Want{SHA256: shaHex(data), Size: size3M}, opts)
	if err != nil {
		t.Fatalf("fetch across a cut: %v", err)
	}
	checkResult(t, path, data)
	if cutAt < 0 || cutAt >= 13 {
		t.Fatalf("the network was not cut mid-transfer (cut after %d chunks)", cutAt)
	}
	wg.Wait()
	if px.Accepts() < 3 {
		t.Fatalf("proxy accepted %d connections; a resumed transfer needs a refused and a new one", px.Accepts())
	}
}

func TestMQTTRestartResumesWithoutRefetching(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(size3M, 3)
	publishTest(t, b.URL(), data)
	want := Want{SHA256: shaHex(data), Size: size3M}
	dir := t.TempDir()

	// First run: "killed" after 5 chunks.
	ctx, cancel := context.WithCancel(fetchCtx(t))
	stopped := 0
	_, err := Fetch(ctx, mqttSource(b.URL()), want, Options{Dir: dir, MaxSize: 4 << 20, Window: 2, Progress: func(p Progress) {
		if p.ChunksDone >= 5 && stopped == 0 {
			stopped = p.ChunksDone
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "chunk") {
		t.Fatalf("cancelled fetch returned %v, want a chunk step wrapping context.Canceled", err)
	}

	// The sidecar lists what the first run verified; damage one of those
	// chunks in the part file: the restart must notice and fetch it again.
	st := (&part{dir: dir, sha: want.SHA256, meta: Meta{Size: size3M, ChunkSize: MaxChunkSize, Chunks: 13}}).sidecar(t)
	recorded := 0
	for n := range 13 {
		if st.Done[n/8]&(1<<(n%8)) != 0 {
			recorded++
		}
	}
	if recorded < stopped || st.Done[0]&1 == 0 {
		t.Fatalf("sidecar records %d chunks (bitmap %x), the first run verified %d from chunk 0", recorded, st.Done, stopped)
	}
	f, err := os.OpenFile(filepath.Join(dir, want.SHA256+".part"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{^data[10]}, 10); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// Second run on the same dir, as after a restart.
	var first, last Progress
	calls := 0
	path, err := Fetch(fetchCtx(t), mqttSource(b.URL()), want, Options{Dir: dir, MaxSize: 4 << 20, Window: 2, Progress: func(p Progress) {
		if calls == 0 {
			first = p
		}
		calls++
		last = p
	}})
	if err != nil {
		t.Fatalf("resumed fetch: %v", err)
	}
	checkResult(t, path, data)
	if first.ChunksDone != recorded-1 {
		t.Fatalf("resume started with %d chunks verified, want the %d recorded minus the damaged one", first.ChunksDone, recorded)
	}
	if last.Received != 13-first.ChunksDone {
		t.Fatalf("resumed fetch received %d chunk messages, want exactly the %d missing", last.Received, 13-first.ChunksDone)
	}
}

// publishRaw publishes one retained message with a plain client.
func publishRaw(t *testing.T, broker, topic string, payload []byte) {
	t.Helper()
	c := uplinktest.NewConsumer(t, broker, "raw-"+shaHex([]byte(topic))[:16], func(string, []byte) {}, "test/none")
	c.Publish(t, topic, true, payload)
}

func TestMQTTTamperedChunkRefused(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(size3M, 4)
	publishTest(t, b.URL(), data)
	sha := shaHex(data)
	bad := bytes.Clone(data[3*MaxChunkSize : 4*MaxChunkSize])
	bad[100] ^= 0xff
	publishRaw(t, b.URL(), chunkTopic("axle", sha, 3), bad)

	dir := t.TempDir()
	_, err := Fetch(fetchCtx(t), mqttSource(b.URL()), Want{SHA256: sha, Size: size3M}, Options{Dir: dir, MaxSize: 4 << 20, Window: 2})
	if err == nil || !strings.Contains(err.Error(), "chunk 3: sha256") {
		t.Fatalf("tampered chunk: got %v, want an error naming chunk 3's sha256", err)
	}
	if _, err := os.Stat(filepath.Join(dir, sha)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a result file exists after a tampered chunk: %v", err)
	}
}

func TestMQTTWrongWholeHashRefused(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(600<<10, 5)
	fake := shaHex([]byte("something else"))
	// Chunks and chunk hashes are consistent, but the whole is not fake.
	m := Meta{V: 1, SHA256: fake, Size: int64(len(data)), ChunkSize: MaxChunkSize, Chunks: 3}
	for n := range 3 {
		c := data[n*MaxChunkSize : min(len(data), (n+1)*MaxChunkSize)]
		m.ChunkSHA256 = append(m.ChunkSHA256, shaHex(c))
		publishRaw(t, b.URL(), chunkTopic("axle", fake, n), c)
	}
	js, _ := json.Marshal(m)
	publishRaw(t, b.URL(), metaTopic("axle", fake), js)

	dir := t.TempDir()
	_, err := Fetch(fetchCtx(t), mqttSource(b.URL()), Want{SHA256: fake, Size: int64(len(data))}, Options{Dir: dir, MaxSize: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "hash") || !strings.Contains(err.Error(), shaHex(data)) {
		t.Fatalf("wrong whole hash: got %v, want a hash error naming the real sha256", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("work dir keeps %d entries after a hash mismatch, want none", len(entries))
	}
}

func TestSizeLimitCheckedBeforeFetching(t *testing.T) {
	// Nothing listens here: any attempt to fetch would fail differently.
	src := mqttSource("tcp://127.0.0.1:1")
	dir := filepath.Join(t.TempDir(), "work")
	_, err := Fetch(fetchCtx(t), src, Want{SHA256: strings.Repeat("0", 64), Size: 5 << 20}, Options{Dir: dir, MaxSize: 4 << 20})
	if err == nil || !strings.Contains(err.Error(), "size limit") || !strings.Contains(err.Error(), "5242880") {
		t.Fatalf("got %v, want a size limit error", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("work dir created before the size check: %v", err)
	}
}

func TestMQTTMetaSizeMustMatchCommand(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(300<<10, 6)
	publishTest(t, b.URL(), data)
	dir := t.TempDir()
	_, err := Fetch(fetchCtx(t), mqttSource(b.URL()), Want{SHA256: shaHex(data), Size: 100}, Options{Dir: dir, MaxSize: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "meta: size 307200, the command says 100") {
		t.Fatalf("got %v, want a meta size mismatch", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%d files created although the meta was refused", len(entries))
	}
}

func TestMQTTMissingMetaAndChunk(t *testing.T) {
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	data := testData(600<<10, 7)
	sha := shaHex(data)
	opts := Options{Dir: t.TempDir(), MaxSize: 1 << 20, MetaTimeout: 300 * time.Millisecond, ChunkTimeout: 300 * time.Millisecond, Requests: 2}
	_, err := Fetch(fetchCtx(t), mqttSource(b.URL()), Want{SHA256: sha, Size: int64(len(data))}, opts)
	if err == nil || !strings.Contains(err.Error(), "meta: nothing retained on axle/artifacts/"+sha+"/meta") {
		t.Fatalf("no meta: got %v", err)
	}

	publishTest(t, b.URL(), data)
	publishRaw(t, b.URL(), chunkTopic("axle", sha, 1), nil) // clears the retained chunk
	_, err = Fetch(fetchCtx(t), mqttSource(b.URL()), Want{SHA256: sha, Size: int64(len(data))}, opts)
	if err == nil || !strings.Contains(err.Error(), "chunk 1: not received after 2 requests") {
		t.Fatalf("missing chunk: got %v", err)
	}
}

// sidecar reads the sidecar of p for a test.
func (p *part) sidecar(t *testing.T) chunkState {
	t.Helper()
	st, ok := p.loadState()
	if !ok {
		t.Fatalf("no valid sidecar at %s", p.statePath())
	}
	return st
}
