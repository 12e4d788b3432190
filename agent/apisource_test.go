package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/api"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/internal/testtool"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/tflite"
)

// apiAgent is a running agent (real Mosquitto, simulated pump, the demo
// model as "good") serving the local API on a free loopback port.
type apiAgent struct {
	h    *runHarness
	base string

	mu     sync.Mutex
	scores []fleet.Score
}

func startAPIAgent(t *testing.T) *apiAgent {
	t.Helper()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	yml := pumpYAML(t, "api-dev", "tcp://"+b.Addr(), "") + "api: {listen: \"127.0.0.1:0\", max_concurrent: 8}\n"
	x := &apiAgent{}
	x.h = setupAgent(t, yml, Options{OnScore: func(s fleet.Score) {
		x.mu.Lock()
		x.scores = append(x.scores, s)
		x.mu.Unlock()
	}})
	x.base = "http://" + x.h.a.observe.ln.Addr().String()
	x.h.start(t)
	return x
}

// waitScores waits until the agent has committed at least n scores.
func (x *apiAgent) waitScores(t *testing.T, n int) {
	t.Helper()
	uplinktest.WaitFor(t, 30*time.Second, fmt.Sprintf("%d scores", n), func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return len(x.scores) >= n
	})
}

func (x *apiAgent) scoreSet() map[float64]bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := map[float64]bool{}
	for _, s := range x.scores {
		m[*s.Score] = true
	}
	return m
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

// demoReference runs the demo model on its own instance, as the test's
// reference for predictions.
func demoReference(t *testing.T, in []float32) []float32 {
	t.Helper()
	m, err := tflite.Runtime{}.Load(demomodel.TFLite(), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Inputs()[0]
	if err := preprocess.Fill(m.Input(0), in, info); err != nil {
		t.Fatal(err)
	}
	if err := m.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := preprocess.Read(nil, m.Output(0), m.Outputs()[0])
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(out))
	for i, v := range out {
		f[i] = float32(v)
	}
	return f
}

