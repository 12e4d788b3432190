package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
)

// modelSource serves predict with the real demo model: a pool of loaded
// interpreters, one per concurrent request (a Model is single-goroutine).
type modelSource struct {
	fakeSource
	pool chan models.Model
}

func newModelSource(tb testing.TB, n int) *modelSource {
	s := &modelSource{pool: make(chan models.Model, n)}
	for range n {
		m, err := tflite.Runtime{}.Load(demomodel.TFLite(), models.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { m.Close() })
		s.pool <- m
	}
	return s
}

func (s *modelSource) Models() []ModelInfo {
	return []ModelInfo{{Name: "pump-anomaly", Version: "1", State: fleet.ModelActive, Inputs: 12, Outputs: 1}}
}

func (s *modelSource) Predict(ctx context.Context, name string, in [][]float32) ([][]float32, error) {
	if name != "pump-anomaly" {
		return nil, fmt.Errorf("model %q: %w", name, ErrUnknownModel)
	}
	m := <-s.pool
	defer func() { s.pool <- m }()
	out := make([][]float32, len(in))
	for i, row := range in {
		dst := models.Float32s(m.Input(0))
		if len(row) != len(dst) {
			return nil, fmt.Errorf("instances[%d]: %d values, the model takes %d: %w", i, len(row), len(dst), ErrBadInput)
		}
		copy(dst, row)
		if err := m.Invoke(ctx); err != nil {
			return nil, err
		}
		out[i] = slices.Clone(models.Float32s(m.Output(0)))
	}
	return out, nil
}

// BenchmarkPredictDemoModel measures predict over HTTP on loopback with
// the demo model, four clients at a time: requests per second and the p99
// latency a client sees.
func BenchmarkPredictDemoModel(b *testing.B) {
	const clients = 4
	src := newModelSource(b, clients)
	base := serveTCP(b, src, Options{MaxConcurrent: clients})
	url := base + "/v1/models/pump-anomaly:predict"
	body := []byte(`{"instances": [[0.12, 0.8, 3.1, 0.11, 0.75, 2.9, 0.13, 0.82, 3.0, 41.5, 41.9, 1.8]]}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	if resp, err := client.Post(url, "application/json", bytes.NewReader(body)); err != nil || resp.StatusCode != 200 {
		b.Fatalf("warm-up predict: %v %v", resp, err)
	}

	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(1) // GOMAXPROCS clients; with -cpu 4 that is four
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("predict: %s", resp.Status)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}

// TestPredictDemoModel checks predict end to end with the real model: the
// HTTP answer equals a direct Invoke of the same input.
func TestPredictDemoModel(t *testing.T) {
	base := serveTCP(t, newModelSource(t, 1), Options{})
	in := []float32{0.12, 0.8, 3.1, 0.11, 0.75, 2.9, 0.13, 0.82, 3.0, 41.5, 41.9, 1.8}
	m, err := tflite.Runtime{}.Load(demomodel.TFLite(), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	copy(models.Float32s(m.Input(0)), in)
	if err := m.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := string(encodePredictions([][]float32{models.Float32s(m.Output(0))}, false))
	body := fmt.Sprintf(`{"instances": [%s]}`, bytes.ReplaceAll([]byte(fmt.Sprint(in)), []byte(" "), []byte(",")))
	r := do(t, http.DefaultClient, "POST", base+"/v1/models/pump-anomaly:predict", "", []byte(body))
	if r.code != 200 || string(r.body) != want {
		t.Errorf("predict = %d %s, want %s", r.code, r.body, want)
	}
	do(t, http.DefaultClient, "POST", base+"/v1/models/pump-anomaly:predict", "", []byte(`{"instances": [[1, 2]]}`)).
		errorOf(t, 400, "instances[0]: 2 values, the model takes 12")
}

// BenchmarkDecodePredict decodes a 1 MiB body of 12-value instances; the
// allocations show the decoder's memory stays near the body size.
func BenchmarkDecodePredict(b *testing.B) {
	row := []byte(`[0.12,0.8,3.1,0.11,0.75,2.9,0.13,0.82,3.0,41.5,41.9,1.8]`)
	var body bytes.Buffer
	body.WriteString(`{"instances":[`)
	for body.Len() < 1<<20-len(row)-2 {
		if body.Len() > len(`{"instances":[`) {
			body.WriteByte(',')
		}
		body.Write(row)
	}
	body.WriteString(`]}`)
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePredict(body.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