// TestAPIOnRunningAgent hits a running agent's API with concurrent clients
// (status, models, series, metrics and predictions) while its pipeline
// scores, and checks each answer against what the agent did.
func TestAPIOnRunningAgent(t *testing.T) {
	x := startAPIAgent(t)
	uplinktest.WaitFor(t, 30*time.Second, "ready agent", func() bool { c, _ := get(t, x.base+"/readyz"); return c == http.StatusOK })
	x.waitScores(t, 4)

	_, mb := get(t, x.base+"/v1/models")
	var ms struct {
		Models []api.ModelInfo `json:"models"`
	}
	if err := json.Unmarshal(mb, &ms); err != nil || len(ms.Models) != 1 {
		t.Fatalf("/v1/models: %v %s", err, mb)
	}
	info := demomodel.Info()
	if m := ms.Models[0]; m.Name != "good" || m.Version != info.Version || m.State != fleet.ModelActive || m.Inputs == 0 || m.Alarm != info.Alarm {
		t.Fatalf("/v1/models: %+v", m)
	}
	inputs := ms.Models[0].Inputs

	rng := rand.New(rand.NewPCG(3, 4))
	const clients, rounds = 8, 6
	instances := make([][]float32, clients)
	want := make([][]float32, clients)
	for i := range instances {
		instances[i] = make([]float32, inputs)
		for j := range instances[i] {
			instances[i][j] = float32(rng.NormFloat64())
		}
		want[i] = demoReference(t, instances[i])
	}
	x.mu.Lock()
	before := len(x.scores)
	x.mu.Unlock()

	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds*4)
	for c := range clients {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"instances": [][]float32{instances[c]}})
			for range rounds {
				resp, err := http.Post(x.base+"/v1/models/good:predict", "application/json", bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				var out struct {
					Predictions [][]float32 `json:"predictions"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				switch {
				case resp.StatusCode != http.StatusOK || err != nil:
					errs <- fmt.Errorf("client %d: predict: %d %v", c, resp.StatusCode, err)
				case len(out.Predictions) != 1 || fmt.Sprint(out.Predictions[0]) != fmt.Sprint(want[c]):
					errs <- fmt.Errorf("client %d: predictions %v, the model itself gives %v", c, out.Predictions, want[c])
				}
				for _, p := range []string{"/v1/status", "/metrics", "/v1/series"} {
					resp, err := http.Get(x.base + p)
					if err != nil {
						errs <- err
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("client %d: GET %s: %d", c, p, resp.StatusCode)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The pipeline went on scoring during and after the requests.
	x.waitScores(t, before+4)

	// Bad input and unknown models get their status codes.
	resp, err := http.Post(x.base+"/v1/models/good:predict", "application/json", strings.NewReader(`{"instances": [[1, 2]]}`))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "instance 0 has 2 values") {
		t.Errorf("short instance: %d %s", resp.StatusCode, msg)
	}
	resp, err = http.Post(x.base+"/v1/models/nope:predict", "application/json", bytes.NewReader([]byte(`{"instances": [[1]]}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown model: %d, want 404", resp.StatusCode)
	}

	// Metrics count the windows the agent committed, per model, version
	// and sensor, with real histograms.
	x.mu.Lock()
	committed := len(x.scores)
	x.mu.Unlock()
	_, met := get(t, x.base+"/metrics")
	labels := fmt.Sprintf(`{model="good",version="%s",sensor="pump"}`, info.Version)
	vals := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(met))
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if f, err := strconv.ParseFloat(v, 64); ok && err == nil {
			vals[name] = f
		}
	}
	if n := vals["axle_model_windows_scored_total"+labels]; n < float64(committed) {
		t.Errorf("windows scored %g, the agent committed %d:\n%s", n, committed, met)
	}
	if _, ok := vals["axle_model_windows_dropped_total"+labels]; !ok {
		t.Errorf("no windows dropped counter:\n%s", met)
	}
	for _, h := range []string{"axle_model_invoke_duration_seconds", "axle_model_end_to_end_latency_seconds"} {
		n := vals[h+"_count"+labels]
		inf := vals[fmt.Sprintf(`%s_bucket{model="good",version="%s",sensor="pump",le="+Inf"}`, h, info.Version)]
		if n < float64(committed) || inf != n || !strings.Contains(string(met), "# TYPE "+h+" histogram") {
			t.Errorf("%s: count %g, +Inf bucket %g, want >= %d:\n%s", h, n, inf, committed, met)
		}
	}
	if !strings.Contains(string(met), `axle_api_predict`) {
		t.Errorf("predict latency is not in the metrics:\n%s", met)
	}

	// The series holds the committed scores: each point is the highest
	// score of its bucket.
	_, sb := get(t, x.base+"/v1/series")
	var series struct {
		Series []api.Series `json:"series"`
	}
	if err := json.Unmarshal(sb, &series); err != nil || len(series.Series) != 1 {
		t.Fatalf("/v1/series: %v %s", err, sb)
	}
	s := series.Series[0]
	if len(s.Points) == 0 || s.Alarm != info.Alarm || s.LatencyP99 <= 0 {
		t.Fatalf("series: %+v", s)
	}
	x.mu.Lock()
	best := map[time.Time]float64{}
	for _, sc := range x.scores {
		b := sc.Window.End.Truncate(seriesBucket)
		if v, ok := best[b]; !ok || *sc.Score > v {
			best[b] = *sc.Score
		}
	}
	x.mu.Unlock()
	for _, p := range s.Points {
		if v, ok := best[p.T.Truncate(seriesBucket)]; !ok || v != p.Score {
			t.Errorf("series point %v %g; the highest committed score of its bucket is %g", p.T, p.Score, v)
		}
	}
}

// TestLivePageOnRunningAgent renders the live page of a running agent in
// headless Chromium and checks that its plot holds the agent's recent
// scores.
func TestLivePageOnRunningAgent(t *testing.T) {
	bin := testtool.Find(t, "chromium", "chromium", "/usr/bin/chromium")
	x := startAPIAgent(t)
	x.waitScores(t, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=3000", "--dump-dom", x.base+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	if !regexp.MustCompile(`<section [^>]*data-model="good"`).MatchString(dom) {
		t.Fatalf("no section for model good in\n%s", dom)
	}
	m := regexp.MustCompile(`<polyline [^>]*class="score"[^>]*>`).FindString(dom)
	if m == "" {
		m = regexp.MustCompile(`<polyline [^>]*>`).FindString(dom)
	}
	sm := regexp.MustCompile(`data-scores="([^"]*)"`).FindStringSubmatch(m)
	if sm == nil {
		t.Fatalf("no score line in\n%s", dom)
	}
	plotted := strings.Fields(sm[1])
	if len(plotted) == 0 {
		t.Fatalf("the plot is empty:\n%s", dom)
	}
	t.Logf("plotted %d points", len(plotted))
	known := x.scoreSet()
	for _, p := range plotted {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !known[v] {
			t.Errorf("plotted score %q is not one the agent committed", p)
		}
	}
}
